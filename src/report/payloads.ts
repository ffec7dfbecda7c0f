/**
 * The activity inputs and results a run recorded in its history, parsed at the edge: histories may come from older
 * versions of this code or from a run that failed half-way, so every field the report does not need is optional.
 */
import { z } from 'zod';
import { BUILTIN_TEAMS } from '../shared/builtin-teams';
import { checkTeam, RoleIdSchema, type RoleId, type Team } from '../shared/team';
import type { ActivityRecord, WorkflowRecord } from './history';

const RoleSchema = RoleIdSchema;

export const TokenUsageSchema = z.object({
  input: z.number().default(0),
  output: z.number().default(0),
  reasoning: z.number().default(0),
  total: z.number().default(0),
});

export const FileRecordSchema = z.object({ path: z.string(), size: z.number(), sha256: z.string().default('') });

const MessageSchema = z.object({ type: z.literal('message'), role: z.string(), content: z.unknown() });

export const ModelTurnInputSchema = z.object({
  role: RoleSchema,
  turn: z.number(),
  instructions: z.string().optional(),
  input: z.array(z.looseObject({ type: z.string() })).default([]),
});
export type ModelTurnInput = z.infer<typeof ModelTurnInputSchema>;

export const ModelTurnResultSchema = z.object({
  model: z.string().optional(),
  usage: TokenUsageSchema.default({ input: 0, output: 0, reasoning: 0, total: 0 }),
  codexCalls: z.array(z.unknown()).default([]),
  finalText: z.string().optional(),
  scripted: z.boolean().default(false),
});
export type ModelTurnResult = z.infer<typeof ModelTurnResultSchema>;

export const CodexCallInputSchema = z.object({
  role: RoleSchema,
  label: z.string(),
  tool: z.enum(['codex', 'codex-reply']),
  prompt: z.string(),
  threadId: z.string().optional(),
});
export type CodexCallInput = z.infer<typeof CodexCallInputSchema>;

export const CodexCallResultSchema = z.object({
  threadId: z.string(),
  continuedFromThreadId: z.string().optional(),
  transport: z.enum(['mcp', 'app-server']).optional(),
  resumedThread: z.boolean().optional(),
  usage: TokenUsageSchema.default({ input: 0, output: 0, reasoning: 0, total: 0 }),
  filesChanged: z.array(z.string()).default([]),
  commandsRun: z.number().optional(),
  events: z.number().optional(),
});
export type CodexCallResult = z.infer<typeof CodexCallResultSchema>;

export const GateInputSchema = z.object({ gate: z.string(), required: z.array(z.string()).default([]) });
export const GateResultSchema = z.object({
  present: z.array(FileRecordSchema).default([]),
  missing: z.array(z.string()).default([]),
});

/** A step's commit (commitStep result) and a run's placement (prepareWorkspace result). */
export const StepCommitSchema = z.object({ commit: z.string(), host: z.string(), branch: z.string() });
export const PlacementSchema = z.object({
  workspace: z.string(),
  host: z.string(),
  branch: z.string(),
  remote: z.string(),
  commit: z.string(),
});

/** What the workflow returned (RunResult), as far as the report needs it. */
export const RunResultSchema = z.object({ workspace: z.string(), files: z.array(FileRecordSchema) });

export const MultiAgentInputSchema = z.object({ taskList: z.string() });
export const SingleAgentInputSchema = z.object({ prompt: z.string().optional() });
export const TeamRunInputSchema = z.object({ task: z.string(), team: z.unknown() });

/** The team a recorded run ran: from a teamWorkflow's input, or the built-in team of a legacy workflow type. */
export function teamOfRecord(rec: Pick<WorkflowRecord, 'workflowType' | 'input'>): Team | undefined {
  if (rec.workflowType === 'multiAgentWorkflow') return BUILTIN_TEAMS.cookbook;
  if (rec.workflowType === 'singleAgentWorkflow') return BUILTIN_TEAMS.single;
  const input = parseOr(TeamRunInputSchema, rec.input);
  const checked = input ? checkTeam(input.team) : undefined;
  return checked?.ok ? checked.team : undefined;
}

/** Role id by title ("Frontend Developer" -> "frontend"): gates and labels name roles by title. */
export type TitleIndex = ReadonlyMap<string, RoleId>;
export const titleIndex = (roles: readonly { id?: RoleId; role?: RoleId; title: string }[]): TitleIndex =>
  new Map(roles.map((r) => [r.title, r.id ?? r.role ?? r.title]));

/** Parses or returns undefined: a payload the report cannot read is left out, not fatal. */
export function parseOr<T>(schema: z.ZodType<T>, value: unknown): T | undefined {
  const r = schema.safeParse(value);
  return r.success ? r.data : undefined;
}

/** The role a title ("Frontend Developer") or a label ("Frontend Developer: Codex call 2") belongs to. */
export function roleOfLabel(label: string | undefined, titles: TitleIndex): RoleId | undefined {
  if (!label) return undefined;
  return titles.get(label) ?? titles.get(label.split(':')[0]?.trim() ?? '');
}

/** The role an activity worked for: agent activities carry it in their input, gates name it by title. */
export function ownerRole(a: ActivityRecord, titles: TitleIndex): RoleId | undefined {
  const role = parseOr(z.object({ role: RoleSchema }), a.input)?.role;
  if (role) return role;
  if (a.type === 'checkDeliverables') return roleOfLabel(parseOr(GateInputSchema, a.input)?.gate, titles);
  return roleOfLabel(a.summary, titles);
}

/** The text of the user messages in a model turn's input: what the workflow told the agent. */
export function userMessages(input: ModelTurnInput['input']): string[] {
  const out: string[] = [];
  for (const item of input) {
    const m = MessageSchema.safeParse(item);
    if (!m.success || m.data.role !== 'user') continue;
    if (typeof m.data.content === 'string') out.push(m.data.content);
    else if (Array.isArray(m.data.content)) {
      const parts = z.array(z.looseObject({ text: z.string().optional() })).safeParse(m.data.content);
      if (parts.success) out.push(parts.data.map((p) => p.text ?? '').join(''));
    }
  }
  return out;
}

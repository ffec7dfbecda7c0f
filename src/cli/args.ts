/** Command-line parsing for start-run: validated at the edge, one clear line on error. */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ConfigError } from '../shared/errors';
import { parseDuration } from '../shared/team';

export const WORKFLOW_KINDS = ['multi', 'single'] as const;
export type WorkflowKind = (typeof WORKFLOW_KINDS)[number];
/** `--workflow` is an alias of `--team` for the built-in teams it used to name. */
export const TEAM_OF_WORKFLOW: Record<WorkflowKind, string> = { multi: 'cookbook', single: 'single' };
export const DEFAULT_TASK_FILE = path.join(__dirname, '..', '..', 'tasks', 'bug-busters.md');

export const StartRunOptionsSchema = z.object({
  /** Undefined: the default task (Bug Busters), or the cookbook's prompt for the single team. */
  task: z.string().min(1).optional(),
  /** A team file or the name of a built-in team (teams/NAME.yaml). */
  team: z.string().min(1),
  workflow: z.enum(WORKFLOW_KINDS).optional(),
  workspace: z.string().min(1).optional(),
  detach: z.boolean(),
  json: z.boolean(),
  approval: z.enum(['never', 'on-request']),
  approvalTimeoutMs: z.number().int().positive().optional(),
  id: z
    .string()
    .regex(/^[\w.@:-]+$/, 'may contain letters, digits and . _ @ : - only')
    .optional(),
  /** People in the loop (docs/people-in-the-loop.md). */
  review: z.array(z.string().regex(/^[a-z][a-z0-9_]*$/, 'role ids must match [a-z][a-z0-9_]*')).optional(),
  reviewTimeoutMs: z.number().int().positive().optional(),
  onReviewTimeout: z.enum(['fail', 'approve']).optional(),
  maxTokens: z.number().int().positive('must be a positive integer').optional(),
  maxTurns: z.number().int().positive('must be a positive integer').optional(),
  budgetWait: z.boolean(),
});
export type StartRunOptions = z.infer<typeof StartRunOptionsSchema>;

export const USAGE =
  'Usage: npm run start-run -- [--team FILE|NAME] [--task FILE] [--workspace DIR] [--id ID] [--detach] [--json]' +
  ' (--workflow multi|single: alias of --team cookbook|single)';

export function parseStartRunArgs(argv: string[]): StartRunOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        task: { type: 'string', short: 't' },
        team: { type: 'string' },
        workflow: { type: 'string', short: 'w' },
        workspace: { type: 'string' },
        id: { type: 'string' },
        approval: { type: 'string', default: 'never' },
        'approval-timeout': { type: 'string' },
        detach: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        review: { type: 'string' },
        'review-timeout': { type: 'string' },
        'on-review-timeout': { type: 'string' },
        'max-tokens': { type: 'string' },
        'max-turns': { type: 'string' },
        'budget-wait': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}\n${USAGE}`);
  }
  if (values.help) throw new ConfigError(USAGE);
  if (values.team !== undefined && values.workflow !== undefined) {
    throw new ConfigError(`Give --team or --workflow, not both\n${USAGE}`);
  }
  const alias = (WORKFLOW_KINDS as readonly string[]).includes(values.workflow ?? '')
    ? TEAM_OF_WORKFLOW[values.workflow as WorkflowKind]
    : undefined;
  const parsed = StartRunOptionsSchema.safeParse({
    task: values.task,
    team: values.team ?? alias ?? 'cookbook',
    workflow: values.workflow,
    workspace: values.workspace,
    detach: values.detach,
    json: values.json,
    id: values.id,
    review: values.review
      ?.split(',')
      .map((r) => r.trim())
      .filter(Boolean),
    reviewTimeoutMs: durationArg('review-timeout', values['review-timeout']),
    onReviewTimeout: values['on-review-timeout'],
    maxTokens: numberArg(values['max-tokens']),
    maxTurns: numberArg(values['max-turns']),
    budgetWait: values['budget-wait'],
    approval: values.approval,
    approvalTimeoutMs: durationArg('approval-timeout', values['approval-timeout']),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = FLAG_OF[String(issue?.path[0])] ?? issue?.path.join('.') ?? 'arguments';
    const detail =
      field === 'workflow'
        ? `unknown workflow "${values.workflow}" (use multi or single)`
        : field === 'approval'
          ? `"${values.approval}" (use never or on-request)`
          : issue?.message;
    throw new ConfigError(`Invalid --${field}: ${detail}\n${USAGE}`);
  }
  return parsed.data;
}

const FLAG_OF: Record<string, string> = {
  reviewTimeoutMs: 'review-timeout',
  onReviewTimeout: 'on-review-timeout',
  maxTokens: 'max-tokens',
  maxTurns: 'max-turns',
};

/** A number flag; NaN (not a number) fails the schema with the flag's name. */
const numberArg = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));

/** `10m`, `90s`, `24h`: a duration flag in milliseconds; a bad one is a user error. */
function durationArg(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) throw new ConfigError(`Invalid --${flag}: "${text}" (e.g. 90s, 10m, 24h)\n${USAGE}`);
  return ms;
}

/** Reads a task list; missing, unreadable, empty or oversized files are user errors. */
export async function readTaskFile(file: string): Promise<string> {
  let size: number;
  try {
    const s = await stat(file);
    if (!s.isFile()) throw new ConfigError(`Task file ${file} is not a file`);
    size = s.size;
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`Task file ${file} not found`, { cause: err });
  }
  if (size > 64 * 1024) throw new ConfigError(`Task file ${file} is too large (${size} bytes; the limit is 64 KiB)`);
  const text = await readFile(file, 'utf8');
  if (text.includes('\u0000')) throw new ConfigError(`Task file ${file} is not a text file`);
  if (text.trim().length === 0) throw new ConfigError(`Task file ${file} is empty`);
  return text;
}

/** A user-chosen workspace must lie inside the workspace root (the worker checks again). */
export function checkWorkspace(root: string, requested: string | undefined): string | undefined {
  if (requested === undefined) return undefined;
  const abs = path.resolve(requested);
  const rel = path.relative(root, abs);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new ConfigError(`Workspace ${abs} is outside the allowed root ${root} (set WORKSPACE_ROOT to change it)`);
  }
  return abs;
}

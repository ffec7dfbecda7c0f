/**
 * A team run as an MCP client sees it: one look at the run (Temporal's describe plus the workflow's `progress`
 * query), a one-line summary for task status messages and progress notifications, and the run's outcome as a tool
 * result (text plus structuredContent). Pure apart from `lookAtRun`.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { z } from 'zod';
import { workflowStatus, type WorkflowStatus } from '../cli/progress-render';
import type { RunOutcome } from '../runtime/runs';
import type { RunState, StepStatus } from '../shared/types';

/** What an MCP server records in the memo of a run it started as an MCP task. */
export const McpTaskMemoSchema = z.object({
  ttl: z.number().int().nonnegative().nullable(),
  pollInterval: z.number().int().positive(),
});
export type McpTaskMemo = z.infer<typeof McpTaskMemoSchema>;
export const MCP_TASK_MEMO_KEY = 'mcpTask';

export interface RunLook {
  workflowId: string;
  workflowType: string;
  lifecycle: WorkflowStatus;
  startedAt: Date;
  closedAt?: Date;
  /** Undefined when no worker answered the query in time. */
  state?: RunState;
  /** Set on runs an MCP server started as a task. */
  task?: McpTaskMemo;
}

/** Undefined when Temporal knows no such workflow. */
export async function lookAtRun(client: Client, workflowId: string, queryMs = 3_000): Promise<RunLook | undefined> {
  const handle = client.workflow.getHandle(workflowId);
  let desc;
  try {
    desc = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
  // A closed run answers from its history (a worker replays it); an idle queue must not hang the look. The query is
  // cancelled at its deadline, not left running: an abandoned call would outlive its connection.
  const state =
    queryMs > 0
      ? await client
          .withAbortSignal(AbortSignal.timeout(queryMs), () => handle.query<RunState>('progress'))
          .catch(() => undefined)
      : undefined;
  const memo = McpTaskMemoSchema.safeParse(desc.memo?.[MCP_TASK_MEMO_KEY]);
  return {
    workflowId,
    workflowType: desc.type,
    lifecycle: workflowStatus(desc.status.name),
    startedAt: desc.startTime,
    closedAt: desc.closeTime,
    state,
    task: memo.success ? memo.data : undefined,
  };
}

/** "2/4 roles done; running: Designer; awaiting review: Frontend Developer (answer with review_run)". */
export function summary(look: Pick<RunLook, 'lifecycle' | 'state'>): string {
  const { state } = look;
  if (!state) return look.lifecycle === 'running' ? 'waiting for a worker to answer' : look.lifecycle;
  const titles = (s: StepStatus) =>
    state.steps
      .filter((x) => x.status === s)
      .map((x) => x.title)
      .join(', ');
  const done = state.steps.filter((s) => s.status === 'done').length;
  const parts = [`${done}/${state.steps.length} roles done`];
  if (titles('running')) parts.push(`running: ${titles('running')}`);
  if (titles('review')) parts.push(`awaiting review: ${titles('review')} (answer with review_run)`);
  if (state.budget?.stopped) parts.push(`stopped: the ${state.budget.stopped.what} budget is spent`);
  if (titles('failed')) parts.push(`failed: ${titles('failed')}`);
  if (state.status !== 'running') parts.push(state.status + (state.error ? ` (${state.error})` : ''));
  return parts.join('; ');
}

/**
 * Roles that started after `before` (an earlier look at the run) and are no longer running in `now`: a short role
 * can start and end between two looks when the machine is busy. One summary each, as of its start (in start order),
 * so a client that follows role changes by notification sees every role run.
 */
export function missedStarts(before: RunState | undefined, now: RunState): string[] {
  const startedBefore = new Set(before?.steps.filter((s) => s.startedAt !== undefined).map((s) => s.role));
  const at = (t: number) => {
    const done = now.steps.filter((s) => s.status === 'done' && s.endedAt !== undefined && s.endedAt < t).length;
    const running = now.steps
      .filter((s) => s.startedAt !== undefined && s.startedAt <= t && (s.endedAt === undefined || s.endedAt >= t))
      .map((s) => s.title);
    return `${done}/${now.steps.length} roles done; running: ${running.join(', ')}`;
  };
  return now.steps
    .filter((s) => s.startedAt !== undefined && s.status !== 'running' && !startedBefore.has(s.role))
    .sort((a, b) => a.startedAt! - b.startedAt!)
    .map((s) => at(s.startedAt!));
}

/** What changes when a role changes state: the key of a progress notification. */
export const roleKey = (state: RunState | undefined): string =>
  state ? state.steps.map((s) => `${s.role}:${s.status}`).join(',') + `|${state.status}` : '';

export const StepViewShape = {
  role: z.string(),
  title: z.string(),
  status: z.string(),
  files: z.array(z.string()),
  error: z.string().optional(),
};

/** run_status's structuredContent. */
export const RunStatusShape = {
  runId: z.string(),
  status: z.string(),
  summary: z.string(),
  workspace: z.string().optional(),
  host: z.string().optional(),
  steps: z.array(z.object(StepViewShape)),
  pendingReviews: z.array(
    z.object({ role: z.string(), title: z.string(), round: z.number(), files: z.array(z.string()) }),
  ),
};

function stepsOf(state: RunState | undefined) {
  return (state?.steps ?? []).map((s) => ({
    role: s.role,
    title: s.title,
    status: s.status,
    files: s.files.map((f) => f.path),
    ...(s.error ? { error: s.error } : {}),
  }));
}

export function statusResult(look: RunLook): CallToolResult {
  const state = look.state;
  const pendingReviews = (state?.reviews?.pending ?? []).map((r) => ({
    role: r.role,
    title: r.title,
    round: r.round,
    files: r.files.map((f) => f.path),
  }));
  const structured = {
    runId: look.workflowId,
    status: look.lifecycle,
    summary: summary(look),
    ...(state?.workspace ? { workspace: state.workspace } : {}),
    ...(state?.host ? { host: state.host } : {}),
    steps: stepsOf(state),
    pendingReviews,
  };
  const lines = [`Run ${look.workflowId}: ${look.lifecycle}; ${structured.summary}`];
  for (const s of structured.steps) {
    lines.push(`  ${s.title} (${s.role}): ${s.status}${s.files.length ? `, files ${s.files.join(', ')}` : ''}`);
  }
  for (const r of pendingReviews) {
    lines.push(`Waiting for review: ${r.role} round ${r.round}: review_run {runId, decision: approve | changes}`);
  }
  if (state?.workspace) lines.push(`Workspace: ${state.workspace}`);
  return { content: [{ type: 'text', text: lines.join('\n') }], structuredContent: structured };
}

/** run_team's result, from the run's outcome (`finishRun`). */
export const RunResultShape = {
  runId: z.string(),
  status: z.enum(['completed', 'failed', 'cancelled']),
  workspace: z.string().optional(),
  branch: z.string().optional(),
  files: z.array(z.object({ path: z.string(), size: z.number() })),
  steps: z.array(z.object(StepViewShape)),
  error: z.string().optional(),
  report: z.string().optional(),
  webUi: z.string().optional(),
  scripted: z.boolean(),
};

/** `lastState`: the run's state from its query, for a run that failed or was cancelled (it returned none). */
export function outcomeResult(
  workflowId: string,
  outcome: RunOutcome,
  o: { webUi?: string; lastState?: RunState } = {},
): CallToolResult {
  const { webUi } = o;
  const status = outcome.ok ? 'completed' : outcome.cancelled ? 'cancelled' : 'failed';
  const state = outcome.state ?? o.lastState;
  const files = (outcome.result?.files ?? []).map((f) => ({ path: f.path, size: f.size }));
  const structured = {
    runId: workflowId,
    status,
    ...(outcome.result?.workspace ? { workspace: outcome.result.workspace } : {}),
    ...(state?.branch ? { branch: state.branch } : {}),
    files,
    steps: stepsOf(state),
    ...(outcome.error ? { error: outcome.error } : {}),
    ...(outcome.reportPaths ? { report: outcome.reportPaths.markdown } : {}),
    ...(webUi ? { webUi } : {}),
    scripted: outcome.report?.scripted ?? false,
  };
  const lines =
    status === 'completed'
      ? [
          `Run ${workflowId} completed. Files in ${structured.workspace ?? '?'}:`,
          ...files.map((f) => `  ${f.path} (${f.size} bytes)`),
        ]
      : [`Run ${workflowId} ${status}: ${outcome.error ?? 'unknown error'}`];
  if (structured.report) lines.push(`Report: ${structured.report}`);
  if (webUi) lines.push(`History: ${webUi}`);
  if (structured.scripted) lines.push('Note: produced by the SCRIPTED model (offline stand-in), not a real LLM.');
  return {
    content: [{ type: 'text', text: lines.join('\n') }],
    structuredContent: structured,
    ...(status === 'completed' ? {} : { isError: true }),
  };
}

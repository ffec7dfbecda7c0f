/** Starting and following pipeline runs: shared by start-run, the demo, tests and benchmarks. */
import { randomBytes } from 'node:crypto';
import { WorkflowFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { DEFAULT_TASK_QUEUE } from '../config/settings';
import { projectName, slugify } from '../shared/naming';
import { COOKBOOK_TEAM, SINGLE_TEAM } from '../shared/builtin-teams';
import { DEFAULT_SINGLE_AGENT_PROMPT } from '../shared/prompts';
import { teamShape } from '../shared/team';
import type { MultiAgentInput, RunResult, RunState, SingleAgentInput, TeamRunInput } from '../shared/types';
import { reportDir, reportFromHistory, writeReport, type ReportPaths, type RunReport } from '../report/run-report';

/**
 * A run to start. Every kind starts `teamWorkflow`: `multi` and `single` are shorthands for the built-in cookbook and
 * single teams with the legacy workflows' inputs (`sequentialBranches` becomes `maxConcurrentRoles: 1`).
 */
export type RunRequest = (
  | { kind: 'team'; input: TeamRunInput }
  | { kind: 'multi'; input: MultiAgentInput }
  | { kind: 'single'; input: SingleAgentInput }
) & {
  workflowId?: string;
  taskQueue?: string;
  /** Kept with the run, readable without a worker (an MCP server marks the runs it serves as MCP tasks). */
  memo?: Record<string, unknown>;
};

export function newWorkflowId(prefix: string, title: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  return `${slugify(prefix)}-${slugify(title)}-${stamp}-${randomBytes(2).toString('hex')}`;
}

/** The teamWorkflow input a request stands for. */
export function teamRunInput(req: RunRequest): TeamRunInput {
  if (req.kind === 'team') return req.input;
  if (req.kind === 'multi') {
    const { taskList, sequentialBranches, ...options } = req.input;
    return {
      ...options,
      team: COOKBOOK_TEAM,
      task: taskList,
      ...(sequentialBranches ? { maxConcurrentRoles: 1 } : {}),
    };
  }
  const { prompt, ...options } = req.input;
  return { ...options, team: SINGLE_TEAM, task: prompt ?? DEFAULT_SINGLE_AGENT_PROMPT };
}

export async function startRun(client: Client, req: RunRequest): Promise<WorkflowHandle> {
  const input = teamRunInput(req);
  const name = projectName(input.task);
  return client.workflow.start('teamWorkflow', {
    taskQueue: req.taskQueue ?? DEFAULT_TASK_QUEUE,
    workflowId: req.workflowId ?? newWorkflowId(input.team.name, name),
    args: [input],
    staticSummary: `Team ${input.team.name}: ${name}`,
    staticDetails: `${teamShape(input.team)}\n\n${input.team.description}\n\nTask:\n\n${input.task}`,
    ...(req.memo ? { memo: req.memo } : {}),
  });
}

export interface RunOutcome {
  ok: boolean;
  /** The run ended because it was cancelled (`npm run cancel`); `ok` is false then. */
  cancelled?: boolean;
  result?: RunResult;
  /** The final state, from the result (a failed run has none: its report says what happened). */
  state?: RunState;
  error?: string;
  report?: RunReport;
  reportPaths?: ReportPaths;
  /** Why no report was written, if none was. */
  reportError?: string;
}

/**
 * Waits for a run, then writes its report (REPORT.md, timeline.svg, run.json), built from the recorded history, into
 * the workspace when this machine can see it (else into `reports/<workflowId>`).
 */
export async function finishRun(handle: WorkflowHandle, webUiUrl?: string): Promise<RunOutcome> {
  let result: RunResult | undefined;
  let error: string | undefined;
  let cancelled = false;
  try {
    result = (await handle.result()) as RunResult;
  } catch (err) {
    error = describeFailure(err);
    cancelled = isRunCancelled(err);
  }
  const outcome: RunOutcome = { ok: result !== undefined, result, state: result?.state, error };
  if (cancelled) outcome.cancelled = true;
  try {
    const report = await reportFromHistory(handle, webUiUrl);
    outcome.report = report;
    outcome.reportPaths = await writeReport(reportDir(report), report);
  } catch (err) {
    outcome.reportError = describeFailure(err);
  }
  return outcome;
}

/** True for the error `handle.result()` throws for a run that ended cancelled. */
export function isRunCancelled(err: unknown): boolean {
  return err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure;
}

/** The failure chain in one line: "workflow failed: activity failed: 401 ...". */
export function describeFailure(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err instanceof WorkflowFailedError ? err.cause : err;
  while (e instanceof Error && parts.length < 6) {
    const type = (e as { type?: string }).type;
    parts.push(type ? `${type}: ${e.message}` : e.message);
    e = e.cause;
  }
  return parts.filter((p, i) => p !== parts[i - 1]).join(' <- ') || String(err);
}

export function webUiLink(uiBase: string | undefined, namespace: string, workflowId: string): string | undefined {
  if (!uiBase) return undefined;
  return `${uiBase.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

/** The Web UI next to a Temporal address: TEMPORAL_UI_URL, else the dev server's default for a local server. */
export function webUiBase(address: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.TEMPORAL_UI_URL) return env.TEMPORAL_UI_URL;
  const m = /^(localhost|127\.0\.0\.1):(\d+)$/.exec(address);
  if (!m) return undefined;
  return `http://${m[1]}:${Number(m[2]) + 1000}`;
}

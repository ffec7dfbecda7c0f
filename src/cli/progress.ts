/**
 * Live progress of a run, from the workflow's `progress` query plus the pending activities Temporal reports
 * (which show retries in flight). A redrawn table on a terminal, plain changed lines otherwise, JSON with --json.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { RunState, StepState } from '../shared/types';

export interface PendingInfo {
  summary?: string;
  activityType: string;
  attempt: number;
  lastFailure?: string;
}

export interface ProgressSnapshot {
  state: RunState;
  pending: PendingInfo[];
  at: number;
}

export type ProgressMode = 'tty' | 'plain' | 'json';

export async function snapshot(handle: WorkflowHandle): Promise<ProgressSnapshot | undefined> {
  try {
    const [state, desc] = await Promise.all([handle.query<RunState>('progress'), handle.describe()]);
    const raw = desc.raw.pendingActivities ?? [];
    const pending = raw.map((p) => ({
      activityType: p.activityType?.name ?? '?',
      attempt: p.attempt ?? 1,
      lastFailure: p.lastFailure?.message ?? undefined,
      summary: undefined,
    }));
    return { state, pending, at: Date.now() };
  } catch {
    // The workflow may not have run its first task yet, or the worker is restarting: try again next tick.
    return undefined;
  }
}

const fmtTokens = (n: number) => (n >= 10_000 ? `${Math.round(n / 1000)}k` : String(n));
const fmtSecs = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

export function stepLine(step: StepState, now: number, pending: PendingInfo[], running: boolean): string {
  let status: string = step.status;
  if (step.status === 'running') {
    const retry = pending.find((p) => p.attempt > 1);
    if (retry && running) status = `retrying (attempt ${retry.attempt})`;
    else if (step.attempts > 1) status = `running (asked again: ${step.missing.join(', ')})`;
  }
  const elapsed = step.startedAt ? fmtSecs((step.endedAt ?? now) - step.startedAt) : '-';
  const tokens = step.modelUsage.total + step.codexUsage.total;
  const err = step.status === 'failed' && step.error ? `  ${step.error}` : '';
  return `${step.title.padEnd(20)} ${status.padEnd(24)} ${elapsed.padStart(7)}  codex ${String(step.codexCalls.length).padStart(2)}  tokens ${fmtTokens(tokens).padStart(6)}${err}`;
}

export function renderSnapshot(s: ProgressSnapshot): string[] {
  const now = s.state.endedAt ?? s.at;
  const runningSteps = s.state.steps.filter((x) => x.status === 'running');
  return s.state.steps.map((step) =>
    stepLine(step, now, runningSteps.length === 1 && step.status === 'running' ? s.pending : [], runningSteps.length === 1),
  );
}

/** Prints progress until the workflow closes. Returns the last snapshot seen. */
export async function watchProgress(
  handle: WorkflowHandle,
  mode: ProgressMode,
  out: NodeJS.WritableStream = process.stdout,
  intervalMs = 1000,
): Promise<ProgressSnapshot | undefined> {
  let last: ProgressSnapshot | undefined;
  let printed: string[] = [];
  let drawn = 0;
  const done = handle.result().then(
    () => true,
    () => true,
  );
  for (;;) {
    const finished = await Promise.race([done, sleep(intervalMs).then(() => false)]);
    const snap = await snapshot(handle);
    if (snap) {
      last = snap;
      const lines = renderSnapshot(snap);
      if (mode === 'json') {
        out.write(JSON.stringify({ type: 'progress', at: snap.at, state: snap.state, pending: snap.pending }) + '\n');
      } else if (mode === 'tty') {
        if (drawn > 0) out.write(`\x1b[${drawn}A`);
        for (const l of lines) out.write(`\x1b[2K${l}\n`);
        drawn = lines.length;
      } else {
        // Plain logs: print a role's line only when its status or counts change.
        const key = (l: string) => l.replace(/\s+\d+\.\ds\s+/, ' ');
        lines.forEach((l, i) => {
          if (key(l) !== key(printed[i] ?? '')) out.write(`${l}\n`);
        });
        printed = lines;
      }
    }
    if (finished) return last;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

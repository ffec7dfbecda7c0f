/**
 * Rendering of live progress: pure functions from a snapshot (the workflow's `progress` query plus the pending
 * activities Temporal reports) to one line per role. The I/O that takes snapshots lives in ./progress.
 */
import type { RoleId as Role } from '../shared/team';
import type { RunState, StepState } from '../shared/types';

export interface PendingActivity {
  activityId: string;
  activityType: string;
  state: 'scheduled' | 'started' | 'cancel-requested';
  attempt: number;
  /** Why the previous attempt failed. */
  lastFailure?: string;
  /** Its summary or heartbeat label, e.g. "Frontend Developer: Codex call 2". */
  label?: string;
  /** Tokens an in-flight Codex call has spent so far (from its heartbeats). */
  liveTokens?: number;
  role?: Role;
}

export type WorkflowStatus =
  'running' | 'completed' | 'failed' | 'cancelled' | 'terminated' | 'timed-out' | 'continued' | 'unknown';

const STATUS: Record<string, WorkflowStatus> = {
  RUNNING: 'running',
  COMPLETED: 'completed',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
  TERMINATED: 'terminated',
  TIMED_OUT: 'timed-out',
  CONTINUED_AS_NEW: 'continued',
};

/** A workflow execution's status as Temporal names it (`describe().status.name`), in our words. */
export function workflowStatus(name: string): WorkflowStatus {
  return STATUS[name] ?? 'unknown';
}

export interface ProgressSnapshot {
  workflowId: string;
  at: number;
  status: WorkflowStatus;
  /** Undefined until a worker has answered the query (e.g. no worker is polling yet). */
  state?: RunState;
  pending: PendingActivity[];
}

export type RoleState = 'waiting' | 'running' | 'retrying' | 'review' | 'cancelling' | 'done' | 'failed' | 'cancelled';

export interface RoleProgress {
  role: Role;
  title: string;
  state: RoleState;
  /** The attempt of the activity Temporal is retrying. */
  attempt?: number;
  /** 2+ once missing deliverables were asked again. */
  round: number;
  elapsedMs?: number;
  codexCalls: number;
  /** Model plus Codex tokens, including those of Codex calls still running. */
  tokens: number;
  /** What the role is doing, or why it retries or failed. */
  note?: string;
  /** Set while the role's `verify` runs: the round, and whether its checks run or its owners are fixing. */
  verification?: { round: number; status: 'running' | 'fixing' | 'passed' | 'failed' };
  /** Set while the role waits for a person's review. */
  review?: { round: number; since: number };
}

export function roleProgress(s: ProgressSnapshot): RoleProgress[] {
  if (!s.state) return [];
  const running = s.state.steps.filter((x) => x.status === 'running');
  // A pending activity nobody could place belongs to the only running role, if there is just one.
  const fallback = running.length === 1 ? running[0]?.role : undefined;
  return s.state.steps.map((step) => {
    const mine = s.pending.filter((p) => (p.role ?? fallback) === step.role);
    const review = s.state?.reviews?.pending.find((r) => r.role === step.role);
    const row = stepProgress(step, mine, s.state?.endedAt ?? s.at);
    if (!review || step.status !== 'review') return row;
    const since = new Date(review.since).toISOString().slice(11, 19);
    const files = review.files.map((f) => f.path).join(', ');
    return {
      ...row,
      review: { round: review.round, since: review.since },
      note: `since ${since} UTC: npm run review -- ${s.workflowId}${files ? ` (${files})` : ''}`,
    };
  });
}

function stepProgress(step: StepState, pending: PendingActivity[], now: number): RoleProgress {
  const live = pending.reduce((n, p) => n + (p.liveTokens ?? 0), 0);
  const base: RoleProgress = {
    role: step.role,
    title: step.title,
    state: step.status,
    round: Math.max(1, step.attempts),
    elapsedMs: step.startedAt !== undefined ? (step.endedAt ?? now) - step.startedAt : undefined,
    codexCalls: step.codexCalls.length,
    tokens: step.modelUsage.total + step.codexUsage.total + (step.status === 'running' ? live : 0),
    ...(step.verification
      ? { verification: { round: step.verification.round, status: step.verification.status } }
      : {}),
  };
  if (step.status === 'failed') return { ...base, note: step.error };
  if (step.status !== 'running') return base;
  // The run was cancelled: the activity is stopping (Codex interrupted, its commands killed).
  const stopping = pending.filter((p) => p.state === 'cancel-requested');
  if (stopping.length) {
    const what = stopping.map((p) => shortLabel(p.label, step.title) ?? p.activityType).join(', ');
    return { ...base, state: 'cancelling', note: what };
  }
  const retrying = pending.filter((p) => p.attempt > 1).sort((a, b) => b.attempt - a.attempt)[0];
  if (retrying) return { ...base, state: 'retrying', attempt: retrying.attempt, note: retrying.lastFailure };
  const doing = pending.map((p) => shortLabel(p.label, step.title) ?? p.activityType).join(', ');
  const asked = step.attempts > 1 && step.missing.length ? `asked again for ${step.missing.join(', ')}` : '';
  return { ...base, note: [asked, doing].filter(Boolean).join('; ') || undefined };
}

const shortLabel = (label: string | undefined, title: string) =>
  label?.startsWith(`${title}: `) ? label.slice(title.length + 2) : label;

export function stateLabel(p: RoleProgress): string {
  if (p.state === 'retrying') return `retrying (attempt ${p.attempt ?? '?'})`;
  if (p.state === 'review') return `awaiting review (${p.review?.round ?? 1})`;
  if (p.state === 'running' && p.verification?.status === 'running') return `verifying (round ${p.verification.round})`;
  if (p.state === 'running' && p.verification?.status === 'fixing')
    return `owners fixing (round ${p.verification.round})`;
  if (p.state === 'running' && p.round > 1) return `running (round ${p.round})`;
  return p.state;
}

export const fmtTokens = (n: number): string =>
  n >= 1_000_000 ? `${(n / 1_000_000).toFixed(1)}M` : n >= 1000 ? `${(n / 1000).toFixed(1)}k` : String(n);
export const fmtSecs = (ms: number | undefined): string => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)}s`);

/** `Designer            retrying (attempt 2)    1.0s  codex  0  tokens    412  TransientServiceError: …` */
export function formatRole(p: RoleProgress): string {
  const note = p.note ? `  ${oneLine(p.note, 100)}` : '';
  return (
    `${p.title.padEnd(19)} ${stateLabel(p).padEnd(21)} ${fmtSecs(p.elapsedMs).padStart(7)}  ` +
    `codex ${String(p.codexCalls).padStart(2)}  tokens ${fmtTokens(p.tokens).padStart(6)}${note}`
  );
}

export function headerLine(s: ProgressSnapshot, rows: RoleProgress[]): string {
  const elapsed = s.state ? (s.state.endedAt ?? s.at) - s.state.startedAt : undefined;
  if (!s.state) return `${s.workflowId}: ${s.status}, waiting for a worker to pick the run up`;
  const done = rows.filter((r) => r.state === 'done').length;
  const calls = rows.reduce((n, r) => n + r.codexCalls, 0);
  const tokens = rows.reduce((n, r) => n + r.tokens, 0);
  return `${s.workflowId}: ${s.status} ${fmtSecs(elapsed)}, ${done}/${rows.length} roles done, ${calls} Codex call${calls === 1 ? '' : 's'}, ${fmtTokens(tokens)} tokens`;
}

/** The redrawn block for a terminal: a header and one line per role, cut to the terminal's width. */
export function renderBlock(s: ProgressSnapshot, columns = 200): string[] {
  const rows = roleProgress(s);
  return [headerLine(s, rows), ...rows.map((r) => `  ${formatRole(r)}`), ...peopleLines(s)].map((l) => cut(l, columns));
}

/** Lines about the run as a whole that wait for a person: Codex approvals, a spent budget. */
export function peopleLines(s: ProgressSnapshot): string[] {
  const lines = approvalLines(s);
  const stop = s.state?.budget?.stopped;
  if (stop) {
    const what = stop.what === 'tokens' ? 'token budget' : `turn budget of ${stop.role ?? '?'}`;
    lines.push(
      `  stopped: ${what} spent (${stop.used} of ${stop.limit}); go on with: npm run review -- ${s.workflowId} --raise-budget N`,
    );
  }
  return lines;
}

/** A line per Codex approval waiting for a person (`npm run approve`). */
export function approvalLines(s: ProgressSnapshot): string[] {
  return (s.state?.approvals?.pending ?? []).map((a) => {
    const what = a.kind === 'exec' ? (a.command ?? []).join(' ') : `patch ${(a.files ?? []).join(', ')}`;
    return `  ✋ approval ${a.id} ${a.role} ${a.kind}: ${oneLine(what, 80)}  waiting ${fmtSecs(s.at - a.since)}  (npm run approve -- ${s.workflowId} ${a.id})`;
  });
}

/** What identifies a visible change (elapsed time and token counts tick on their own). */
const changeKey = (p: RoleProgress) =>
  `${p.state}|${p.attempt ?? ''}|${p.round}|${p.codexCalls}|${p.verification?.round ?? ''}${p.verification?.status ?? ''}|${p.review?.round ?? ''}`;

export interface PlainState {
  rows: RoleProgress[];
  status?: WorkflowStatus;
  /** The people lines last printed. */
  people?: string;
}

/** Line-by-line output for logs: a line per role whose state changed, and one when the run closes. */
export function plainLines(prev: PlainState, s: ProgressSnapshot): { lines: string[]; next: PlainState } {
  const rows = roleProgress(s);
  const stamp = `[${fmtSecs(s.state ? (s.state.endedAt ?? s.at) - s.state.startedAt : 0).padStart(7)}]`;
  const lines: string[] = [];
  rows.forEach((r) => {
    const before = prev.rows.find((x) => x.role === r.role);
    if (!before || changeKey(before) !== changeKey(r)) lines.push(`${stamp} ${formatRole(r)}`);
  });
  // What waits for a person is printed when it changes (the approval lines' waiting time ticks on its own).
  const peopleKey = [
    (s.state?.approvals?.pending ?? []).map((a) => a.id).join(','),
    s.state?.budget?.stopped ? `${s.state.budget.stopped.what}:${s.state.budget.stopped.limit}` : '',
  ].join('|');
  if (peopleKey !== (prev.people ?? '|')) lines.push(...peopleLines(s).map((l) => `${stamp} ${l.trim()}`));
  if (s.status !== 'running' && s.status !== prev.status && s.state) lines.push(`${stamp} ${headerLine(s, rows)}`);
  return { lines, next: { rows: rows.length ? rows : prev.rows, status: s.status, people: peopleKey } };
}

/** One JSON line for machines. */
export function jsonEvent(s: ProgressSnapshot): string {
  const rows = roleProgress(s);
  const elapsedMs = s.state ? (s.state.endedAt ?? s.at) - s.state.startedAt : undefined;
  return JSON.stringify({
    type: 'progress',
    workflowId: s.workflowId,
    at: s.at,
    status: s.status,
    elapsedMs,
    roles: rows,
    ...(s.state?.reviews?.pending.length ? { reviews: s.state.reviews.pending } : {}),
    ...(s.state?.budget ? { budget: s.state.budget } : {}),
    ...(s.state?.approvals && { pendingApprovals: s.state.approvals.pending }),
  });
}

function oneLine(t: string, max: number): string {
  const s = t.replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

const cut = (line: string, columns: number) =>
  line.length > columns ? `${line.slice(0, Math.max(1, columns - 1))}…` : line;

/**
 * The run state: what the `progress` query answers and the Web UI's current details show. Only the named transitions
 * below change it, each at the point of the run it names; those that change what the details show publish them
 * (./details.ts). Other workflow files read the state and call these; none writes a field or publishes.
 */
import { condition, isCancellation, setCurrentDetails } from '@temporalio/workflow';
import type {
  ApprovalRecord,
  BudgetState,
  BudgetStop,
  PendingApproval,
  PendingReview,
  RaiseBudgetInput,
  ReviewRecord,
} from '../shared/people';
import type { WorkspacePlacement } from '../shared/placement';
import type { RoleId, Team, TeamRole } from '../shared/team';
import {
  ZERO_USAGE,
  type CodexCallOutput,
  type CodexCallRecord,
  type CodexToolCall,
  type GateResult,
  type HostMove,
  type ModelTurnOutput,
  type RunState,
  type StepState,
  type StepStatus,
  type TokenUsage,
  type VerificationRound,
  type VerificationState,
} from '../shared/types';
import { renderDetails } from './details';

export { progressQuery } from '../shared/progress';

// ---- the run ----

export function newRunState(workflow: RunState['workflow'], team: Team): RunState {
  return {
    workflow,
    team: team.name,
    status: 'running',
    startedAt: Date.now(),
    steps: team.roles.map(newStep),
  };
}

function newStep(role: TeamRole): StepState {
  return {
    role: role.id,
    title: role.title,
    status: 'waiting',
    attempts: 0,
    modelTurns: 0,
    codexCalls: [],
    files: [],
    missing: [],
    modelUsage: { ...ZERO_USAGE },
    codexUsage: { ...ZERO_USAGE },
  };
}

/** Its handlers are set: the Web UI shows the run's steps. */
export function runStarted(state: RunState): void {
  publish(state);
}

/** The run's workspace exists (shown with the next change). */
export function workspaceReady(state: RunState, workspace: string): void {
  state.workspace = workspace;
}

export function runCompleted(state: RunState): void {
  state.status = 'completed';
}

/** Cancelled: the run still waits for its roles in flight to stop before it ends. */
export function runCancelled(state: RunState): void {
  state.status = 'cancelled';
  state.error = 'Run cancelled';
}

export function runFailed(state: RunState, err: unknown): void {
  state.status = 'failed';
  state.error = err instanceof Error ? err.message : String(err);
}

/** The run ended, however it ended. */
export function runEnded(state: RunState): void {
  state.endedAt = Date.now();
  publish(state);
}

// ---- the run's host (./affinity.ts) ----

/** The run's workspace is on `placement`'s host (first placed, or moved there after `moves`). */
export function hostPlaced(state: RunState, placement: WorkspacePlacement, moves: readonly HostMove[]): void {
  Object.assign(state, {
    host: placement.host,
    branch: placement.branch,
    remote: placement.remote,
    workspace: placement.workspace,
    hostMoves: moves.length ? [...moves] : undefined,
  });
  if (placement.baseCommit) {
    state.repo = { ...state.repo, baseCommit: placement.baseCommit, cloneMs: state.repo?.cloneMs ?? placement.cloneMs };
  }
  publish(state);
}

/** A finished step was committed and pushed from its host. */
export function stepCommitted(state: RunState, step: StepState, done: { host: string; commit: string }): void {
  step.host = done.host;
  step.commit = done.commit;
  publish(state);
}

/** A step whose host was lost starts again on the new host: its partial work went with the old one. */
export function stepRestarted(state: RunState, step: StepState, restarts: number): void {
  Object.assign(step, { codexCalls: [], files: [], missing: [], finalText: undefined, error: undefined });
  step.restarts = restarts;
  publish(state);
}

// ---- a role's step (./agent.ts) ----

export function stepOf(state: RunState, role: RoleId): StepState {
  const step = state.steps.find((s) => s.role === role);
  if (!step) throw new Error(`No step for role ${role}`);
  return step;
}

/** A role starts its step (`first`), or goes on with it for a fix or a revision. */
export function stepStarted(state: RunState, step: StepState, first: boolean): void {
  if (first) step.attempts = 1;
  step.status = 'running';
  step.startedAt ??= Date.now();
  publish(state);
}

/** A model turn is about to be asked; returns its 1-based number within the step. */
export function turnStarted(step: StepState): number {
  step.modelTurns += 1;
  return step.modelTurns;
}

export function turnDone(state: RunState, step: StepState, out: ModelTurnOutput): void {
  addUsage(step.modelUsage, out.usage);
  if (out.scripted) state.scripted = true;
}

/** The Codex calls of one model turn all answered. */
export function turnCallsDone(state: RunState): void {
  publish(state);
}

/** A Codex call the model asked for starts: its record, labelled with its number within the step. */
export function codexCallStarted(
  state: RunState,
  step: StepState,
  call: CodexToolCall,
  threadId: string | undefined,
): CodexCallRecord {
  const record: CodexCallRecord = {
    label: `${step.title}: Codex call ${step.codexCalls.length + 1}`,
    tool: call.tool,
    prompt: call.prompt,
    threadId,
    startedAt: Date.now(),
    filesChanged: [],
    usage: { input: 0, output: 0, reasoning: 0, total: 0 },
  };
  step.codexCalls.push(record);
  publish(state);
  return record;
}

/** A Codex call refused before it ran (the model named an unknown thread). */
export function codexCallRefused(record: CodexCallRecord, error: string): void {
  record.error = error;
}

export function codexCallDone(step: StepState, record: CodexCallRecord, result: CodexCallOutput): void {
  Object.assign(record, {
    threadId: result.threadId,
    continuedFromThreadId: result.continuedFromThreadId,
    transport: result.transport,
    resumedThread: result.resumedThread,
    endedAt: Date.now(),
    filesChanged: result.filesChanged,
    usage: result.usage,
  });
  addUsage(step.codexUsage, result.usage);
}

/** The role answered without asking for tools (undefined: it ran out of turns). */
export function stepAnswered(step: StepState, text: string | undefined): void {
  step.finalText = text;
}

export function gateChecked(step: StepState, gate: GateResult): void {
  step.files = gate.present;
  step.missing = gate.missing;
}

/** The missing deliverables are asked again: a new attempt, whose number it returns. */
export function deliverablesAskedAgain(state: RunState, step: StepState): number {
  step.attempts += 1;
  publish(state);
  return step.attempts;
}

/** The step's work is done (its gate passed, its checks passed, or a person approved it). */
export function stepDone(step: StepState): void {
  step.status = 'done';
}

/** A step's work stopped on `err`: cancelled when the run was, failed otherwise. */
export function stepFailed(step: StepState, err: unknown): void {
  step.status = isCancellation(err) ? 'cancelled' : 'failed';
  step.error = err instanceof Error ? err.message : String(err);
}

/** A step's work ended, however it ended: its end time, and the Web UI's details. */
export function stepEnded(state: RunState, step: StepState): void {
  step.endedAt = Date.now();
  publish(state);
}

// ---- verification (./verify.ts) ----

/** A role's checks begin: the step runs again until they pass. */
export function verificationStarted(step: StepState, command: string): void {
  step.verification = { command, round: 0, status: 'running', rounds: [] };
  step.status = 'running';
}

export function verificationRound(state: RunState, step: StepState, round: number): void {
  const v = verificationOf(step);
  v.round = round;
  v.status = 'running';
  publish(state);
}

/** A round's result: passed (the step is done), failed for good (`last`), or back to the owners to fix. */
export function verificationRoundDone(
  state: RunState,
  step: StepState,
  record: VerificationRound,
  last: boolean,
): VerificationState['status'] {
  const v = verificationOf(step);
  v.rounds.push(record);
  if (record.passed) {
    v.status = 'passed';
    stepDone(step);
  } else if (last) {
    v.status = 'failed';
  } else {
    v.status = 'fixing';
    publish(state);
  }
  return v.status;
}

function verificationOf(step: StepState): VerificationState {
  if (!step.verification) throw new Error(`No verification for role ${step.role}`);
  return step.verification;
}

// ---- reviews (./review.ts) ----

/** The run has review gates: reviews are waited for and recorded. */
export function reviewsEnabled(state: RunState): void {
  state.reviews = { pending: [], decided: [] };
}

/** The step's files wait for a person's review. */
export function reviewAwaited(state: RunState, step: StepState, pending: PendingReview): void {
  state.reviews?.pending.push(pending);
  step.status = 'review';
  publish(state);
}

/** A review decision was made (by a person, or by the review timeout). */
export function reviewDecided(state: RunState, record: ReviewRecord): void {
  state.reviews?.decided.push(record);
}

/** The step waits no longer: it goes on as `status` (running for changes, done, cancelled) or as it was. */
export function reviewClosed(state: RunState, step: StepState, status: StepStatus | undefined): void {
  if (status) step.status = status;
  if (state.reviews) state.reviews.pending = state.reviews.pending.filter((p) => p.role !== step.role);
  publish(state);
}

// ---- Codex approvals (./approvals.ts) ----

export function approvalsEnabled(state: RunState): NonNullable<RunState['approvals']> {
  return (state.approvals = { pending: [], decided: [] });
}

export function approvalRequested(state: RunState, pending: PendingApproval): void {
  state.approvals?.pending.push(pending);
  publish(state);
}

export function approvalDecided(
  state: RunState,
  pending: PendingApproval,
  decision: Pick<ApprovalRecord, 'decision' | 'reason' | 'by'>,
): ApprovalRecord {
  const approvals = state.approvals as NonNullable<RunState['approvals']>;
  approvals.pending = approvals.pending.filter((p) => p.id !== pending.id);
  const done: ApprovalRecord = { ...pending, ...decision, at: Date.now() };
  if (done.reason === undefined) delete done.reason;
  approvals.decided.push(done);
  publish(state);
  return done;
}

// ---- budgets (./budget.ts) ----

export function budgetSet(state: RunState, budget: BudgetState): void {
  state.budget = budget;
}

/** The tokens spent so far, counted before a call. */
export function budgetCounted(budget: BudgetState, used: TokenUsage): void {
  budget.used = used;
}

/** A budget is spent and the run waits for a raise (concurrent roles: the first stop is shown). */
export function budgetStopped(state: RunState, budget: BudgetState, stop: BudgetStop): void {
  budget.stopped ??= stop;
  publish(state);
}

/** The wait ended: raised (the run goes on, shown), or not in time (the run fails, shown as it ends). */
export function budgetWaitEnded(state: RunState, budget: BudgetState, raised: boolean): void {
  budget.stopped = undefined;
  if (raised) publish(state);
}

export function budgetRaised(state: RunState, budget: BudgetState, input: RaiseBudgetInput): BudgetState {
  if (input.tokens !== undefined && budget.maxTokens !== undefined) budget.maxTokens += input.tokens;
  if (input.turns !== undefined && budget.maxTurnsPerRole !== undefined) budget.maxTurnsPerRole += input.turns;
  budget.raises.push({
    ...(input.tokens !== undefined ? { tokens: input.tokens } : {}),
    ...(input.turns !== undefined ? { turns: input.turns } : {}),
    by: input.by.trim(),
    at: Date.now(),
  });
  publish(state);
  return budget;
}

// ---- helpers ----

export function addUsage(into: TokenUsage, u: TokenUsage): void {
  into.input += u.input;
  into.output += u.output;
  into.reasoning += u.reasoning;
  into.total += u.total;
}

/** `condition` with an optional timeout: true once `fn` holds, false when the timeout passed first. */
export async function waitUntil(fn: () => boolean, timeoutMs: number | undefined): Promise<boolean> {
  if (timeoutMs !== undefined) return condition(fn, timeoutMs);
  await condition(fn);
  return true;
}

function publish(state: RunState): void {
  setCurrentDetails(renderDetails(state));
}

/**
 * The project's one error tree. Every error class extends `AgentSystemError`, says whose fault it is and whether
 * retrying can help, and keeps its facts in fields. A typed error leaves an activity or a workflow as an
 * `ApplicationFailure` whose `type` is the class name (recorded histories match on those names: never rename a class)
 * and whose details are its fields. No Node imports: workflow code throws and matches these too.
 */
import { ApplicationFailure } from '@temporalio/common';

/** Whose fault an error is, which decides what helps: fix the input, ask again, wait, move, or raise a limit. */
export type Fault = 'user' | 'model' | 'service' | 'host' | 'limit';

/** Base of every error of the project: `name` is the class name, `cause` is kept. */
export class AgentSystemError extends Error {
  /** Whether Temporal may retry the step that raised it: the failure it leaves as says so (`nonRetryable`). */
  static readonly retryable: boolean = true;
  static readonly fault: Fault = 'service';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }

  get nonRetryable(): boolean {
    return !(this.constructor as typeof AgentSystemError).retryable;
  }

  get fault(): Fault {
    return (this.constructor as typeof AgentSystemError).fault;
  }

  /** The structured fields a failure carries as its details; none by default. */
  get details(): unknown[] | undefined {
    return undefined;
  }
}

// ---- the user's fault: configuration and input ----

/** Bad configuration or user input: retrying cannot help. */
export class ConfigError extends AgentSystemError {
  static override readonly retryable = false;
  static override readonly fault: Fault = 'user';
}

/** The model (or the API in front of it) rejected the request for good: bad key, bad request, unknown model. */
export class ModelRequestError extends AgentSystemError {
  static override readonly retryable = false;
  static override readonly fault: Fault = 'user';
  constructor(
    message: string,
    /** The HTTP status of the refusal, when there was one. */
    readonly status: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Codex reported a failure it will not recover from by being asked again (e.g. auth, bad arguments). */
export class CodexFatalError extends AgentSystemError {
  static override readonly retryable = false;
  static override readonly fault: Fault = 'user';
}

/** A workspace problem retrying cannot fix: a path outside the root, a remote branch owned by another run. */
export class WorkspaceError extends AgentSystemError {
  static override readonly retryable = false;
  static override readonly fault: Fault = 'user';
}

/** A person's decision (an approval) the run cannot take: unknown id, already decided, no reason for a denial. */
export class ApprovalRejected extends AgentSystemError {
  static override readonly retryable = false;
  static override readonly fault: Fault = 'user';
}

/** A Codex session's turn that failed after its activity's retries: the MCP client gets it as a tool error. */
export class CodexTurnFailedError extends AgentSystemError {
  static override readonly retryable = false;
  static override readonly fault: Fault = 'service';
}

// ---- a service's fault: worth retrying ----

/** A transient failure of a service (model API, Codex): worth retrying with backoff. */
export class TransientServiceError extends AgentSystemError {
  constructor(
    message: string,
    /** The service's own retry hint (Retry-After), used as the next retry's delay. */
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A `codex-reply` named a thread the current Codex process does not know (it died with a previous process). */
export class CodexThreadLostError extends AgentSystemError {}

/** A JSON-RPC error from `codex app-server`, or one we answer it with. */
export class RpcError extends AgentSystemError {
  constructor(
    /** The JSON-RPC error code (-32601: method not found, -32603: internal error). */
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** A git command failed: its arguments, how it ended and what it said. */
export class GitCommandError extends AgentSystemError {
  constructor(
    readonly args: string[],
    /** git's stderr (or the spawn error's message when it wrote none). */
    readonly stderr: string,
    /** The exit code, an errno code such as `ENOENT` when git did not start, or null when a signal killed it. */
    readonly exitCode: number | string | null,
    readonly timedOut: boolean,
  ) {
    super(`git ${args[0] ?? ''} failed: ${gitReason(stderr) || (timedOut ? 'timed out' : `exit ${String(exitCode)}`)}`);
  }
}

// ---- the model's fault: what it did or did not do ----

/** The model did something the pipeline cannot accept (bad tool arguments, a path outside the workspace). */
export class ModelBehaviourError extends AgentSystemError {
  static override readonly fault: Fault = 'model';
}

/** A role's gate stayed shut: its required deliverables were still missing after the re-asks. */
export class MissingDeliverablesError extends AgentSystemError {
  static override readonly retryable = false;
  static override readonly fault: Fault = 'model';
  constructor(
    message: string,
    readonly role: string,
    readonly missing: string[],
  ) {
    super(message);
  }
  override get details(): unknown[] {
    return [{ role: this.role, missing: this.missing }];
  }
}

/** A role's checks still failed after its last verification round. */
export class VerificationFailedError extends AgentSystemError {
  static override readonly retryable = false;
  static override readonly fault: Fault = 'model';
  constructor(
    message: string,
    readonly role: string,
    readonly command: string,
    readonly exitCode: number | null,
    readonly rounds: number,
  ) {
    super(message);
  }
  override get details(): unknown[] {
    return [{ role: this.role, command: this.command, exitCode: this.exitCode, rounds: this.rounds }];
  }
}

// ---- the host's fault: the run moves ----

/** The run's workspace is not on this worker (its host lost its disk): the workflow moves the run to a new host. */
export class WorkspaceLostError extends AgentSystemError {
  static override readonly retryable = false;
  static override readonly fault: Fault = 'host';
}

/**
 * A run kept moving between hosts without a step finishing (its workspace was missing wherever its tasks went): most
 * likely two workers on different disks serve one host queue. The run fails with this rather than loop.
 */
export class HostMoveLoopError extends AgentSystemError {
  static override readonly retryable = false;
  static override readonly fault: Fault = 'user';
  constructor(
    message: string,
    /** The hosts of the moves, in order (`from`, then each `to`). */
    readonly hosts: string[],
  ) {
    super(message);
  }
  override get details(): unknown[] {
    return [{ hosts: this.hosts }];
  }
}

/** Thrown inside a step whose host was lost (workflow-side, never a failure): the step starts again on the new host. */
export class HostMoved extends AgentSystemError {
  static override readonly fault: Fault = 'host';
  constructor() {
    super('the run moved to another host');
  }
}

// ---- the disk's fault ----

/** A disk fault under a workspace or a report: `path` is the file or directory that could not be written. */
export abstract class DiskError extends AgentSystemError {
  static override readonly fault: Fault = 'host';
  constructor(
    message: string,
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
  override get details(): unknown[] {
    return [{ path: this.path }];
  }
}

/** The disk that holds a workspace or a report is full (ENOSPC, EDQUOT): worth retrying, space may come back. */
export class DiskFullError extends DiskError {}

/** A workspace or report directory on a read-only file system (EROFS): retrying on this host cannot help. */
export class ReadOnlyDiskError extends DiskError {
  static override readonly retryable = false;
}

// ---- a limit the run was given ----

/** A budget (tokens per run, turns per role) was spent; the message gives the totals, the details the numbers. */
export class BudgetExceededError extends AgentSystemError {
  static override readonly retryable = false;
  static override readonly fault: Fault = 'limit';
  constructor(
    message: string,
    /** The spent budget (what, limit, used, role) and the run's totals (tokens, turns, Codex calls). */
    readonly spent: Record<string, unknown>,
  ) {
    super(message);
  }
  override get details(): unknown[] {
    return [this.spent];
  }
}

/** A review waited longer than the run's review timeout. */
export class ReviewTimeoutError extends AgentSystemError {
  static override readonly retryable = false;
  static override readonly fault: Fault = 'limit';
  constructor(
    message: string,
    readonly role: string,
    readonly round: number,
  ) {
    super(message);
  }
  override get details(): unknown[] {
    return [{ role: this.role, round: this.round }];
  }
}

/** An agent reviewer still asked for changes after its last review round (`reviews.max_rounds` in the team file). */
export class ReviewRoundsExhaustedError extends AgentSystemError {
  static override readonly retryable = false;
  static override readonly fault: Fault = 'model';
  constructor(
    message: string,
    readonly role: string,
    readonly rounds: number,
  ) {
    super(message);
  }
  override get details(): unknown[] {
    return [{ role: this.role, rounds: this.rounds }];
  }
}

// ---- Temporal failure types, derived from the classes ----

/** A class of the tree, whatever its constructor takes. */
export type ErrorClass = (new (...args: never[]) => AgentSystemError) &
  Pick<typeof AgentSystemError, 'retryable' | 'fault'>;

/** Every class of the tree by a short key; failure types and retryability come from here, never typed again. */
export const ErrorClasses = {
  config: ConfigError,
  modelRequest: ModelRequestError,
  codexFatal: CodexFatalError,
  workspace: WorkspaceError,
  workspaceLost: WorkspaceLostError,
  verificationFailed: VerificationFailedError,
  transient: TransientServiceError,
  codexThreadLost: CodexThreadLostError,
  modelBehaviour: ModelBehaviourError,
  missingDeliverables: MissingDeliverablesError,
  budgetExceeded: BudgetExceededError,
  reviewTimeout: ReviewTimeoutError,
  approvalRejected: ApprovalRejected,
  codexTurnFailed: CodexTurnFailedError,
  rpc: RpcError,
  git: GitCommandError,
  hostMoved: HostMoved,
  hostMoveLoop: HostMoveLoopError,
  diskFull: DiskFullError,
  readOnlyDisk: ReadOnlyDiskError,
  reviewRoundsExhausted: ReviewRoundsExhaustedError,
} as const satisfies Record<string, ErrorClass>;

type ErrorKey = keyof typeof ErrorClasses;
const classes = Object.entries(ErrorClasses) as [ErrorKey, (typeof ErrorClasses)[ErrorKey]][];

/** Failure type names (the class names), shared by activities (which throw them) and workflows (which match on them). */
export const FailureTypes = Object.fromEntries(classes.map(([key, cls]) => [key, cls.name])) as Readonly<
  Record<ErrorKey, string>
>;

/**
 * The Temporal failure a typed error leaves its activity as: the class name as its `type`, its fields as details, the
 * error itself as the cause (the chain is kept, not stringified).
 */
export function toApplicationFailure(err: AgentSystemError): ApplicationFailure {
  return failureOf(err, err);
}

/**
 * The failure a workflow throws for a typed error (a run or an Update fails with it): the same type and details, its
 * own cause as the cause; the failure stands for the error, so histories record it once, as they always did.
 */
export function workflowFailure(err: AgentSystemError): ApplicationFailure {
  return failureOf(err, err.cause);
}

function failureOf(err: AgentSystemError, cause: unknown): ApplicationFailure {
  return ApplicationFailure.create({
    type: err.name,
    message: err.message,
    nonRetryable: err.nonRetryable,
    details: err.details,
    cause: cause instanceof Error ? cause : undefined,
    nextRetryDelay: err instanceof TransientServiceError ? err.retryAfterMs : undefined,
  });
}

/** The one line of git's stderr that says what went wrong. */
export function gitReason(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^(To |hint:)/.test(l) && !/failed to push some refs/.test(l));
  const best = lines.find((l) => /^fatal:|\[(remote )?rejected\]|^error:/.test(l)) ?? lines.at(-1) ?? '';
  return best.replace(/^(fatal|error): /, '');
}

/**
 * One error base class; subclasses say whose fault it was. Activities convert these to
 * `ApplicationFailure`s whose `type` is the class name, so workflows and retry policies can match on it.
 */
export class AgentSystemError extends Error {
  /** Whether Temporal should stop retrying the step that raised it. */
  readonly nonRetryable: boolean = false;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad configuration or user input: retrying cannot help. */
export class ConfigError extends AgentSystemError {
  override readonly nonRetryable = true;
}

/** The model (or the API in front of it) rejected the request for good: bad key, bad request, unknown model. */
export class ModelRequestError extends AgentSystemError {
  override readonly nonRetryable = true;
  constructor(
    message: string,
    readonly status: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A transient failure of a service (model API, Codex): worth retrying with backoff. */
export class TransientServiceError extends AgentSystemError {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Codex reported a failure it will not recover from by being asked again (e.g. auth, bad arguments). */
export class CodexFatalError extends AgentSystemError {
  override readonly nonRetryable = true;
}

/** A `codex-reply` named a thread the current Codex process does not know (it died with a previous process). */
export class CodexThreadLostError extends AgentSystemError {}

/** The model did something the pipeline cannot accept (bad tool arguments, a path outside the workspace). */
export class ModelBehaviourError extends AgentSystemError {}

/** A workspace problem retrying cannot fix: a path outside the root, a remote branch owned by another run. */
export class WorkspaceError extends AgentSystemError {
  override readonly nonRetryable = true;
}

/** The run's workspace is not on this worker (its host lost its disk): the workflow moves the run to a new host. */
export class WorkspaceLostError extends AgentSystemError {
  override readonly nonRetryable = true;
}

/** Failure type names, shared by activities (which throw them) and workflows (which match on them). */
export const FailureTypes = {
  config: 'ConfigError',
  modelRequest: 'ModelRequestError',
  transient: 'TransientServiceError',
  codexFatal: 'CodexFatalError',
  codexThreadLost: 'CodexThreadLostError',
  modelBehaviour: 'ModelBehaviourError',
  missingDeliverables: 'MissingDeliverablesError',
  verificationFailed: 'VerificationFailedError',
  workspace: 'WorkspaceError',
  workspaceLost: 'WorkspaceLostError',
  /** A budget (tokens per run, turns per role) was spent; the message gives the totals. */
  budgetExceeded: 'BudgetExceededError',
  /** A review waited longer than the run's review timeout. */
  reviewTimeout: 'ReviewTimeoutError',
} as const;

/** Types that no retry policy should retry. */
export const NON_RETRYABLE_FAILURE_TYPES = [
  FailureTypes.config,
  FailureTypes.modelRequest,
  FailureTypes.codexFatal,
  FailureTypes.workspace,
  FailureTypes.workspaceLost,
  FailureTypes.verificationFailed,
] as const;

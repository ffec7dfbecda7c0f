/**
 * Payloads of workflows, activities and queries. Small, serialisable, one input object per call.
 * Secrets never appear here: keys live in the worker's settings, not in history.
 */
import type {
  ApprovalOptions,
  ApprovalRecord,
  BudgetOptions,
  BudgetState,
  PendingApproval,
  PendingReview,
  ReviewOptions,
  ReviewRecord,
} from './people';
import { ZERO_USAGE, type FileRecord, type TokenUsage } from './records';
import type { AgentTool, ReasoningEffort, RoleId as Role, Team } from './team';

export { ZERO_USAGE, type FileRecord, type TokenUsage };

/** A Responses API input/output item (message, function_call, function_call_output, reasoning, ...). */
export type ConversationItem = { type: string } & Record<string, unknown>;

// ---- model turn ----

export interface ModelTurnInput {
  runId: string;
  role: Role;
  /** 1-based turn number within the role's step, for summaries and logs. */
  turn: number;
  instructions: string;
  /** The conversation, or with `conversation` only the items added since its head (user messages, tool outputs). */
  input: ConversationItem[];
  /**
   * The conversation so far in the conversation store (src/activities/conversation-store.ts): set by runs since the
   * `conversation-store` patch, which keep conversations out of history; `head` undefined is the empty conversation.
   */
  conversation?: { head?: string };
  tools: readonly AgentTool[];
  /** Per-role overrides; the worker's settings supply the defaults. */
  model?: string;
  reasoningEffort?: ReasoningEffort;
}

export type CodexToolName = 'codex' | 'codex-reply';

/** A tool call the model asked for, already validated. */
export interface CodexToolCall {
  callId: string;
  tool: CodexToolName;
  prompt: string;
  threadId?: string;
  /** Set when the call was invalid (bad JSON, unknown tool, cwd outside the workspace); the model is told. */
  error?: string;
  /**
   * An invalid call's raw JSON arguments, as the model sent them. A valid call's are not repeated here: its prompt
   * and thread are above and the whole call is in the conversation (each copy is history on every run).
   */
  arguments?: string;
}

export interface ModelTurnOutput {
  responseId: string;
  model: string;
  /** Output items, to append to the conversation as they are; empty when the input had `conversation`. */
  items: ConversationItem[];
  /** With a stored conversation: its new head (input and output items appended) and how many items it holds. */
  conversation?: { head: string; items: number };
  codexCalls: CodexToolCall[];
  /** Text of the final assistant message, when the model answered instead of calling a tool. */
  finalText?: string;
  usage: TokenUsage;
  /** True when the answer came from the scripted model, not a real LLM. */
  scripted: boolean;
  durationMs: number;
}

// ---- codex call ----

export type ApprovalPolicy = 'never' | 'on-request';
export type SandboxMode = 'read-only' | 'workspace-write' | 'danger-full-access';

export interface CodexCallInput {
  runId: string;
  role: Role;
  /** Label shown in the Web UI and the report, e.g. "Frontend Developer: Codex call 2". */
  label: string;
  tool: CodexToolName;
  prompt: string;
  /** Required for codex-reply. */
  threadId?: string;
  /** Absolute workspace directory; Codex runs there. */
  cwd: string;
  approvalPolicy: ApprovalPolicy | 'untrusted';
  sandbox: SandboxMode;
  /**
   * What a new thread needs to know if `threadId` died with an earlier Codex process:
   * the prompts already sent in that thread, oldest first.
   */
  threadHistory?: string[];
  /**
   * Where those prompts are instead (runs since the `codex-history-stored` patch): the role's stored conversation,
   * whose calls and answers give them (../activities/codex/thread-history.ts). Read only if the thread was lost.
   */
  conversation?: { head: string };
  /** Replaces Codex's default instructions (`codex` only). */
  baseInstructions?: string;
  /** Injected as a developer message (`codex` only). */
  developerInstructions?: string;
  /** Codex's model for this call; default the worker's CODEX_MODEL. */
  model?: string;
  /** A caller's Codex config overrides (the MCP server's `config`), merged over the worker's provider config. */
  config?: Record<string, unknown>;
  /** A profile of the Codex home's config.toml (sent as the `profile` config key). */
  profile?: string;
}

export interface CodexCallOutput {
  threadId: string;
  content: string;
  /** Set when the requested thread was lost and the work continued in the new `threadId`. */
  continuedFromThreadId?: string;
  /** How the worker reached Codex: `mcp` (codex mcp-server) or `app-server`. */
  transport?: 'mcp' | 'app-server';
  /** app-server: this call resumed its thread from the rollout (a retried attempt after a crash, or a new process). */
  resumedThread?: boolean;
  /** Tokens Codex spent (from its token_count events). */
  usage: TokenUsage;
  /** Workspace-relative paths Codex reported changing (patch events). */
  filesChanged: string[];
  commandsRun: number;
  events: number;
  durationMs: number;
}

// ---- workspace and gates ----

export interface CreateWorkspaceInput {
  workflowId: string;
  /** A directory the user asked for; must be inside the allowed root. */
  requested?: string;
}

export interface GateInput {
  workspace: string;
  gate: string;
  required: string[];
  optional: string[];
  /**
   * Groups of globs (a role's `changes`, its `tests`): for each group, at least one path matching one of its globs
   * must differ from `base` (the run's repository base, else the branch's first commit).
   */
  changed?: string[][];
  base?: string;
}

export interface GateResult {
  gate: string;
  present: FileRecord[];
  missing: string[];
  /** The `changed` groups no changed path matches, each as its globs joined with " or ". */
  unchanged?: string[];
}

/** One file's lines added and removed (`git diff --numstat`); binary files count -1. */
export interface DiffStatLine {
  path: string;
  added: number;
  removed: number;
}

export interface WorkspaceDiffInput {
  workspace: string;
  /** Default: the branch's first commit. */
  base?: string;
  /** Include the diff itself, cut at this many characters (for reviewers); 0 or absent: the stat only. */
  maxDiffChars?: number;
}

export interface WorkspaceDiff {
  base: string;
  stat: DiffStatLine[];
  diff?: string;
  /** True when `diff` was cut at maxDiffChars. */
  truncated?: boolean;
}

// ---- workflows and state ----

export interface ModelOverrides {
  /** Model for every agent unless a role override says otherwise. */
  model?: string;
  perRole?: Partial<Record<Role, { model?: string; reasoningEffort?: ReasoningEffort }>>;
}

/** Timeouts and retry bounds of the activities; defaults suit real models, tests shorten them. */
export interface ActivityTuning {
  modelTurnTimeoutMs?: number;
  codexCallTimeoutMs?: number;
  /** A worker that stops heartbeating for this long is presumed dead and its activity is retried elsewhere. */
  heartbeatTimeoutMs?: number;
  retryInitialIntervalMs?: number;
  retryMaximumIntervalMs?: number;
  maximumAttempts?: number;
  /** A run's host that does not pick up its workspace activity within this time is presumed lost; the run moves. */
  hostScheduleToStartMs?: number;
}

/** Options of a team run; the legacy workflows take their own subsets. */
/**
 * A run on an existing repository (start-run `--repo`): the workspace is a clone of `source` at `baseCommit` (the tip
 * of `base` when the run was started), the run works on `branch` and pushes it to `pushTo` (default `source`). The
 * base branch is never pushed to. The CLI checks all of it before the run starts (src/cli/repo.ts).
 */
export interface RepoSpec {
  /** Where the base is cloned from: a local path (absolute) or a git URL the workers reach. */
  source: string;
  base: string;
  baseCommit: string;
  /** Default `runs/<workflowId>`. */
  branch?: string;
  /** The remote the run's branch is pushed to (and a host move clones from); default `source`. */
  pushTo?: string;
}

export interface RunOptions {
  tuning?: ActivityTuning;
  /** Sandbox for Codex; danger-full-access is refused unless the worker allows it. Default workspace-write. */
  sandbox?: SandboxMode;
  /** Workspace directory; default `<workspace root>/<workflowId>`. */
  workspace?: string;
  models?: ModelOverrides;
  /** How many times a missing deliverable is asked again from its owner before failing. Default 2. */
  maxDeliverableRetries?: number;
  /** Bound on model turns per role per attempt. Default: the team's max_turns_per_role, else 12. */
  maxTurnsPerAgent?: number;
  /** At most this many roles at once (1: one after the other, as the cookbook's handoffs run). Default: no bound. */
  maxConcurrentRoles?: number;
  /** Roles a person reviews (src/shared/people.ts); `review: true` in the team file adds its roles. */
  review?: ReviewOptions;
  /** Codex approvals answered by people; default `never` (Codex does not ask). */
  approvals?: ApprovalOptions;
  /** Token and turn budgets; default none. */
  budget?: BudgetOptions;
  /**
   * The host queue that prepares the workspace, so the run lands on that host (a run started by an MCP server lands
   * on the server's machine, where its client's files are). Default: the shared queue, whichever worker takes it.
   */
  hostQueue?: string;
  /** A run on an existing repository (start-run `--repo`): cloned at its base, its branch pushed to its remote. */
  repo?: RepoSpec;
}

/** The input of `teamWorkflow`: the parsed team (the workflow never reads files) and the task. */
export interface TeamRunInput extends RunOptions {
  team: Team;
  /** The task list every role's brief carries. */
  task: string;
}

/** Input of the legacy `multiAgentWorkflow` (the cookbook team); new runs use `teamWorkflow`. */
export interface MultiAgentInput extends Omit<RunOptions, 'maxConcurrentRoles'> {
  taskList: string;
  /** Run Frontend then Backend one after the other, as the cookbook's handoffs do (benchmarks only). */
  sequentialBranches?: boolean;
}

/** Input of the legacy `singleAgentWorkflow` (the single team); new runs use `teamWorkflow`. */
export interface SingleAgentInput {
  prompt?: string;
  tuning?: ActivityTuning;
  sandbox?: SandboxMode;
  workspace?: string;
  models?: ModelOverrides;
  maxTurnsPerAgent?: number;
}

/** `review`: the role's files wait for a person's review (src/workflows/review.ts). */
export type StepStatus = 'waiting' | 'running' | 'review' | 'done' | 'failed' | 'cancelled';

export interface CodexCallRecord {
  label: string;
  tool: CodexToolName;
  prompt: string;
  threadId?: string;
  continuedFromThreadId?: string;
  transport?: 'mcp' | 'app-server';
  /** app-server: the call resumed its thread (after a crash) instead of starting a new one. */
  resumedThread?: boolean;
  startedAt: number;
  endedAt?: number;
  filesChanged: string[];
  usage: TokenUsage;
  error?: string;
}

export interface StepState {
  role: Role;
  title: string;
  status: StepStatus;
  /** 1 + the number of times missing deliverables were asked again. */
  attempts: number;
  startedAt?: number;
  endedAt?: number;
  modelTurns: number;
  codexCalls: CodexCallRecord[];
  files: FileRecord[];
  missing: string[];
  modelUsage: TokenUsage;
  codexUsage: TokenUsage;
  finalText?: string;
  error?: string;
  /** The host that ran the step and its commit on the run's branch (runs started with host affinity). */
  host?: string;
  commit?: string;
  /** Times the step started again because its host was lost. */
  restarts?: number;
  /** Set on a role with `verify` once its checks start. */
  verification?: VerificationState;
}

/** A run moving to another host: the old one stopped answering, the new one cloned the last pushed commit. */
export interface HostMove {
  from: string;
  to: string;
  at: number;
  commit: string;
  reason: string;
}

export type RunStatus = 'running' | 'completed' | 'failed' | 'cancelled';

export interface RunState {
  /** Which workflow type runs: the team runner, or one of the legacy entry points. */
  workflow: 'team' | 'multi' | 'single';
  /** The team's name (`cookbook` for the legacy multi-agent workflow, `single` for the single-agent one). */
  team: string;
  status: RunStatus;
  workspace?: string;
  startedAt: number;
  endedAt?: number;
  steps: StepState[];
  scripted?: boolean;
  error?: string;
  /** The host that holds the workspace now, the run's branch and its remote (runs started with host affinity). */
  host?: string;
  branch?: string;
  remote?: string;
  hostMoves?: HostMove[];
  /** A run on an existing repository (start-run `--repo`): its base, and how long the first clone took. */
  repo?: { base?: string; baseCommit: string; cloneMs?: number };
  /** Reviews waiting and decided (runs with `review`). */
  reviews?: { pending: PendingReview[]; decided: ReviewRecord[] };
  /** Codex approvals waiting and decided (runs with `approvals: on-request`). */
  approvals?: { pending: PendingApproval[]; decided: ApprovalRecord[] };
  /** Runs with a budget: its limits, what was spent, and a stop waiting for a raise. */
  budget?: BudgetState;
}

export interface RunResult {
  workspace: string;
  files: FileRecord[];
  state: RunState;
}

// ---- verification ----

export interface VerifyServiceSpec {
  command: string;
  /** Relative to the workspace root. */
  cwd: string;
  port: number;
}

export interface VerifyInput {
  runId: string;
  role: Role;
  /** 1-based round within the role's verification. */
  round: number;
  workspace: string;
  command: string;
  services: VerifyServiceSpec[];
  timeoutMs: number;
  /**
   * Set on the checks of the run's last role (patch `verify-lists`): when they pass, the result carries the run's
   * final file listing (against `base` on a repository), so the run needs no listing activity of its own.
   */
  list?: { base?: string };
}

export interface VerifyServiceResult extends VerifyServiceSpec {
  /** Whether the port answered before the timeout. */
  ready: boolean;
  outputTail: string;
}

/** A failing command is a result (`passed: false`), not an activity failure. */
export interface VerifyResult {
  round: number;
  passed: boolean;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  /** The command's combined stdout and stderr, its last 64 KiB. */
  outputTail: string;
  services: VerifyServiceResult[];
  /** Why the round failed before or besides the exit code: a service that never answered, a timeout. */
  problem?: string;
  /** `none` only when VERIFY_SANDBOX=none allowed running unsandboxed. */
  sandbox: 'namespaces' | 'none';
  /** The workspace's files once the checks passed, when `list` asked (absent from workers older than it). */
  files?: FileRecord[];
}

export interface VerificationRound {
  round: number;
  passed: boolean;
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
  problem?: string;
  /** The last lines of output of a failed round (the report shows them). */
  outputTail?: string;
}

export interface VerificationState {
  command: string;
  round: number;
  status: 'running' | 'fixing' | 'passed' | 'failed';
  rounds: VerificationRound[];
}

/**
 * The run report's data: what `run.json` holds and what REPORT.md and timeline.svg are rendered from.
 * Times are epoch milliseconds; every field comes from the workflow's recorded history.
 */
import type { ReportDecision } from './people';
import type { RoleId as Role } from '../shared/team';
import type { CodexToolName, FileRecord, TokenUsage } from '../shared/types';
import type { ActivityRecord, WorkflowRecord } from './history';

export const REPORT_SCHEMA_VERSION = 1;

export type SpanKind = 'model' | 'codex' | 'gate' | 'verify' | 'setup';

/** One activity as the report shows it. Temporal records the start of the last attempt only. */
export interface ReportSpan {
  activityId: string;
  kind: SpanKind;
  label: string;
  scheduledAt: number;
  /** Start of the attempt that closed the activity; earlier attempts and their backoff lie before it. */
  startedAt?: number;
  endedAt?: number;
  attempts: number;
  status: ActivityRecord['status'];
  /** Why the previous attempt failed (Temporal keeps the last such failure). */
  retryReason?: string;
  failure?: string;
}

export interface ReportModelTurn extends ReportSpan {
  kind: 'model';
  turn: number;
  model?: string;
  usage: TokenUsage;
  /** How many Codex calls the model asked for in this turn. */
  codexCallsRequested: number;
  finalText?: string;
}

export interface ReportCodexCall extends ReportSpan {
  kind: 'codex';
  tool: CodexToolName;
  prompt: string;
  /** The thread the call ran in; for `codex-reply`, `requestedThreadId` is the thread the model named. */
  threadId?: string;
  requestedThreadId?: string;
  continuedFromThreadId?: string;
  /** How the worker reached Codex (absent in runs recorded before there were two transports). */
  transport?: 'mcp' | 'app-server';
  /** app-server: the thread was resumed from its rollout rather than replaced. */
  resumedThread?: boolean;
  filesChanged: string[];
  usage: TokenUsage;
  commandsRun?: number;
  events?: number;
}

export interface ReportGate extends ReportSpan {
  kind: 'gate';
  present: FileRecord[];
  missing: string[];
}

/** One round of a role's `verify`: the checks ran; failed rounds keep the tail of their output. */
export interface ReportVerification extends ReportSpan {
  kind: 'verify';
  round: number;
  command: string;
  passed?: boolean;
  exitCode?: number | null;
  timedOut?: boolean;
  durationMs?: number;
  problem?: string;
  outputTail?: string;
}

export interface ReportRetry {
  label: string;
  /** 'activity': Temporal retried a failed attempt. 'deliverables': the agent was asked again for missing files. */
  kind: 'activity' | 'deliverables';
  attempts: number;
  reason: string;
}

export type ReportStepStatus = 'waiting' | 'running' | 'done' | 'failed' | 'cancelled' | 'stopped';

export interface ReportStep {
  role: Role;
  title: string;
  status: ReportStepStatus;
  startedAt?: number;
  endedAt?: number;
  durationMs?: number;
  /** Rounds of work on the deliverables: 1 + the times missing files were asked again. */
  attempts: number;
  instructions?: string;
  /** The messages the workflow sent the agent: its brief, then any request for missing files. */
  prompts: string[];
  modelTurns: ReportModelTurn[];
  codexCalls: ReportCodexCall[];
  gates: ReportGate[];
  /** Rounds of the role's `verify`, in order (none for a role without it). */
  verification: ReportVerification[];
  /** The role's deliverables as its last gate found them. */
  files: FileRecord[];
  missing: string[];
  retries: ReportRetry[];
  modelUsage: TokenUsage;
  codexUsage: TokenUsage;
  finalText?: string;
  error?: string;
  /** The host that ran the step (its commit's, else its workspace queue's) and the step's commit on the branch. */
  host?: string;
  commit?: string;
}

export interface ReportTotals {
  modelTurns: number;
  codexCalls: number;
  activityRetries: number;
  deliverableRetries: number;
  modelTokens: TokenUsage;
  codexTokens: TokenUsage;
  /** Model plus Codex tokens. */
  tokens: number;
}

export interface RunReport {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  workflowId: string;
  runId?: string;
  workflowType?: string;
  /** The team that ran (its name in the team file). */
  team?: string;
  summary?: string;
  status: WorkflowRecord['status'];
  /** True when any model turn was answered by the scripted model rather than a real LLM. */
  scripted: boolean;
  models: string[];
  /** The task list (multi-agent) or prompt (single-agent) the run started with. */
  task?: string;
  workspace?: string;
  /** The run's git branch and remote (runs with git workspaces), and the hosts it moved between. */
  branch?: string;
  remote?: string;
  hostMoves?: { from: string; to: string; commit: string; at: number }[];
  webUiUrl?: string;
  startedAt: number;
  endedAt?: number;
  durationMs?: number;
  error?: string;
  /** A cancelled run: when the cancellation was requested, why and by whom. */
  cancelRequest?: WorkflowRecord['cancelRequest'];
  steps: ReportStep[];
  /** Workspace creation and the final listing: not part of any role. */
  setup: ReportSpan[];
  files: FileRecord[];
  totals: ReportTotals;
  /** People's decisions (reviews, Codex approvals, budget raises), oldest first; empty when nobody was asked. */
  people?: ReportDecision[];
  historyEvents: number;
  generatedAt: number;
}

/**
 * A durable Codex session (src/workflows/codex-session.ts): what the MCP server's `codex` / `codex-reply` tools
 * start and continue. The client sees one `threadId` for the session's whole life; the workflow id is derived from
 * it, and the workflow maps it to the Codex thread that currently carries the conversation.
 */
import { defineQuery, defineUpdate, TimeoutFailure } from '@temporalio/workflow';
import type { ApprovalRecord, PendingApproval } from './people';
import type { ActivityTuning, SandboxMode } from './types';

/** The cookbook's approval policies; `untrusted` needs a Codex that knows it (app-server). */
export type SessionApprovalPolicy = 'never' | 'on-request' | 'untrusted';

/** The settings a session keeps for all its turns (the `codex` tool's arguments, resolved). */
export interface CodexSessionSettings {
  /** Absolute working directory on the host that runs the turn. */
  cwd: string;
  approvalPolicy: SessionApprovalPolicy;
  sandbox: SandboxMode;
  model?: string;
  /** The client's `config` overrides, merged over the server's provider settings. */
  config?: Record<string, unknown>;
  /** A profile of the Codex home's config.toml (sent to Codex as the `profile` config key). */
  profile?: string;
  baseInstructions?: string;
}

export interface CodexSessionLimits {
  /** The session ends after this long without a turn. Default 7 days. */
  idleTimeoutMs: number;
  /** Continue-as-new after this many turns, carrying only the thread mapping. */
  turnsPerRun: number;
  tuning?: ActivityTuning;
  /** A Codex approval nobody answered within this time is denied (`on-request` / `untrusted`); unset: never. */
  approvalTimeoutMs?: number;
}

export interface CodexSessionInput {
  /** The client-visible thread id. */
  sessionId: string;
  settings: CodexSessionSettings;
  limits: CodexSessionLimits;
  /** Carried over continue-as-new. */
  carried?: CodexSessionCarried;
  /**
   * The session's first turn, carried in its input so the start needs no Update and can be eager (the MCP server's
   * own worker gets the first workflow task with the start). `turnId` stands in for the Update's id in the turn's
   * activity id. Sessions started by an Update-with-Start have none.
   */
  firstTurn?: CodexTurnRequest & { turnId: string };
}

export interface CodexSessionCarried {
  /** The Codex thread that carries the conversation now. */
  codexThreadId?: string;
  /** Earlier prompts (bounded), for a thread lost with its Codex process (mcp transport). */
  prompts: string[];
  turns: number;
}

export interface CodexTurnRequest {
  prompt: string;
  /** The host queue of the MCP server that took the call: the turn runs there (the client's files are there). */
  hostQueue: string;
}

/** What is wrong with a turn's request (the field first), or undefined: the Update's validator and a first turn's check. */
export function turnRequestProblem(req: CodexTurnRequest | undefined): string | undefined {
  if (typeof req?.prompt !== 'string' || req.prompt.trim() === '') return 'prompt: must not be empty';
  if (typeof req.hostQueue !== 'string' || req.hostQueue === '') return 'hostQueue: required';
  return undefined;
}

export interface CodexTurnResult {
  /** The client-visible thread id (the session's). */
  threadId: string;
  content: string;
  /** The Codex thread that ran the turn. */
  codexThreadId: string;
  /** Set when the Codex thread was lost and the conversation continued in a new one. */
  continuedFromCodexThreadId?: string;
  turn: number;
  durationMs: number;
}

export interface CodexSessionStatus {
  sessionId: string;
  codexThreadId?: string;
  turns: number;
  running: boolean;
  settings: CodexSessionSettings;
  /** Codex's approval requests: the MCP server elicits the pending ones from its client. */
  approvals: { pending: PendingApproval[]; decided: ApprovalRecord[] };
}

export const codexTurnUpdate = defineUpdate<CodexTurnResult, [CodexTurnRequest]>('codexTurn');
export const codexSessionStatusQuery = defineQuery<CodexSessionStatus>('codexSessionStatus');
/** The query the Codex call activity's approval requests read (src/activities/codex/ask-people.ts), as for runs. */
export const sessionProgressQuery = defineQuery<Pick<CodexSessionStatus, 'approvals'>>('progress');

/** The session workflow's type (src/workflows/codex-session.ts exports it under this name). */
export const CODEX_SESSION_WORKFLOW_TYPE = 'codexSessionWorkflow';
export const CODEX_SESSION_WORKFLOW_PREFIX = 'codex-session-';
export const sessionWorkflowId = (threadId: string) => `${CODEX_SESSION_WORKFLOW_PREFIX}${threadId}`;

/**
 * The activity id of the turn a `codexTurn` Update runs (or the session's first turn, by its `turnId`): the MCP server
 * that sent the Update (with this id) finds the turn's result in the session's history by it.
 */
export const turnActivityId = (updateId: string, turn: number) => `codex-turn-${turn}/${updateId}`;

/** The turn and Update of a turn's activity id; undefined for any other activity. */
export function parseTurnActivityId(activityId: string): { turn: number; updateId: string } | undefined {
  const m = /^codex-turn-(\d+)\/(.+)$/.exec(activityId);
  return m ? { turn: Number(m[1]), updateId: m[2]! } : undefined;
}

export const DEFAULT_SESSION_IDLE_MS = 7 * 24 * 3_600_000;
export const DEFAULT_SESSION_TURNS_PER_RUN = 50;
/** The earlier prompts a session keeps for a lost thread's continuation (the call layer cuts them further). */
export const SESSION_PROMPTS_KEPT = 20;

/**
 * What a Codex turn's activity failed with (its failure once retries are over, not the ActivityFailure around it),
 * for the client's model to read: what Codex or the worker said, or that no worker serves the host queue.
 */
export function turnFailureText(cause: unknown): string {
  if (cause instanceof TimeoutFailure && cause.timeoutType === 'SCHEDULE_TO_START') {
    return "No worker picked up the Codex turn on its host queue (is the MCP server's worker, or `npm run worker`, running on this machine?)";
  }
  return cause instanceof Error ? cause.message : String(cause);
}

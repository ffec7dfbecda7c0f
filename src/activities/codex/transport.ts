/**
 * The Codex seam: what the Codex activity says to a transport and hears back, and nothing that implements it.
 * Two transports speak it: `mcp/` runs `codex mcp-server` (0.153.4, the seed's interface; threads die with their
 * process) and `app-server/` runs `codex app-server` (the current Codex; a thread's rollout lets a new process
 * resume it). Each maps its own notifications to the events below, so heartbeats, tokens, approvals, policies and
 * the report do not know which one ran. `create-transport.ts` picks one by the settings.
 */
import type { CodexTransportName } from '../../config/settings';
import type { TokenUsage } from '../../shared/types';

export type { CodexTransportName };

/**
 * What Codex did while a call ran, in the transports' common terms. `name` is what the transport itself called it
 * (the `codex/event` type on mcp, the notification method on app-server): the heartbeat shows it as `lastEvent`.
 */
export type CodexEvent =
  /** The call's thread is known (a retried attempt reads it from the heartbeat to resume the thread). */
  | { type: 'thread'; name: string; threadId: string }
  /** The thread's running token total, and the latest model response's share of it when known. */
  | { type: 'tokens'; name: string; total: TokenUsage; last?: TokenUsage }
  /** Codex started a command (`command`: its text, when the transport says it). */
  | { type: 'command'; name: string; command?: string }
  /** A patch was applied (or failed): the paths it touched, move destinations included, as Codex named them. */
  | { type: 'files'; name: string; success: boolean; paths: string[] }
  /** Anything else: counted, nothing more. */
  | { type: 'other'; name: string };

/**
 * An approval request, in the shape `codex mcp-server` sends as `elicitation/create` params (the app-server
 * transport builds the same fields from its `requestApproval` requests).
 */
export interface CodexElicitation {
  message: string;
  threadId?: string;
  codex_elicitation?: 'exec-approval' | 'patch-approval' | string;
  codex_mcp_tool_call_id?: string;
  codex_call_id?: string;
  codex_command?: string[];
  codex_cwd?: string;
  codex_changes?: Record<string, unknown>;
  codex_reason?: string;
  [key: string]: unknown;
}

/** The answer to an approval request. On mcp, Codex reads only this `decision`; a malformed one hangs or denies. */
export type ReviewDecision = 'approved' | 'approved_for_session' | 'timed_out' | { denied: { rejection: string } };

export interface CallHandlers {
  onEvent?(event: CodexEvent, threadId: string | undefined): void;
  /** May wait (for a person); it must settle: an approval request is never left unanswered. Default: deny. */
  onElicitation?(request: CodexElicitation): ReviewDecision | Promise<ReviewDecision>;
}

/** The seed's two tools; app-server carries the thread settings in `codex-reply` too (it may have to resume). */
export interface CodexToolRequest {
  name: 'codex' | 'codex-reply';
  arguments: Record<string, unknown>;
}

export interface CodexToolOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface CodexCallResult {
  isError: boolean;
  text: string;
  threadId?: string;
  /** app-server only: the thread was not loaded in this process and was resumed from its rollout. */
  resumed?: boolean;
}

/**
 * One worker's way to Codex, shared by concurrent calls. `call` resolves with Codex's answer (which may be an
 * error result) and rejects when the process died, the timeout passed or the signal aborted.
 */
export interface CodexTransport {
  readonly name: CodexTransportName;
  call(request: CodexToolRequest, handlers: CallHandlers, options: CodexToolOptions): Promise<CodexCallResult>;
  /** The pid of the running codex process, if one is running. */
  readonly pid: number | undefined;
  /** The pid of the latest codex process, even after it exited. */
  readonly lastPid: number | undefined;
  stderrTail(): string[];
  close(): Promise<void>;
}

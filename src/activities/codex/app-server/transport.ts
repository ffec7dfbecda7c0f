/**
 * `codex app-server` (the pinned @openai/codex-app-server, 0.171.0) behind the Codex transport interface.
 * One child process per worker, started lazily and again after it died; JSON lines over stdio.
 *
 * The activity's `codex` request becomes `thread/start` + `turn/start`, `codex-reply` becomes `turn/start` on the
 * thread (after `thread/resume` when this process has not loaded it: a thread survives its process in its
 * rollout). Notifications are mapped to the seam's transport-neutral events (thread, tokens, command, files), and
 * approval requests to the `CodexElicitation` the approval policy answers.
 */
import type { Logger } from '@temporalio/common';
import { Runtime } from '@temporalio/worker';
import { SCRIPTED_MODEL_KEY, type Settings } from '../../../config/settings';
import { TransientServiceError } from '../../../shared/errors';
import type { TokenUsage } from '../../../shared/types';
import { defaultCodexHome, resolveCodexCommand } from '../binary';
import type {
  CallHandlers,
  CodexCallResult,
  CodexElicitation,
  CodexEvent,
  CodexToolOptions,
  CodexToolRequest,
  CodexTransport,
  ReviewDecision,
} from '../transport';
import { AppServerProcess, RpcError } from './process';
import { restoreRollout, saveRollout } from './rollouts';
import type { ServerRequest } from './protocol/ServerRequest';
import type { ThreadStartParams } from './protocol/v2/ThreadStartParams';
import type { ThreadStartResponse } from './protocol/v2/ThreadStartResponse';
import type { ThreadResumeParams } from './protocol/v2/ThreadResumeParams';
import type { TurnStartParams } from './protocol/v2/TurnStartParams';
import type { TurnStartResponse } from './protocol/v2/TurnStartResponse';
import type { TurnCompletedNotification } from './protocol/v2/TurnCompletedNotification';
import type { ItemCompletedNotification } from './protocol/v2/ItemCompletedNotification';
import type { ItemStartedNotification } from './protocol/v2/ItemStartedNotification';
import type { ThreadTokenUsageUpdatedNotification } from './protocol/v2/ThreadTokenUsageUpdatedNotification';
import type { TokenUsageBreakdown } from './protocol/v2/TokenUsageBreakdown';
import type { CommandExecutionApprovalDecision } from './protocol/v2/CommandExecutionApprovalDecision';
import type { FileUpdateChange } from './protocol/v2/FileUpdateChange';

export interface AppServerTransportOptions {
  settings?: Settings;
  /** The codex binary or its `bin/codex.js` wrapper; default the app-server package's native binary. */
  command?: string;
  home?: string;
  apiKey?: string;
  logger?: Logger;
  /** Tries of `thread/resume` while an exiting process still holds the thread ("active writer"). */
  resumeTries?: number;
}

interface ActiveTurn {
  threadId: string;
  turnId?: string;
  handlers: CallHandlers;
  lastMessage?: string;
  /** File changes by item id: an approval request names only the item. */
  fileChanges: Map<string, FileUpdateChange[]>;
  done?: (n: TurnCompletedNotification) => void;
  /** Copies the rollout into the workspace (after turn/start, on each completed item, at the end). */
  save?: () => void;
  /** Notifications that arrived before `turn/start` answered. */
  early?: TurnCompletedNotification;
}

/** The activity's mcp-shaped `codex` / `codex-reply` arguments (codex-reply carries the thread settings here). */
interface ThreadArgs {
  prompt: string;
  threadId?: string;
  cwd?: string;
  model?: string;
  sandbox?: ThreadStartParams['sandbox'];
  'approval-policy'?: ThreadStartParams['approvalPolicy'];
  config?: Record<string, unknown>;
  'base-instructions'?: string;
  'developer-instructions'?: string;
}

export class AppServerTransport implements CodexTransport {
  readonly name = 'app-server' as const;
  private proc: AppServerProcess | undefined;
  private latest: AppServerProcess | undefined;
  private starting: Promise<AppServerProcess> | undefined;
  private closed = false;
  private readonly byThread = new Map<string, ActiveTurn>();
  private readonly command: { command: string; args: string[] };
  readonly home: string;
  private readonly apiKey: string | undefined;

  constructor(private readonly options: AppServerTransportOptions = {}) {
    const { settings } = options;
    this.command = resolveCodexCommand(options.command ?? settings?.codex.command);
    this.home = options.home ?? settings?.codex.home ?? defaultCodexHome();
    this.apiKey = options.apiKey ?? settings?.model.apiKey;
  }

  get pid(): number | undefined {
    return this.proc?.alive ? this.proc.pid : undefined;
  }
  get lastPid(): number | undefined {
    return this.latest?.pid;
  }
  stderrTail(): string[] {
    return [...(this.latest?.stderrTail ?? [])];
  }

  async call(request: CodexToolRequest, handlers: CallHandlers, options: CodexToolOptions): Promise<CodexCallResult> {
    const proc = await this.connect();
    const args = request.arguments as unknown as ThreadArgs;
    const cwd = args.cwd;
    let threadId: string;
    let resumed = false;
    if (request.name === 'codex') {
      const started = await proc.request<ThreadStartResponse>('thread/start', threadParams(args), options);
      threadId = started.thread.id;
    } else {
      threadId = String(args.threadId);
      if (!proc.loadedThreads.has(threadId)) {
        if (cwd) restoreRollout(this.home, threadId, cwd);
        await this.resume(proc, { ...threadParams(args), threadId }, options);
        resumed = true;
      }
    }
    proc.loadedThreads.add(threadId);
    const turn: ActiveTurn = { threadId, handlers, fileChanges: new Map() };
    if (this.byThread.has(threadId))
      throw new TransientServiceError(`Codex thread ${threadId} is already running a turn`);
    this.byThread.set(threadId, turn);
    // Tells the call (and its first heartbeat) the thread id at once: a retry resumes this thread.
    const how = request.name === 'codex' ? 'thread/start' : resumed ? 'thread/resume' : 'turn/start';
    emit(turn, { type: 'thread', name: how, threadId });
    try {
      const completed = new Promise<TurnCompletedNotification>((resolve) => {
        turn.done = resolve;
      });
      const params: TurnStartParams = {
        threadId,
        input: [{ type: 'text', text: args.prompt, text_elements: [] }],
      };
      const started = await proc.request<TurnStartResponse>('turn/start', params, options);
      turn.turnId = started.turn.id;
      // Durable from the start: a worker on another host (another CODEX_HOME) resumes from this copy.
      turn.save = () => {
        if (cwd) saveRollout(this.home, threadId, cwd, this.secret());
      };
      turn.save();
      if (turn.early) turn.done?.(turn.early);
      const done = await this.untilDone(proc, turn, completed, options);
      turn.save();
      const status = done.turn.status;
      if (status === 'completed') return { isError: false, text: turn.lastMessage ?? '', threadId, resumed };
      const message = done.turn.error?.message ?? `Codex turn ended ${status}`;
      return { isError: true, text: message, threadId, resumed };
    } finally {
      this.byThread.delete(threadId);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const proc = this.proc ?? (await this.starting?.catch(() => undefined));
    this.proc = undefined;
    await proc?.stop();
  }

  /** Waits for `turn/completed`; on cancellation or timeout interrupts the turn before rejecting. */
  private async untilDone(
    proc: AppServerProcess,
    turn: ActiveTurn,
    completed: Promise<TurnCompletedNotification>,
    options: CodexToolOptions,
  ): Promise<TurnCompletedNotification> {
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const stopped = new Promise<never>((_, reject) => {
      const interrupt = (err: unknown) => {
        if (turn.turnId) {
          proc
            .request('turn/interrupt', { threadId: turn.threadId, turnId: turn.turnId }, { timeoutMs: 10_000 })
            .catch(() => undefined);
        }
        reject(err);
      };
      timer = setTimeout(
        () =>
          interrupt(
            new TransientServiceError(`The Codex call timed out after ${Math.round(options.timeoutMs / 1000)} s`),
          ),
        options.timeoutMs,
      );
      onAbort = () => interrupt(options.signal?.reason);
      if (options.signal?.aborted) onAbort();
      else options.signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([completed, stopped, proc.exited]);
    } finally {
      clearTimeout(timer);
      if (onAbort) options.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** `thread/resume`, waiting out a process that still holds the thread (it goes with its process). */
  private async resume(proc: AppServerProcess, params: ThreadResumeParams, options: CodexToolOptions): Promise<void> {
    const tries = this.options.resumeTries ?? 5;
    for (let i = 1; ; i++) {
      try {
        await proc.request('thread/resume', params, options);
        return;
      } catch (err) {
        if (!(err instanceof RpcError) || !/active writer/i.test(err.message) || i >= tries) {
          throw err instanceof RpcError && /active writer/i.test(err.message)
            ? new TransientServiceError(`Codex thread ${params.threadId} is still held by another process`, undefined, {
                cause: err,
              })
            : err;
        }
        await new Promise((r) => setTimeout(r, 500 * 2 ** (i - 1)));
      }
    }
  }

  private async connect(): Promise<AppServerProcess> {
    if (this.closed) throw new TransientServiceError('The Codex server of this worker is shut down');
    if (this.proc?.alive) return this.proc;
    this.starting ??= this.start().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async start(): Promise<AppServerProcess> {
    const proc = new AppServerProcess({
      command: this.command,
      home: this.home,
      apiKey: this.apiKey,
      logger: this.logger(),
      onNotification: (method, params) => this.onNotification(method, params),
      onRequest: (method, params) => this.onServerRequest(method, params),
    });
    await proc.start();
    if (this.closed) {
      await proc.stop();
      throw new TransientServiceError('The Codex server of this worker is shut down');
    }
    this.proc = proc;
    this.latest = proc;
    return proc;
  }

  private onNotification(method: string, params: Record<string, unknown>): void {
    const threadId = typeof params.threadId === 'string' ? params.threadId : undefined;
    const turn = threadId ? this.byThread.get(threadId) : undefined;
    if (!turn) return;
    switch (method) {
      case 'thread/tokenUsage/updated': {
        const { tokenUsage } = params as unknown as ThreadTokenUsageUpdatedNotification;
        emit(turn, { type: 'tokens', name: method, total: usage(tokenUsage.total), last: usage(tokenUsage.last) });
        return;
      }
      case 'item/started': {
        const { item } = params as unknown as ItemStartedNotification;
        if (item.type === 'commandExecution')
          emit(turn, { type: 'command', name: `${method}:${item.type}`, command: item.command });
        else if (item.type === 'fileChange') turn.fileChanges.set(item.id, item.changes);
        else emit(turn, { type: 'other', name: `${method}:${item.type}` });
        return;
      }
      case 'item/completed': {
        const { item } = params as unknown as ItemCompletedNotification;
        if (item.type === 'agentMessage') turn.lastMessage = item.text;
        try {
          turn.save?.();
        } catch {
          // Best effort while the turn runs; the copy at the end of the call is checked.
        }
        if (item.type === 'fileChange') {
          emit(turn, {
            type: 'files',
            name: `${method}:${item.type}`,
            success: item.status === 'completed',
            paths: item.changes.flatMap((c) =>
              c.kind.type === 'update' && c.kind.move_path ? [c.path, c.kind.move_path] : [c.path],
            ),
          });
        } else emit(turn, { type: 'other', name: `${method}:${item.type}` });
        return;
      }
      case 'turn/completed': {
        const n = params as unknown as TurnCompletedNotification;
        if (turn.turnId === undefined || n.turn.id === turn.turnId) {
          if (turn.turnId === undefined) turn.early = n;
          else turn.done?.(n);
        }
        return;
      }
      default:
        emit(turn, { type: 'other', name: method });
    }
  }

  /** Server->client requests: approvals get the policy's decision; anything else is refused, never left pending. */
  private async onServerRequest(
    method: ServerRequest['method'] | string,
    params: Record<string, unknown>,
  ): Promise<unknown> {
    const threadId = typeof params.threadId === 'string' ? params.threadId : undefined;
    const turn = threadId ? this.byThread.get(threadId) : undefined;
    const decide = async (req: CodexElicitation): Promise<ReviewDecision> => {
      const policy = turn?.handlers.onElicitation;
      if (!policy) return { denied: { rejection: 'No approval policy for this request' } };
      try {
        return await policy(req);
      } catch (err) {
        return { denied: { rejection: `Approval policy failed: ${String(err)}` } };
      }
    };
    if (method === 'item/commandExecution/requestApproval') {
      const decision = await decide({
        message: String(params.reason ?? ''),
        threadId,
        codex_elicitation: 'exec-approval',
        codex_command: typeof params.command === 'string' ? [params.command] : undefined,
        codex_cwd: typeof params.cwd === 'string' ? params.cwd : undefined,
      });
      return { decision: toDecision(decision) };
    }
    if (method === 'item/fileChange/requestApproval') {
      const changes = turn?.fileChanges.get(String(params.itemId)) ?? [];
      const map = changeMap(changes);
      // A request for write access to a root is judged like a change there.
      if (typeof params.grantRoot === 'string') map[params.grantRoot] = { type: 'grant-root' };
      const decision = await decide({ message: '', threadId, codex_elicitation: 'patch-approval', codex_changes: map });
      return { decision: toDecision(decision) === 'accept' ? 'accept' : 'decline' };
    }
    if (method.endsWith('requestApproval')) return { decision: 'decline' };
    throw new RpcError(-32601, `durable-codex-agents does not answer ${method}`);
  }

  /** The key to keep out of rollouts; the scripted model's placeholder is not a secret. */
  private secret(): string | undefined {
    return this.apiKey === SCRIPTED_MODEL_KEY ? undefined : this.apiKey;
  }

  private logger(): Logger {
    return this.options.logger ?? Runtime.instance().logger;
  }
}

function threadParams(args: ThreadArgs): ThreadStartParams {
  const params: ThreadStartParams = {
    cwd: args.cwd ?? null,
    approvalPolicy: args['approval-policy'] ?? null,
    sandbox: args.sandbox ?? null,
    config: (args.config as ThreadStartParams['config']) ?? null,
  };
  if (args.model) params.model = args.model;
  if (args['base-instructions']) params.baseInstructions = args['base-instructions'];
  if (args['developer-instructions']) params.developerInstructions = args['developer-instructions'];
  return params;
}

function emit(turn: ActiveTurn, event: CodexEvent): void {
  try {
    turn.handlers.onEvent?.(event, turn.threadId);
  } catch {
    // A progress handler never fails a call.
  }
}

function usage(u: TokenUsageBreakdown): TokenUsage {
  return { input: u.inputTokens, output: u.outputTokens, reasoning: u.reasoningOutputTokens, total: u.totalTokens };
}

/** The `changes` map of an mcp approval request (`codex_changes`): path -> { type, move_path }. */
function changeMap(changes: FileUpdateChange[]): Record<string, { type: string; move_path?: string }> {
  const out: Record<string, { type: string; move_path?: string }> = {};
  for (const c of changes) {
    out[c.path] =
      c.kind.type === 'update' && c.kind.move_path
        ? { type: 'update', move_path: c.kind.move_path }
        : { type: c.kind.type };
  }
  return out;
}

/** app-server's decisions carry no rejection text: a denial reaches the model as a plain decline. */
function toDecision(d: ReviewDecision): CommandExecutionApprovalDecision {
  if (d === 'approved') return 'accept';
  if (d === 'approved_for_session') return 'acceptForSession';
  return 'decline';
}

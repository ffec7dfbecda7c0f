/**
 * The `codex mcp-server` client (the MCP SDK over stdio). One long-lived child process per worker, started lazily
 * on the first call, shared by concurrent calls (each `tools/call` runs its own Codex thread, concurrently) and
 * started again on the next call when it died. Threads live only inside the process that created them, so a restart loses them: the call
 * layer continues a lost thread in a new one.
 *
 * The server also routes what Codex sends while a call runs: `codex/event` notifications (which carry the
 * JSON-RPC request id in `params._meta.requestId`; ./events.ts maps them to the seam's events) and `elicitation/create` approval requests (which carry it as
 * `codex_mcp_tool_call_id`) go to the handlers of the call that caused them.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import type { Readable } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import {
  ElicitRequestSchema,
  type CallToolResult,
  type ElicitResult,
  type JSONRPCMessage,
} from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '@temporalio/common';
import { Runtime } from '@temporalio/worker';
import type { Settings } from '../../../config/settings';
import { ConfigError, TransientServiceError } from '../../../shared/errors';
import { defaultCodexHome, resolveCodexCommand } from '../binary';
import type { CallHandlers, CodexElicitation, CodexToolOptions, CodexToolRequest, ReviewDecision } from '../transport';
import { fromCodexEvent, type McpCodexEvent } from './events';

export interface CodexServerOptions {
  /** Worker settings: supply command, home and (when a real key is configured) the API key. */
  settings?: Settings;
  /** The codex binary (or `bin/codex.js`, which is replaced by the native binary it would start). */
  command?: string;
  /** CODEX_HOME; default a per-worker directory under ~/.cache/durable-codex-agents. */
  home?: string;
  /** Exposed to Codex as OPENAI_API_KEY (the real key, or the scripted model's placeholder). Never logged. */
  apiKey?: string;
  /** Where Codex's stderr and lifecycle messages go; default the Temporal runtime's logger. */
  logger?: Logger;
  /** Upper bound on `initialize` + `tools/list`. */
  startTimeoutMs?: number;
}

const STDERR_LINE_MAX = 2_000;
const STDERR_LINES_PER_MINUTE = 120;
const STDERR_TAIL = 20;
const CALL_KEY_META = 'dca/callKey';

interface Connection {
  client: Client;
  transport: StdioClientTransport;
  pid: number | undefined;
  alive: boolean;
  stderrTail: string[];
  /** JSON-RPC ids restart with each client, so the id maps live with the connection. */
  byRequestId: Map<number, InFlight>;
  /** Raw `elicitation/create` params by JSON-RPC id, captured before the SDK strips them. */
  rawElicitations: Map<string | number, CodexElicitation>;
}

interface InFlight {
  key: string;
  requestId?: number;
  threadId?: string;
  handlers: CallHandlers;
}

export class CodexServer {
  private connection: Connection | undefined;
  /** The latest process, alive or not: its pid and stderr explain a call it failed. */
  private latest: Connection | undefined;
  private starting: Promise<Connection> | undefined;
  private closed = false;
  private readonly byKey = new Map<string, InFlight>();
  private readonly command: { command: string; args: string[] };
  private readonly home: string;
  private readonly apiKey: string | undefined;
  private restarts = -1;

  constructor(private readonly options: CodexServerOptions = {}) {
    const { settings } = options;
    this.command = resolveCodexCommand(options.command ?? settings?.codex.command);
    this.home = options.home ?? settings?.codex.home ?? defaultCodexHome();
    this.apiKey = options.apiKey ?? settings?.model.apiKey;
  }

  /** The pid of the running codex process (the native binary), if one is running. */
  get pid(): number | undefined {
    return this.connection?.alive ? this.connection.pid : undefined;
  }

  /** How many times the process was started again after the first start. */
  get restartCount(): number {
    return Math.max(0, this.restarts);
  }

  /**
   * Runs one Codex tool call. Resolves with the tool result (which may be `isError`); rejects with the MCP SDK's
   * error when the transport closed, the timeout passed or the signal aborted.
   */
  async callTool(
    request: CodexToolRequest,
    handlers: CallHandlers,
    options: CodexToolOptions,
  ): Promise<CallToolResult> {
    const conn = await this.connect();
    const key = randomUUID();
    const inFlight: InFlight = { key, handlers };
    if (request.name === 'codex-reply' && typeof request.arguments.threadId === 'string') {
      inFlight.threadId = request.arguments.threadId;
    }
    this.byKey.set(key, inFlight);
    try {
      const result = await conn.client.callTool(
        { name: request.name, arguments: request.arguments, _meta: { [CALL_KEY_META]: key } },
        undefined,
        { timeout: options.timeoutMs, maxTotalTimeout: options.timeoutMs, signal: options.signal },
      );
      return result as CallToolResult;
    } finally {
      this.byKey.delete(key);
      if (inFlight.requestId !== undefined) conn.byRequestId.delete(inFlight.requestId);
    }
  }

  /** The pid of the latest codex process, even after it exited. */
  get lastPid(): number | undefined {
    return this.latest?.pid;
  }

  /** The last lines the latest codex process wrote on stderr (for error messages when it died). */
  stderrTail(): string[] {
    return [...(this.latest?.stderrTail ?? [])];
  }

  async close(): Promise<void> {
    this.closed = true;
    const conn = this.connection ?? (await this.starting?.catch(() => undefined));
    this.connection = undefined;
    if (conn) await conn.client.close();
  }

  private async connect(): Promise<Connection> {
    // Retryable: the worker is shutting down, and another worker can take the call.
    if (this.closed) throw new TransientServiceError('The Codex server of this worker is shut down');
    if (this.connection?.alive) return this.connection;
    this.starting ??= this.start().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async start(): Promise<Connection> {
    const log = this.logger();
    fs.mkdirSync(this.home, { recursive: true });
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: process.env.HOME ?? os.homedir(),
      CODEX_HOME: this.home,
    };
    if (this.apiKey) env.OPENAI_API_KEY = this.apiKey;
    const transport = new StdioClientTransport({
      command: this.command.command,
      args: [...this.command.args, 'mcp-server'],
      env,
      stderr: 'pipe',
    });
    const conn: Connection = {
      client: new Client({ name: 'durable-codex-agents', version: '0.1.0' }, { capabilities: { elicitation: {} } }),
      transport,
      pid: undefined,
      alive: true,
      stderrTail: [],
      byRequestId: new Map(),
      rawElicitations: new Map(),
    };
    this.captureStderr(conn, transport.stderr as Readable | null);
    this.routeMessages(conn);
    conn.client.onclose = () => {
      if (!conn.alive) return;
      conn.alive = false;
      if (this.connection === conn) this.connection = undefined;
      if (!this.closed) log.warn('codex mcp-server exited', { pid: conn.pid, stderrTail: conn.stderrTail.slice(-5) });
    };
    conn.client.onerror = (err) => log.debug('codex mcp-server transport error', { pid: conn.pid, error: err.message });

    const started = Date.now();
    const timeout = this.options.startTimeoutMs ?? 30_000;
    try {
      await conn.client.connect(transport, { timeout });
      conn.pid = transport.pid ?? undefined;
      const { tools } = await conn.client.listTools(undefined, { timeout });
      const names = tools.map((t) => t.name);
      if (!names.includes('codex') || !names.includes('codex-reply')) {
        throw new ConfigError(`codex mcp-server offers tools [${names.join(', ')}], not codex and codex-reply`);
      }
    } catch (err) {
      conn.alive = false;
      await conn.client.close().catch(() => undefined);
      throw startFailure(err, this.command.command, conn.stderrTail);
    }
    if (this.closed) {
      conn.alive = false;
      await conn.client.close();
      throw new TransientServiceError('The Codex server of this worker is shut down');
    }
    this.restarts += 1;
    this.connection = conn;
    this.latest = conn;
    log.info('codex mcp-server started', {
      pid: conn.pid,
      startMs: Date.now() - started,
      codexHome: this.home,
      restart: this.restarts > 0,
    });
    return conn;
  }

  /**
   * Wraps the transport before the SDK does (the SDK chains an existing `onmessage`/`send`), to see raw
   * elicitation params and the JSON-RPC id of each `tools/call`.
   */
  private routeMessages(conn: Connection): void {
    const { client, transport } = conn;
    transport.onmessage = (message: JSONRPCMessage) => {
      if ('method' in message && message.method === 'elicitation/create' && 'id' in message) {
        conn.rawElicitations.set(message.id, (message.params ?? {}) as CodexElicitation);
      }
    };
    const send = transport.send.bind(transport);
    transport.send = (message: JSONRPCMessage) => {
      if ('method' in message && message.method === 'tools/call' && 'id' in message) {
        const key = (message.params?._meta as Record<string, unknown> | undefined)?.[CALL_KEY_META];
        const inFlight = typeof key === 'string' ? this.byKey.get(key) : undefined;
        if (inFlight && typeof message.id === 'number') {
          inFlight.requestId = message.id;
          conn.byRequestId.set(message.id, inFlight);
        }
      }
      return send(message);
    };

    client.fallbackNotificationHandler = async (notification) => {
      if (notification.method !== 'codex/event') return;
      const params = (notification.params ?? {}) as {
        _meta?: { requestId?: unknown; threadId?: unknown };
        msg?: unknown;
      };
      const msg = params.msg as McpCodexEvent | undefined;
      if (!msg || typeof msg.type !== 'string') return;
      const threadId = typeof params._meta?.threadId === 'string' ? params._meta.threadId : undefined;
      const inFlight = this.findInFlight(conn, params._meta?.requestId, threadId);
      if (!inFlight) return;
      inFlight.threadId ??= threadId;
      try {
        inFlight.handlers.onEvent?.(fromCodexEvent(msg), threadId);
      } catch (err) {
        this.logger().warn('Codex event handler failed', { error: String(err) });
      }
    };

    client.setRequestHandler(ElicitRequestSchema, async (_request, extra) => {
      const raw = conn.rawElicitations.get(extra.requestId) ?? { message: '' };
      conn.rawElicitations.delete(extra.requestId);
      const decision = await this.decide(conn, raw);
      this.logger().debug('Codex approval answered', {
        kind: raw.codex_elicitation,
        threadId: raw.threadId,
        command: raw.codex_command,
        files: raw.codex_changes ? Object.keys(raw.codex_changes) : undefined,
        decision,
      });
      // The SDK requires `action`; Codex reads only `decision`.
      const action = decision === 'approved' || decision === 'approved_for_session' ? 'accept' : 'decline';
      return { action, decision } as ElicitResult;
    });
  }

  private async decide(conn: Connection, raw: CodexElicitation): Promise<ReviewDecision> {
    const inFlight = this.findInFlight(conn, raw.codex_mcp_tool_call_id, raw.threadId);
    const policy = inFlight?.handlers.onElicitation;
    if (!policy) return { denied: { rejection: 'No approval policy for this request; denied by the orchestrator.' } };
    try {
      return await policy(raw);
    } catch (err) {
      return { denied: { rejection: `Approval policy failed: ${String(err)}` } };
    }
  }

  private findInFlight(conn: Connection, requestId: unknown, threadId: string | undefined): InFlight | undefined {
    const id = typeof requestId === 'string' && /^\d+$/.test(requestId) ? Number(requestId) : requestId;
    if (typeof id === 'number') {
      const hit = conn.byRequestId.get(id);
      if (hit) return hit;
    }
    if (threadId) for (const f of conn.byRequestId.values()) if (f.threadId === threadId) return f;
    return undefined;
  }

  /** Logs Codex's stderr line by line: long lines cut, at most STDERR_LINES_PER_MINUTE a minute. */
  private captureStderr(conn: Connection, stderr: Readable | null): void {
    if (!stderr) return;
    const log = this.logger();
    const apiKey = this.apiKey;
    let buffered = '';
    let windowStart = Date.now();
    let inWindow = 0;
    let suppressed = 0;
    const emit = (raw: string) => {
      // eslint-disable-next-line no-control-regex
      let line = raw.replace(/\x1b\[[0-9;]*m/g, '').trimEnd();
      if (!line) return;
      if (apiKey) line = line.split(apiKey).join('[redacted]');
      if (line.length > STDERR_LINE_MAX) line = `${line.slice(0, STDERR_LINE_MAX)}... [${line.length} chars]`;
      conn.stderrTail.push(line);
      if (conn.stderrTail.length > STDERR_TAIL) conn.stderrTail.shift();
      const now = Date.now();
      if (now - windowStart > 60_000) {
        if (suppressed > 0) log.warn('codex stderr lines suppressed', { pid: conn.pid, suppressed });
        windowStart = now;
        inWindow = 0;
        suppressed = 0;
      }
      if (++inWindow > STDERR_LINES_PER_MINUTE) {
        suppressed += 1;
        return;
      }
      const level = /\bERROR\b/.test(line) ? 'warn' : 'debug';
      log[level]('codex stderr', { pid: conn.pid, line });
    };
    stderr.setEncoding('utf8');
    stderr.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        emit(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
      }
      if (buffered.length > STDERR_LINE_MAX * 4) {
        emit(buffered);
        buffered = '';
      }
    });
    stderr.on('end', () => emit(buffered));
  }

  private logger(): Logger {
    return this.options.logger ?? Runtime.instance().logger;
  }
}

function startFailure(err: unknown, command: string, stderrTail: string[]): Error {
  if (err instanceof ConfigError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const tail = stderrTail.length ? ` Codex stderr: ${stderrTail.slice(-5).join(' | ')}` : '';
  if (code === 'ENOENT' || code === 'EACCES') {
    return new ConfigError(`Cannot start codex (${command}): ${code}`, { cause: err });
  }
  return new TransientServiceError(`codex mcp-server did not start: ${errorMessage(err)}.${tail}`, undefined, {
    cause: err,
  });
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

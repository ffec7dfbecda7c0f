/**
 * One `codex app-server` child and its JSON-RPC over stdio (one JSON message per line, no "jsonrpc" field):
 * requests with ids, the `initialize` / `initialized` handshake, notifications and server->client requests.
 * The child stays in the worker's process group, so it dies with a killed worker; stdin closing stops it too.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import readline from 'node:readline';
import type { Logger } from '@temporalio/common';
import { ConfigError, RpcError, TransientServiceError } from '../../../shared/errors';
import type { InitializeParams } from './protocol/InitializeParams';

export { RpcError };

export interface AppServerProcessOptions {
  command: { command: string; args: string[] };
  home: string;
  apiKey?: string;
  logger: Logger;
  onNotification(method: string, params: Record<string, unknown>): void;
  /** Returns the result, or throws an RpcError to answer with an error. */
  /** May answer later (an approval waiting for a person). */
  onRequest(method: string, params: Record<string, unknown>): unknown;
  startTimeoutMs?: number;
}

interface Pending {
  method: string;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

const STDERR_TAIL = 20;
const STDERR_LINE_MAX = 2_000;

export class AppServerProcess {
  alive = false;
  pid: number | undefined;
  readonly stderrTail: string[] = [];
  /** Threads this process started or resumed: others need `thread/resume` first. */
  readonly loadedThreads = new Set<string>();
  /** Rejects (retryably) when the process exits; every in-flight call races it. */
  readonly exited: Promise<never>;
  private child: ChildProcessWithoutNullStreams | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private rejectExited!: (err: unknown) => void;
  private stopping = false;

  constructor(private readonly o: AppServerProcessOptions) {
    this.exited = new Promise<never>((_, reject) => {
      this.rejectExited = reject;
    });
    this.exited.catch(() => undefined);
  }

  async start(): Promise<void> {
    fs.mkdirSync(this.o.home, { recursive: true });
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: process.env.HOME ?? os.homedir(),
      CODEX_HOME: this.o.home,
    };
    if (this.o.apiKey) env.OPENAI_API_KEY = this.o.apiKey;
    const started = Date.now();
    const child = spawn(this.o.command.command, [...this.o.command.args, 'app-server'], {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    this.alive = true;
    const spawned = new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    child.on('exit', (code, signal) => this.onExit(code, signal));
    child.stdin.on('error', () => undefined);
    readline.createInterface({ input: child.stdout }).on('line', (line) => this.onLine(line));
    readline.createInterface({ input: child.stderr }).on('line', (line) => this.onStderr(line));
    try {
      await spawned;
      this.pid = child.pid;
      const init: InitializeParams = {
        clientInfo: { name: 'durable-codex-agents', title: null, version: '0.1.0' },
        capabilities: { experimentalApi: false, requestAttestation: false },
      };
      await this.request('initialize', init, { timeoutMs: this.o.startTimeoutMs ?? 30_000 });
      this.notify('initialized');
    } catch (err) {
      await this.stop();
      const code = (err as NodeJS.ErrnoException | undefined)?.code;
      if (code === 'ENOENT' || code === 'EACCES') {
        throw new ConfigError(`Cannot start codex (${this.o.command.command}): ${code}`, { cause: err });
      }
      const tail = this.stderrTail.length ? ` Codex stderr: ${this.stderrTail.slice(-5).join(' | ')}` : '';
      throw new TransientServiceError(`codex app-server did not start: ${String(err)}.${tail}`, undefined, {
        cause: err,
      });
    }
    this.o.logger.info('codex app-server started', {
      pid: this.pid,
      startMs: Date.now() - started,
      codexHome: this.o.home,
    });
  }

  request<T = unknown>(
    method: string,
    params: unknown,
    options: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<T> {
    if (!this.alive) return Promise.reject(this.exitError());
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new TransientServiceError(`codex app-server did not answer ${method} in ${options.timeoutMs} ms`));
      }, options.timeoutMs);
      const onAbort = () => {
        this.pending.delete(id);
        clearTimeout(timer);
        reject(options.signal?.reason);
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      };
      this.pending.set(id, {
        method,
        resolve: (v) => {
          done();
          resolve(v as T);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      });
      this.write({ id, method, params });
    });
  }

  notify(method: string, params?: unknown): void {
    this.write(params === undefined ? { method } : { method, params });
  }

  /** SIGTERM, then SIGKILL if the child has not exited within `graceMs`. */
  async stop(graceMs = 3_000): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.stopping = true;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.stdin.end();
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await gone;
    clearTimeout(timer);
  }

  private write(message: object): void {
    if (!this.child || !this.alive) return;
    this.child.stdin.write(`${JSON.stringify(message)}\n`);
  }

  private onLine(line: string): void {
    let msg: {
      id?: number | string;
      method?: string;
      params?: unknown;
      result?: unknown;
      error?: { code: number; message: string };
    };
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      this.o.logger.debug('codex app-server wrote a non-JSON line', { line: this.redact(line).slice(0, 200) });
      return;
    }
    const params = (msg.params ?? {}) as Record<string, unknown>;
    if (msg.method !== undefined && msg.id !== undefined) {
      const id = msg.id;
      const method = msg.method;
      void (async () => {
        let reply: object;
        try {
          reply = { id, result: await this.o.onRequest(method, params) };
        } catch (err) {
          const code = err instanceof RpcError ? err.code : -32603;
          reply = { id, error: { code, message: err instanceof Error ? err.message : String(err) } };
        }
        this.write(reply);
      })();
    } else if (msg.method !== undefined) {
      this.o.onNotification(msg.method, params);
    } else if (typeof msg.id === 'number') {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.error) p.reject(new RpcError(msg.error.code, `${p.method}: ${this.redact(msg.error.message)}`));
      else p.resolve(msg.result);
    }
  }

  private onStderr(raw: string): void {
    // eslint-disable-next-line no-control-regex
    let line = this.redact(raw.replace(/\x1b\[[0-9;]*m/g, '').trimEnd());
    if (!line) return;
    if (line.length > STDERR_LINE_MAX) line = `${line.slice(0, STDERR_LINE_MAX)}... [${line.length} chars]`;
    this.stderrTail.push(line);
    if (this.stderrTail.length > STDERR_TAIL) this.stderrTail.shift();
    this.o.logger[/\bERROR\b/.test(line) ? 'warn' : 'debug']('codex stderr', { pid: this.pid, line });
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (!this.alive) return;
    const level = this.stopping ? 'info' : 'warn';
    this.alive = false;
    const err = this.exitError(code, signal);
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.rejectExited(err);
    this.o.logger[level]('codex app-server exited', {
      pid: this.pid,
      code,
      signal,
      stderrTail: this.stderrTail.slice(-5),
    });
  }

  private exitError(code?: number | null, signal?: string | null): TransientServiceError {
    const how = signal ? ` (${signal})` : code !== undefined && code !== null ? ` (exit ${code})` : '';
    const tail = this.stderrTail.length ? ` Last Codex stderr: ${this.stderrTail.slice(-3).join(' | ')}` : '';
    return new TransientServiceError(
      `The Codex process${this.pid ? ` (pid ${this.pid})` : ''} exited during the call${how}; it restarts on the next call.${tail}`,
    );
  }

  private redact(text: string): string {
    return this.o.apiKey ? text.split(this.o.apiKey).join('[redacted]') : text;
  }
}

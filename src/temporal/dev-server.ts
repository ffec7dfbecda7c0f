/**
 * Runs the Temporal CLI's dev server (a real Temporal server with SQLite persistence and the Web UI) as a child
 * process: for `npm run temporal`, for integration tests, and for demos. POSIX only (process groups, /bin/sh).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError } from '../shared/errors';
import { ensureTemporalCli } from './cli-binary';
import { isTcpOpen } from './net';
import { temporalUnreachableReason } from './reachability';

export {
  ensureTemporalCli,
  formatDuration,
  resolveTemporalCli,
  temporalCliPath,
  GO_BUILD_VERSION,
  TEMPORAL_CLI_VERSION,
  type TemporalCli,
  type TemporalCliSource,
} from './cli-binary';
export { findFreePort } from './net';
export { isTemporalReachable } from './reachability';

export type DevServerLogLevel = 'debug' | 'info' | 'warn' | 'error' | 'never';

export interface DevServerOptions {
  /** gRPC frontend port; default 7233. */
  port?: number;
  /** Web UI port; default `port + 1000` (the CLI's own default). */
  uiPort?: number;
  /** No Web UI (tests). Exclusive with `uiPort`. */
  headless?: boolean;
  /** SQLite file that keeps workflows across restarts; in-memory when absent. */
  dbFile?: string;
  /** Created at start if missing; default "default" (always created). */
  namespace?: string;
  /** Address both gRPC and the UI bind to; default 127.0.0.1 so nothing is exposed off the machine. */
  ip?: string;
  logLevel?: DevServerLogLevel;
  /** Server stdout and stderr are appended here (they are always kept in memory for start-up errors). */
  logFile?: string;
  /** The `temporal` binary; default: `ensureTemporalCli()` (installs one on first use). */
  executable?: string;
  /** How long to wait for the frontend and namespace to answer; default 30 s. */
  readyTimeoutMs?: number;
  /** More `temporal server start-dev` flags, e.g. `--search-attribute K=Keyword`. */
  extraArgs?: readonly string[];
  log?: (line: string) => void;
}

export interface DevServer {
  /** gRPC `host:port` for clients and workers. */
  address: string;
  namespace: string;
  /** Undefined when headless. */
  uiUrl?: string;
  pid: number;
  /** Resolves when the server process ends, for whatever reason. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last lines the server printed. */
  recentOutput(): string;
  /**
   * SIGTERM to the server's process group, SIGKILL after 10 s; resolves once it has exited. Idempotent.
   * `{ now: true }` sends SIGKILL at once, for a throwaway server whose database goes with it (a graceful stop takes
   * over a second).
   */
  stop(options?: { now?: boolean }): Promise<void>;
}

const STOP_GRACE_MS = 10_000;

export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDevServerOnce(options);
    } catch (err) {
      // The CLI picks its other ports (HTTP API, membership) at random after it checked them; one of them can be
      // the port it is about to bind for gRPC, or a port another process takes meanwhile. A new start picks anew.
      if (attempt >= PORT_RACE_ATTEMPTS || !(err instanceof ConfigError) || !/address already in use/.test(err.message))
        throw err;
      options.log?.(
        `Temporal dev server: a port it chose was taken meanwhile; starting it again (attempt ${attempt + 1})`,
      );
    }
  }
}

const PORT_RACE_ATTEMPTS = 3;

async function startDevServerOnce(options: DevServerOptions): Promise<DevServer> {
  if (options.headless && options.uiPort !== undefined) {
    throw new ConfigError('startDevServer: `uiPort` and `headless` are mutually exclusive');
  }
  const ip = options.ip ?? '127.0.0.1';
  const port = options.port ?? 7233;
  const namespace = options.namespace ?? 'default';
  const uiPort = options.headless ? undefined : (options.uiPort ?? port + 1000);
  const executable = options.executable ?? (await ensureTemporalCli({ log: options.log }));

  // If another server already holds the port, our readiness probe would happily talk to it instead.
  for (const p of uiPort === undefined ? [port] : [port, uiPort]) {
    if (await isTcpOpen(ip, p, 500))
      throw new ConfigError(`Cannot start the Temporal dev server: ${ip}:${p} is in use`);
  }
  if (options.dbFile) await fs.mkdir(path.dirname(path.resolve(options.dbFile)), { recursive: true });
  if (options.logFile) await fs.mkdir(path.dirname(path.resolve(options.logFile)), { recursive: true });

  const args = [
    'server',
    'start-dev',
    ...['--ip', ip, '--port', String(port), '--namespace', namespace],
    ...(uiPort === undefined ? ['--headless'] : ['--ui-port', String(uiPort)]),
    ...(options.dbFile ? ['--db-filename', path.resolve(options.dbFile)] : []),
    ...['--log-level', options.logLevel ?? 'warn'],
    ...(options.extraArgs ?? []),
  ];
  // Own process group: stop() signals the whole group, and a terminal's Ctrl+C reaches us first so we can stop
  // the server in order.
  const child = spawn(executable, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = captureOutput(child, options.logFile ? createWriteStream(options.logFile, { flags: 'a' }) : undefined);
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve((exitInfo = { code, signal })));
    child.once('error', (err) => {
      output.note(`spawn failed: ${err.message}`);
      resolve((exitInfo = { code: null, signal: null }));
    });
  });
  const watchdog = child.pid === undefined ? undefined : startOrphanWatchdog(child.pid);
  void exited.then(() => watchdog?.kill('SIGKILL'));
  // 'close' (not 'exit'): the pipes may still hold output after the process has gone.
  child.once('close', () => output.close());

  const address = `${formatHost(ip)}:${port}`;
  const uiUrl = uiPort === undefined ? undefined : `http://${formatHost(ip)}:${uiPort}`;
  let stopping: Promise<void> | undefined;
  const stop = (stopOptions: { now?: boolean } = {}): Promise<void> =>
    (stopping ??= (async () => {
      if (exitInfo || child.pid === undefined) return;
      if (stopOptions.now) {
        signalGroup(child.pid, 'SIGKILL');
        await exited;
        return;
      }
      signalGroup(child.pid, 'SIGTERM');
      // A cancelled timer, not a bare sleep: a pending sleep would keep the process alive for the whole grace.
      const grace = new AbortController();
      const graceful = await Promise.race([
        exited.then(() => true),
        sleep(STOP_GRACE_MS, false, { signal: grace.signal }).catch(() => false),
      ]);
      grace.abort();
      if (!graceful) signalGroup(child.pid, 'SIGKILL');
      await exited;
    })());

  const failure = async (why: string): Promise<never> => {
    await stop();
    const tail = output.tail();
    throw new ConfigError(
      `The Temporal dev server (${executable} ${args.join(' ')}) ${why}` +
        (tail ? `. Its last output:\n${tail}` : '') +
        (options.logFile ? `\nFull log: ${options.logFile}` : ''),
    );
  };

  const timeoutMs = options.readyTimeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exitInfo) {
      return failure(`exited before it was ready (code ${exitInfo.code}, signal ${exitInfo.signal})`);
    }
    if (Date.now() > deadline) return failure(`was not ready within ${timeoutMs / 1000} s`);
    if (await isReady(address, namespace, ip, uiPort)) break;
    await sleep(100);
  }
  if (exitInfo) return failure('exited while starting');
  return { address, namespace, uiUrl, pid: child.pid ?? -1, exited, recentOutput: output.tail, stop };
}

async function isReady(address: string, namespace: string, ip: string, uiPort: number | undefined): Promise<boolean> {
  // The namespace check matters: the frontend answers a moment before namespaces are registered.
  if ((await temporalUnreachableReason(address, { timeoutMs: 2000, namespace })) !== undefined) return false;
  return uiPort === undefined || isTcpOpen(ip, uiPort, 500);
}

function formatHost(ip: string): string {
  return ip.includes(':') ? `[${ip}]` : ip;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/**
 * A tiny `sh` that holds a pipe from us: when this Node process dies by any means (even SIGKILL, or a test runner
 * killing a test file), the pipe closes and the sh stops the server's group (SIGTERM, SIGKILL after `graceMs`), so no
 * dev server outlives its owner. Killed as soon as the server exits while we live. After its owner died it signals
 * the group only while the server is the very process it was started for (same pid and start time in /proc; where
 * there is no /proc, while the group exists) and ends as soon as it is gone: pids are reused (32,768 of them by default
 * on Linux, many spawned per run), and a fixed wait before the SIGKILL once killed a dev server started meanwhile.
 */
export function startOrphanWatchdog(serverPid: number, graceMs = STOP_GRACE_MS): ChildProcess {
  const tenths = Math.max(1, Math.round(graceMs / 100));
  const script = [
    `P=${serverPid}`,
    // Field 22 of /proc/<pid>/stat, the start time; counted after the ")" that ends the command name.
    `started() { sed 's/^.*) //' /proc/$P/stat 2>/dev/null | cut -d' ' -f20; }`,
    'id=$(started)',
    `alive() { if [ -n "$id" ]; then [ "$(started)" = "$id" ]; else kill -0 -$P 2>/dev/null; fi; }`,
    'cat >/dev/null',
    'alive && kill -TERM -$P 2>/dev/null',
    `i=0; while [ $i -lt ${tenths} ] && alive; do sleep 0.1; i=$((i+1)); done`,
    'alive && kill -KILL -$P 2>/dev/null',
    'exit 0',
  ].join('\n');
  return spawn('/bin/sh', ['-c', script], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
}

/** Keeps the last lines of server output in memory and optionally tees everything to a log file. */
function captureOutput(child: ChildProcess, file: WriteStream | undefined) {
  const lines: string[] = [];
  let partial = '';
  const add = (text: string): void => {
    const parts = (partial + text).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts.filter((l) => l.trim() !== ''));
    lines.splice(0, Math.max(0, lines.length - 40));
  };
  const onData = (chunk: Buffer): void => {
    file?.write(chunk);
    add(chunk.toString('utf8'));
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  return {
    tail: (): string => [...lines, partial].filter((l) => l.trim() !== '').join('\n'),
    note: (line: string): void => add(`${line}\n`),
    close: (): void => {
      file?.end();
    },
  };
}

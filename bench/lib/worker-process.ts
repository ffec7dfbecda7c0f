/**
 * A worker in its own process group, as `npm run worker` runs it, so a benchmark can kill it like a crash would
 * (SIGKILL to the group: the node worker, its Codex server and Codex's children) and start another.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const REPO = path.resolve(__dirname, '..', '..');
const READY = /Worker ready/;

export interface WorkerProcess {
  pid: number;
  /** Spawn -> "Worker ready" on stdout, in ms. */
  ready: Promise<number>;
  exited: Promise<void>;
  /** SIGKILL to the whole group: nothing gets to clean up. */
  crash(): void;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  output(): string;
  /** Resolves with `work`, or rejects with the worker's last output if the process exits first. */
  guard<T>(work: Promise<T>): Promise<T>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) signalGroup(c, 'SIGKILL');
});

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

export function spawnWorker(env: NodeJS.ProcessEnv, readyTimeoutMs = 60_000): WorkerProcess {
  const started = Date.now();
  // `node --import tsx` is `npm run worker` without npm's and tsx's wrapper processes: the tree is the worker itself.
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'worker'], {
    cwd: REPO,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('could not spawn the worker process');
  live.add(child);
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-20_000);
  };
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => (live.delete(child), resolve())));
  const ready = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`worker not ready after ${readyTimeoutMs} ms:\n${out}`)),
      readyTimeoutMs,
    );
    child.stdout?.on('data', (d: Buffer) => {
      keep(d);
      if (READY.test(out)) {
        clearTimeout(timer);
        resolve(Date.now() - started);
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`worker exited before it was ready:\n${out}`));
    });
  });
  ready.catch(() => undefined);
  return {
    pid: child.pid,
    ready,
    exited,
    crash: () => signalGroup(child, 'SIGKILL'),
    async stop(graceMs = 10_000) {
      signalGroup(child, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    output: () => out,
    guard: <T>(work: Promise<T>) =>
      Promise.race([
        work,
        exited.then((): never => {
          throw new Error(
            `worker process exited (code ${child.exitCode}, signal ${child.signalCode}):\n${out.slice(-4000)}`,
          );
        }),
      ]),
  };
}

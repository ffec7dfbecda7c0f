/**
 * The per-version cache of Temporal CLI binaries and what every way of filling it shares: an exclusive lock per
 * version directory, work directories beside the target (so the final rename is atomic), and running helper
 * programs (pip, python3, go, temporal) with their output kept for error messages.
 */
import { spawn } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError } from '../shared/errors';

const LOCK_FILE = '.build.lock';
const WORK_DIR_PREFIX = '.build-';

/** `${XDG_CACHE_HOME:-~/.cache}/durable-codex-agents/temporal-cli/<version>/temporal`. */
export function cachedCliPath(version: string, env: NodeJS.ProcessEnv): string {
  const cacheHome = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cacheHome, 'durable-codex-agents', 'temporal-cli', version, 'temporal');
}

export async function isExecutable(file: string): Promise<boolean> {
  try {
    await fs.access(file, fsConstants.X_OK);
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

/**
 * Runs `fill(workDir)` under the lock of `target`'s directory unless `target` already exists (also re-checked
 * once the lock is held: another process may have filled it meanwhile). `fill` must leave a complete binary at the
 * path it returns inside `workDir`; it is renamed onto `target`, so a killed fill never leaves half a binary.
 * Resolves to false when the target was already there, true when this call filled it.
 */
export async function fillCacheOnce(
  target: string,
  fill: (workDir: string) => Promise<string>,
  options: { lockTimeoutMs: number; log: (line: string) => void },
): Promise<boolean> {
  const dir = path.dirname(target);
  await fs.mkdir(dir, { recursive: true });
  const release = await acquireLock(dir, options.lockTimeoutMs, options.log);
  try {
    if (await isExecutable(target)) return false;
    await removeAbandonedWorkDirs(dir);
    const workDir = await fs.mkdtemp(path.join(dir, WORK_DIR_PREFIX));
    try {
      await fs.rename(await fill(workDir), target);
      return true;
    } finally {
      await fs.rm(workDir, { recursive: true, force: true });
    }
  } finally {
    await release();
  }
}

/** Only the lock holder fills, so any work directory it finds was left by a killed fill. */
async function removeAbandonedWorkDirs(dir: string): Promise<void> {
  for (const name of await fs.readdir(dir)) {
    if (name.startsWith(WORK_DIR_PREFIX)) await fs.rm(path.join(dir, name), { recursive: true, force: true });
  }
}

/**
 * An exclusive-create lock file holding the holder's pid. A lock whose pid is dead was left by a killed process
 * and is taken over. Two waiters racing on the same stale lock can at worst both fill; each renames a complete
 * binary into place, so the result is still correct.
 */
async function acquireLock(dir: string, timeoutMs: number, log: (line: string) => void): Promise<() => Promise<void>> {
  const lock = path.join(dir, LOCK_FILE);
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  for (;;) {
    try {
      await fs.writeFile(lock, String(process.pid), { flag: 'wx' });
      return () => fs.rm(lock, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number.parseInt(await fs.readFile(lock, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(holder) && !isAlive(holder)) {
      await fs.rm(lock, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new ConfigError(`Timed out waiting for another install of the Temporal CLI (lock ${lock}, pid ${holder})`);
    }
    if (!announced) {
      log(`Waiting for another process (pid ${holder}) that is installing the Temporal CLI into ${dir}...`);
      announced = true;
    }
    await sleep(500);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface RunResult {
  /** Null when the program could not be started (`error` says why) or was killed. */
  code: number | null;
  /** stdout and stderr together, bounded to the tail. */
  output: string;
  /** Only stdout (bounded too), for programs whose answer is on stdout. */
  stdout: string;
  /** Set when the program could not be started, e.g. ENOENT: not on PATH. */
  error?: NodeJS.ErrnoException;
}

/** Runs a program to completion; never rejects (a missing program is `error.code === 'ENOENT'`). */
export function run(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 0,
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    // Not spawn's own `timeout`: its timer outlives a program that failed to start, keeping Node alive.
    const timer = timeoutMs > 0 ? setTimeout(() => child.kill('SIGKILL'), timeoutMs) : undefined;
    let output = '';
    let stdout = '';
    // Bounded: only the tail is ever shown.
    const keep = (text: string, all: string): string => (all + text).slice(-64_000);
    child.stdout.on('data', (chunk: Buffer) => {
      output = keep(chunk.toString('utf8'), output);
      stdout = keep(chunk.toString('utf8'), stdout);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output = keep(chunk.toString('utf8'), output);
    });
    child.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ code: null, output, stdout, error });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, stdout });
    });
  });
}

export function lastLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

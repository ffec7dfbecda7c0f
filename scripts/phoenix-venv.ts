/**
 * A Python virtualenv with Arize Phoenix (`arize-phoenix` from PyPI, pinned exactly in
 * test/fixtures/phoenix/requirements.txt), an OpenTelemetry backend for LLM traces that users run, cached outside the
 * repo by the hash of that file and the Python version: `${XDG_CACHE_HOME:-~/.cache}/durable-codex-agents/phoenix-venv/<hash>`.
 * test/traces-phoenix.test.ts reads a run's GenAI spans back from it. Not built by .ci/run: it installs about 850 MB in
 * 2 to 8 minutes, more than CI's budget allows; the test says so and skips where it is missing.
 *
 *   npx tsx scripts/phoenix-venv.ts     # creates it (or finds it) and prints its python
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { lastLines, run } from '../src/temporal/cli-cache';

export const PHOENIX_REQUIREMENTS_FILE = path.join(__dirname, '..', 'test', 'fixtures', 'phoenix', 'requirements.txt');
const COMPLETE_MARKER = '.complete';
/** pip downloads about 140 packages (850 MB installed): 2 to 8 minutes, more on a busy machine. */
const INSTALL_TIMEOUT_MS = 25 * 60_000;

export interface PhoenixVenv {
  /** The venv's interpreter: `python -m phoenix.server.main serve` starts Phoenix. */
  python: string;
  dir: string;
  /** True when this call built it (and how long that took). */
  built: boolean;
  ms: number;
}

/** The cached venv when it is complete; undefined when it was never built (nothing is built here). */
export async function findPhoenixVenv(env: NodeJS.ProcessEnv = process.env): Promise<PhoenixVenv | undefined> {
  const version = await run('python3', ['--version'], env, 30_000);
  if (version.code !== 0) return undefined;
  const requirements = await fs.readFile(PHOENIX_REQUIREMENTS_FILE, 'utf8');
  const key = createHash('sha256').update(`${version.stdout.trim()}\n${requirements}`).digest('hex').slice(0, 16);
  const dir = path.join(
    env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'),
    'durable-codex-agents',
    'phoenix-venv',
    key,
  );
  if (!existsSync(path.join(dir, COMPLETE_MARKER))) return undefined;
  return { python: path.join(dir, 'bin', 'python'), dir, built: false, ms: 0 };
}

export async function ensurePhoenixVenv(
  options: { env?: NodeJS.ProcessEnv; log?: (line: string) => void } = {},
): Promise<PhoenixVenv> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  const version = await run('python3', ['--version'], env, 30_000);
  if (version.code !== 0) {
    throw new Error(`python3 is needed for Phoenix: ${version.error?.message ?? version.output}`);
  }
  const requirements = await fs.readFile(PHOENIX_REQUIREMENTS_FILE, 'utf8');
  const key = createHash('sha256').update(`${version.stdout.trim()}\n${requirements}`).digest('hex').slice(0, 16);
  const cacheHome = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  const dir = path.join(cacheHome, 'durable-codex-agents', 'phoenix-venv', key);
  const python = path.join(dir, 'bin', 'python');
  if (existsSync(path.join(dir, COMPLETE_MARKER))) return { python, dir, built: false, ms: Date.now() - started };

  await fs.mkdir(path.dirname(dir), { recursive: true });
  const work = await fs.mkdtemp(`${dir}.build-`);
  try {
    log(`Creating the Arize Phoenix virtualenv (${version.stdout.trim()}, ${PHOENIX_REQUIREMENTS_FILE}) in ${dir}...`);
    await step('python3', ['-m', 'venv', work], env, 'python3 -m venv');
    const pip = ['-m', 'pip', 'install', '--no-input', '--disable-pip-version-check', '-q'];
    await step(path.join(work, 'bin', 'python'), [...pip, '-r', PHOENIX_REQUIREMENTS_FILE], env, 'pip install');
    await fs.writeFile(path.join(work, COMPLETE_MARKER), `${requirements}`);
    // The interpreter finds its venv from its own (unresolved) path, so the renamed venv works; only console-script
    // shebangs keep the build path, and nothing here uses them (`python -m pip`).
    await fs.rm(dir, { recursive: true, force: true });
    await fs.rename(work, dir);
  } catch (err) {
    await fs.rm(work, { recursive: true, force: true });
    // Another process finished the same venv meanwhile: use it.
    if (existsSync(path.join(dir, COMPLETE_MARKER))) return { python, dir, built: false, ms: Date.now() - started };
    throw err;
  }
  return { python, dir, built: true, ms: Date.now() - started };
}

async function step(command: string, args: string[], env: NodeJS.ProcessEnv, what: string): Promise<void> {
  const r = await run(command, args, { ...env, PIP_NO_INPUT: '1' }, INSTALL_TIMEOUT_MS);
  if (r.code !== 0) {
    throw new Error(`${what} failed (${r.error?.message ?? `exit ${String(r.code)}`}):\n${lastLines(r.output, 20)}`);
  }
}

if (require.main === module) {
  ensurePhoenixVenv({ log: (line) => console.log(line) }).then(
    (v) => console.log(`${v.python} (${v.built ? `built in ${Math.round(v.ms / 1000)} s` : 'cached'})`),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : String(err));
      process.exitCode = 1;
    },
  );
}

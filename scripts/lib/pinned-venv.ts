/**
 * A Python virtualenv pinned by a requirements file, cached outside the repo by the hash of that file and the Python
 * version: `${XDG_CACHE_HOME:-~/.cache}/durable-codex-agents/<name>/<hash>`. Built in a sibling directory and renamed
 * into place, so a killed build never leaves a half venv that looks complete.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { lastLines, run } from '../../src/temporal/cli-cache';

export interface PinnedVenvSpec {
  /** The cache directory's name, e.g. `agents-sdk-venv`. */
  name: string;
  /** What it holds, for messages: "the Agents SDK". */
  title: string;
  requirements: string;
  installTimeoutMs: number;
}

export interface PinnedVenv {
  /** The venv's interpreter. */
  python: string;
  dir: string;
  /** True when this call built it (and how long that took). */
  built: boolean;
  ms: number;
}

const COMPLETE_MARKER = '.complete';

async function locate(spec: PinnedVenvSpec, env: NodeJS.ProcessEnv) {
  const version = await run('python3', ['--version'], env, 30_000);
  if (version.code !== 0) {
    throw new Error(`python3 is needed for ${spec.title}: ${version.error?.message ?? version.output}`);
  }
  const requirements = await fs.readFile(spec.requirements, 'utf8');
  const key = createHash('sha256').update(`${version.stdout.trim()}\n${requirements}`).digest('hex').slice(0, 16);
  const cacheHome = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  const dir = path.join(cacheHome, 'durable-codex-agents', spec.name, key);
  return { dir, python: path.join(dir, 'bin', 'python'), requirements, version: version.stdout.trim() };
}

/** The cached venv when it is complete; undefined when it was never built (nothing is built here). */
export async function findVenv(spec: PinnedVenvSpec, env: NodeJS.ProcessEnv = process.env) {
  const at = await locate(spec, env).catch(() => undefined);
  if (!at || !existsSync(path.join(at.dir, COMPLETE_MARKER))) return undefined;
  return { python: at.python, dir: at.dir, built: false, ms: 0 } satisfies PinnedVenv;
}

export async function ensureVenv(
  spec: PinnedVenvSpec,
  options: { env?: NodeJS.ProcessEnv; log?: (line: string) => void } = {},
): Promise<PinnedVenv> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  const { dir, python, requirements, version } = await locate(spec, env);
  if (existsSync(path.join(dir, COMPLETE_MARKER))) return { python, dir, built: false, ms: Date.now() - started };

  await fs.mkdir(path.dirname(dir), { recursive: true });
  const work = await fs.mkdtemp(`${dir}.build-`);
  try {
    log(`Creating the ${spec.title} virtualenv (${version}, ${spec.requirements}) in ${dir}...`);
    await step('python3', ['-m', 'venv', work], env, 'python3 -m venv', spec.installTimeoutMs);
    const pip = ['-m', 'pip', 'install', '--no-input', '--disable-pip-version-check', '-q'];
    await step(
      path.join(work, 'bin', 'python'),
      [...pip, '-r', spec.requirements],
      env,
      'pip install',
      spec.installTimeoutMs,
    );
    await fs.writeFile(path.join(work, COMPLETE_MARKER), requirements);
    // The interpreter finds its venv from its own (unresolved) path, so the renamed venv works; only console-script
    // shebangs keep the build path, and nothing here uses them (`python -m ...`).
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

async function step(command: string, args: string[], env: NodeJS.ProcessEnv, what: string, ms: number) {
  const r = await run(command, args, { ...env, PIP_NO_INPUT: '1' }, ms);
  if (r.code !== 0) {
    throw new Error(`${what} failed (${r.error?.message ?? `exit ${String(r.code)}`}):\n${lastLines(r.output, 20)}`);
  }
}

/** `npx tsx scripts/<name>.ts`: creates the venv (or finds it) and prints its python. */
export function venvMain(spec: PinnedVenvSpec): void {
  ensureVenv(spec, { log: (line) => console.log(line) }).then(
    (v) => console.log(`${v.python} (${v.built ? `built in ${Math.round(v.ms / 1000)} s` : 'cached'})`),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : String(err));
      process.exitCode = 1;
    },
  );
}

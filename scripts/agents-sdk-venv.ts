/**
 * A Python virtualenv with the official OpenAI Agents SDK (`openai-agents` from PyPI, pinned exactly in
 * test/fixtures/cookbook/requirements.txt), cached outside the repo by the hash of that file and the Python version:
 * `${XDG_CACHE_HOME:-~/.cache}/durable-codex-agents/agents-sdk-venv/<hash>`. The cookbook's own programs run in it
 * (test/cookbook-agents-sdk.test.ts), and so does the Python half of the scripted model's conformance suite
 * (test/scripted-model-conformance.test.ts: the `openai` client it pulls in, and the SDK). Built in a sibling directory and renamed into place, so a killed build never
 * leaves a half venv that looks complete.
 *
 *   npx tsx scripts/agents-sdk-venv.ts     # creates it (or finds it) and prints its python
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { lastLines, run } from '../src/temporal/cli-cache';

export const REQUIREMENTS_FILE = path.join(__dirname, '..', 'test', 'fixtures', 'cookbook', 'requirements.txt');
const COMPLETE_MARKER = '.complete';
/** pip downloads about 40 packages; on a busy machine that takes a minute or two. */
const INSTALL_TIMEOUT_MS = 10 * 60_000;

export interface AgentsSdkVenv {
  /** The venv's interpreter: run the programs with it. */
  python: string;
  dir: string;
  /** True when this call built it (and how long that took). */
  built: boolean;
  ms: number;
}

export async function ensureAgentsSdkVenv(
  options: { env?: NodeJS.ProcessEnv; log?: (line: string) => void } = {},
): Promise<AgentsSdkVenv> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  const version = await run('python3', ['--version'], env, 30_000);
  if (version.code !== 0) {
    throw new Error(`python3 is needed for the Agents SDK programs: ${version.error?.message ?? version.output}`);
  }
  const requirements = await fs.readFile(REQUIREMENTS_FILE, 'utf8');
  const key = createHash('sha256').update(`${version.stdout.trim()}\n${requirements}`).digest('hex').slice(0, 16);
  const cacheHome = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  const dir = path.join(cacheHome, 'durable-codex-agents', 'agents-sdk-venv', key);
  const python = path.join(dir, 'bin', 'python');
  if (existsSync(path.join(dir, COMPLETE_MARKER))) return { python, dir, built: false, ms: Date.now() - started };

  await fs.mkdir(path.dirname(dir), { recursive: true });
  const work = await fs.mkdtemp(`${dir}.build-`);
  try {
    log(`Creating the Agents SDK virtualenv (${version.stdout.trim()}, ${REQUIREMENTS_FILE}) in ${dir}...`);
    await step('python3', ['-m', 'venv', work], env, 'python3 -m venv');
    const pip = ['-m', 'pip', 'install', '--no-input', '--disable-pip-version-check', '-q'];
    await step(path.join(work, 'bin', 'python'), [...pip, '-r', REQUIREMENTS_FILE], env, 'pip install');
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
  ensureAgentsSdkVenv({ log: (line) => console.log(line) }).then(
    (v) => console.log(`${v.python} (${v.built ? `built in ${Math.round(v.ms / 1000)} s` : 'cached'})`),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : String(err));
      process.exitCode = 1;
    },
  );
}

/**
 * A Python virtualenv with Arize Phoenix (`arize-phoenix` from PyPI, pinned exactly in
 * test/fixtures/phoenix/requirements.txt), an OpenTelemetry backend for LLM traces that users run, cached outside the
 * repo (./lib/pinned-venv.ts): `${XDG_CACHE_HOME:-~/.cache}/durable-codex-agents/phoenix-venv/<hash>`.
 * test/traces-phoenix.test.ts reads a run's GenAI spans back from it. .ci/run builds it (about 850 MB, 2 to 8 minutes the
 * first time on a machine, a second when cached); outside CI the test says so and skips where it is missing.
 *
 *   npx tsx scripts/phoenix-venv.ts     # creates it (or finds it) and prints its python
 */
import path from 'node:path';
import { ensureVenv, findVenv, venvMain, type PinnedVenv, type PinnedVenvSpec } from './lib/pinned-venv';

export const PHOENIX_REQUIREMENTS_FILE = path.join(__dirname, '..', 'test', 'fixtures', 'phoenix', 'requirements.txt');

const PHOENIX: PinnedVenvSpec = {
  name: 'phoenix-venv',
  title: 'Arize Phoenix',
  requirements: PHOENIX_REQUIREMENTS_FILE,
  // pip downloads about 140 packages (850 MB installed): 2 to 8 minutes, more on a busy machine.
  installTimeoutMs: 25 * 60_000,
};

/** Its interpreter: `python -m phoenix.server.main serve` starts Phoenix. */
export type PhoenixVenv = PinnedVenv;

/** The cached venv when it is complete; undefined when it was never built (nothing is built here). */
export function findPhoenixVenv(env: NodeJS.ProcessEnv = process.env): Promise<PhoenixVenv | undefined> {
  return findVenv(PHOENIX, env);
}

export function ensurePhoenixVenv(
  options: { env?: NodeJS.ProcessEnv; log?: (line: string) => void } = {},
): Promise<PhoenixVenv> {
  return ensureVenv(PHOENIX, options);
}

if (require.main === module) venvMain(PHOENIX);

/**
 * A Python virtualenv with the official OpenAI Agents SDK (`openai-agents` from PyPI, pinned exactly in
 * test/fixtures/cookbook/requirements.txt), cached outside the repo (./lib/pinned-venv.ts):
 * `${XDG_CACHE_HOME:-~/.cache}/durable-codex-agents/agents-sdk-venv/<hash>`. The cookbook's own programs run in it
 * (test/cookbook-agents-sdk.test.ts), and so does the Python half of the scripted model's conformance suite
 * (test/scripted-model-conformance.test.ts: the `openai` client it pulls in, and the SDK). `.ci/run` builds it.
 *
 *   npx tsx scripts/agents-sdk-venv.ts     # creates it (or finds it) and prints its python
 */
import path from 'node:path';
import { ensureVenv, venvMain, type PinnedVenv, type PinnedVenvSpec } from './lib/pinned-venv';

export const REQUIREMENTS_FILE = path.join(__dirname, '..', 'test', 'fixtures', 'cookbook', 'requirements.txt');

const AGENTS_SDK: PinnedVenvSpec = {
  name: 'agents-sdk-venv',
  title: 'Agents SDK',
  requirements: REQUIREMENTS_FILE,
  // pip downloads about 40 packages; on a busy machine that takes a minute or two.
  installTimeoutMs: 10 * 60_000,
};

export type AgentsSdkVenv = PinnedVenv;

export function ensureAgentsSdkVenv(
  options: { env?: NodeJS.ProcessEnv; log?: (line: string) => void } = {},
): Promise<AgentsSdkVenv> {
  return ensureVenv(AGENTS_SDK, options);
}

if (require.main === module) venvMain(AGENTS_SDK);

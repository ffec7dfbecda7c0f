/**
 * Building the Temporal CLI once: a fake `go` on PATH stands in for the real 3-minute build, so the cache, the
 * lock, the atomic rename and the error messages are all exercised in milliseconds.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ConfigError } from '../src/shared/errors';
import { ensureTemporalCli, TEMPORAL_CLI_VERSION, temporalCliPath } from '../src/temporal/dev-server';

const FAKE_GO = `#!/bin/sh
case "$1" in
  env) echo "\${FAKE_GO_VERSION:-go1.26.0}" ;;
  install)
    echo "$2" >> "$FAKE_GO_CALLS"
    sleep "\${FAKE_GO_SLEEP:-0}"
    if [ -n "\${FAKE_GO_FAIL:-}" ]; then
      i=1; while [ $i -le 30 ]; do echo "go: build output line $i" >&2; i=$((i+1)); done
      printf 'half a binary' > "$GOBIN/temporal"
      exit 1
    fi
    printf '#!/bin/sh\\necho fake temporal\\n' > "$GOBIN/temporal"
    chmod +x "$GOBIN/temporal" ;;
  *) exit 2 ;;
esac
`;

describe('ensureTemporalCli', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let calls: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'dca-temporal-cli-'));
    const bin = path.join(dir, 'bin');
    await mkdir(bin);
    await writeFile(path.join(bin, 'go'), FAKE_GO);
    await chmod(path.join(bin, 'go'), 0o755);
    calls = path.join(dir, 'go-install-calls');
    env = { PATH: `${bin}:/usr/bin:/bin`, HOME: dir, XDG_CACHE_HOME: path.join(dir, 'cache'), FAKE_GO_CALLS: calls };
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const installCalls = async (): Promise<string[]> =>
    (await readFile(calls, 'utf8').catch(() => '')).split('\n').filter(Boolean);

  it('caches by version under XDG_CACHE_HOME, or uses TEMPORAL_CLI_PATH', () => {
    assert.equal(
      temporalCliPath(env),
      path.join(dir, 'cache', 'durable-codex-agents', 'temporal-cli', TEMPORAL_CLI_VERSION, 'temporal'),
    );
    assert.equal(temporalCliPath({ ...env, TEMPORAL_CLI_PATH: '/opt/temporal' }), '/opt/temporal');
  });

  it('builds once with go install, even when two callers race, and leaves nothing behind', async () => {
    env.FAKE_GO_SLEEP = '1';
    const lines: string[] = [];
    const [a, b] = await Promise.all([
      ensureTemporalCli({ env, log: (l) => lines.push(l) }),
      ensureTemporalCli({ env, log: (l) => lines.push(l) }),
    ]);
    assert.equal(a, temporalCliPath(env));
    assert.equal(b, a);
    assert.deepEqual(await installCalls(), [`github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`]);
    assert.match(spawnSync(a).stdout.toString(), /fake temporal/);
    assert.deepEqual(await readdir(path.dirname(a)), ['temporal'], 'no lock file or build directory left');
    assert.ok(
      lines.some((l) => /^Built the Temporal CLI v1\.5\.1 in \d/.test(l)),
      lines.join('\n'),
    );

    await ensureTemporalCli({ env });
    assert.equal((await installCalls()).length, 1, 'the cached binary is reused');
  });

  it('takes over a lock left by a dead process and cleans up an abandoned build', async () => {
    const cacheDir = path.dirname(temporalCliPath(env));
    await mkdir(path.join(cacheDir, '.build-abandoned'), { recursive: true });
    const dead = spawnSync('/bin/sh', ['-c', 'echo $$']).stdout.toString().trim();
    await writeFile(path.join(cacheDir, '.build.lock'), dead);
    await ensureTemporalCli({ env });
    assert.deepEqual(await readdir(cacheDir), ['temporal']);
  });

  it('reports a failed build with the tail of go output and leaves no half binary', async () => {
    env.FAKE_GO_FAIL = '1';
    await assert.rejects(ensureTemporalCli({ env }), (err: Error) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /^Building the Temporal CLI v1\.5\.1 failed \(go install exited with 1\)/);
      assert.match(err.message, /build output line 30$/);
      assert.doesNotMatch(err.message, /build output line 10\n/);
      return true;
    });
    assert.equal(existsSync(temporalCliPath(env)), false);
  });

  it('says so when Go is missing or too old', async () => {
    await assert.rejects(ensureTemporalCli({ env: { ...env, PATH: path.join(dir, 'empty') } }), (err: Error) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /^Go is not installed .*Go >= 1\.25.*TEMPORAL_CLI_PATH/);
      return true;
    });
    await assert.rejects(ensureTemporalCli({ env: { ...env, FAKE_GO_VERSION: 'go1.24.7' } }), (err: Error) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /^Go 1\.24 is too old .* needs Go >= 1\.25/);
      return true;
    });
    assert.deepEqual(await installCalls(), []);
  });

  it('never builds over TEMPORAL_CLI_PATH', async () => {
    await assert.rejects(
      ensureTemporalCli({ env: { ...env, TEMPORAL_CLI_PATH: path.join(dir, 'nope') } }),
      /is not an executable file/,
    );
    const own = path.join(dir, 'bin', 'go');
    assert.equal(await ensureTemporalCli({ env: { ...env, TEMPORAL_CLI_PATH: own } }), own);
    assert.deepEqual(await installCalls(), []);
  });
});

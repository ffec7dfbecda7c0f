/**
 * Disk faults on a real small disk: a 2 MiB tmpfs mounted in a private mount namespace (nothing leaks to the machine;
 * the mount ends with the scenario's process), real git, the real activities. A full disk fails a commit, a Codex
 * call and a report write with DiskFullError (retryable), leaving no half-written report and no broken commit; once
 * space is back the retried commit lands once and `git fsck` is clean. A read-only workspace fails them with
 * ReadOnlyDiskError (not retryable). The scenario: test/helpers/disk-faults-scenario.ts.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';

const canMount =
  process.getuid?.() === 0 && spawnSync('unshare', ['-m', '--propagation', 'private', 'true']).status === 0;
const dir = mkdtempSync(path.join(os.tmpdir(), 'dca-disk-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function runScenario(root: string, remote: string): Promise<{ code: number | null; out: string; err: string }> {
  const script = path.join(__dirname, 'helpers', 'disk-faults-scenario.ts');
  const child = spawn(
    'unshare',
    [
      '-m',
      '--propagation',
      'private',
      'sh',
      '-c',
      'mount -t tmpfs -o size=2m tmpfs "$1" && shift && exec "$@"',
      'sh',
      root,
      process.execPath,
      '--import',
      'tsx',
      script,
      root,
      remote,
    ],
    { cwd: path.join(__dirname, '..'), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out, err })));
}

describe('disk faults on a 2 MiB tmpfs', { timeout: 60_000 }, () => {
  it('full disk: DiskFullError (retryable), no half report, the retried commit lands once; read-only: ReadOnlyDiskError', async (t) => {
    if (!canMount) return t.skip('needs root and mount namespaces (unshare -m)');
    const root = path.join(dir, 'disk');
    const remote = path.join(dir, 'remote.git');
    execFileSync('mkdir', ['-p', root]);
    execFileSync('git', ['init', '--bare', '-q', remote]);
    const r = await runScenario(root, remote);
    assert.equal(r.code, 0, r.err);
    const seen = JSON.parse(r.out.trim().split('\n').at(-1) ?? '{}') as Record<string, Record<string, unknown>>;
    t.diagnostic(JSON.stringify(seen));

    const full = { type: 'DiskFullError', nonRetryable: false };
    for (const k of ['fullCommit', 'fullCodex'])
      assert.deepEqual({ ...seen[k], message: undefined }, { ...full, message: undefined }, k);
    assert.match(String(seen.fullCommit?.message), /^Commit of step dev: the disk of .* is full \(ENOSPC\)/);
    assert.match(String(seen.fullCodex?.message), /^Codex call of dev: the disk of .* has \d+ bytes free/);
    assert.equal(seen.fullReport?.type, 'DiskFullError');
    assert.match(String(seen.fullReport?.message), /REPORT\.md is full \(ENOSPC\); free space and write it again$/);
    assert.equal(seen.reportAfterFull, 'the previous report\n', 'the report is the previous one, whole');
    assert.deepEqual(seen.leftovers, [], 'no temporary file left');

    assert.deepEqual(seen.retriedCommit, { ok: true });
    assert.equal(seen.fsck, 'clean');
    assert.deepEqual(seen.remoteLog, ['dev@agents.local', 'run@agents.local'], 'one commit for the step, once');
    assert.match(String(seen.remoteTree), /index\.html/);

    const ro = { type: 'ReadOnlyDiskError', nonRetryable: true };
    for (const k of ['roCommit', 'roCodex'])
      assert.deepEqual({ ...seen[k], message: undefined }, { ...ro, message: undefined }, k);
    assert.match(String(seen.roCommit?.message), /read-only file system \(EROFS\)/);
    assert.equal(seen.roReport?.type, 'ReadOnlyDiskError');
    assert.equal(seen.reportAfterRo, 'the previous report\n');
    assert.equal(seen.remoteAfterRo, '2', 'nothing pushed from the read-only workspace');
    assert.equal(seen.codexCalls, 0, 'no Codex call started on a full or read-only disk');
    assert.equal(seen.lockLeft, false, 'no index.lock left behind');
  });
});

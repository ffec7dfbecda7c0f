/**
 * The disk-fault scenario of test/disk-faults.test.ts, run inside its own mount namespace with a small tmpfs mounted
 * at argv[2] (the workspace root); the remote, argv[3], is on another disk. Real git, the real activities (under
 * MockActivityEnvironment). Prints one JSON line of what it saw; the test asserts on it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { hostActivities, type Activities } from '../../src/activities';
import { createGitWorkspaceActivities } from '../../src/activities/git-workspace';
import { writeFileAtomic } from '../../src/runtime/disk';
import type { CommitStepInput, WorkspacePlacement } from '../../src/shared/placement';
import type { CodexCallInput } from '../../src/shared/types';

const [root, remote] = process.argv.slice(2) as [string, string];
const acts = createGitWorkspaceActivities({ workspaceRoot: root, remote, host: 'h', hostQueue: 'q' });
let codexCalls = 0;
const host = hostActivities(
  {
    ...acts,
    codexCall: async () => {
      codexCalls += 1;
      return {} as never;
    },
  } as unknown as Activities,
  'h',
);
const env = () => new MockActivityEnvironment();

/** What an activity left with: ok, or its failure's type, retryability and message. */
async function outcome(fn: () => Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await fn();
    return { ok: true };
  } catch (err) {
    if (err instanceof ApplicationFailure) {
      return { type: err.type, nonRetryable: err.nonRetryable, message: err.message };
    }
    const e = err as NodeJS.ErrnoException;
    return { type: e.name, code: e.code, message: e.message };
  }
}

/** Fills the disk with zeros until it is full. */
async function fill(file: string): Promise<void> {
  const fh = await open(file, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) await fh.write(chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    await fh.close().catch(() => undefined);
  }
}

async function main(): Promise<void> {
  const seen: Record<string, unknown> = {};
  const placement = (await env().run(acts.prepareWorkspace, {
    workflowId: 'disk-run',
    runId: 'run-1',
  })) as WorkspacePlacement;
  const ws = placement.workspace;
  const step = (role: string, file: string): CommitStepInput => ({
    workspace: ws,
    workflowId: 'disk-run',
    runId: 'run-1',
    branch: placement.branch,
    role,
    title: role,
    files: [{ path: file, size: 0, sha256: '-' }],
  });
  const codex = { cwd: ws, role: 'dev', runId: 'disk-run' } as unknown as CodexCallInput;
  writeFileSync(path.join(ws, 'index.html'), '<h1>done</h1>\n'.repeat(500));
  const report = path.join(root, 'REPORT.md');
  writeFileSync(report, 'the previous report\n');

  // ---- full disk ----
  const filler = path.join(root, 'filler');
  await fill(filler);
  seen.fullCommit = await outcome(() => env().run(acts.commitStep, step('dev', 'index.html')));
  seen.fullCodex = await outcome(() => env().run(host.codexCall, codex));
  seen.fullReport = await outcome(() => writeFileAtomic(report, 'the new report\n'.repeat(10_000)));
  seen.reportAfterFull = readFileSync(report, 'utf8');
  seen.leftovers = readdirSync(root).filter((f) => f.endsWith('.tmp'));

  // ---- space comes back: the retried commit lands once, intact ----
  rmSync(filler);
  seen.retriedCommit = await outcome(() => env().run(acts.commitStep, step('dev', 'index.html')));
  seen.fsck = execFileSync('git', ['-C', ws, 'fsck', '--full', '--strict'], { encoding: 'utf8' }).trim() || 'clean';
  seen.remoteLog = execFileSync('git', ['-C', remote, 'log', '--format=%ae', placement.branch], { encoding: 'utf8' })
    .trim()
    .split('\n');
  seen.remoteTree = execFileSync('git', ['-C', remote, 'ls-tree', '--name-only', placement.branch], {
    encoding: 'utf8',
  }).trim();

  // ---- read-only workspace ----
  writeFileSync(path.join(ws, 'TEST.md'), 'tests\n');
  execFileSync('mount', ['-o', 'remount,ro', root]);
  seen.roCommit = await outcome(() => env().run(acts.commitStep, step('tester', 'TEST.md')));
  seen.roCodex = await outcome(() => env().run(host.codexCall, codex));
  seen.roReport = await outcome(() => writeFileAtomic(report, 'the new report\n'));
  seen.reportAfterRo = readFileSync(report, 'utf8');
  seen.remoteAfterRo = execFileSync('git', ['-C', remote, 'rev-list', '--count', placement.branch], {
    encoding: 'utf8',
  }).trim();
  seen.codexCalls = codexCalls;
  seen.lockLeft = existsSync(path.join(ws, '.git', 'index.lock'));
  console.log(JSON.stringify(seen));
}

main().catch((err: unknown) => {
  process.stderr.write(`disk-faults scenario: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(2);
});

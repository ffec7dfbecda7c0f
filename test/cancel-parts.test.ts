/**
 * The parts of cancel that need no server: the reaper that kills what a cancelled Codex call left in its workspace
 * (real processes), and the `npm run cancel` arguments.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { reapWorkspaceProcesses, workspaceProcesses } from '../src/activities/codex/reap';
import { parseCancelArgs } from '../src/cli/cancel';
import { ConfigError } from '../src/shared/errors';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cancel-parts-'));
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) c.kill('SIGKILL');
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A shell in `cwd` that starts a grandchild which leaves for another directory: both belong to the call. */
function startTree(cwd: string): ChildProcess {
  const child = spawn('sh', ['-c', 'sleep 60 & (cd / && exec sleep 61) & wait'], { cwd, stdio: 'ignore' });
  children.push(child);
  return child;
}

const alive = (pid: number) => {
  try {
    const state = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    return state !== 'Z';
  } catch {
    return false;
  }
};

async function until(probe: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('reapWorkspaceProcesses (Linux /proc)', { skip: process.platform !== 'linux' }, () => {
  it('kills the processes run in the workspace and what they started, not others nor the root', async () => {
    const ws = path.join(tmp, 'ws');
    const other = path.join(tmp, 'other');
    for (const d of [ws, other]) fs.mkdirSync(d);
    const mine = startTree(ws);
    const theirs = startTree(other);
    // The subshell is counted before it has exec'd `sleep 61`: wait for the exec, not only for three processes.
    await until(() => workspaceProcesses(process.pid, ws).some((p) => p.command === 'sleep 61'));
    const found = workspaceProcesses(process.pid, ws);
    assert.ok(
      found.some((p) => p.command === 'sleep 61'),
      'the one that left the workspace counts too',
    );
    assert.ok(!found.some((p) => p.pid === process.pid));

    const killed = await reapWorkspaceProcesses(process.pid, ws, { quietMs: 200 });
    assert.deepEqual(killed.map((p) => p.pid).sort(), found.map((p) => p.pid).sort());
    await until(() => found.every((p) => !alive(p.pid)));
    assert.ok(theirs.pid !== undefined && alive(theirs.pid), 'a process in another directory lives on');
    assert.equal(mine.pid !== undefined && alive(mine.pid), false);
    await until(() => workspaceProcesses(process.pid, other).some((p) => p.command === 'sleep 61'));
  });

  it('finds nothing without a root process', async () => {
    assert.deepEqual(await reapWorkspaceProcesses(undefined, tmp), []);
  });
});

describe('npm run cancel arguments', () => {
  it('takes a workflow id, a reason, and waits unless told not to', () => {
    assert.deepEqual(parseCancelArgs(['wf-1']), { workflowId: 'wf-1', reason: undefined, wait: true });
    assert.deepEqual(parseCancelArgs(['wf-1', '--reason', 'wrong task', '--no-wait']), {
      workflowId: 'wf-1',
      reason: 'wrong task',
      wait: false,
    });
    assert.equal(parseCancelArgs(['--wait', 'wf-1']).wait, true);
    // The last of --wait and --no-wait counts, as with any commander flag and its negation.
    assert.equal(parseCancelArgs(['wf-1', '--wait', '--no-wait']).wait, false);
  });

  it('refuses what it cannot mean, with the usage', () => {
    for (const argv of [[], ['a', 'b'], ['wf', '--reason', ' '], ['wf', '--bogus']]) {
      assert.throws(
        () => parseCancelArgs(argv),
        (e: unknown) => e instanceof ConfigError && /Usage: durable-codex-agents cancel/.test(e.message),
        argv.join(' '),
      );
    }
  });
});

/**
 * A worker SIGKILLed (with its process group) in the middle of a verification round, on real parts: the sandbox and
 * everything in it (the backend, the test script) die with it, a new worker retries the round and the run ends
 * green; no process is left behind in the workspace, and no model or Codex call that had completed ran again.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadTeam } from '../src/cli/team-file';
import { startLocalStack, type LocalStack } from '../src/runtime/local-stack';
import { startRun } from '../src/runtime/runs';
import type { Team } from '../src/shared/team';
import {
  CRASH_TUNING,
  WorkerFleet,
  describeRedo,
  killAt,
  outcomeOf,
  processesWith,
  timeline,
  waitFor,
} from './helpers/crash';

let stack: LocalStack;
let fleet: WorkerFleet;

before(async () => {
  stack = await startLocalStack({ inProcessWorker: false });
  fleet = new WorkerFleet(stack);
});
after(async () => {
  await fleet?.stopAll();
  await stack?.stop();
});

describe('a worker killed during verification', () => {
  it('resumes the round on a new worker, leaves no process behind and redoes no finished step', async () => {
    const marker = `verify-crash-${randomUUID()}`;
    const cookbook = (await loadTeam('cookbook')).team;
    // A slow check, so the kill lands while the backend and the script run; the marker finds them in /proc.
    const team: Team = {
      ...cookbook,
      roles: cookbook.roles.map((r) =>
        r.verify ? { ...r, verify: { ...r.verify, command: `sleep 3; bash tests/test.sh # ${marker}` } } : r,
      ),
    };
    const task = await readFile(path.join(__dirname, '..', 'tasks', 'bug-busters.md'), 'utf8');
    await fleet.start();
    const id = `e2e-verify-crash-${Date.now()}`;
    const handle = await startRun(stack.client, {
      kind: 'team',
      input: { team, task, tuning: CRASH_TUNING },
      workflowId: id,
      taskQueue: stack.taskQueue,
    });
    const kill = await killAt(stack, fleet, handle, {
      // The kill point logs what the run did when it is not reached (a failed run never reaches it).
      name: 'mid-verification',
      description: 'the check command running in the sandbox, the backend up',
      when: () => processesWith(marker).length > 0,
      options: { timeoutMs: 60_000 },
    }).catch(async (err: unknown) => {
      const desc = await handle.describe();
      const h = await handle.fetchHistory();
      writeFileSync(path.join(stack.dir, 'kill-point-missed.log'), `${fleet.logs()}\n${h.events?.length} events`);
      throw new Error(`${String(err)}; run ${desc.status.name}; ${h.events?.length} events`);
    });
    assert.ok(kill, 'the kill point was reached');
    // The sandbox died with the worker: nothing of the round is left running.
    await waitFor('the killed round to be gone', () => processesWith(marker).length === 0 || undefined, 10_000);

    const outcome = await outcomeOf(stack, handle, [kill.at], 180_000);
    assert.equal(outcome.ok, true, `${outcome.error}\n${timeline(outcome.history)}`);
    const ws = outcome.result?.workspace ?? '';
    assert.deepEqual(processesWith(marker), [], 'no check left running');
    assert.deepEqual(processesWith(ws), [], 'no process left in the workspace (the backend included)');
    assert.deepEqual(outcome.missingFiles, []);
    assert.deepEqual(outcome.redo.redone, [], describeRedo(outcome.redo));
    assert.deepEqual(outcome.redo.excessive, [], describeRedo(outcome.redo));

    const rounds = outcome.history.activities.filter((a) => a.type === 'runVerification');
    assert.equal(rounds.length, 1, 'one round: the killed attempt was retried, not a new round');
    assert.equal(rounds[0]?.status, 'completed');
    assert.ok((rounds[0]?.attempt ?? 0) >= 2, 'the round ran again on the new worker');
    const tester = outcome.result?.state.steps.find((s) => s.role === 'tester');
    assert.deepEqual(
      tester?.verification?.rounds.map((r) => [r.round, r.passed]),
      [[1, true]],
    );
  });
});

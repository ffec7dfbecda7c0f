/**
 * Other parts fail while a multi-agent run is in progress, on real parts: the Temporal dev server restarts (same
 * SQLite file) under a running worker (`src/cli/main.ts worker` as a child process), and the worker's `codex mcp-server`
 * process is killed mid-call (the worker lives on). Each run completes with every deliverable and redoes no
 * finished call; a Codex thread lost with its process is continued in a new thread.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startLocalStack, type LocalStack } from '../src/runtime/local-stack';
import { startRun } from '../src/runtime/runs';
import {
  CRASH_TUNING,
  WorkerFleet,
  codexChildren,
  codexInFlightAfter,
  describeRedo,
  inFlight,
  isAlive,
  outcomeOf,
  resetSticky,
  stepStatus,
  timeline,
  waitFor,
  waitForPoint,
  type KillPoint,
} from './helpers/crash';

let stack: LocalStack;
let fleet: WorkerFleet;
let taskList: string;

before(async () => {
  taskList = await readFile(path.join(__dirname, '..', 'tasks', 'bug-busters.md'), 'utf8');
  stack = await startLocalStack({ inProcessWorker: false, scripted: { latency: { agentMs: 400, codexMs: 150 } } });
  // The real entrypoint this time: `node --import tsx src/cli/main.ts worker`.
  fleet = new WorkerFleet(stack, { entry: 'worker' });
  await fleet.start();
});
after(async () => {
  await fleet?.stopAll();
  await stack?.stop();
});

async function start(workflowId: string) {
  return startRun(stack.client, {
    kind: 'multi',
    input: { taskList, tuning: CRASH_TUNING },
    workflowId,
    taskQueue: stack.taskQueue,
  });
}

describe('the Temporal server restarts mid-run', { timeout: 180_000 }, () => {
  it('completes the run, on the same worker, with every deliverable and no finished call redone', async (t) => {
    const handle = await start(`restart-server-${Date.now()}`);
    const points: KillPoint[] = [
      {
        name: 'pm-codex-mid-call',
        description: "mid way through the PM's Codex call",
        when: (o) => codexInFlightAfter(o, 'project_manager', /^apply_patch/),
      },
      {
        name: 'parallel-branches',
        description: 'both branches in their first model turn',
        when: (o) => inFlight(o, 'agent', 'frontend').length > 0 && inFlight(o, 'agent', 'backend').length > 0,
      },
    ];
    const restarts: number[] = [];
    for (const point of points) {
      const flying = await waitForPoint(stack, handle, point);
      const oldPid = stack.server.pid;
      const at = Date.now();
      await stack.restartServer();
      restarts.push(at);
      assert.notEqual(stack.server.pid, oldPid, 'a new server process');
      t.diagnostic(`${point.name}: server restarted in ${Date.now() - at} ms; in flight: ${flying?.join('; ')}`);
    }
    const o = await outcomeOf(stack, handle, restarts);
    t.diagnostic(describeRedo(o.redo));
    if (!o.ok) t.diagnostic(timeline(o.history));
    assert.equal(o.ok, true, o.error);
    assert.deepEqual(o.missingFiles, []);
    assert.deepEqual(o.redo.redone, [], 'no call whose activity had completed ran again');
    assert.deepEqual(o.redo.excessive, []);
    assert.equal(o.history.activities.filter((a) => a.type === 'modelTurn').length, 10);
    assert.equal(o.history.activities.filter((a) => a.type === 'codexCall').length, 5);
    assert.equal(fleet.all.length, 1, 'the worker rode through both restarts');
    assert.equal(fleet.current?.child.exitCode, null);
  });
});

describe("the worker's codex mcp-server process dies mid-call", { timeout: 180_000 }, () => {
  it('fails the Codex activity, retries it on a new codex process, and continues a lost thread', async (t) => {
    const workflowId = `codex-loss-${Date.now()}`;
    // Backend's first Codex call skips server.js, so its gate asks again through codex-reply.
    stack.scripted.setFaults([
      { run: workflowId, kind: 'codex', role: 'backend', times: 1, effect: 'omit-deliverable' },
    ]);
    const worker = fleet.current!;
    const handle = await start(workflowId);
    const points: KillPoint[] = [
      {
        name: 'pm-codex-mid-call',
        description: "mid way through the PM's Codex call",
        when: (o) => codexInFlightAfter(o, 'project_manager', /^apply_patch/),
      },
      {
        name: 'backend-codex-reply',
        description: "during the Backend's codex-reply (the re-request of server.js)",
        needs: { progress: true },
        when: (o) =>
          (stepStatus(o, 'backend')?.codexCalls.length ?? 0) >= 2 && inFlight(o, 'codex', 'backend').length > 0,
      },
    ];
    const kills: number[] = [];
    const killed: number[] = [];
    for (const point of points) {
      const flying = await waitForPoint(stack, handle, point);
      const codex = codexChildren(worker.pid);
      assert.equal(codex.length, 1, 'one codex process under the worker');
      kills.push(Date.now());
      process.kill(codex[0]!.pid, 'SIGKILL');
      killed.push(codex[0]!.pid);
      await waitFor('codex to be gone', () => !isAlive(codex[0]!.pid) || undefined, 5_000);
      t.diagnostic(`${point.name}: killed codex ${codex[0]!.pid}; in flight: ${flying?.join('; ')}`);
    }
    const o = await outcomeOf(stack, handle, kills);
    stack.scripted.setFaults([]);
    t.diagnostic(describeRedo(o.redo));
    if (!o.ok) t.diagnostic(timeline(o.history));
    assert.equal(o.ok, true, o.error);
    assert.deepEqual(o.missingFiles, []);
    assert.deepEqual(o.redo.redone, []);
    assert.deepEqual(o.redo.excessive, []);
    assert.equal(fleet.current, worker, 'the same worker ran the whole run');
    assert.equal(worker.child.exitCode, null);
    assert.ok(
      codexChildren(worker.pid).every((p) => !killed.includes(p.pid)),
      'the worker runs a new codex process',
    );

    const pmCodex = o.history.activities.find((a) => a.summary === 'Project Manager: Codex call 1');
    assert.ok((pmCodex?.attempt ?? 0) >= 2, 'the Codex call was retried');
    assert.match(
      pmCodex?.lastFailure ?? '',
      /TransientServiceError: The Codex process \(pid \d+\) exited during the call/,
    );

    const backend = o.result?.state.steps.find((s) => s.role === 'backend');
    const [first, reply] = backend?.codexCalls ?? [];
    assert.equal(backend?.attempts, 2);
    assert.equal(reply?.tool, 'codex-reply');
    assert.ok(first?.threadId);
    assert.equal(reply?.continuedFromThreadId, first.threadId, 'the lost thread was continued in a new one');
    assert.notEqual(reply?.threadId, first.threadId);
    const replyActivity = o.history.activities.find((a) => a.summary === 'Backend Developer: Codex call 2');
    assert.ok((replyActivity?.attempt ?? 0) >= 2, 'the codex-reply was retried');
  });
});

describe('the worker alone is SIGKILLed (as an OOM killer would), not its process group', { timeout: 120_000 }, () => {
  it('leaves no codex process behind, and a new worker finishes the run', async (t) => {
    const workflowId = `worker-only-${Date.now()}`;
    const handle = await startRun(stack.client, {
      kind: 'single',
      input: { tuning: CRASH_TUNING },
      workflowId,
      taskQueue: stack.taskQueue,
    });
    await waitForPoint(stack, handle, {
      name: 'game-developer-codex-mid-call',
      description: "mid way through the Game Developer's Codex call",
      when: (o) => codexInFlightAfter(o, 'game_developer', /^apply_patch/),
    });
    const report = await fleet.kill({ workerOnly: true });
    assert.equal(report.codexPids.length, 1);
    const codexPid = report.codexPids[0]!;
    // Its stdin closed with the worker: codex mcp-server exits by itself.
    const killedAt = Date.now();
    await waitFor('the orphaned codex to exit', () => !isAlive(codexPid) || undefined, 10_000);
    t.diagnostic(`codex ${codexPid} exited ${Date.now() - killedAt} ms after its worker was killed`);
    await resetSticky(stack, workflowId);
    await fleet.start();
    const o = await outcomeOf(stack, handle, [killedAt]);
    assert.equal(o.ok, true, o.error);
    assert.deepEqual(o.missingFiles, []);
    assert.deepEqual(o.redo.redone, []);
    const call = o.history.activities.find((a) => a.summary === 'Game Developer: Codex call 1');
    assert.ok((call?.attempt ?? 0) >= 2, 'the Codex call was retried by the new worker');
  });
});

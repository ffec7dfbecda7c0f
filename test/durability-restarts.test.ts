/**
 * Other parts fail while a multi-agent run is in progress, on real parts: the Temporal dev server restarts (same
 * SQLite file) under a running worker, and the worker's `codex mcp-server` process is killed mid-call (the worker
 * lives on; `src/cli/main.ts worker` as a child process). Each run completes with every deliverable and redoes no
 * finished call; a Codex thread lost with its process is continued in a new thread.
 *
 * The restarts prove the fault matrix's server-restart column (README, reliability): they land in each kind of
 * activity (a model turn, a Codex call, and, held by the worker so that the restart lands inside, a gate and a commit
 * at once, a verification round), and one while the report is written from the history; the printed column labels
 * each restart by the kinds of activity open then.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startLocalStack, type LocalStack } from '../src/runtime/local-stack';
import { finishRun, startRun } from '../src/runtime/runs';
import { COOKBOOK_ROLES } from '../src/shared/builtin-teams';
import {
  CRASH_TUNING,
  WorkerFleet,
  codexChildren,
  codexInFlightAfter,
  describeRedo,
  holdEnv,
  holdPoint,
  inFlight,
  isAlive,
  outcomeOf,
  releaseHold,
  resetSticky,
  stepStatus,
  timeline,
  waitFor,
  waitForPoint,
  type KillPoint,
} from './helpers/crash';
import { assertReportWhole, kindsOpenAt, matrixColumn } from './helpers/fault-matrix';

let stack: LocalStack;
let fleet: WorkerFleet;
/**
 * The server-restart test's own worker (the same as the CLI's, createAgentWorker), which holds the Backend's gate, the
 * Frontend's commit and the verification round until released, so that a restart lands inside them (they take
 * milliseconds). The two branches run in parallel: one restart finds both the gate and the commit open.
 */
let restartFleet: WorkerFleet;
let holds: string;
let taskList: string;

before(async () => {
  taskList = await readFile(path.join(__dirname, '..', 'tasks', 'bug-busters.md'), 'utf8');
  stack = await startLocalStack({ inProcessWorker: false, scripted: { latency: { agentMs: 400, codexMs: 150 } } });
  // The real entrypoint this time: `node --import tsx src/cli/main.ts worker`.
  fleet = new WorkerFleet(stack, { entry: 'worker' });
  holds = path.join(stack.dir, 'holds');
  mkdirSync(holds);
  restartFleet = new WorkerFleet(stack, {
    noSpare: true,
    env: {
      TASK_QUEUE: `${stack.taskQueue}-restart`,
      ...holdEnv(holds, ['checkDeliverables:backend/', '+checkDeliverables:"role":"frontend"', 'runVerification']),
    },
  });
  await Promise.all([fleet.start(), restartFleet.start()]);
});
after(async () => {
  await Promise.all([fleet, restartFleet].map((f) => f?.stopAll()));
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

describe('the Temporal server restarts mid-run', { timeout: 240_000 }, () => {
  it('completes the run, on the same worker, with every deliverable, no finished call redone, the report whole', async (t) => {
    const workflowId = `restart-server-${Date.now()}`;
    const taskQueue = `${stack.taskQueue}-restart`;
    const worker = restartFleet.current!;
    const handle = await startRun(stack.client, {
      kind: 'multi',
      input: { taskList, tuning: CRASH_TUNING },
      workflowId,
      taskQueue,
    });
    const gate = holdPoint(holds, 'checkDeliverables', 'gate', '');
    // The Frontend's gate after it committed and pushed its step (patch 'step-end-folded'), before Temporal knows.
    const commit = holdPoint(holds, 'checkDeliverables+', 'commit', '');
    const points: { point: KillPoint; release?: () => void }[] = [
      {
        point: {
          name: 'pm-codex-mid-call',
          description: "mid way through the PM's Codex call",
          when: (o) => codexInFlightAfter(o, 'project_manager', /^apply_patch/),
        },
      },
      {
        point: {
          name: 'parallel-branches',
          description: 'both branches in their first model turn',
          when: (o) => inFlight(o, 'agent', 'frontend').length > 0 && inFlight(o, 'agent', 'backend').length > 0,
        },
      },
      {
        point: {
          name: 'gate-and-commit-held',
          description: "inside the Backend's gate, and the Frontend's gate after it committed and pushed",
          when: (o) => gate.when(o) && commit.when(o),
        },
        release: () => ['checkDeliverables', 'checkDeliverables+'].forEach((type) => releaseHold(holds, type)),
      },
      {
        point: holdPoint(holds, 'runVerification', 'verification-held', "inside the Tester's verification round"),
        release: () => releaseHold(holds, 'runVerification'),
      },
    ];
    const restarts: { name: string; at: number }[] = [];
    for (const { point, release } of points) {
      const flying = await waitForPoint(stack, handle, point);
      const oldPid = stack.server.pid;
      const at = Date.now();
      await stack.restartServer();
      restarts.push({ name: point.name, at });
      release?.();
      assert.notEqual(stack.server.pid, oldPid, 'a new server process');
      t.diagnostic(`${point.name}: server restarted in ${Date.now() - at} ms; in flight: ${flying?.join('; ')}`);
    }
    const o = await outcomeOf(
      stack,
      handle,
      restarts.map((r) => r.at),
    );
    t.diagnostic(describeRedo(o.redo));
    if (!o.ok) t.diagnostic(timeline(o.history));
    assert.equal(o.ok, true, o.error);
    assert.deepEqual(o.missingFiles, []);
    assert.deepEqual(o.redo.redone, [], 'no call whose activity had completed ran again');
    assert.deepEqual(o.redo.excessive, []);
    const count = (type: string) => o.history.activities.filter((a) => a.type === type).length;
    assert.deepEqual(
      ['checkDeliverables', 'commitStep', 'runVerification', 'listWorkspace'].map((type) => [type, count(type)]),
      [
        ['checkDeliverables', 5],
        ['commitStep', 0],
        ['runVerification', 1],
        ['listWorkspace', 0],
      ],
      "no extra gate or round was scheduled; the gates committed the steps, the Tester's checks listed the run's files",
    );
    assert.equal(count('modelTurn'), 10);
    assert.equal(count('codexCall'), 5);
    assert.ok(
      o.result?.state.steps.every((s) => s.status === 'done' && s.commit),
      'every step done and committed',
    );
    assert.equal(restartFleet.all.length, 1, 'the worker rode through every restart');
    assert.equal(worker.child.exitCode, null);

    // The report, written from the history by the client while the server restarts once more.
    const oldPid = stack.server.pid;
    const restarting = stack.restartServer();
    let up = false;
    void restarting.then(() => (up = true));
    await waitFor('the old server to be gone', () => !isAlive(oldPid) || undefined, 30_000);
    const at = Date.now();
    const writing = finishRun(stack.client.workflow.getHandle(workflowId));
    assert.equal(up, false, 'the report is written while the server is down');
    const [report] = await Promise.all([writing, restarting]);
    restarts.push({ name: 'report-written', at });
    assertReportWhole(report, COOKBOOK_ROLES);

    const hits = restarts.map((r) => ({
      label: r.name,
      kinds: r.name === 'report-written' ? ['report' as const] : kindsOpenAt(o.history, r.at),
    }));
    for (const line of matrixColumn('Temporal server restart', hits)) t.diagnostic(line);
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

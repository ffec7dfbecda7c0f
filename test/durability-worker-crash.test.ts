/**
 * Worker crashes on real parts: the worker runs as a child process (the pipeline's worker, createAgentWorker, warmed
 * up in standby by test/helpers/crash-worker.ts) against the real Temporal dev server, drives the real Codex binary,
 * and is SIGKILLed with its process group (worker and codex) at 17 chosen points of three multi-agent runs; a new
 * worker finishes each run. The scripted model's request log and the history prove that no model call or Codex call
 * whose activity had completed ran again (a call in flight at the kill may run once more). The three runs go at the
 * same time, each on its own task queue with its own workers.
 *
 * It also proves the fault matrix's worker-SIGKILL column (README, reliability): every kill is labelled by the kinds of
 * activity open at that instant, and every kind is hit at least once. A gate, a commit, a verification round and the
 * run's last listing (what the report is built from) take milliseconds: the workers hold the first of each (see
 * holdPoint) so that a kill lands inside it. After the run the report is written, whole.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { stepCommitOf } from '../src/report/history';
import { startLocalStack, type LocalStack } from '../src/runtime/local-stack';
import { finishRun } from '../src/runtime/runs';
import { COOKBOOK_ROLES } from '../src/shared/builtin-teams';
import type { StepCommit } from '../src/shared/placement';
import {
  CRASH_TUNING,
  WorkerFleet,
  codexInFlightAfter,
  describeRedo,
  holdEnv,
  holdPoint,
  inFlight,
  isAlive,
  runWithKills,
  stepStatus,
  timeline,
  type CrashRunOutcome,
  type KillPoint,
} from './helpers/crash';
import { assertReportWhole, kindsOpenAt, matrixColumn, type MatrixHit } from './helpers/fault-matrix';

let stack: LocalStack;
let taskList: string;
const fleets: WorkerFleet[] = [];
const stamp = Date.now();
const ids = { a: `crash-a-${stamp}`, b: `crash-b-${stamp}`, c: `crash-c-${stamp}` };

before(async () => {
  taskList = await readFile(path.join(__dirname, '..', 'tasks', 'bug-busters.md'), 'utf8');
  // Latency keeps each call in flight long enough to be killed there.
  stack = await startLocalStack({ inProcessWorker: false, scripted: { latency: { agentMs: 400, codexMs: 150 } } });
  // All runs' faults at once (the runs go concurrently): each rule names its run.
  stack.scripted.setFaults([
    // Frontend's Codex is slower in run b, so Backend finishes first there.
    { run: ids.b, kind: 'codex', role: 'frontend', times: 'always', effect: { latencyMs: 400 } },
    // Run c: the Backend's first Codex call skips server.js, so its gate asks again (codex-reply).
    { run: ids.c, kind: 'codex', role: 'backend', times: 1, effect: 'omit-deliverable' },
  ]);
});
after(async () => {
  await Promise.all(fleets.map((f) => f.stopAll()));
  await stack?.stop();
});

const codexCallsInProgress = (o: Parameters<KillPoint['when']>[0], role: string) => {
  const mine = o.requests.filter((r) => r.kind === 'codex' && r.role === role);
  return mine.length > 0 && !mine.some((r) => r.completed && r.answer === 'message');
};

const POINTS: Record<string, KillPoint> = {
  pmModelTurn: {
    name: 'pm-model-turn',
    description: "during the Project Manager's first model turn",
    when: (o) => inFlight(o, 'agent', 'project_manager').length > 0,
  },
  pmCodexMidCall: {
    name: 'pm-codex-mid-call',
    description: "mid Codex call: the PM's first file written, Codex's next model request in flight",
    when: (o) => codexInFlightAfter(o, 'project_manager', /^apply_patch/),
  },
  pmGatePassed: {
    name: 'between-steps',
    description: "right after the PM's gate passed, at the handoff to the Designer",
    needs: { history: true },
    when: (o) => (o.history?.activities ?? []).some((a) => a.type === 'checkDeliverables' && a.status === 'completed'),
  },
  designerCodexEnd: {
    name: 'designer-codex-after-command',
    description: "Designer's Codex call after its check command ran, the last model request in flight",
    when: (o) => codexInFlightAfter(o, 'designer', /^exec_command/),
  },
  parallelCodex: {
    name: 'parallel-codex-calls',
    description: 'both branches (Frontend and Backend) in the middle of their Codex calls',
    when: (o) => codexCallsInProgress(o, 'frontend') && codexCallsInProgress(o, 'backend'),
  },
  testerFinalTurn: {
    name: 'tester-final-turn',
    description: "during the Tester's last model turn (after its Codex call)",
    when: (o) => inFlight(o, 'agent', 'tester').some((r) => r.turn >= 2),
  },
  parallelModelTurns: {
    name: 'parallel-model-turns',
    description: 'both branches in their first model turn',
    when: (o) => inFlight(o, 'agent', 'frontend').length > 0 && inFlight(o, 'agent', 'backend').length > 0,
  },
  oneBranchDone: {
    name: 'one-branch-done',
    description: 'Backend done, Frontend still in its Codex call',
    needs: { progress: true },
    when: (o) => stepStatus(o, 'backend')?.status === 'done' && codexCallsInProgress(o, 'frontend'),
  },
  testerCodexStart: {
    name: 'tester-codex-first-request',
    description: "at the start of the Tester's Codex call",
    when: (o) => inFlight(o, 'codex', 'tester').length > 0,
  },
  doubleKill: {
    name: 'replacement-killed',
    description: "Tester's first model turn in flight; the replacement worker is killed too as soon as it polls",
    when: (o) => inFlight(o, 'agent', 'tester').some((r) => r.turn === 1),
    options: { killReplacement: true },
  },
  reaskAfterGate: {
    name: 'gate-reask',
    description: "Backend's gate found server.js missing; the re-request model turn in flight",
    needs: { progress: true },
    when: (o) => (stepStatus(o, 'backend')?.attempts ?? 0) >= 2 && inFlight(o, 'agent', 'backend').length > 0,
  },
  codexReplyLost: {
    name: 'codex-reply-thread-lost',
    description: "during the Backend's codex-reply (its thread dies with the codex process)",
    needs: { progress: true },
    when: (o) => (stepStatus(o, 'backend')?.codexCalls.length ?? 0) >= 2 && inFlight(o, 'codex', 'backend').length > 0,
  },
  noStickyReset: {
    name: 'pm-model-turn-no-sticky-reset',
    description: "during the PM's first model turn, recovering without any help from the harness",
    when: (o) => inFlight(o, 'agent', 'project_manager').length > 0,
    options: { resetSticky: false },
  },
};

/** Where a run's workers claim and release their holds. */
const holdDir = (workflowId: string) => path.join(stack.dir, `holds-${workflowId}`);

/** Points inside the first activity of a kind that takes milliseconds, held by the run's workers (see holdPoint). */
const HELD = {
  gate: (id: string) =>
    holdPoint(holdDir(id), 'checkDeliverables', 'gate-held', "inside the Project Manager's gate (checkDeliverables)"),
  // A gate commits and pushes its step once it passed (patch 'step-end-folded'): held after that, before Temporal knows.
  commit: (id: string) =>
    holdPoint(
      holdDir(id),
      'checkDeliverables+',
      'commit-held',
      "after the Designer's gate committed and pushed its step, before its completion reached Temporal",
    ),
  verification: (id: string) =>
    holdPoint(holdDir(id), 'runVerification', 'verification-held', "inside the Tester's verification round"),
  // The last role's checks list the run's files once they pass (patch 'verify-lists'): held after that listing.
  report: (id: string) =>
    holdPoint(
      holdDir(id),
      'runVerification+',
      'report-listing-held',
      "after the Tester's passing checks listed the run's files for the report, before Temporal knew",
    ),
};

const counts = (o: CrashRunOutcome, type: string) => o.history.activities.filter((a) => a.type === type).length;

/** The matrix's SIGKILL column: every kill of every run, by the kinds of activity it hit. */
const hits: MatrixHit[] = [];
function recordHits(o: CrashRunOutcome) {
  const run = o.workflowId.split('-')[1];
  for (const k of o.kills) hits.push({ label: `${run}:${k.point}`, kinds: kindsOpenAt(o.history, k.at) });
}

/** A held activity was killed and ran again on a new worker: one activity, a second attempt, nothing scheduled twice. */
function assertHeldRetried(o: CrashRunOutcome, type: string, expected: number) {
  const acts = o.history.activities.filter((a) => a.type === type);
  assert.equal(acts.length, expected, `no extra ${type} was scheduled`);
  assert.ok(
    acts.some((a) => a.status === 'completed' && a.attempt >= 2 && /heartbeat/i.test(a.lastFailure ?? '')),
    `the killed ${type} ran again after its heartbeat timeout`,
  );
}

function assertRecovered(t: TestContext, o: CrashRunOutcome, expected: { modelTurns: number; codexCalls: number }) {
  for (const k of o.kills) {
    t.diagnostic(
      `${k.point}: killed worker with codex ${k.codexPids.join(',') || '-'}; in flight: ${k.inFlight.join('; ') || 'none'}; ` +
        `new worker ready after ${k.restartMs} ms`,
    );
  }
  t.diagnostic(`${o.workflowId}: ${o.ok ? 'completed' : 'FAILED'} in ${o.durationMs} ms\n${describeRedo(o.redo)}`);
  if (process.env.CRASH_TIMELINE) t.diagnostic(timeline(o.history));
  if (!o.ok) {
    // The cause last, and no stack after it: CI shows only the tail of a failure.
    const failure = new Error(`${timeline(o.history)}\n${o.workflowId} did not complete: ${o.error}`);
    failure.stack = failure.message;
    throw failure;
  }
  assert.deepEqual(o.missed, [], 'every kill point was reached before the run ended');
  assert.deepEqual(o.missingFiles, [], 'every deliverable is on disk');
  for (const k of o.kills) for (const pid of k.codexPids) assert.equal(isAlive(pid), false, `codex ${pid} is gone`);
  assert.deepEqual(o.redo.redone, [], 'no call whose activity had completed ran again');
  assert.deepEqual(o.redo.excessive, [], 'a call in flight at a kill ran at most once more per kill');
  assert.equal(counts(o, 'modelTurn'), expected.modelTurns, 'no extra model turns were scheduled');
  assert.equal(counts(o, 'codexCall'), expected.codexCalls, 'no extra Codex calls were scheduled');
  assert.ok(
    o.result?.state.steps.every((s) => s.status === 'done'),
    'every step is done',
  );
}

/** One scenario on its own task queue and worker fleet, so the scenarios can run at the same time. */
async function crashRun(workflowId: string, points: KillPoint[], holds: string[] = []) {
  const taskQueue = `${stack.taskQueue}-${workflowId}`;
  mkdirSync(holdDir(workflowId));
  const fleet = new WorkerFleet(stack, { env: { TASK_QUEUE: taskQueue, ...holdEnv(holdDir(workflowId), holds) } });
  fleets.push(fleet);
  return runWithKills(stack, fleet, { workflowId, taskQueue, input: { taskList, tuning: CRASH_TUNING }, points });
}

describe(
  'the worker is SIGKILLed mid-run and a new worker finishes the run, redoing no finished call',
  { concurrency: 3, timeout: 300_000 },
  () => {
    it("kills during model turns, mid Codex call, at a handoff, in the parallel branches, and once the Tester's checks listed the run's files", async (t) => {
      const o = await crashRun(
        ids.a,
        [
          POINTS.pmModelTurn!,
          POINTS.pmCodexMidCall!,
          POINTS.pmGatePassed!,
          POINTS.designerCodexEnd!,
          POINTS.parallelCodex!,
          POINTS.testerFinalTurn!,
          HELD.report(ids.a),
        ],
        ['+runVerification'],
      );
      assertRecovered(t, o, { modelTurns: 10, codexCalls: 5 });
      // The checks killed after their listing ran again, and listed again: no listing activity of its own.
      assertHeldRetried(o, 'runVerification', 1);
      assert.equal(counts(o, 'listWorkspace'), 0, "the run's files came with its last checks");
      // Between steps and in a held activity no model or Codex call is in flight.
      for (const k of o.kills.filter((k) => k.point !== 'between-steps' && !k.point.endsWith('-held'))) {
        assert.ok(k.inFlight.length > 0, `${k.point}: a call was in flight at the kill`);
      }
      for (const k of o.kills.filter((k) => /codex/.test(k.point))) {
        assert.ok(k.codexPids.length > 0, `${k.point}: the worker's codex process was killed with it`);
      }
      // The Codex calls killed mid-way were retried: the history shows a second attempt after a heartbeat timeout.
      const pmCodex = o.history.activities.find((a) => a.summary === 'Project Manager: Codex call 1');
      assert.ok((pmCodex?.attempt ?? 0) >= 2, 'the PM Codex call ran a second attempt');
      assert.match(pmCodex?.lastFailure ?? '', /heartbeat/i);
      recordHits(o);
    });

    it('kills in the parallel model turns, with one branch done, at the Tester, in its verification, and kills the replacement too', async (t) => {
      const o = await crashRun(
        ids.b,
        [
          POINTS.parallelModelTurns!,
          POINTS.oneBranchDone!,
          POINTS.doubleKill!,
          POINTS.testerCodexStart!,
          HELD.verification(ids.b),
        ],
        ['runVerification'],
      );
      assertRecovered(t, o, { modelTurns: 10, codexCalls: 5 });
      assertHeldRetried(o, 'runVerification', 1);
      // The report, written after the run from its history, is whole.
      assertReportWhole(await finishRun(stack.client.workflow.getHandle(ids.b)), COOKBOOK_ROLES);
      // A held activity is no model or Codex call.
      for (const k of o.kills.filter((k) => k.point !== 'one-branch-done' && !k.point.endsWith('-held'))) {
        assert.ok(k.inFlight.length > 0, `${k.point}: a call was in flight at the kill`);
      }
      recordHits(o);
    });

    it('kills in a gate, in a commit, at a gate re-request and during codex-reply: the lost Codex thread continues in a new thread', async (t) => {
      const o = await crashRun(
        ids.c,
        [POINTS.noStickyReset!, HELD.gate(ids.c), HELD.commit(ids.c), POINTS.reaskAfterGate!, POINTS.codexReplyLost!],
        ['checkDeliverables', '+checkDeliverables'],
      );
      assertRecovered(t, o, { modelTurns: 12, codexCalls: 6 });
      assertHeldRetried(o, 'checkDeliverables', 6);
      assert.equal(counts(o, 'commitStep'), 0, 'every step was committed by its gate');
      // The gate retried after its push committed nothing twice: the steps' commits follow each other on the branch.
      const commits = o.history.activities
        .map((a) => (stepCommitOf(a)?.result as StepCommit | undefined)?.commits)
        .filter((n) => n !== undefined)
        .sort((a, b) => a - b);
      assert.equal(commits.length, 5, 'five steps committed');
      assert.deepEqual(
        commits,
        commits.map((_, i) => commits[0]! + i),
        'one commit per step, none twice',
      );
      const backend = o.result?.state.steps.find((s) => s.role === 'backend');
      assert.equal(backend?.attempts, 2);
      const [first, reply] = backend?.codexCalls ?? [];
      assert.equal(reply?.tool, 'codex-reply');
      assert.ok(first?.threadId && reply?.threadId);
      assert.equal(reply.continuedFromThreadId, first.threadId, 'the lost thread was continued in a new one');
      assert.notEqual(reply.threadId, first.threadId);
      recordHits(o);
    });
  },
);

describe('the fault matrix: the worker-SIGKILL column', () => {
  it('every kind of activity was hit by a kill, and its run completed with nothing lost or redone', (t) => {
    for (const line of matrixColumn('worker SIGKILL', hits, 'retried, completed')) t.diagnostic(line);
  });
});

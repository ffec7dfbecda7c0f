/**
 * The change team (teams/change.yaml) on a real project (idna 3.20 from PyPI, test/helpers/idna-repo.ts), three times
 * at once on one local repository, each run on its own task queue: undisturbed; with the worker SIGKILLed (process
 * group: worker and codex) while the Implementer's Codex call is in flight, a new worker on the same host and disk
 * taking over; and with the host lost (worker SIGKILLed, its disk wiped) while the Test Writer works, after the
 * Implementer's commit was pushed from there, a second host taking the run over: it clones the base and the run's
 * commits from the repository (the run's git remote) and finds the roles' conversations in the store beside the
 * hosts' shared WORKSPACE_REMOTE. All three branches end with the same content: the same tree, the same commits per
 * step (author and patch), no step that had finished before the disruption done again, and `main` byte-identical.
 * The disrupted Codex calls wait (a scripted `hang`, once) until the disruption, so its instant is chosen, not raced.
 *
 * Hosts are worker child processes, each in its own mount namespace with a private disk bind-mounted at one
 * WORKSPACE_ROOT path (as test/two-hosts.test.ts does): root only, skipped otherwise.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { checkRepo } from '../src/cli/repo';
import { loadTeam } from '../src/cli/team-file';
import { withDeclaredTestCommand } from '../src/activities/test-command';
import { readHistory, type WorkflowRecord } from '../src/report/history';
import { startLocalStack, type LocalStack } from '../src/runtime/local-stack';
import { describeFailure, startRun } from '../src/runtime/runs';
import { bundleWorkflows } from '../src/runtime/workflow-bundle';
import { progressQuery } from '../src/shared/progress';
import type { Team } from '../src/shared/team';
import type { ActivityTuning, RunResult, RunState } from '../src/shared/types';
import {
  CRASH_TUNING,
  WorkerProcess,
  codexInFlightAfter,
  isAlive,
  observe,
  onOwnDisk,
  resetSticky,
  stepStatus,
  timeline,
  waitFor,
} from './helpers/crash';
import { git, IDNA_TASK, IDNA_TEST_COMMAND, idnaRepo } from './helpers/idna-repo';

/** A lost host's pinned activities go elsewhere after 2 s. */
const HOST_TUNING: ActivityTuning = { ...CRASH_TUNING, hostScheduleToStartMs: 2_000 };

const canUnshare =
  process.getuid?.() === 0 && spawnSync('unshare', ['-m', '--propagation', 'private', 'true']).status === 0;

const stamp = Date.now();
const ids = { calm: `change-calm-${stamp}`, sigkill: `change-sigkill-${stamp}`, hostLoss: `change-hostloss-${stamp}` };

let stack: LocalStack;
let dir: string;
let bundlePath: string;
/** The one WORKSPACE_ROOT path of every host; each host's own disk is bind-mounted there in its namespace. */
let hostRoot: string;
let remote: string;
let repo: string;
let team: Team;
const workers: WorkerProcess[] = [];
/** The first worker of each disrupted run's host, spawned in before() to warm up; each polls after its go(). */
let hosts: { c: WorkerProcess; a: WorkerProcess };
const queues = { sigkill: '', hosts: '' };

before(async () => {
  if (!canUnshare) return;
  const bundle = await bundleWorkflows();
  // The undisturbed run goes on the stack's in-process worker.
  stack = await startLocalStack({ workflowBundle: bundle });
  bundlePath = path.join(stack.dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);
  hostRoot = path.join(stack.dir, 'host-root');
  mkdirSync(hostRoot);
  remote = path.join(stack.dir, 'remote.git');
  execFileSync('git', ['init', '--bare', '-q', remote]);
  dir = await mkdtemp(path.join(tmpdir(), 'dca-change-durability-'));
  ({ repo } = await idnaRepo(dir));
  team = withDeclaredTestCommand((await loadTeam('change')).team, IDNA_TASK);
  queues.sigkill = `${stack.taskQueue}-sigkill`;
  queues.hosts = `${stack.taskQueue}-hosts`;
  hosts = {
    c: hostWorker('host-c', queues.sigkill),
    a: hostWorker('host-a', queues.hosts),
  };
  // Each disrupted call waits (the scripted model does not answer) until the disruption: the instant is chosen, not
  // raced. Once only: the call made again afterwards is answered.
  stack.scripted.setFaults([
    // The Implementer's Codex call after writing idna/clamp.py: its next model request.
    { run: ids.sigkill, kind: 'codex', role: 'implementer', turn: 3, times: 1, effect: 'hang' },
    // The Test Writer's Codex call after writing its test: its final model request.
    { run: ids.hostLoss, kind: 'codex', role: 'test_writer', turn: 3, times: 1, effect: 'hang' },
  ]);
});
after(async () => {
  // The runs are over: SIGKILL to each worker's group, not a graceful stop that waits out its 10 s grace.
  await Promise.all(workers.map((w) => w.kill()));
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A worker of host `id` on `taskQueue`, warmed up in standby: its own disk at the shared root, its own CODEX_HOME. */
function hostWorker(id: string, taskQueue: string): WorkerProcess {
  const disk = path.join(stack.dir, `disk-${id}`);
  mkdirSync(disk, { recursive: true });
  const env = {
    ...stack.workerEnv(),
    TASK_QUEUE: taskQueue,
    WORKSPACE_ROOT: hostRoot,
    WORKER_HOST_ID: id,
    // Shared by the hosts: the roles' conversations are stored beside it (the runs push to the repository itself).
    WORKSPACE_REMOTE: remote,
    CODEX_HOME: path.join(stack.dir, `codex-home-${id}`),
    WORKFLOW_BUNDLE_PATH: bundlePath,
  };
  const w = new WorkerProcess(
    env,
    path.join(stack.dir, `worker-${id}-${workers.length}.log`),
    'standby',
    onOwnDisk(disk, hostRoot),
  );
  workers.push(w);
  return w;
}

const progress = (h: WorkflowHandle) => h.query(progressQuery).catch(() => undefined);
const branchOf = (id: string) => `runs/${id}`;

interface Outcome {
  id: string;
  result: RunResult;
  history: WorkflowRecord;
  /** The branch's commits when the run was disrupted (the steps finished by then), and what was running then. */
  atDisruption?: { at: number; commits: string[]; running: string[]; inFlight: string[] };
}

async function finish(h: WorkflowHandle): Promise<Pick<Outcome, 'result' | 'history'>> {
  try {
    const result = (await h.result()) as RunResult;
    return { result, history: readHistory(await h.fetchHistory()) };
  } catch (err) {
    // The cause last, and no stack after it: CI shows only the tail of a failure.
    const failure = new Error(
      `${timeline(readHistory(await h.fetchHistory()))}\n${h.workflowId} did not complete: ${describeFailure(err)}`,
    );
    failure.stack = failure.message;
    throw failure;
  }
}

async function start(id: string, taskQueue: string, tuning: ActivityTuning): Promise<WorkflowHandle> {
  const { spec } = await checkRepo({ repo }, id);
  return startRun(stack.client, {
    kind: 'team',
    input: { team, task: IDNA_TASK, repo: spec, tuning },
    workflowId: id,
    taskQueue,
  });
}

const commitsOn = (id: string) => {
  const out = git(repo, 'rev-list', '--reverse', `main..${branchOf(id)}`, '--');
  return out ? out.split('\n') : [];
};
const remoteCommits = (id: string) => {
  const has = git(repo, 'branch', '--list', branchOf(id));
  return has ? commitsOn(id) : [];
};

async function disruptionPoint(h: WorkflowHandle, inflight: string[]): Promise<NonNullable<Outcome['atDisruption']>> {
  const state = await progress(h);
  return {
    at: Date.now(),
    commits: remoteCommits(h.workflowId),
    running: (state?.steps ?? []).filter((s) => s.status === 'running').map((s) => s.role),
    inFlight: inflight,
  };
}

const flying = (o: Awaited<ReturnType<typeof observe>>) =>
  o.requests.filter((r) => r.durationMs === null).map((r) => `${r.kind} ${r.role ?? '?'} ${r.turn}`);

/** Undisturbed, on the stack's in-process worker. */
async function calmRun(): Promise<Outcome> {
  const h = await start(ids.calm, stack.taskQueue, CRASH_TUNING);
  return { id: ids.calm, ...(await finish(h)) };
}

/** The worker is SIGKILLed mid-way through the Implementer's Codex call; a new worker on the same host finishes. */
async function sigkillRun(t: TestContext): Promise<Outcome & { codexPids: number[] }> {
  const first = hosts.c;
  await first.go();
  // The replacement warms up meanwhile, on the same host (disk, CODEX_HOME), as a restarted service would.
  const replacement = hostWorker('host-c', queues.sigkill);
  const h = await start(ids.sigkill, queues.sigkill, CRASH_TUNING);
  const seen = await waitFor(
    "the Implementer's Codex call waiting after writing idna/clamp.py",
    async () => {
      const o = await observe(stack, h, ids.sigkill);
      return codexInFlightAfter(o, 'implementer', /^apply_patch idna\/clamp\.py/) ? o : undefined;
    },
    120_000,
    40,
  );
  const point = await disruptionPoint(h, flying(seen));
  const { codexPids } = await first.kill();
  await resetSticky(stack, ids.sigkill);
  await replacement.go();
  t.diagnostic(
    `SIGKILL: worker with codex ${codexPids.join(',') || '-'}; running: ${point.running.join(', ')}; ` +
      `in flight: ${point.inFlight.join('; ')}; ${point.commits.length} commit(s) pushed; new worker ready after ` +
      `${Date.now() - point.at} ms`,
  );
  return { id: ids.sigkill, atDisruption: point, codexPids, ...(await finish(h)) };
}

/** Host A is lost (worker SIGKILLed, disk wiped) while the Test Writer works there; host B takes the run over. */
async function hostLossRun(t: TestContext): Promise<Outcome> {
  const a = hosts.a;
  await a.go();
  const b = hostWorker('host-b', queues.hosts);
  const h = await start(ids.hostLoss, queues.hosts, HOST_TUNING);
  await waitFor('the run on host-a', async () => (await progress(h))?.host === 'host-a' || undefined, 60_000);
  await b.go();
  const seen = await waitFor(
    'the Implementer committed and the Test Writer waiting after writing its test, on host-a',
    async () => {
      const o = await observe(stack, h, ids.hostLoss, { progress: true });
      return stepStatus(o, 'implementer')?.commit !== undefined &&
        codexInFlightAfter(o, 'test_writer', /^apply_patch tests\/test_clamp\.py/)
        ? o
        : undefined;
    },
    120_000,
    40,
  );
  const point = await disruptionPoint(h, flying(seen));
  await a.kill();
  await rm(path.join(stack.dir, 'disk-host-a'), { recursive: true, force: true });
  await rm(path.join(stack.dir, 'codex-home-host-a'), { recursive: true, force: true });
  t.diagnostic(
    `host-a lost: running: ${point.running.join(', ')}; in flight: ${point.inFlight.join('; ')}; ` +
      `${point.commits.length} commit(s) pushed`,
  );
  return { id: ids.hostLoss, atDisruption: point, ...(await finish(h)) };
}

/** Each commit on the branch as `author patch-id` (empty commits: `author -`); the parallel pair in sorted order. */
function stepsOf(id: string): string[] {
  const steps = commitsOn(id).map((c) => {
    const author = git(repo, 'log', '-1', '--format=%an', c);
    const patch = spawnSync('git', ['patch-id', '--stable'], {
      cwd: repo,
      input: git(repo, 'show', '--format=', c),
      encoding: 'utf8',
    }).stdout.split(' ')[0];
    return `${author} ${patch || '-'}`;
  });
  return [...steps.slice(0, 1), ...steps.slice(1, 3).sort(), ...steps.slice(3)];
}

/** Model turns and Codex calls scheduled per role (an activity retried after a kill counts once). */
function callsPerRole(h: WorkflowRecord): Record<string, number> {
  const n: Record<string, number> = {};
  for (const a of h.activities) {
    if (a.type !== 'modelTurn' && a.type !== 'codexCall') continue;
    const role = (a.input as { role: string }).role;
    n[role] = (n[role] ?? 0) + 1;
  }
  return n;
}

const step = (s: RunState, r: string) => s.steps.find((x) => x.role === r);
const only = (o: Record<string, number>, roles: string[]) => Object.fromEntries(roles.map((r) => [r, o[r] ?? 0]));

describe(
  'the change team survives a worker SIGKILL and a host loss with the same branch content',
  { timeout: 240_000 },
  () => {
    it(
      "undisturbed, SIGKILL in the Implementer's Codex call, host lost during the Test Writer: one result",
      { skip: canUnshare ? false : 'needs root and mount namespaces (unshare -m): each host has its own disk' },
      async (t) => {
        const base = git(repo, 'rev-parse', 'main');
        const indexBefore = git(repo, 'ls-files', '-s');
        const started = Date.now();
        // All three settle before any verdict: a failed run must not leave the others running past the stack's stop.
        const settled = await Promise.allSettled([calmRun(), sigkillRun(t), hostLossRun(t)]);
        const failed = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as Error] : []));
        if (failed.length) throw new Error(failed.map((e) => e.message).join('\n\n'));
        const [calm, sigkill, hostLoss] = settled.map((s) => (s as PromiseFulfilledResult<Outcome>).value) as [
          Outcome,
          Outcome & { codexPids: number[] },
          Outcome,
        ];
        const took = (o: Outcome) => `${o.id} ${(o.result.state.endedAt ?? 0) - o.result.state.startedAt} ms`;
        t.diagnostic(
          `three runs done in ${Date.now() - started} ms: ${[calm, sigkill, hostLoss].map(took).join(', ')}`,
        );
        if (process.env.CRASH_TIMELINE) for (const o of [calm, sigkill, hostLoss]) t.diagnostic(timeline(o.history));

        // The undisturbed run changed what the task asks: the comparison is not between empty branches.
        assert.deepEqual(git(repo, 'diff', '--name-only', base, branchOf(calm.id)).split('\n').sort(), [
          'README.md',
          'idna/clamp.py',
          'tests/test_clamp.py',
        ]);
        const tree = (o: Outcome) => git(repo, 'rev-parse', `${branchOf(o.id)}^{tree}`);
        const calmSteps = stepsOf(calm.id);
        assert.deepEqual(
          calmSteps.map((s) => s.split(' ').slice(0, -1).join(' ')),
          ['Planner', 'Implementer', 'Test Writer', 'Reviewer', 'Implementer', 'Reviewer'],
          'one commit per step',
        );
        for (const o of [calm, sigkill, hostLoss]) {
          const verify = step(o.result.state, 'reviewer')?.verification;
          assert.equal(verify?.command, IDNA_TEST_COMMAND);
          assert.equal(verify?.status, 'passed', `${o.id}: the project's own tests passed`);
        }
        const calmCalls = callsPerRole(calm.history);
        for (const o of [sigkill, hostLoss]) {
          assert.ok(o.atDisruption, `${o.id} was disrupted`);
          const at = o.atDisruption;
          assert.equal(tree(o), tree(calm), `${o.id}: the same final tree as the undisturbed run`);
          assert.deepEqual(stepsOf(o.id), calmSteps, `${o.id}: the same commits per step (author and patch)`);
          assert.equal(
            git(repo, 'rev-parse', branchOf(o.id)),
            o.result.state.steps.find((s) => s.role === 'reviewer')?.commit,
          );
          // No finished step done again: the commits pushed before the disruption are still the branch's first ones,
          // and the roles that were not running then scheduled no more model turns or Codex calls than undisturbed.
          assert.ok(at.commits.length >= 1, `${o.id}: the Planner had finished`);
          assert.deepEqual(commitsOn(o.id).slice(0, at.commits.length), at.commits, `${o.id}: finished steps kept`);
          const calls = callsPerRole(o.history);
          const idle = Object.keys(calmCalls).filter((r) => !at.running.includes(r));
          assert.deepEqual(only(calls, idle), only(calmCalls, idle), `${o.id}: no extra calls for ${idle.join(', ')}`);
          t.diagnostic(`${o.id}: calls per role ${JSON.stringify(calls)} (undisturbed ${JSON.stringify(calmCalls)})`);
        }

        // The SIGKILL: the Implementer's Codex call was retried in place (the same activity, a second attempt) and no
        // call of any role was added; the killed codex processes are gone; the run never left its host.
        assert.deepEqual(callsPerRole(sigkill.history), calmCalls, 'no model turn or Codex call added by the kill');
        const implCodex = sigkill.history.activities.find(
          (a) => a.type === 'codexCall' && (a.input as { role: string }).role === 'implementer',
        );
        assert.ok((implCodex?.attempt ?? 0) >= 2, "the Implementer's Codex call ran a second attempt");
        assert.match(implCodex?.lastFailure ?? '', /heartbeat/i);
        assert.ok(sigkill.codexPids.length > 0, "the worker's codex process was killed with it");
        for (const pid of sigkill.codexPids) assert.equal(isAlive(pid), false, `codex ${pid} is gone`);
        assert.deepEqual(sigkill.result.state.hostMoves ?? [], []);

        // The host loss: the run moved to host-b, the Test Writer started again there, the Implementer's first step
        // (committed and pushed from host-a before the loss) did not.
        const { state } = hostLoss.result;
        assert.deepEqual(
          state.hostMoves?.map((m) => [m.from, m.to]),
          [['host-a', 'host-b']],
        );
        assert.equal(state.host, 'host-b');
        assert.ok((step(state, 'test_writer')?.restarts ?? 0) >= 1, 'the Test Writer started again on host-b');
        assert.equal(step(state, 'implementer')?.restarts ?? 0, 0, 'the Implementer was not redone');
        const author = (c: string) => git(repo, 'log', '-1', '--format=%an', c);
        assert.deepEqual(
          hostLoss.atDisruption?.commits.map(author),
          ['Planner', 'Implementer'],
          "the Implementer's commit was pushed from host-a before the loss (and is kept: see above)",
        );

        // The base is byte-identical, and the repository got nothing but the three run branches.
        assert.equal(git(repo, 'rev-parse', 'main'), base);
        assert.equal(git(repo, 'ls-files', '-s'), indexBefore);
        assert.equal(git(repo, 'status', '--porcelain'), '');
        assert.deepEqual(
          git(repo, 'for-each-ref', '--format=%(refname)').split('\n').sort(),
          ['refs/heads/main', ...Object.values(ids).map((id) => `refs/heads/${branchOf(id)}`)].sort(),
        );
      },
    );
  },
);

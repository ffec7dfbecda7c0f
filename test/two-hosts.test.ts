/**
 * Two worker hosts, one task queue, on real parts. Each worker is a host with its own disk: its own mount namespace
 * in which a private directory is bind-mounted at the same WORKSPACE_ROOT (as root; otherwise two different roots,
 * said in the output). Both push to one shared bare remote. A multi-agent run and two single-agent runs go; the busier
 * host is SIGKILLed (process group: worker and codex) mid-run, in the multi-agent run's parallel branches, and its
 * disk wiped. Every run completes on the other host, every deliverable is on the remote branch, the branch has one
 * commit per step, and no step that had finished before the kill ran again (history and the scripted model's log).
 *
 * Misconfigured hosts, on their own task queue: two hosts with one hostname and one WORKSPACE_ROOT path get their own
 * host ids (from their disks); a third disk started with one of those ids as WORKER_HOST_ID is refused by the real CLI
 * worker with one line naming both disks; a host whose remote is on its own disk warns at start, and `doctor` says
 * both. (The bound on moves, should two disks share a host queue anyway, is a fast test: test/unit.)
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { readHistory, stepCommitOf, type WorkflowRecord } from '../src/report/history';
import { renderMarkdown } from '../src/report/markdown';
import { reportFromHistory } from '../src/report/run-report';
import { doctor } from '../src/cli/doctor';
import { HOST_ID_FILE } from '../src/runtime/host';
import { startLocalStack, type LocalStack } from '../src/runtime/local-stack';
import { startRun } from '../src/runtime/runs';
import { bundleWorkflows } from '../src/runtime/workflow-bundle';
import { COOKBOOK_TEAM, SINGLE_TEAM } from '../src/shared/builtin-teams';
import type { Role } from '../src/shared/roles';
import { requiredPaths } from '../src/shared/team';
import type { ActivityTuning, RunResult } from '../src/shared/types';
import { onOwnDisk, WorkerProcess, timeline, waitFor } from './helpers/crash';
import { progressQuery } from '../src/shared/progress';

const TUNING: ActivityTuning = {
  heartbeatTimeoutMs: 3_000,
  retryInitialIntervalMs: 200,
  retryMaximumIntervalMs: 1_000,
  hostScheduleToStartMs: 2_000,
};

let stack: LocalStack;
let taskList: string;
let remote: string;
let bundlePath: string;
const workers: WorkerProcess[] = [];
const stamp = Date.now();
const ids = { multi: `hosts-multi-${stamp}`, single1: `hosts-single1-${stamp}`, single2: `hosts-single2-${stamp}` };

const canUnshare =
  process.getuid?.() === 0 && spawnSync('unshare', ['-m', '--propagation', 'private', 'true']).status === 0;

interface Host {
  id: string;
  /** The host's disk: bind-mounted at the shared WORKSPACE_ROOT inside its namespace, or its own root. */
  disk: string;
  root: string;
}

before(async () => {
  taskList = await readFile(path.join(__dirname, '..', 'tasks', 'bug-busters.md'), 'utf8');
  stack = await startLocalStack({ inProcessWorker: false, scripted: { latency: { agentMs: 300, codexMs: 150 } } });
  remote = path.join(stack.dir, 'remote.git');
  execFileSync('git', ['init', '--bare', '-q', remote]);
  bundlePath = path.join(stack.dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, (await bundleWorkflows()).code);
  // The first single-agent run is slow, so it is still going on its host when that host dies.
  stack.scripted.setFaults([{ run: ids.single1, kind: 'agent', times: 'always', effect: { latencyMs: 5_000 } }]);
});
after(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await stack?.stop();
});

function host(id: string): Host {
  const disk = path.join(stack.dir, `disk-${id}`);
  mkdirSync(disk, { recursive: true });
  return { id, disk, root: canUnshare ? stack.workspaceRoot : disk };
}

/** A worker of host `h` (by default: WORKER_HOST_ID = its name, the shared remote); `env` values undefined unset. */
function spawnWorker(
  h: Host,
  env: Record<string, string | undefined> = {},
  entry: 'standby' | 'worker' = 'standby',
): WorkerProcess {
  mkdirSync(stack.workspaceRoot, { recursive: true });
  const full: NodeJS.ProcessEnv = {
    ...stack.workerEnv(),
    WORKSPACE_ROOT: h.root,
    WORKSPACE_REMOTE: remote,
    WORKER_HOST_ID: h.id,
    CODEX_HOME: path.join(stack.dir, `codex-home-${h.id}`),
    WORKFLOW_BUNDLE_PATH: bundlePath,
    ...env,
  };
  for (const [k, v] of Object.entries(full)) if (v === undefined) delete full[k];
  const w = new WorkerProcess(
    full,
    path.join(stack.dir, `worker-${h.id}.log`),
    entry,
    canUnshare ? onOwnDisk(h.disk, h.root) : undefined,
  );
  workers.push(w);
  return w;
}

async function startWorker(h: Host, env: Record<string, string | undefined> = {}): Promise<WorkerProcess> {
  const w = spawnWorker(h, env);
  await w.go();
  return w;
}

const progress = (h: WorkflowHandle) => h.query(progressQuery).catch(() => undefined);
const git = (...args: string[]) => execFileSync('git', ['-C', remote, ...args], { encoding: 'utf8' }).trim();

function finishedBefore(history: WorkflowRecord, at: number): Set<string> {
  // A step is finished once its commit is pushed: by commitStep, or by the gate that committed it (step-end-folded).
  return new Set(
    history.activities.flatMap((a) => {
      const c = stepCommitOf(a);
      return c && a.endedAt !== undefined && a.endedAt < at ? [c.role] : [];
    }),
  );
}

describe('two worker hosts with their own disks, one task queue, a shared git remote', { timeout: 240_000 }, () => {
  it('the busier host is SIGKILLed mid-run and its disk wiped: every run completes on the other host', async (t) => {
    t.diagnostic(
      canUnshare
        ? `each host: own mount namespace, a private disk bind-mounted at ${stack.workspaceRoot}`
        : 'not root or no mount namespaces: the two hosts use two different WORKSPACE_ROOT directories',
    );
    const [a, b] = [host('host-a'), host('host-b')];
    const workerA = await startWorker(a);
    const started = Date.now();
    // Host A alone polls at first: it takes the first step of these two runs and holds their workspaces.
    const multi = await startRun(stack.client, {
      kind: 'team',
      input: { team: COOKBOOK_TEAM, task: taskList, tuning: TUNING },
      workflowId: ids.multi,
      taskQueue: stack.taskQueue,
    });
    const single1 = await startRun(stack.client, {
      kind: 'single',
      input: { tuning: TUNING },
      workflowId: ids.single1,
      taskQueue: stack.taskQueue,
    });
    for (const h of [multi, single1]) {
      await waitFor(`${h.workflowId} on host-a`, async () => (await progress(h))?.host === 'host-a' || undefined);
    }
    await startWorker(b);
    const single2 = await startRun(stack.client, {
      kind: 'single',
      input: { tuning: TUNING },
      workflowId: ids.single2,
      taskQueue: stack.taskQueue,
    });
    const handles = [multi, single1, single2];

    // Mid-run: the Designer's commit pushed, a parallel branch in its Codex work on host A.
    await waitFor(
      'the parallel branches at work on host-a',
      async () => {
        const s = await progress(multi);
        const step = (r: Role) => s?.steps.find((x) => x.role === r);
        return (
          (step('designer')?.commit !== undefined &&
            (['frontend', 'backend'] as Role[]).some(
              (r) => step(r)?.status === 'running' && (step(r)?.codexCalls.length ?? 0) > 0,
            )) ||
          undefined
        );
      },
      120_000,
    );
    const states = await Promise.all(handles.map(progress));
    const pinned = (id: string) => states.filter((s) => s?.status === 'running' && s.host === id).length;
    t.diagnostic(`running runs at the kill: host-a ${pinned('host-a')}, host-b ${pinned('host-b')}`);
    assert.ok(pinned('host-a') >= 2 && pinned('host-a') > pinned('host-b'), 'host-a is the busier host');
    const killedAt = Date.now();
    await workerA.kill();
    await rm(a.disk, { recursive: true, force: true });

    const results = await Promise.all(
      handles.map((h) =>
        (h.result() as Promise<RunResult>).catch(async (err: unknown) => {
          t.diagnostic(timeline(readHistory(await h.fetchHistory())));
          throw err;
        }),
      ),
    );
    t.diagnostic(`all runs completed ${Date.now() - started} ms after the first started`);

    for (const [i, h] of handles.entries()) {
      const result = results[i] as RunResult;
      const history = readHistory(await h.fetchHistory());
      const team = result.state.team === 'single' ? SINGLE_TEAM : COOKBOOK_TEAM;
      const roles: readonly Role[] = team.roles.map((r) => r.id);
      const wasOnA = states[i]?.status === 'running' && states[i]?.host === 'host-a';
      if (wasOnA) assert.equal(result.state.host, 'host-b', `${h.workflowId} finished on host-b`);
      assert.ok(
        result.state.steps.every((s) => s.status === 'done' && s.commit),
        `${h.workflowId}: every step done and committed`,
      );

      // The run's git history on the remote: a root commit, then one commit per step, authored by its role.
      const branch = `runs/${h.workflowId}`;
      assert.equal(result.state.branch, branch);
      const authors = git('log', '--format=%ae', branch).split('\n').reverse();
      assert.deepEqual(authors, ['run@agents.local', ...roleOrder(result, roles).map((r) => `${r}@agents.local`)]);
      assert.equal(git('rev-parse', branch), result.state.steps.at(-1)?.commit ?? '?');
      const tree = new Set(git('ls-tree', '-r', '--name-only', branch).split('\n'));
      for (const r of team.roles) for (const p of requiredPaths(r)) assert.ok(tree.has(p), `${branch} has ${p}`);

      // No finished step redone: none of its model turns or Codex calls ran after the kill.
      const finished = finishedBefore(history, killedAt);
      const redoneActs = history.activities.filter(
        (x) =>
          (x.type === 'modelTurn' || x.type === 'codexCall') &&
          finished.has((x.input as { role: string }).role) &&
          (x.startedAt ?? x.scheduledAt) > killedAt,
      );
      const redoneRequests = stack.scripted
        .stats()
        .requests.filter(
          (r) => r.run === h.workflowId && finished.has(r.role ?? '') && Date.parse(r.startedAt) > killedAt,
        );
      t.diagnostic(
        `${h.workflowId}: host ${states[i]?.host} -> ${result.state.host}; finished before the kill: ` +
          `${[...finished].join(', ') || 'none'}; restarted: ` +
          `${
            result.state.steps
              .filter((s) => s.restarts)
              .map((s) => `${s.role} ×${s.restarts}`)
              .join(', ') || 'none'
          }`,
      );
      assert.deepEqual(
        redoneActs.map((x) => x.summary),
        [],
        `${h.workflowId}: no finished step's activity ran again`,
      );
      assert.deepEqual(
        redoneRequests.map((r) => `${r.kind} ${r.role} ${r.turn}`),
        [],
        'nor its model requests',
      );

      if (wasOnA) {
        const move = result.state.hostMoves?.[0];
        assert.ok(move && move.from === 'host-a' && move.to === 'host-b', `${h.workflowId} moved from host-a`);
        const moved = history.activities.find(
          (x) => x.type === 'prepareWorkspace' && (x.input as { fromCommit?: string }).fromCommit,
        );
        const next = history.activities.find(
          (x) => x.taskQueue?.endsWith('-host-host-b') && (x.startedAt ?? 0) > (moved?.endedAt ?? Infinity),
        );
        const recovery = (next?.startedAt ?? Infinity) - killedAt;
        t.diagnostic(
          `${h.workflowId}: moved ${(moved?.endedAt ?? 0) - killedAt} ms after the kill; next workspace activity ` +
            `on host-b started ${recovery} ms after it (${next?.summary ?? next?.type})`,
        );
        assert.ok(recovery < 30_000, 'the run moved on within seconds');

        // The report, from history alone: the move, and each step with its host and commit.
        const report = await reportFromHistory(h);
        assert.deepEqual(
          report.hostMoves?.map((m) => [m.from, m.to]),
          [['host-a', 'host-b']],
        );
        const md = renderMarkdown(report);
        for (const step of result.state.steps) {
          const rs = report.steps.find((x) => x.role === step.role);
          assert.equal(rs?.commit, step.commit, `${step.role}: commit in the report`);
          assert.equal(rs?.host, step.host, `${step.role}: host in the report`);
          assert.ok(md.includes(`\`${step.commit?.slice(0, 10)}\``), `${step.role}: commit in REPORT.md`);
        }
        assert.match(md, /Host move \| host-a → host-b/);
      }
    }
    const multiState = results[0]?.state;
    assert.ok(
      multiState?.steps.some((s) => (s.restarts ?? 0) > 0 && (s.role === 'frontend' || s.role === 'backend')),
      'the branch in flight at the kill started again on host-b',
    );
  });
});

describe(
  'misconfigured hosts: one hostname and one WORKSPACE_ROOT path, no shared remote',
  { timeout: 120_000 },
  () => {
    it('each disk gets its own host id; one WORKER_HOST_ID on two disks is refused; a local remote warns', async (t) => {
      // Their own task queue: the hosts of the other test are not theirs.
      const queue = `${stack.taskQueue}-misconfig`;
      const own = { TASK_QUEUE: queue, WORKER_HOST_ID: undefined, WORKSPACE_REMOTE: undefined };
      const [a, b, c] = [host('mis-a'), host('mis-b'), host('mis-c')];
      const idOf = (h: Host) => readFileSync(path.join(h.disk, HOST_ID_FILE), 'utf8').trim();
      await startWorker(a, own);
      const workerB = await startWorker(b, own);
      const [idA, idB] = [idOf(a), idOf(b)];
      t.diagnostic(`host ids from the disks: ${idA}, ${idB}`);
      assert.notEqual(idA, idB, 'two disks, two host ids, though hostname and WORKSPACE_ROOT are the same');
      const warning = workerB
        .text()
        .split('\n')
        .find((l) => l.includes('WORKSPACE_REMOTE'));
      t.diagnostic(`host B at start: ${warning}`);
      assert.match(
        warning ?? '',
        new RegExp(
          `^Warning: WORKSPACE_REMOTE \\S+\\.remote\\.git is on this host's own disk, but host ${idA} also serves`,
        ),
      );

      // The same host id set on another disk: the real CLI worker refuses to start, with one line naming both disks.
      const workerC = spawnWorker(c, { ...own, WORKER_HOST_ID: idA }, 'worker');
      const startedC = Date.now();
      await assert.rejects(workerC.warm, /worker exited/);
      const exit = await workerC.exited;
      const refusal = workerC
        .text()
        .split('\n')
        .filter((l) => l.includes('Host queue'));
      t.diagnostic(`host C refused in ${Date.now() - startedC} ms (exit ${exit.code}): ${refusal.join(' | ')}`);
      assert.equal(exit.code, 2, 'a configuration error');
      assert.equal(refusal.length, 1, 'one line');
      assert.match(
        refusal[0] ?? '',
        new RegExp(
          `Host queue "${queue}-host-${idA}" is already served by worker \\S+ on disk ${idA}, and this worker's disk is ${idOf(c)}`,
        ),
      );

      // `doctor` on a third disk with the same host id: both problems, one line each.
      const lines = await doctor({
        ...stack.workerEnv(),
        TASK_QUEUE: queue,
        WORKER_HOST_ID: idA,
        WORKSPACE_ROOT: path.join(stack.dir, 'disk-mis-doctor'),
      });
      const line = (what: string) => lines.find((l) => l.what === what);
      t.diagnostic(`doctor: ${JSON.stringify([line('Host'), line('Workspace remote')])}`);
      assert.equal(line('Host')?.verdict, 'FAIL');
      assert.match(line('Host')?.detail ?? '', new RegExp(`already served by worker \\S+ on disk ${idA}`));
      assert.equal(line('Workspace remote')?.verdict, 'FAIL');
      assert.match(line('Workspace remote')?.detail ?? '', new RegExp(`host ${idB} also serves task queue "${queue}"`));
    });
  },
);

/** Roles in the order their commits landed (the parallel branches in either order). */
function roleOrder(result: RunResult, roles: readonly Role[]): Role[] {
  const commitOf = (r: Role) => result.state.steps.find((s) => s.role === r)?.commit ?? '';
  const order = execFileSync('git', ['-C', remote, 'log', '--format=%H', '--reverse', result.state.branch ?? ''], {
    encoding: 'utf8',
  })
    .trim()
    .split('\n');
  return [...roles].sort((x, y) => order.indexOf(commitOf(x)) - order.indexOf(commitOf(y)));
}

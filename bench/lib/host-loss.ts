/**
 * Host loss: two worker hosts (own WORKSPACE_ROOT each, one shared WORKSPACE_REMOTE). The run's host is SIGKILLed
 * (its process group, Codex included) in the middle of the Tester's Codex call and its disk removed; the other host
 * clones the run's branch at the last pushed commit and finishes the run. Measured: kill -> the move starts (the lost
 * call's heartbeat timeout, its retry's schedule-to-start timeout on the dead host's queue, the sticky wait), kill ->
 * the next workspace activity starts on the new host, kill -> done; and that no finished step ran again.
 */
import { execFileSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { readHistory, stepCommitOf } from '../../src/report/history';
import type { RunState } from '../../src/shared/types';
import { DEFAULT_STICKY_SCHEDULE_TO_START_MS } from '../../src/runtime/host';
import { heartbeatOf, hostS2sOf, tuningOf, type BenchOptions } from './args';
import { secs } from './format';
import { awaitPipeline, startBenchStack, startPipeline } from './pipeline';
import { injectedFor, type InjectedLatency } from './timing';
import { spawnWorker, type WorkerProcess } from './worker-process';
import { progressQuery } from '../../src/shared/progress';

export interface HostLossReport {
  heartbeatTimeoutMs: number;
  hostScheduleToStartMs: number;
  stickyScheduleToStartMs: number;
  killedDuring: string;
  /** Kill -> the workflow schedules the move (prepareWorkspace from the last pushed commit). */
  killToMoveScheduledMs: number;
  /** Kill -> the new host has cloned the branch: the run moved. */
  killToMovedMs: number;
  /** Kill -> the first workspace activity starts on the new host: the run is moving on. */
  killToNextActivityMs: number;
  /** Kill -> run completed. */
  resumeMs: number;
  stepsFinishedBeforeKill: string[];
  /** Model or Codex activities of steps finished before the kill that ran after it: must be 0. */
  finishedStepsRedone: number;
  /** Steps that were in flight and started again on the new host. */
  restarted: string[];
  runWithLossMs: number;
}

export async function measureHostLoss(o: BenchOptions, log: (line: string) => void): Promise<HostLossReport> {
  const latency: InjectedLatency = { turnMs: o.turnMs, codexMs: o.codexMs, codexRequestMs: o.codexRequestMs };
  const b = await startBenchStack(latency, false);
  const remote = path.join(b.stack.dir, 'remote.git');
  execFileSync('git', ['init', '--bare', '-q', remote]);
  const host = (id: string) => ({
    ...b.stack.workerEnv(),
    WORKER_HOST_ID: id,
    WORKSPACE_ROOT: path.join(b.stack.dir, `disk-${id}`),
    WORKSPACE_REMOTE: remote,
  });
  const workers: WorkerProcess[] = [];
  try {
    const a = spawnWorker(host('host-a'));
    workers.push(a);
    await a.ready;
    const started = await startPipeline(b, 'host-loss', {
      tuning: tuningOf(o),
    });
    const id = started.handle.workflowId;
    const state = () => started.handle.query(progressQuery).catch(() => undefined);
    await a.guard(until(async () => (await state())?.host === 'host-a' || undefined, 60_000));
    const bWorker = spawnWorker(host('host-b'));
    workers.push(bWorker);
    await bWorker.ready;
    let ended: string | undefined;
    started.handle.result().then(
      () => (ended = 'completed'),
      (err: unknown) =>
        (ended = `failed: ${err instanceof Error ? (err.cause?.toString() ?? err.message) : String(err)}`),
    );
    const inFlight = await a.guard(
      until(() => {
        if (ended) throw new Error(`the run ${ended} before the kill point\n${a.output().slice(-3000)}`);
        return b.stack.scripted.stats().requests.find((e) => e.run === id && e.kind === 'codex' && e.role === 'tester');
      }, 10 * 60_000),
    );
    await sleep(injectedFor(inFlight, latency) / 2);
    a.crash();
    const killAt = Date.now();
    await a.exited;
    await rm(path.join(b.stack.dir, 'disk-host-a'), { recursive: true, force: true });
    const done = await bWorker.guard(awaitPipeline(started));
    if (done.error) throw new Error(`the run failed after its host was lost: ${String(done.error)}`);
    log(`  killed host-a (node + codex) in the Tester's Codex call: run completed ${done.clientEnd - killAt} ms later`);

    const h = readHistory(await started.handle.fetchHistory());
    const move = h.activities.find(
      (x) => x.type === 'prepareWorkspace' && (x.input as { fromCommit?: string }).fromCommit,
    );
    const next = h.activities.find(
      (x) => x.taskQueue?.endsWith('-host-host-b') && (x.startedAt ?? 0) >= (move?.endedAt ?? Infinity),
    );
    const finished = new Set(
      h.activities.flatMap((x) => {
        const c = stepCommitOf(x);
        return c && (x.endedAt ?? Infinity) < killAt ? [c.role] : [];
      }),
    );
    const redone = h.activities.filter(
      (x) =>
        (x.type === 'modelTurn' || x.type === 'codexCall') &&
        finished.has((x.input as { role: string }).role) &&
        (x.startedAt ?? x.scheduledAt) > killAt,
    );
    const result = (await started.handle.result()) as { state: RunState };
    return {
      heartbeatTimeoutMs: heartbeatOf(o),
      hostScheduleToStartMs: hostS2sOf(o),
      stickyScheduleToStartMs: DEFAULT_STICKY_SCHEDULE_TO_START_MS,
      killedDuring: `Tester: Codex call 1, ${Math.round(injectedFor(inFlight, latency) / 2)} ms into its first model request`,
      killToMoveScheduledMs: (move?.scheduledAt ?? NaN) - killAt,
      killToMovedMs: (move?.endedAt ?? NaN) - killAt,
      killToNextActivityMs: (next?.startedAt ?? NaN) - killAt,
      resumeMs: done.clientEnd - killAt,
      stepsFinishedBeforeKill: [...finished],
      finishedStepsRedone: redone.length,
      restarted: result.state.steps.filter((s) => s.restarts).map((s) => s.role),
      runWithLossMs: done.clientEnd - started.clientStart,
    };
  } finally {
    for (const w of workers) await w.stop();
    await b.stop();
  }
}

export function renderHostLoss(r: HostLossReport): string {
  return [
    `Host loss: the run's host SIGKILLed in the Tester's Codex call, its disk removed; another host takes the run`,
    `(heartbeat timeout ${secs(r.heartbeatTimeoutMs)}, host schedule-to-start ${secs(r.hostScheduleToStartMs)}, ` +
      `sticky schedule-to-start ${secs(r.stickyScheduleToStartMs)})`,
    '',
    '| Measure | Value |',
    '|---|---|',
    `| kill -> move scheduled | ${secs(r.killToMoveScheduledMs)} |`,
    `| kill -> branch cloned on the new host | ${secs(r.killToMovedMs)} |`,
    `| **kill -> next activity on the new host** | **${secs(r.killToNextActivityMs)}** |`,
    `| kill -> run completed | ${secs(r.resumeMs)} |`,
    `| steps finished before the kill | ${r.stepsFinishedBeforeKill.join(', ')} |`,
    `| finished steps redone | ${r.finishedStepsRedone} |`,
    `| steps restarted on the new host | ${r.restarted.join(', ') || 'none'} |`,
    `| whole run with the host loss | ${secs(r.runWithLossMs)} |`,
  ].join('\n');
}

async function until<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`gave up after ${timeoutMs} ms`);
    await sleep(50);
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * No spurious moves: two live hosts (own WORKSPACE_ROOT each, one shared WORKSPACE_REMOTE) take N runs started at
 * once, with the product's default heartbeat and schedule-to-start timeouts. Nobody is killed, so no run may move:
 * a move here means a busy but live host was taken for dead (a heartbeat or host schedule-to-start timeout under
 * load). Counted per run from its history: the moves (a `prepareWorkspace` from a pushed commit), the activities
 * that timed out or were retried, and the slowest start of a host-queue activity (what the 5 s host
 * schedule-to-start allows).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { readHistory } from '../../src/report/history';
import { DEFAULT_HOST_SCHEDULE_TO_START_MS } from '../../src/workflows/affinity';
import { DEFAULT_HEARTBEAT_TIMEOUT_MS } from '../../src/workflows/activities';
import { percentile, secs } from './format';
import { awaitPipeline, startBenchStack, startPipeline } from './pipeline';
import type { InjectedLatency } from './timing';
import { spawnWorker, type WorkerProcess } from './worker-process';
import type { BenchOptions } from './args';

export interface NoMoveReport {
  runs: number;
  hosts: number;
  failed: number;
  /** Runs with at least one move: goal 0. */
  moved: number;
  /** Runs each host was the first host of. */
  runsPerHost: Record<string, number>;
  /** Activity attempts beyond the first (any cause) and timed-out activities, over all runs. */
  retries: number;
  timeouts: number;
  /** Scheduled -> started of host-queue activities (workspace, git, Codex), over all runs. */
  hostQueueStartMs: { p50: number; p95: number; max: number };
  elapsedMs: number;
  load: [number, number, number];
}

export async function measureNoMove(
  o: BenchOptions,
  runs: number,
  load: () => [number, number, number],
  log: (line: string) => void,
): Promise<NoMoveReport> {
  const latency: InjectedLatency = { turnMs: o.turnMs, codexMs: o.codexMs, codexRequestMs: o.codexRequestMs };
  const b = await startBenchStack(latency, false);
  const remote = path.join(b.stack.dir, 'remote.git');
  execFileSync('git', ['init', '--bare', '-q', remote]);
  const workers: WorkerProcess[] = [];
  try {
    for (const id of ['host-a', 'host-b']) {
      const w = spawnWorker({
        ...b.stack.workerEnv(),
        WORKER_HOST_ID: id,
        WORKSPACE_ROOT: path.join(b.stack.dir, `disk-${id}`),
        WORKSPACE_REMOTE: remote,
      });
      workers.push(w);
      await w.ready;
    }
    const t0 = Date.now();
    const started = await Promise.all(Array.from({ length: runs }, (_, i) => startPipeline(b, `no-move-${i}`)));
    const done = await Promise.all(started.map((s) => awaitPipeline(s)));
    const elapsedMs = Date.now() - t0;
    const endLoad = load();
    let moved = 0;
    let retries = 0;
    let timeouts = 0;
    const runsPerHost: Record<string, number> = {};
    const hostStarts: number[] = [];
    for (const run of done) {
      const h = readHistory(await run.handle.fetchHistory());
      const host = h.activities.find((a) => a.type === 'prepareWorkspace')?.worker ?? 'unknown';
      const hostId = /host-[ab]/.exec(host)?.[0] ?? host;
      runsPerHost[hostId] = (runsPerHost[hostId] ?? 0) + 1;
      if (h.activities.some((a) => a.type === 'prepareWorkspace' && (a.input as { fromCommit?: string }).fromCommit)) {
        moved++;
        log(
          `  ${run.handle.workflowId} moved: ${h.activities
            .filter((a) => a.lastFailure ?? a.failure)
            .map((a) => `${a.type}: ${a.lastFailure ?? a.failure}`)
            .join('; ')}`,
        );
      }
      for (const a of h.activities) {
        retries += Math.max(0, a.attempt - 1);
        if (a.status === 'timed-out') timeouts++;
        if (a.taskQueue?.includes('-host-') && a.startedAt !== undefined) hostStarts.push(a.startedAt - a.scheduledAt);
      }
    }
    const failed = done.filter((r) => r.error).length;
    log(`  ${runs} runs on two live hosts: ${failed} failed, ${moved} moved, ${retries} retries, ${timeouts} timeouts`);
    return {
      runs,
      hosts: workers.length,
      failed,
      moved,
      runsPerHost,
      retries,
      timeouts,
      hostQueueStartMs: {
        p50: percentile(hostStarts, 50),
        p95: percentile(hostStarts, 95),
        max: Math.max(...hostStarts),
      },
      elapsedMs,
      load: endLoad,
    };
  } finally {
    for (const w of workers) await w.stop();
    await b.stop();
  }
}

export function renderNoMove(r: NoMoveReport): string {
  const ms = (x: number) => `${Math.round(x)} ms`;
  return [
    `No spurious moves: ${r.runs} runs at once on two live hosts, default timeouts (heartbeat ` +
      `${secs(DEFAULT_HEARTBEAT_TIMEOUT_MS)}, host schedule-to-start ${secs(DEFAULT_HOST_SCHEDULE_TO_START_MS)})`,
    '',
    '| Measure | Value |',
    '|---|---|',
    `| **runs moved (goal 0)** | **${r.moved} of ${r.runs}** ${r.moved === 0 ? 'ok' : 'MISS'} |`,
    `| runs failed | ${r.failed} |`,
    `| runs per first host | ${Object.entries(r.runsPerHost)
      .map(([h, n]) => `${h} ${n}`)
      .join(', ')} |`,
    `| activity retries / timeouts | ${r.retries} / ${r.timeouts} |`,
    `| host-queue activity scheduled -> started, p50 / p95 / max | ${ms(r.hostQueueStartMs.p50)} / ` +
      `${ms(r.hostQueueStartMs.p95)} / ${ms(r.hostQueueStartMs.max)} |`,
    `| all ${r.runs} runs, first start -> last end | ${secs(r.elapsedMs)} |`,
    `| load average at the end | ${r.load.map((x) => x.toFixed(2)).join(' ')} |`,
  ].join('\n');
}

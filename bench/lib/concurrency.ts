/**
 * Concurrency: N pipeline runs started at once on one worker process, or several (`--workers`), fresh per level and
 * warmed up by one run each without latency. Measures throughput, run times, the workers' memory (node + its shared
 * Codex server + Codex's sandboxed children), CPU of every part, activity dispatch delays (saturated slots show
 * there), how long Codex calls take beyond the model's latency, and history size.
 */
import type { BenchOptions } from './args';
import { median, percentile } from './format';
import { awaitPipeline, runPipeline, startBenchStack, startPipeline, type BenchStack } from './pipeline';
import { TreeSampler, memoryOf, treeCpuMs } from './proc';
import { analyseRun, type InjectedLatency } from './timing';
import { spawnWorker } from './worker-process';

export interface ConcurrencyLevel {
  runs: number;
  failed: number;
  /** Worker processes sharing the task queue, each with its own Codex server. */
  workers: number;
  maxActivities: number | 'default';
  /** First start -> last completion. */
  elapsedMs: number;
  runsPerMinute: number;
  runMs: { p50: number; p95: number; max: number };
  /** The injected critical path: what one run would take with no overhead at all. */
  idealRunMs: number;
  /** Schedule -> start of every activity: time spent waiting for a free slot or a poller. */
  scheduleToStartMs: { p50: number; p95: number; max: number };
  /** Where a run's time stretches: each Codex call's own work, and each model turn beyond the model's answer. */
  codexOwnMsPerCall: { p50: number; p95: number; max: number };
  modelTurnExtraMs: { p50: number; p95: number; max: number };
  /** Scheduled -> started of every workflow task: above the sticky timeout, tasks fall back to a full replay. */
  workflowTaskQueueMs: { p50: number; p95: number; max: number };
  workflowTaskTimeouts: number;
  workflowTaskTimeoutTypes: string[];
  memory: {
    /** Sum over every worker's tree. */
    peakTreeRss: number;
    /** Per worker process (the largest). */
    workerNodeHwm: number;
    codexHwm: number;
    peakProcesses: number;
  };
  /** Average cores busy over the level (2 cores on this machine). */
  cores: { worker: number; temporalServer: number; benchAndScriptedModel: number };
  /** CPU per run: the worker tree split into the node process, the Codex server and Codex's children. */
  cpuMsPerRun: {
    worker: number;
    workerNode: number;
    codexServer: number;
    codexChildren: number;
    temporalServer: number;
    benchAndScriptedModel: number;
    /** Own CPU of the worker tree's processes seen by the sampler, by name and first argument (JSON only). */
    sampledByProcess: Record<string, number>;
  };
  historyBytes: { mean: number; max: number };
  events: { mean: number; max: number };
}

export async function measureConcurrency(o: BenchOptions, log: (line: string) => void): Promise<ConcurrencyLevel[]> {
  const latency: InjectedLatency = { turnMs: o.turnMs, codexMs: o.codexMs, codexRequestMs: o.codexRequestMs };
  const b = await startBenchStack(latency, false);
  const levels: ConcurrencyLevel[] = [];
  try {
    for (const n of o.concurrency) {
      const level = await measureLevel(b, latency, n, o.maxActivities, o.workers);
      levels.push(level);
      log(
        `  ${n} at once: ${level.failed} failed, ${(level.elapsedMs / 1000).toFixed(1)} s, ` +
          `${level.runsPerMinute.toFixed(1)} runs/min, run p50 ${(level.runMs.p50 / 1000).toFixed(1)} s`,
      );
    }
    return levels;
  } finally {
    await b.stop();
  }
}

async function measureLevel(
  b: BenchStack,
  latency: InjectedLatency,
  n: number,
  maxActivities: number | undefined,
  workerCount: number,
): Promise<ConcurrencyLevel> {
  const env = { ...b.stack.workerEnv(), ...(maxActivities ? { WORKER_MAX_ACTIVITIES: String(maxActivities) } : {}) };
  const workers = Array.from({ length: workerCount }, () => spawnWorker(env));
  const guard = <T>(work: Promise<T>) => workers.reduce((p, w) => w.guard(p), work);
  try {
    await Promise.all(workers.map((w) => w.ready));
    b.stack.scripted.setLatency({ agentMs: 0, codexMs: 0, codexCallMs: 0 });
    const warm = await guard(
      Promise.all(Array.from({ length: workerCount }, (_, i) => runPipeline(b, `warmup-${n}-${i + 1}`))),
    );
    const failedWarmUp = warm.find((r) => r.error);
    if (failedWarmUp) throw new Error(`warm-up failed: ${String(failedWarmUp.error)}`);
    b.stack.scripted.setLatency({
      agentMs: latency.turnMs,
      codexMs: latency.codexRequestMs,
      codexCallMs: latency.codexMs,
    });
    b.stack.scripted.resetStats();

    const sampler = new TreeSampler(workers.map((w) => w.pid)).start();
    const serverCpu0 = treeCpuMs(b.stack.server.pid);
    const benchCpu0 = process.cpuUsage();
    const t0 = Date.now();
    const started = await Promise.all(Array.from({ length: n }, (_, i) => startPipeline(b, `c${n}-${i + 1}`)));
    const runs = await guard(Promise.all(started.map(awaitPipeline)));
    const elapsedMs = Math.max(...runs.map((r) => r.clientEnd)) - t0;
    const usage = sampler.stop();
    const nodeHwm = Math.max(...workers.map((w) => memoryOf(w.pid)?.hwm ?? 0));
    const serverCpu = treeCpuMs(b.stack.server.pid) - serverCpu0;
    const benchCpuUs = process.cpuUsage(benchCpu0);
    const benchCpu = (benchCpuUs.user + benchCpuUs.system) / 1000;

    const stats = b.stack.scripted.stats();
    const ok = runs.filter((r) => !r.error);
    const timings = await Promise.all(ok.map((r) => analyseRun(r.handle, stats, latency, r.clientStart, r.clientEnd)));
    const walls = timings.map((t) => t.wallMs);
    const queues = timings.flatMap((t) => t.activities.map((a) => a.queueMs));
    const acts = timings.flatMap((t) => t.activities);
    const codexOwn = acts.filter((a) => a.type === 'codexCall').map((a) => a.runMs - a.modelMs);
    const turnExtra = acts.filter((a) => a.type === 'modelTurn').map((a) => a.runMs - a.modelMs);
    const spread = (xs: number[]) => ({ p50: median(xs), p95: percentile(xs, 95), max: Math.max(...xs) });
    const wfts = timings.flatMap((t) => t.workflowTaskQueueMs);
    const bytes = timings.map((t) => t.historyBytes);
    const events = timings.map((t) => t.events);
    const codexSelf = usage.selfCpuMsByName['codex mcp-server'] ?? 0;
    const codexHwm = Object.entries(usage.peakByName)
      .filter(([name]) => name.startsWith('codex'))
      .reduce((m, [, v]) => Math.max(m, v), 0);
    return {
      runs: n,
      failed: runs.length - ok.length,
      workers: workerCount,
      maxActivities: maxActivities ?? 'default',
      elapsedMs,
      runsPerMinute: (ok.length / elapsedMs) * 60_000,
      runMs: { p50: median(walls), p95: percentile(walls, 95), max: Math.max(...walls) },
      idealRunMs: median(timings.map((t) => t.criticalInjectedMs)),
      scheduleToStartMs: { p50: median(queues), p95: percentile(queues, 95), max: Math.max(...queues) },
      codexOwnMsPerCall: spread(codexOwn),
      modelTurnExtraMs: spread(turnExtra),
      workflowTaskQueueMs: { p50: median(wfts), p95: percentile(wfts, 95), max: Math.max(...wfts) },
      workflowTaskTimeouts: timings.reduce((s, t) => s + t.workflowTaskTimeouts, 0),
      workflowTaskTimeoutTypes: [...new Set(timings.flatMap((t) => t.workflowTaskTimeoutTypes))],
      memory: {
        peakTreeRss: usage.peakTreeRss,
        workerNodeHwm: nodeHwm,
        codexHwm,
        peakProcesses: usage.peakProcesses,
      },
      cores: {
        worker: usage.cpuMs / elapsedMs,
        temporalServer: serverCpu / elapsedMs,
        benchAndScriptedModel: benchCpu / elapsedMs,
      },
      cpuMsPerRun: {
        worker: usage.cpuMs / n,
        workerNode: usage.rootSelfCpuMs / n,
        codexServer: codexSelf / n,
        codexChildren: (usage.cpuMs - usage.rootSelfCpuMs - codexSelf) / n,
        temporalServer: serverCpu / n,
        benchAndScriptedModel: benchCpu / n,
        sampledByProcess: Object.fromEntries(
          Object.entries(usage.selfCpuMsByName).map(([k, v]) => [k, Math.round(v / n)]),
        ),
      },
      historyBytes: { mean: bytes.reduce((s, x) => s + x, 0) / (bytes.length || 1), max: Math.max(...bytes) },
      events: { mean: events.reduce((s, x) => s + x, 0) / (events.length || 1), max: Math.max(...events) },
    };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
}

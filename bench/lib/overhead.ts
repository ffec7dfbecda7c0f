/**
 * Overhead and parallel speed-up: single runs on an in-process worker, Frontend ∥ Backend (the pipeline as it runs)
 * interleaved with Frontend then Backend (`sequentialBranches`, as the cookbook's handoffs run).
 */
import type { BenchOptions } from './args';
import { median, percentile } from './format';
import { runPipeline, startBenchStack, type BenchStack } from './pipeline';
import {
  analyseRun,
  MULTI_AGENT_ROLES,
  type Breakdown,
  type InjectedLatency,
  type RoleCounts,
  type RunTiming,
} from './timing';

export interface OverheadReport {
  runs: number;
  wallMs: number;
  criticalInjectedMs: number;
  /** Median of wall / critical path over the runs, with the spread. */
  ratio: { median: number; min: number; max: number };
  /** The same with the Codex binary's own work counted as work, not overhead: what orchestration adds. */
  ratioExcludingCodexWork: number;
  /** (wall - injected critical path) / activities on the chain. */
  overheadMsPerActivity: number;
  /** The same without the Codex binary's own work: Temporal, activity code, file activities, client. */
  orchestrationMsPerActivity: number;
  /** Temporal's share per activity: dispatch (schedule -> start) plus the workflow task before it. */
  temporalMsPerActivity: number;
  codexOwnMsPerCall: number;
  /** Median of each term along the chain of activities that tiles the run (ms). */
  breakdown: Breakdown;
  /** Over every activity of every run. */
  scheduleToStartMs: { p50: number; p95: number; max: number };
  workflowTaskGapMs: { p50: number; p95: number; max: number };
  /** Activities per role counted in the history: each role is 2 model turns + 1 Codex call in the script. */
  roleCounts: Record<string, Omit<RoleCounts, 'injectedMs'>>;
  roleShapeVerified: boolean;
  historyBytes: number;
  events: number;
  warmupMs: number;
}

export interface ParallelReport {
  runs: number;
  sequentialSegmentMs: number;
  concurrentSegmentMs: number;
  speedup: number;
  /** (Frontend + Backend) / max(Frontend, Backend) of the injected latency: 2.0 when equal. */
  idealSpeedup: number;
  sequentialWallMs: number;
  concurrentWallMs: number;
  segments: { sequential: number[]; concurrent: number[] };
}

export interface PipelineReports {
  overhead?: OverheadReport;
  parallel?: ParallelReport;
  timings: { concurrent: RunTiming[]; sequential: RunTiming[] };
}

export async function measurePipelines(o: BenchOptions, log: (line: string) => void): Promise<PipelineReports> {
  const latency: InjectedLatency = { turnMs: o.turnMs, codexMs: o.codexMs, codexRequestMs: o.codexRequestMs };
  const b = await startBenchStack(latency, true);
  const timings = { concurrent: [] as RunTiming[], sequential: [] as RunTiming[] };
  try {
    const warmupMs = await warmUp(b, latency);
    log(`  warm-up run (no latency, starts the Codex server): ${warmupMs} ms`);
    const wantParallel = o.only.includes('parallel');
    for (let i = 1; i <= o.runs; i++) {
      const variants = wantParallel ? [false, true] : [false];
      for (const sequentialBranches of variants) {
        const label = sequentialBranches ? 'sequential' : 'concurrent';
        const t = await measuredRun(b, latency, label, sequentialBranches);
        (sequentialBranches ? timings.sequential : timings.concurrent).push(t);
        log(
          `  run ${i}/${o.runs} ${label.padEnd(10)}: wall ${t.wallMs} ms, critical path ${t.criticalInjectedMs} ms, ` +
            `Frontend/Backend segment ${t.branchSegmentMs} ms`,
        );
      }
    }
    return {
      overhead: o.only.includes('overhead') ? overheadReport(timings.concurrent, warmupMs) : undefined,
      parallel: wantParallel ? parallelReport(timings.sequential, timings.concurrent) : undefined,
      timings,
    };
  } finally {
    await b.stop();
  }
}

async function warmUp(b: BenchStack, latency: InjectedLatency): Promise<number> {
  b.stack.scripted.setLatency({ agentMs: 0, codexMs: 0, codexCallMs: 0 });
  const run = await runPipeline(b, 'warmup');
  b.stack.scripted.setLatency({
    agentMs: latency.turnMs,
    codexMs: latency.codexRequestMs,
    codexCallMs: latency.codexMs,
  });
  if (run.error) throw new Error(`warm-up run failed: ${String(run.error)}`);
  return run.clientEnd - run.clientStart;
}

async function measuredRun(
  b: BenchStack,
  latency: InjectedLatency,
  label: string,
  sequentialBranches: boolean,
): Promise<RunTiming> {
  const run = await runPipeline(b, label, { sequentialBranches });
  if (run.error) throw new Error(`${label} run ${run.handle.workflowId} failed: ${String(run.error)}`);
  return analyseRun(run.handle, b.stack.scripted.stats(), latency, run.clientStart, run.clientEnd, b.clock);
}

const spread = (xs: number[]) => ({ p50: median(xs), p95: percentile(xs, 95), max: Math.max(...xs) });

export function overheadReport(runs: RunTiming[], warmupMs: number): OverheadReport {
  const ratios = runs.map((r) => r.wallMs / r.criticalInjectedMs);
  const pick = (f: (r: RunTiming) => number) => median(runs.map(f));
  const b = (k: Exclude<keyof Breakdown, 'ownByType'>) => pick((r) => r.breakdown[k]);
  const breakdown: Breakdown = {
    activities: b('activities'),
    codexCalls: b('codexCalls'),
    injected: b('injected'),
    codexOwn: b('codexOwn'),
    activityOwn: b('activityOwn'),
    scriptedServe: b('scriptedServe'),
    temporalQueue: b('temporalQueue'),
    temporalDelivery: b('temporalDelivery'),
    temporalGap: b('temporalGap'),
    startAndFinish: b('startAndFinish'),
    ownByType: Object.fromEntries(
      [...new Set(runs.flatMap((r) => Object.keys(r.breakdown.ownByType)))].map((t) => [
        t,
        {
          ms: pick((r) => r.breakdown.ownByType[t]?.ms ?? 0),
          count: pick((r) => r.breakdown.ownByType[t]?.count ?? 0),
        },
      ]),
    ),
  };
  const first = runs[0];
  const roleCounts = Object.fromEntries(
    MULTI_AGENT_ROLES.map((role) => {
      const c = first?.roles[role];
      return [
        role,
        { modelTurns: c?.modelTurns ?? 0, codexCalls: c?.codexCalls ?? 0, codexRequests: c?.codexRequests ?? 0 },
      ];
    }),
  );
  const roleShapeVerified = runs.every((r) =>
    MULTI_AGENT_ROLES.every((role) => r.roles[role].modelTurns === 2 && r.roles[role].codexCalls === 1),
  );
  const all = runs.flatMap((r) => r.activities);
  const gaps = runs.flatMap((r) => {
    const sorted = [...r.activities].sort((x, y) => x.scheduledAt - y.scheduledAt);
    return sorted.flatMap((a) => {
      const before = r.activities.filter((p) => p.endedAt <= a.scheduledAt).map((p) => p.endedAt);
      return before.length ? [a.scheduledAt - Math.max(...before)] : [];
    });
  });
  return {
    runs: runs.length,
    wallMs: pick((r) => r.wallMs),
    criticalInjectedMs: pick((r) => r.criticalInjectedMs),
    ratio: { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) },
    ratioExcludingCodexWork: pick((r) => (r.wallMs - r.breakdown.codexOwn) / r.criticalInjectedMs),
    overheadMsPerActivity: pick((r) => (r.wallMs - r.criticalInjectedMs) / r.breakdown.activities),
    orchestrationMsPerActivity: pick(
      (r) => (r.wallMs - r.criticalInjectedMs - r.breakdown.codexOwn) / r.breakdown.activities,
    ),
    temporalMsPerActivity: pick(
      (r) =>
        (r.breakdown.temporalQueue + r.breakdown.temporalDelivery + r.breakdown.temporalGap) / r.breakdown.activities,
    ),
    codexOwnMsPerCall: pick((r) => r.breakdown.codexOwn / (r.breakdown.codexCalls || 1)),
    breakdown,
    scheduleToStartMs: spread(all.map((a) => a.queueMs)),
    workflowTaskGapMs: spread(gaps),
    roleCounts,
    roleShapeVerified,
    historyBytes: pick((r) => r.historyBytes),
    events: pick((r) => r.events),
    warmupMs,
  };
}

export function parallelReport(sequential: RunTiming[], concurrent: RunTiming[]): ParallelReport {
  const seq = sequential.map((r) => r.branchSegmentMs);
  const par = concurrent.map((r) => r.branchSegmentMs);
  const inj = concurrent[0]?.branchInjected ?? { frontend: 0, backend: 0 };
  return {
    runs: Math.min(seq.length, par.length),
    sequentialSegmentMs: median(seq),
    concurrentSegmentMs: median(par),
    speedup: median(seq) / median(par),
    idealSpeedup: (inj.frontend + inj.backend) / Math.max(inj.frontend, inj.backend),
    sequentialWallMs: median(sequential.map((r) => r.wallMs)),
    concurrentWallMs: median(concurrent.map((r) => r.wallMs)),
    segments: { sequential: seq, concurrent: par },
  };
}

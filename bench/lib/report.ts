/** The benchmark's tables. Every number comes from a measured run; the goals are the issue's. */
import type { BenchOptions } from './args';
import type { ConcurrencyLevel } from './concurrency';
import { kb, mb, msf, ratio, secs, table } from './format';
import type { OverheadReport, ParallelReport } from './overhead';
import type { ResumeReport } from './resume';

export interface BenchResults {
  scripted: true;
  note: string;
  machine: { cpus: number; node: string; loadAvgStart: number[]; loadAvgEnd?: number[] };
  options: BenchOptions;
  overhead?: OverheadReport;
  parallel?: ParallelReport;
  resume?: ResumeReport;
  concurrency?: ConcurrencyLevel[];
}

const pass = (ok: boolean) => (ok ? 'PASS' : 'MISS');

export function renderOverhead(r: OverheadReport): string {
  const b = r.breakdown;
  const shape = Object.entries(r.roleCounts)
    .map(([role, c]) => `${role} ${c.modelTurns}+${c.codexCalls} (${c.codexRequests} Codex requests)`)
    .join(', ');
  return [
    table(
      `1. Overhead: one run, Frontend ∥ Backend (median of ${r.runs}; SCRIPTED model)`,
      ['measure', 'value', 'goal'],
      [
        ['wall time, client start -> result', secs(r.wallMs), ''],
        ['critical path of injected latency', secs(r.criticalInjectedMs), ''],
        [
          'overhead ratio wall / critical path',
          `${ratio(r.ratio.median)} (${ratio(r.ratio.min)}-${ratio(r.ratio.max)})`,
          `<= 1.05 ${pass(r.ratio.median <= 1.05)}`,
        ],
        [
          '  same, Codex binary work counted as work',
          ratio(r.ratioExcludingCodexWork),
          `<= 1.05 ${pass(r.ratioExcludingCodexWork <= 1.05)}`,
        ],
        ['overhead per activity on the critical chain', msf(r.overheadMsPerActivity), ''],
        ['  of which Temporal (dispatch + workflow task)', msf(r.temporalMsPerActivity), ''],
        ["  Codex binary's own work per Codex call", msf(r.codexOwnMsPerCall), ''],
        [
          'schedule -> start, all activities p50/p95/max',
          `${msf(r.scheduleToStartMs.p50)} / ${msf(r.scheduleToStartMs.p95)} / ${msf(r.scheduleToStartMs.max)}`,
          '',
        ],
        [
          'completion -> next scheduled p50/p95/max',
          `${msf(r.workflowTaskGapMs.p50)} / ${msf(r.workflowTaskGapMs.p95)} / ${msf(r.workflowTaskGapMs.max)}`,
          '',
        ],
        ['history size / events per run', `${kb(r.historyBytes)} / ${r.events}`, '< 1 MB'],
        ['warm-up run (no latency, first Codex start)', secs(r.warmupMs), ''],
      ],
    ),
    '',
    table(
      `   Where the wall time went, along the chain of ${b.activities} activities that tiles the run (median ms)`,
      ['term', 'ms', 'share'],
      (
        [
          ['injected latency (scripted model)', b.injected],
          ["Codex binary's own work (threads, apply_patch, sandboxed exec)", b.codexOwn],
          ['activity code and file activities', b.activityOwn],
          ['scripted model answer time beyond latency', b.scriptedServe],
          ['Temporal: schedule -> start', b.temporalQueue],
          ['Temporal: completion -> next scheduled (workflow task)', b.temporalGap],
          ['client start -> first activity, last activity -> client result', b.startAndFinish],
        ] as [string, number][]
      ).map(([k, v]) => [k, msf(v), `${((v / r.wallMs) * 100).toFixed(1)}%`]),
    ),
    `   Activities per role in the history (model turns + Codex calls): ${shape}; ` +
      `2 + 1 for every role: ${r.roleShapeVerified ? 'verified' : 'NOT verified'}.`,
  ].join('\n');
}

export function renderParallel(r: ParallelReport): string {
  return table(
    `2. Parallel speed-up of the Frontend/Backend segment (median of ${r.runs} each; SCRIPTED model)`,
    ['measure', 'value', 'goal'],
    [
      ['segment, sequential (Frontend then Backend)', secs(r.sequentialSegmentMs), ''],
      ['segment, concurrent (Frontend ∥ Backend)', secs(r.concurrentSegmentMs), ''],
      ['speed-up', `${ratio(r.speedup, 2)}x`, `>= 1.9x ${pass(r.speedup >= 1.9)}`],
      ['ideal speed-up from the injected latency', `${ratio(r.idealSpeedup, 2)}x`, ''],
      ['whole run, sequential / concurrent', `${secs(r.sequentialWallMs)} / ${secs(r.concurrentWallMs)}`, ''],
    ],
  );
}

export function renderResume(r: ResumeReport): string {
  const rows: string[][] = [
    ['killed', r.killedDuring, ''],
    [
      'finished calls repeated after resume: model / Codex',
      `${r.repeated.modelCalls} / ${r.repeated.codexCalls}`,
      `0 / 0 ${pass(r.repeated.modelCalls === 0 && r.repeated.codexCalls === 0)}`,
    ],
    ['requests of the interrupted Codex call done again', String(r.repeated.requestsOfInterruptedCodexCall), ''],
    ['work lost in the interrupted call', msf(r.lostWorkMs), ''],
    ['kill -> run completed (resume time)', secs(r.resumeMs), ''],
    [`  kill -> retry started (heartbeat timeout ${secs(r.heartbeatTimeoutMs)} + retry ${secs(r.retryInitialIntervalMs)})`, secs(r.killToRetryStartMs), ''],
    ['  retry started -> completed (remaining work)', secs(r.retryToDoneMs), ''],
    ['  remaining work, injected latency', secs(r.remainingInjectedMs), ''],
    ['  kill -> new worker process ready (in parallel)', secs(r.workerRestartMs), ''],
    ['workflow task timeouts (sticky queue of the dead worker)', String(r.workflowTaskTimeouts), ''],
    ['retried activity', r.retriedActivity ? `${r.retriedActivity.summary ?? r.retriedActivity.type}, attempt ${r.retriedActivity.attempt}` : 'none', ''],
    ['  why', r.retriedActivity?.lastFailure?.slice(0, 60) ?? '', ''],
    ['whole run with the crash', secs(r.runWithCrashMs), ''],
    [
      "seed's way: the whole pipeline again",
      `${secs(r.fromScratch.wallMs)}, ${r.fromScratch.modelCalls} model + ${r.fromScratch.codexCalls} Codex calls`,
      '',
    ],
    [
      '  of which already finished before the crash',
      `${r.finishedBeforeKill.modelCalls} model + ${r.finishedBeforeKill.codexCalls} Codex calls`,
      '',
    ],
  ];
  return table('3. Resume cost after a worker crash in the Tester step (SCRIPTED model)', ['measure', 'value', 'goal'], rows);
}

export function renderConcurrency(levels: ConcurrencyLevel[]): string {
  const rows = levels.map((l) => [
    String(l.runs),
    String(l.maxActivities),
    String(l.failed),
    l.runsPerMinute.toFixed(1),
    `${secs(l.runMs.p50)} / ${secs(l.runMs.p95)}`,
    ratio(l.runMs.p50 / l.idealRunMs, 2),
    `${msf(l.scheduleToStartMs.p50)} / ${msf(l.scheduleToStartMs.p95)}`,
    mb(l.memory.peakTreeRss),
    `${mb(l.memory.workerNodeHwm)} / ${mb(l.memory.codexHwm)}`,
    String(l.memory.peakProcesses),
    `${l.cores.worker.toFixed(2)} / ${l.cores.temporalServer.toFixed(2)} / ${l.cores.benchAndScriptedModel.toFixed(2)}`,
    `${kb(l.historyBytes.mean)} / ${kb(l.historyBytes.max)}`,
  ]);
  const main = table(
    '4. Concurrency: N runs at once on one worker process (SCRIPTED model; fresh worker per level)',
    [
      'N',
      'slots',
      'failed',
      'runs/min',
      'run p50 / p95',
      'p50/ideal',
      'sched->start p50/p95',
      'peak RSS tree',
      'node / codex HWM',
      'procs',
      'cores worker/server/bench',
      'history mean/max',
    ],
    rows,
  );
  const cpuRows = levels.map((l) => {
    const c = l.cpuMsPerRun;
    const cells = [c.worker, c.workerNode, c.codexServer, c.codexChildren, c.temporalServer, c.benchAndScriptedModel];
    return [String(l.runs), ...cells.map(msf)];
  });
  const cpu = table(
    '   CPU time per run (this machine has 2 cores)',
    ['N', 'worker tree', 'worker node', 'codex server', "codex's children", 'Temporal server', 'bench + scripted model'],
    cpuRows,
  );
  return `${main}\n\n${cpu}`;
}

/** The benchmark's tables. Every number comes from a measured run; the goals are the issue's. */
import type { BenchOptions } from './args';
import type { HostLossReport } from './host-loss';
import type { NoMoveReport } from './no-move';
import type { LongRoleReport } from './long-role';
import type { ConcurrencyLevel } from './concurrency';
import { kb, mb, msf, ratio, secs, table } from './format';
import type { OverheadReport, ParallelReport } from './overhead';
import type { McpServerBenchReport } from './mcp-server';
import type { CrashMeasure, ResumeReport } from './resume';

export interface BenchResults {
  scripted: true;
  note: string;
  machine: { cpus: number; node: string; loadAvgStart: number[]; loadAvgEnd?: number[] };
  options: BenchOptions;
  overhead?: OverheadReport;
  parallel?: ParallelReport;
  resume?: ResumeReport;
  concurrency?: ConcurrencyLevel[];
  hostLoss?: HostLossReport;
  noMove?: NoMoveReport;
  mcpServer?: McpServerBenchReport;
  longRole?: LongRoleReport;
}

const pass = (ok: boolean) => (ok ? 'PASS' : 'MISS');

/** Issue 22's table: each per-run figure beside its goal (medians over the runs). */
export function renderStepCost(r: OverheadReport, load: readonly number[]): string {
  const b = r.breakdown;
  const goal = (ok: boolean, text: string) => `${text} ${pass(ok)}`;
  return table(
    `1a. Cost of the steps (issue 22; median of ${r.runs}; load ${load.map((x) => x.toFixed(2)).join(' ')})`,
    ['figure', 'value', 'goal'],
    [
      ['all-in ratio wall / critical path', ratio(r.ratio.median), goal(r.ratio.median <= 1.1, '<= 1.10')],
      [
        "  same, Codex binary's own work counted as work",
        ratio(r.ratioExcludingCodexWork),
        goal(r.ratioExcludingCodexWork <= 1.03, '<= 1.03'),
      ],
      [
        "overhead per critical-chain activity, without Codex's work",
        msf(r.orchestrationMsPerActivity),
        goal(r.orchestrationMsPerActivity <= 40, '<= 40 ms'),
      ],
      ['activity code and file activities per run', msf(b.activityOwn), goal(b.activityOwn <= 200, '<= 200 ms')],
      [
        'workflow-task round trips per run (completion -> next scheduled)',
        msf(b.temporalGap),
        goal(b.temporalGap <= 350, '<= 350 ms'),
      ],
      ['activities on the critical chain', String(b.activities), goal(b.activities <= 18, '<= 18')],
      [
        'history per cookbook run',
        `${kb(r.historyBytes)} / ${r.events} events`,
        goal(r.historyBytes <= 200 * 1024, '<= 200 KB'),
      ],
      ["Codex binary's own work per call", msf(r.codexOwnMsPerCall), goal(r.codexOwnMsPerCall <= 600, '<= 600 ms')],
    ],
  );
}

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
        ["  without the Codex binary's own work", msf(r.orchestrationMsPerActivity), ''],
        ['  of which Temporal (dispatch, delivery, workflow task)', msf(r.temporalMsPerActivity), ''],
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
          ["Temporal: task to the activity's code, result back into history", b.temporalDelivery],
          ['Temporal: completion -> next scheduled (workflow task)', b.temporalGap],
          ['client start -> first activity, last activity -> client result', b.startAndFinish],
        ] as [string, number][]
      ).map(([k, v]) => [k, msf(v), `${((v / r.wallMs) * 100).toFixed(1)}%`]),
    ),
    `   Activity code and file activities by type (chain count, median ms): ${Object.entries(b.ownByType)
      .map(([t, v]) => `${t} ${v.count}x ${msf(v.ms)}`)
      .join(', ')}.`,
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
  const cols = r.crashes.map((c) => (c.stickyReset ? 'sticky queue reset' : 'as is'));
  const row = (label: string, f: (c: CrashMeasure) => string, goal = '') => [label, ...r.crashes.map(f), goal];
  const rows: string[][] = [
    row(
      'finished calls repeated: model / Codex',
      (c) => `${c.repeated.modelCalls} / ${c.repeated.codexCalls}`,
      `0 / 0 ${pass(r.crashes.every((c) => c.repeated.modelCalls === 0 && c.repeated.codexCalls === 0))}`,
    ),
    row('requests of the interrupted Codex call redone', (c) => String(c.repeated.requestsOfInterruptedCodexCall)),
    row('work lost in the interrupted call', (c) => msf(c.lostWorkMs)),
    row('kill -> run completed (resume time)', (c) => secs(c.resumeMs)),
    row(
      `  kill -> retry started (heartbeat ${secs(r.heartbeatTimeoutMs)} + retry ${secs(r.retryInitialIntervalMs)})`,
      (c) => secs(c.killToRetryStartMs),
    ),
    row('  retried call done -> next activity (sticky wait)', (c) => secs(c.afterRetryWorkflowTaskMs)),
    row('  retry started -> completed (remaining work)', (c) => secs(c.retryToDoneMs)),
    row('  remaining work, injected latency', (c) => secs(c.remainingInjectedMs)),
    row('  kill -> new worker process ready (meanwhile)', (c) => secs(c.workerRestartMs)),
    row('workflow task timeouts in the history', (c) => String(c.workflowTaskTimeouts)),
    row('retried activity', (c) =>
      c.retriedActivity
        ? `${c.retriedActivity.summary ?? c.retriedActivity.type} #${c.retriedActivity.attempt}`
        : 'none',
    ),
    row('whole run with the crash', (c) => secs(c.runWithCrashMs)),
    row(
      'finished before the crash: model + Codex calls',
      (c) => `${c.finishedBeforeKill.modelCalls} + ${c.finishedBeforeKill.codexCalls}`,
    ),
  ];
  const killed = r.crashes[0]?.killedDuring ?? '';
  const seed =
    `   The seed's way after a crash: the whole pipeline again, measured ${secs(r.fromScratch.wallMs)} with ` +
    `${r.fromScratch.modelCalls} model + ${r.fromScratch.codexCalls} Codex calls (all finished ones repeated).`;
  return [
    table(
      `3. Resume after the worker process is killed (${killed}; SCRIPTED model)`,
      ['measure', ...cols, 'goal'],
      rows,
    ),
    seed,
  ].join('\n');
}

export function renderConcurrency(levels: ConcurrencyLevel[]): string {
  const p = (x: { p50: number; p95: number; max: number }, f: (n: number) => string) =>
    `${f(x.p50)} / ${f(x.p95)} / ${f(x.max)}`;
  const speed = table(
    '4. Concurrency: N runs started at once (SCRIPTED model; fresh worker processes per level)',
    [
      'N',
      'workers',
      'slots',
      'failed',
      'runs/min',
      'run p50 / p95 / max',
      'p50 / ideal',
      'activity sched->start p50/p95/max',
      'Codex own work per call p50/p95',
    ],
    levels.map((l) => [
      String(l.runs),
      String(l.workers),
      String(l.maxActivities),
      String(l.failed),
      l.runsPerMinute.toFixed(1),
      p(l.runMs, secs),
      ratio(l.runMs.p50 / l.idealRunMs, 2),
      p(l.scheduleToStartMs, msf),
      `${msf(l.codexOwnMsPerCall.p50)} / ${msf(l.codexOwnMsPerCall.p95)}`,
    ]),
  );
  const resources = table(
    '   Resources and history',
    [
      'N',
      'peak RSS worker tree',
      'node / codex peak',
      'procs',
      'cores worker / server / bench',
      'workflow task sched->start p50/p95/max',
      'wf task timeouts',
      'history mean / max',
    ],
    levels.map((l) => [
      String(l.runs),
      mb(l.memory.peakTreeRss),
      `${mb(l.memory.workerNodeHwm)} / ${mb(l.memory.codexHwm)}`,
      String(l.memory.peakProcesses),
      `${l.cores.worker.toFixed(2)} / ${l.cores.temporalServer.toFixed(2)} / ${l.cores.benchAndScriptedModel.toFixed(2)}`,
      p(l.workflowTaskQueueMs, msf),
      l.workflowTaskTimeouts ? `${l.workflowTaskTimeouts} (${l.workflowTaskTimeoutTypes.join(', ')})` : '0',
      `${kb(l.historyBytes.mean)} / ${kb(l.historyBytes.max)}`,
    ]),
  );
  const cpu = table(
    '   CPU time per run (this machine has 2 cores)',
    [
      'N',
      'worker tree',
      'worker node',
      'codex server',
      "codex's children",
      'Temporal server',
      'bench + scripted model',
    ],
    levels.map((l) => {
      const c = l.cpuMsPerRun;
      const cells = [c.worker, c.workerNode, c.codexServer, c.codexChildren, c.temporalServer, c.benchAndScriptedModel];
      return [String(l.runs), ...cells.map(msf)];
    }),
  );
  return [speed, resources, cpu].join('\n\n');
}

export function renderMcpServer(r: McpServerBenchReport): string {
  const spread = (xs: number[]) => xs.map((x) => Math.round(x)).join(', ');
  const calls = table(
    `6. MCP server: one trivial codex call (median of ${r.runs}; same Codex 0.153.4, SCRIPTED model)`,
    ['path', 'median', 'runs (ms)', 'goal'],
    [
      ['straight to codex mcp-server', msf(r.directMedianMs), spread(r.directMs), ''],
      [
        'through mcp-server (durable session)',
        msf(r.durableMedianMs),
        spread(r.durableMs),
        `<= 1.10x + 50 ms = ${msf(r.goalMs)} ${pass(r.ok)}`,
      ],
      ...(r.compare ? [[`compare: ${r.compare.repo}`, msf(r.compare.medianMs), spread(r.compare.ms), '']] : []),
    ],
  );
  const phases = table(
    'Where a durable call goes (median per phase; client clock and history event times)',
    ['phase', 'median'],
    r.phases.map((p) => [p.what, msf(p.ms)]),
  );
  return `${calls}\n\n${phases}`;
}

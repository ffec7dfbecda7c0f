/**
 * "long role": one role of many model turns with a real reasoning model's item sizes (8 KB encrypted reasoning per
 * answer, 4 KB Codex summaries; the scripted model's `pad` fault, src/scripted-model/padding.ts). What grows with the
 * conversation: the history's size, its largest single payload (Temporal warns from 512 KB and refuses 2 MB), and
 * the workflow-task round trip (activity completed -> next model turn scheduled) early and late in the role.
 */
import { gzipSync } from 'node:zlib';
import { temporal } from '@temporalio/proto';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { startRun } from '../../src/runtime/runs';
import { checkTeam } from '../../src/shared/team';
import type { FaultRule } from '../../src/scripted-model/faults';
import type { BenchOptions } from './args';
import { kb, msf, ratio, table } from './format';
import { startBenchStack } from './pipeline';

export interface LongRoleReport {
  turns: number;
  reasoningBytes: number;
  codexSummaryBytes: number;
  status: string;
  wallMs: number;
  events: number;
  historyBytes: number;
  largestPayload: { bytes: number; where: string };
  /** The model turn's own input payload, first and last. */
  turnInputBytes: { first: number; last: number };
  /** Activity completed (or run started) -> model turn k scheduled, for k = 1, middle, last. */
  workflowTaskMs: { turn: number; ms: number }[];
  /** History bytes up to model turn k's scheduling, fitted a + b·k (least squares), and its R². */
  fit: { intercept: number; bytesPerTurn: number; r2: number };
  /** History bytes the last tenth of the turns added over what the middle tenth added: 1 when linear. */
  lastOverMiddleTenth: number;
  /** History bytes added per turn, over the first, middle and last tenth of the turns. */
  perTurnBytes: { first: number; middle: number; last: number };
  /** All payload bytes, and the same with each payload gzipped: what a compressing payload codec would save. */
  payloads: { bytes: number; gzipped: number };
  /** Where the history's bytes are, by kind of event (the largest first). */
  bytesByEvent: { event: string; bytes: number; count: number }[];
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export async function measureLongRole(o: BenchOptions, log: (line: string) => void): Promise<LongRoleReport> {
  const turns = o.longTurns;
  const pad = { reasoningBytes: 8 * 1024, codexSummaryBytes: 4 * 1024 };
  // No injected latency: this scenario is about sizes and workflow tasks, not the model's speed.
  const b = await startBenchStack({ turnMs: 0, codexMs: 0, codexRequestMs: 0 }, true);
  try {
    const faults: FaultRule[] = [
      {
        kind: 'agent',
        role: 'writer',
        times: 'always',
        effect: { pad: { reasoningBytes: pad.reasoningBytes, turns } },
      },
      { kind: 'codex', times: 'always', effect: { pad: { textBytes: pad.codexSummaryBytes } } },
    ];
    b.stack.scripted.setFaults(faults);
    const checked = checkTeam({
      name: 'long-role',
      roles: [
        {
          id: 'writer',
          instructions: 'You write the notes, with Codex.',
          deliverables: [{ path: 'NOTES.md' }],
        },
      ],
      max_turns_per_role: turns,
    });
    if (!checked.ok) throw new Error(`long-role team: ${JSON.stringify(checked.issues)}`);
    const started = Date.now();
    const handle = await startRun(b.stack.client, {
      kind: 'team',
      input: { team: checked.team, task: 'Write NOTES.md: three short notes on the release.', maxTurnsPerAgent: turns },
      workflowId: `bench-long-role-${Date.now()}`,
      taskQueue: b.stack.taskQueue,
    });
    let status = 'completed';
    await handle.result().catch((err: unknown) => {
      status = `failed: ${err instanceof Error ? err.message : String(err)}`;
    });
    const wallMs = Date.now() - started;
    const history = await handle.fetchHistory();
    const report = analyse(history.events ?? [], turns, pad, status, wallMs);
    log(`  long role: ${report.status}, ${report.turns} model turns, ${report.events} events in ${wallMs} ms`);
    return report;
  } finally {
    b.stack.scripted.setFaults([]);
    await b.stop();
  }
}

function analyse(
  events: HistoryEvent[],
  wanted: number,
  pad: { reasoningBytes: number; codexSummaryBytes: number },
  status: string,
  wallMs: number,
): LongRoleReport {
  const sizes = events.map((e) => temporal.api.history.v1.HistoryEvent.encode(e).finish().length);
  let largest = { bytes: 0, where: 'none' };
  const payloads = { bytes: 0, gzipped: 0 };
  for (const [i, e] of events.entries()) {
    const zipped: number[] = [];
    const all = payloadSizes(e, zipped);
    payloads.bytes += all.reduce((n, x) => n + x, 0);
    payloads.gzipped += zipped.reduce((n, x) => n + x, 0);
    for (const bytes of all) {
      if (bytes > largest.bytes) largest = { bytes, where: `event ${i + 1} ${eventName(e)}` };
    }
  }
  const byEvent = new Map<string, { bytes: number; count: number }>();
  for (const [i, e] of events.entries()) {
    const k = eventName(e);
    const cur = byEvent.get(k) ?? { bytes: 0, count: 0 };
    byEvent.set(k, { bytes: cur.bytes + (sizes[i] ?? 0), count: cur.count + 1 });
  }
  const at = (e: HistoryEvent) => optionalTsToMs(e.eventTime) ?? 0;
  const scheduled: { index: number; gapMs: number; inputBytes: number }[] = [];
  let lastDone = 0;
  let cumulative = 0;
  const cumulativeAt: number[] = [];
  for (const [i, e] of events.entries()) {
    cumulative += sizes[i] ?? 0;
    cumulativeAt.push(cumulative);
    if (e.workflowExecutionStartedEventAttributes || e.activityTaskCompletedEventAttributes) lastDone = at(e);
    const s = e.activityTaskScheduledEventAttributes;
    if (s?.activityType?.name === 'modelTurn') {
      const inputBytes = (s.input?.payloads ?? []).reduce((n, p) => n + (p.data?.length ?? 0), 0);
      scheduled.push({ index: i, gapMs: at(e) - lastDone, inputBytes });
    }
  }
  const xs = scheduled.map((_, k) => k + 1);
  const ys = scheduled.map((s) => cumulativeAt[s.index] ?? 0);
  const pick = [...new Set([1, Math.ceil(scheduled.length / 2), scheduled.length])].filter((k) => k >= 1);
  const tenth = Math.max(1, Math.floor(scheduled.length / 10));
  const mid = Math.floor(ys.length / 2);
  const added = (from: number, to: number) => (ys[to - 1] ?? 0) - (from === 0 ? 0 : (ys[from - 1] ?? 0));
  return {
    turns: scheduled.length,
    reasoningBytes: pad.reasoningBytes,
    codexSummaryBytes: pad.codexSummaryBytes,
    status: scheduled.length === wanted ? status : `${status} (${scheduled.length} of ${wanted} turns)`,
    wallMs,
    events: events.length,
    historyBytes: cumulative,
    largestPayload: largest,
    turnInputBytes: { first: scheduled[0]?.inputBytes ?? 0, last: scheduled.at(-1)?.inputBytes ?? 0 },
    workflowTaskMs: pick.map((k) => ({ turn: k, ms: scheduled[k - 1]?.gapMs ?? NaN })),
    fit: linearFit(xs, ys),
    lastOverMiddleTenth: added(ys.length - tenth, ys.length) / Math.max(1, added(mid, mid + tenth)),
    perTurnBytes: {
      first: added(1, 1 + tenth) / tenth,
      middle: added(mid, mid + tenth) / tenth,
      last: added(ys.length - tenth, ys.length) / tenth,
    },
    payloads,
    bytesByEvent: [...byEvent.entries()]
      .map(([event, v]) => ({ event, ...v }))
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, 4),
  };
}

/** Sizes of the payloads an event carries (any `{ metadata, data }` inside it). */
function payloadSizes(e: HistoryEvent, gzipped?: number[]): number[] {
  const out: number[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (!v || typeof v !== 'object' || depth > 8 || v instanceof Uint8Array) return;
    const r = v as Record<string, unknown>;
    if (r.data instanceof Uint8Array && r.metadata && typeof r.metadata === 'object') {
      const meta = Object.values(r.metadata as Record<string, Uint8Array>).reduce((n, m) => n + (m?.length ?? 0), 0);
      out.push(r.data.length + meta);
      gzipped?.push(gzipSync(r.data).length + meta);
      return;
    }
    for (const x of Object.values(r)) walk(x, depth + 1);
  };
  walk(e, 0);
  return out;
}

function eventName(e: HistoryEvent): string {
  const key = Object.keys(e).find((k) => k.endsWith('EventAttributes') && (e as Record<string, unknown>)[k]);
  const type = e.activityTaskScheduledEventAttributes?.activityType?.name;
  return `${key?.replace(/EventAttributes$/, '') ?? 'event'}${type ? ` (${type})` : ''}`;
}

function linearFit(xs: number[], ys: number[]): { intercept: number; bytesPerTurn: number; r2: number } {
  const n = xs.length;
  if (n < 2) return { intercept: ys[0] ?? 0, bytesPerTurn: 0, r2: NaN };
  const mx = xs.reduce((s, x) => s + x, 0) / n;
  const my = ys.reduce((s, y) => s + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (xs[i] ?? 0) - mx;
    const dy = (ys[i] ?? 0) - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  const slope = sxy / sxx;
  return { intercept: my - slope * mx, bytesPerTurn: slope, r2: syy === 0 ? 1 : (sxy * sxy) / (sxx * syy) };
}

export function renderLongRole(r: LongRoleReport): string {
  const rows: string[][] = [
    ['run', r.status],
    ['model turns (one role)', String(r.turns)],
    ['item sizes', `reasoning ${kb(r.reasoningBytes)}, Codex summary ${kb(r.codexSummaryBytes)}`],
    ['history (encoded events)', `${kb(r.historyBytes)} / ${r.events} events`],
    ['largest single payload (goal <= 128 KB)', `${kb(r.largestPayload.bytes)} (${r.largestPayload.where})`],
    ['model turn input, first / last', `${kb(r.turnInputBytes.first)} / ${kb(r.turnInputBytes.last)}`],
    ...r.workflowTaskMs.map((w) => [`workflow task -> model turn ${w.turn} scheduled`, msf(w.ms)]),
    [
      'history up to turn k, linear fit',
      `${kb(r.fit.intercept)} + ${kb(r.fit.bytesPerTurn)}·k (R² ${ratio(r.fit.r2, 4)})`,
    ],
    [
      'history added per turn: first / middle / last tenth',
      `${kb(r.perTurnBytes.first)} / ${kb(r.perTurnBytes.middle)} / ${kb(r.perTurnBytes.last)}`,
    ],
    ['last tenth / middle tenth (1 = linear)', ratio(r.lastOverMiddleTenth, 2)],
    ['payload bytes in the history / each gzipped (a codec)', `${kb(r.payloads.bytes)} / ${kb(r.payloads.gzipped)}`],
    ...r.bytesByEvent.map((e) => [`  of which ${e.event}`, `${kb(e.bytes)} in ${e.count}`]),
    ['wall', msf(r.wallMs)],
  ];
  return table("Long role (scripted model padded to a reasoning model's sizes)", ['figure', 'value'], rows);
}

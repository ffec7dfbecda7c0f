/**
 * timeline.svg: a Gantt chart of the run, hand-written SVG with no dependency. One row per role; inside each role's
 * span, bars for model turns, Codex calls and gates (overlapping calls get their own lanes); the time before a
 * retried activity's last attempt (failed attempts and backoff) is hatched red; a time axis runs along the bottom.
 */
import type { ReportSpan, ReportStep, ReportVerification, RunReport } from './model';

const WIDTH = 960;
const PLOT_LEFT = 178;
const PLOT_RIGHT = WIDTH - 28;
const TOP = 62;
const LANE = 12;
const LANE_GAP = 3;
const ROW_PAD = 9;
const MIN_ROW = 34;

const COLORS = {
  model: '#4c78a8',
  codex: '#f58518',
  gate: '#54a24b',
  verify: '#72b7b2',
  verifyFailed: '#b5443f',
  setup: '#9d9d9d',
  retry: '#e45756',
} as const;

export function renderTimelineSvg(r: RunReport): string {
  const spans = [...r.setup, ...r.steps.flatMap(stepSpans)];
  const ends = spans.map((s) => s.endedAt ?? s.startedAt ?? s.scheduledAt);
  const end = r.endedAt ?? Math.max(r.generatedAt, ...ends);
  const total = Math.max(1, end - r.startedAt);
  const x = (t: number) =>
    PLOT_LEFT + ((Math.min(Math.max(t, r.startedAt), end) - r.startedAt) / total) * (PLOT_RIGHT - PLOT_LEFT);
  const w = (a: number, b: number) => Math.max(2, x(b) - x(a));

  const stripes: string[] = [];
  const rows: string[] = [];
  let y = TOP;
  r.steps.forEach((step, i) => {
    const lanes = assignLanes(stepSpans(step), end);
    const height = Math.max(MIN_ROW, lanes.count * (LANE + LANE_GAP) - LANE_GAP + 2 * ROW_PAD);
    if (i % 2 === 0) stripes.push(`<rect x="0" y="${y}" width="${WIDTH}" height="${height}" fill="#f6f7f9"/>`);
    rows.push(renderRow(step, y, height, lanes.placed, { x, w, end }));
    y += height;
  });
  const axisY = y + 6;
  const height = axisY + 44;
  const title = `${r.summary ?? r.workflowId}: ${r.status}, ${fmtSecs(total)}`;
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<title>${esc(`Timeline of ${r.workflowId}`)}</title>`,
    `<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fbe3e3"/><rect width="3" height="6" fill="${COLORS.retry}"/></pattern></defs>`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="12" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`,
    legend(r.steps.some((s) => s.verification.length > 0)),
    ...stripes,
    renderAxis(total, TOP, axisY, x, r.startedAt),
    ...rows,
    `<text x="12" y="${height - 8}" fill="#555">${esc(footer(r))}</text>`,
    `</svg>`,
    '',
  ].join('\n');
}

function stepSpans(s: ReportStep): ReportSpan[] {
  return [...s.modelTurns, ...s.codexCalls, ...s.gates, ...s.verification].sort(
    (a, b) => a.scheduledAt - b.scheduledAt,
  );
}

/** Greedy lanes: a span goes into the first lane whose last span ended before it was scheduled. */
export function assignLanes(
  spans: ReportSpan[],
  end: number,
): { placed: { span: ReportSpan; lane: number }[]; count: number } {
  const laneEnds: number[] = [];
  const placed = spans.map((span) => {
    let lane = laneEnds.findIndex((e) => e <= span.scheduledAt);
    if (lane < 0) lane = laneEnds.push(0) - 1;
    laneEnds[lane] = span.endedAt ?? end;
    return { span, lane };
  });
  return { placed, count: Math.max(1, laneEnds.length) };
}

interface Scale {
  x: (t: number) => number;
  w: (a: number, b: number) => number;
  end: number;
}

function renderRow(
  step: ReportStep,
  top: number,
  height: number,
  placed: { span: ReportSpan; lane: number }[],
  { x, w, end }: Scale,
): string {
  const out: string[] = [
    `<g class="role" id="role-${step.role}" data-role="${step.role}" data-status="${step.status}">`,
  ];
  const mid = top + height / 2;
  out.push(`<text x="12" y="${f(mid - 2)}" font-weight="bold">${esc(step.title)}</text>`);
  out.push(`<text x="12" y="${f(mid + 12)}" fill="#666" font-size="10">${esc(rowCaption(step))}</text>`);
  if (step.startedAt !== undefined) {
    const stepEnd = step.endedAt ?? end;
    const stroke = step.status === 'failed' ? COLORS.retry : '#8a94a6';
    out.push(
      `<rect class="span" x="${f(x(step.startedAt))}" y="${top + 3}" width="${f(w(step.startedAt, stepEnd))}" height="${height - 6}" rx="4" fill="#e8ecf3" stroke="${stroke}" stroke-width="1">` +
        `<title>${esc(`${step.title}: ${step.status}, ${fmtSecs(stepEnd - step.startedAt)}`)}</title></rect>`,
    );
  }
  for (const { span, lane } of placed) {
    const y = top + ROW_PAD + lane * (LANE + LANE_GAP);
    const from = span.startedAt ?? span.scheduledAt;
    const to = span.endedAt ?? end;
    if (span.attempts > 1 && span.startedAt !== undefined) {
      const why = `${span.label}: ${span.attempts - 1} failed attempt(s) and backoff before attempt ${span.attempts}. Last failure: ${span.retryReason ?? 'not recorded'}`;
      out.push(
        `<rect class="bar retry" data-activity="${esc(span.activityId)}" x="${f(x(span.scheduledAt))}" y="${y}" width="${f(w(span.scheduledAt, span.startedAt))}" height="${LANE}" fill="url(#hatch)" stroke="${COLORS.retry}" stroke-width="0.8"><title>${esc(why)}</title></rect>`,
      );
    }
    const failed = span.status === 'failed' || span.status === 'timed-out';
    const checks = span.kind === 'verify' ? verifyNote(span as ReportVerification) : '';
    const tip = `${span.label}${checks}: ${fmtSecs(to - from)}${span.attempts > 1 ? `, attempt ${span.attempts}` : ''}${failed ? `, ${span.status}: ${span.failure ?? ''}` : ''}`;
    const roundFailed = span.kind === 'verify' && (span as ReportVerification).passed === false;
    const fill = roundFailed ? COLORS.verifyFailed : COLORS[span.kind];
    const cls = roundFailed ? `${span.kind} round-failed` : span.kind;
    out.push(
      `<rect class="bar ${cls}" data-activity="${esc(span.activityId)}" x="${f(x(from))}" y="${y}" width="${f(w(from, to))}" height="${LANE}" rx="2" fill="${fill}"${failed ? ` stroke="${COLORS.retry}" stroke-width="2"` : ''}><title>${esc(tip)}</title></rect>`,
    );
  }
  out.push('</g>');
  return out.join('\n');
}

function rowCaption(s: ReportStep): string {
  const parts: string[] = [s.status];
  if (s.durationMs !== undefined) parts.push(fmtSecs(s.durationMs));
  if (s.codexCalls.length) parts.push(`${s.codexCalls.length} Codex`);
  const retries = s.retries.length;
  if (retries) parts.push(`${retries} retr${retries === 1 ? 'y' : 'ies'}`);
  return parts.join(' · ');
}

/** " (failed, exit 1)" or " (passed)" for a verification round's tooltip. */
function verifyNote(v: ReportVerification): string {
  if (v.passed === undefined) return '';
  if (v.passed) return ' (passed)';
  return ` (failed, ${v.problem ?? (v.timedOut ? 'timed out' : `exit ${v.exitCode ?? '?'}`)})`;
}

function legend(verifies: boolean): string {
  const items: [string, string][] = [
    [COLORS.model, 'model turn'],
    [COLORS.codex, 'Codex call'],
    [COLORS.gate, 'gate (files checked)'],
    ...(verifies
      ? ([
          [COLORS.verify, 'verification passed'],
          [COLORS.verifyFailed, 'verification failed'],
        ] as [string, string][])
      : []),
    ['url(#hatch)', 'failed attempts + backoff'],
  ];
  let x = PLOT_LEFT;
  const out = ['<g class="legend">'];
  for (const [fill, label] of items) {
    out.push(`<rect x="${x}" y="33" width="14" height="10" fill="${fill}" stroke="#888" stroke-width="0.5"/>`);
    out.push(`<text x="${x + 19}" y="42" fill="#333">${esc(label)}</text>`);
    x += 38 + label.length * 6.2;
  }
  out.push('</g>');
  return out.join('\n');
}

function renderAxis(total: number, top: number, axisY: number, x: (t: number) => number, start: number): string {
  const step = niceStep(total / 8);
  const out = ['<g class="axis" font-size="10" fill="#555">'];
  out.push(`<line x1="${PLOT_LEFT}" y1="${axisY}" x2="${PLOT_RIGHT}" y2="${axisY}" stroke="#555"/>`);
  for (let t = 0; t <= total + 1e-6; t += step) {
    const tx = f(x(start + t));
    out.push(`<line x1="${tx}" y1="${top}" x2="${tx}" y2="${axisY}" stroke="#d5d9e0" stroke-dasharray="2,3"/>`);
    out.push(`<line x1="${tx}" y1="${axisY}" x2="${tx}" y2="${axisY + 5}" stroke="#555"/>`);
    out.push(`<text x="${tx}" y="${axisY + 17}" text-anchor="middle">${esc(fmtTick(t, step))}</text>`);
  }
  out.push(`<text x="${PLOT_RIGHT}" y="${axisY + 31}" text-anchor="end">time since the run started</text>`);
  out.push('</g>');
  return out.join('\n');
}

/** 1, 2 or 5 times a power of ten (ms), at least `raw`. */
export function niceStep(raw: number): number {
  const pow = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  for (const m of [1, 2, 5, 10]) if (m * pow >= raw) return m * pow;
  return 10 * pow;
}

function fmtTick(ms: number, step: number): string {
  if (step >= 60_000) return `${Math.round(ms / 60_000)}m`;
  return step >= 1000 ? `${Math.round(ms / 1000)}s` : `${(ms / 1000).toFixed(1)}s`;
}

function footer(r: RunReport): string {
  const t = r.totals;
  const retries = t.activityRetries + t.deliverableRetries;
  const n = (x: number) => x.toLocaleString('en-US');
  return (
    `${t.modelTurns} model turn${t.modelTurns === 1 ? '' : 's'}, ${t.codexCalls} Codex call${t.codexCalls === 1 ? '' : 's'}, ` +
    `${retries} ${retries === 1 ? 'retry' : 'retries'}; ` +
    `${n(t.tokens)} tokens (model ${n(t.modelTokens.total)}, Codex ${n(t.codexTokens.total)})${r.scripted ? '; scripted model' : ''}`
  );
}

const fmtSecs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const f = (n: number) => (Math.round(n * 10) / 10).toString();

/** Control characters XML 1.0 forbids (ANSI escapes in error messages): dropped by `esc`. */
// eslint-disable-next-line no-control-regex
const XML_FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g;

/** Escapes text for XML text nodes and attribute values. */
export function esc(s: string): string {
  return s
    .replace(XML_FORBIDDEN, '')
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}

/**
 * The fault matrix's real-stack columns (worker SIGKILL, Temporal server restart): each disruption of a run is labelled
 * by the kinds of activity open at that instant (scheduled, not yet closed, in the recorded history), and a column
 * lists per kind the disruptions that hit it. The fast columns are test/unit/fault-matrix.cases.ts.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { WorkflowRecord } from '../../src/report/history';
import type { RunOutcome } from '../../src/runtime/runs';
import { openAt } from './crash';

/** The matrix's rows, by the activity types that stand for them (see kindsOpenAt for a gate that commits, and checks that
 * list). The report row is the run's final listing (the files the report is built from) and the report itself,
 * written from the history by the client. */
export const MATRIX_KINDS = [
  ['model turn', ['modelTurn']],
  ['Codex call', ['codexCall']],
  ['gate', ['checkDeliverables']],
  ['commit/push', ['commitStep']],
  ['verification', ['runVerification']],
  ['report', ['listWorkspace', 'report']],
] as const;
export type MatrixKind = (typeof MATRIX_KINDS)[number][0];

/**
 * The matrix kinds open at `at` in the run's history. A gate asked to commit its step once it passes (patch
 * 'step-end-folded') is a gate and a commit/push at once; the last role's checks asked to list the run's files (patch
 * 'verify-lists') are a verification and the run's final listing (the report row) at once.
 */
export function kindsOpenAt(h: WorkflowRecord, at: number): MatrixKind[] {
  const open = openAt(h, at);
  const types = new Set(open.map((a) => a.type));
  if (open.some((a) => a.type === 'checkDeliverables' && (a.input as { commit?: unknown } | undefined)?.commit)) {
    types.add('commitStep');
  }
  if (open.some((a) => a.type === 'runVerification' && (a.input as { list?: unknown } | undefined)?.list)) {
    types.add('listWorkspace');
  }
  return MATRIX_KINDS.filter(([, ts]) => ts.some((t) => types.has(t))).map(([k]) => k);
}

export interface MatrixHit {
  /** The disruption (kill point or restart point) and its run. */
  label: string;
  kinds: MatrixKind[];
}

/**
 * The column: per kind, the disruptions that hit it. Every kind must be hit at least once, and every run they hit has
 * already passed its checks (completed, nothing lost, nothing redone), so each cell reads `outcome`.
 */
export function matrixColumn(fault: string, hits: MatrixHit[], outcome = 'completed'): string[] {
  const lines = [`fault matrix, column "${fault}" (every run completed, no finished step lost or redone):`];
  for (const [kind] of MATRIX_KINDS) {
    const by = hits.filter((h) => h.kinds.includes(kind)).map((h) => h.label);
    assert.ok(by.length > 0, `${fault} × ${kind}: no disruption hit this kind of activity`);
    lines.push(`  ${kind.padEnd(13)} | ${outcome} (${by.length}: ${by.join(', ')})`);
  }
  return lines;
}

/** The report written after the run (finishRun): REPORT.md and run.json in the workspace, every role and file in them. */
export function assertReportWhole(outcome: RunOutcome, roles: readonly string[]): void {
  assert.equal(outcome.reportError, undefined, outcome.reportError);
  const paths = outcome.reportPaths;
  assert.ok(paths && existsSync(paths.markdown) && existsSync(paths.json), 'REPORT.md and run.json written');
  assert.equal(path.dirname(paths.markdown), outcome.result?.workspace, 'in the workspace');
  const md = readFileSync(paths.markdown, 'utf8');
  assert.equal(outcome.report?.status, 'completed');
  const steps = outcome.report?.steps ?? [];
  assert.deepEqual(
    steps.map((s) => s.role),
    [...roles],
    'the report has every step',
  );
  for (const s of steps) assert.ok(s.status === 'done' && s.commit, `${s.role} done and committed in the report`);
  assert.deepEqual(outcome.report?.files, outcome.result?.files, "the report lists the run's files");
  for (const f of outcome.result?.files ?? []) assert.ok(md.includes(f.path), `REPORT.md lists ${f.path}`);
}

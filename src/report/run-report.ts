/**
 * The run report: REPORT.md (for people), timeline.svg (a Gantt chart of the steps) and run.json (the same data for
 * machines), built from the workflow's recorded history. `finishRun` writes it when a run ends; `npm run report`
 * rebuilds it for any past run.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { writeFileAtomic } from '../runtime/disk';
import { buildRunReport } from './build';
import { readHistory } from './history';
import { renderMarkdown, TIMELINE_FILE } from './markdown';
import type { RunReport } from './model';
import { renderTimelineSvg } from './timeline';

export type { RunReport } from './model';
export { buildRunReport } from './build';
export { renderMarkdown } from './markdown';
export { renderTimelineSvg } from './timeline';

export interface ReportPaths {
  markdown: string;
  timeline: string;
  json: string;
}

/** Reads a run's history from Temporal and builds its report. Throws WorkflowNotFoundError for an unknown run. */
export async function reportFromHistory(handle: WorkflowHandle, webUiUrl?: string): Promise<RunReport> {
  const description = await handle.describe();
  const history = await handle.fetchHistory();
  return buildRunReport(readHistory(history), { workflowId: handle.workflowId, runId: description.runId, webUiUrl });
}

/** The run's workspace when this machine can see it, else `<fallbackRoot>/<workflowId>`. */
export function reportDir(report: RunReport, fallbackRoot = path.resolve('reports')): string {
  return report.workspace && existsSync(report.workspace)
    ? report.workspace
    : path.join(fallbackRoot, report.workflowId);
}

/** Writes REPORT.md, timeline.svg and run.json into `dir`. */
export async function writeReport(dir: string, report: RunReport): Promise<ReportPaths> {
  await mkdir(dir, { recursive: true });
  const paths: ReportPaths = {
    markdown: path.join(dir, 'REPORT.md'),
    timeline: path.join(dir, TIMELINE_FILE),
    json: path.join(dir, 'run.json'),
  };
  // Each file whole or not at all: a full or read-only disk is a DiskFullError or ReadOnlyDiskError, no half file.
  await writeFileAtomic(paths.timeline, renderTimelineSvg(report));
  await writeFileAtomic(paths.json, JSON.stringify(report, null, 2) + '\n');
  await writeFileAtomic(paths.markdown, renderMarkdown(report));
  return paths;
}

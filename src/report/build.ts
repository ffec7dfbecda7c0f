/**
 * Builds the run report from a workflow's recorded history alone, so any past run (completed, failed, terminated or
 * still running) can be reported on without its worker: activity inputs say what was asked, results what came back.
 */
import { z } from 'zod';
import type { RoleId, Team } from '../shared/team';
import type { FileRecord } from '../shared/types';
import type { ActivityRecord, WorkflowRecord } from './history';
import {
  FileRecordSchema,
  ModelTurnResultSchema,
  MultiAgentInputSchema,
  ownerRole,
  parseOr,
  PlacementSchema,
  RunResultSchema,
  SingleAgentInputSchema,
  teamOfRecord,
  TeamRunInputSchema,
  titleIndex,
} from './payloads';
import { REPORT_SCHEMA_VERSION, type ReportSpan, type ReportStep, type RunReport } from './model';
import { peopleOf } from './people';
import { buildStep, sumUsage, toSpan, type ReportRoleSpec } from './step';

export interface BuildReportOptions {
  workflowId: string;
  runId?: string;
  webUiUrl?: string;
  /** When the report is generated (default now). */
  now?: number;
}

export function buildRunReport(rec: WorkflowRecord, o: BuildReportOptions): RunReport {
  const team = teamOfRecord(rec);
  const titles = titleIndex(team?.roles ?? []);
  const byRole = new Map<RoleId, ActivityRecord[]>();
  const setup: ReportSpan[] = [];
  for (const a of rec.activities) {
    const role = ownerRole(a, titles);
    if (role) byRole.set(role, [...(byRole.get(role) ?? []), a]);
    else setup.push(toSpan(a, 'setup', a.summary ?? a.type));
  }
  const steps = rolesOf(team, byRole).map((role) => buildStep(role, byRole.get(role.id) ?? [], rec));
  const turns = steps.flatMap((s) => s.modelTurns);
  const startedAt = rec.startedAt ?? rec.activities[0]?.scheduledAt ?? o.now ?? Date.now();
  const modelTokens = sumUsage(steps.map((s) => s.modelUsage));
  const codexTokens = sumUsage(steps.map((s) => s.codexUsage));
  const retries = steps.flatMap((s) => s.retries);
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    workflowId: o.workflowId,
    runId: o.runId,
    workflowType: rec.workflowType,
    team: team?.name,
    summary: rec.summary,
    status: rec.status,
    scripted: rec.activities.some((a) => a.type === 'modelTurn' && parseOr(ModelTurnResultSchema, a.result)?.scripted),
    models: [...new Set(turns.map((t) => t.model).filter((m): m is string => m !== undefined))],
    task:
      parseOr(TeamRunInputSchema, rec.input)?.task ??
      parseOr(MultiAgentInputSchema, rec.input)?.taskList ??
      parseOr(SingleAgentInputSchema, rec.input)?.prompt,
    workspace: workspaceOf(rec),
    ...placementOf(rec),
    webUiUrl: o.webUiUrl,
    startedAt,
    endedAt: rec.endedAt,
    durationMs: rec.endedAt !== undefined ? rec.endedAt - startedAt : undefined,
    error: rec.failure,
    ...(rec.cancelRequest && { cancelRequest: rec.cancelRequest }),
    steps,
    setup,
    files: filesOf(rec, steps),
    totals: {
      modelTurns: turns.length,
      codexCalls: steps.reduce((n, s) => n + s.codexCalls.length, 0),
      activityRetries: retries.filter((r) => r.kind === 'activity').length,
      deliverableRetries: retries.filter((r) => r.kind === 'deliverables').length,
      modelTokens,
      codexTokens,
      tokens: modelTokens.total + codexTokens.total,
    },
    ...peopleField(rec),
    historyEvents: rec.eventCount,
    generatedAt: o.now ?? Date.now(),
  };
}

/** The team's roles in team order; without a known team, the roles seen in the history (titled by id). */
function rolesOf(team: Team | undefined, seen: Map<RoleId, unknown>): ReportRoleSpec[] {
  if (team) return team.roles;
  return [...seen.keys()].map((id) => ({ id, title: id, deliverables: [] }));
}

/** The run's branch and remote, and each move to a new host, from its prepareWorkspace activities. */
function placementOf(rec: WorkflowRecord): Pick<RunReport, 'branch' | 'remote' | 'hostMoves'> {
  const placed = rec.activities
    .filter((a) => a.type === 'prepareWorkspace' && a.status === 'completed')
    .map((a) => ({ at: a.endedAt ?? a.scheduledAt, p: parseOr(PlacementSchema, a.result) }))
    .flatMap(({ at, p }) => (p ? [{ at, ...p }] : []));
  const first = placed[0];
  if (!first) return {};
  const hostMoves = placed
    .slice(1)
    .map((p, i) => ({ from: placed[i]?.host ?? '?', to: p.host, commit: p.commit, at: p.at }));
  return { branch: first.branch, remote: first.remote, hostMoves: hostMoves.length ? hostMoves : undefined };
}

function workspaceOf(rec: WorkflowRecord): string | undefined {
  const placed = [...rec.activities]
    .reverse()
    .find((a) => a.type === 'prepareWorkspace' && a.status === 'completed')?.result;
  const placement = parseOr(PlacementSchema, placed);
  if (placement) return placement.workspace;
  const created = rec.activities.find((a) => a.type === 'createWorkspace')?.result;
  return typeof created === 'string' ? created : parseOr(RunResultSchema, rec.result)?.workspace;
}

function filesOf(rec: WorkflowRecord, steps: ReportStep[]): FileRecord[] {
  const fromResult = parseOr(RunResultSchema, rec.result)?.files;
  if (fromResult) return fromResult;
  const listed = rec.activities.find((a) => a.type === 'listWorkspace' && a.status === 'completed')?.result;
  const parsed = parseOr(z.array(FileRecordSchema), listed);
  if (parsed) return parsed;
  return steps.flatMap((s) => s.files).sort((a, b) => a.path.localeCompare(b.path));
}

function peopleField(rec: WorkflowRecord): Pick<RunReport, 'people'> {
  const people = peopleOf(rec);
  return people.length ? { people } : {};
}

/**
 * Where the time of one pipeline run went, from its recorded history (server timestamps) and the scripted model's
 * request log (same clock: one machine). The injected latency is known exactly, so everything else is overhead,
 * split by who spent it: Temporal (dispatch, workflow tasks), our activity code, or the Codex binary's own work.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { activityRole, readHistory, type ActivityRecord } from '../../src/report/history';
import { builtinRole, COOKBOOK_ROLES } from '../../src/shared/builtin-teams';

/** The cookbook team's roles, the ones the benchmark's run uses. */
export type MultiAgentRole = 'project_manager' | 'designer' | 'frontend' | 'backend' | 'tester';
export const MULTI_AGENT_ROLES = COOKBOOK_ROLES as readonly MultiAgentRole[];
import type { RequestLogEntry, ScriptedStats } from '../../src/scripted-model';

export interface InjectedLatency {
  turnMs: number;
  codexMs: number;
  codexRequestMs: number;
}

/** How long each activity's own code ran, measured on the worker, by `clockKey` (absent: a worker in another process). */
export type WorkerClock = ReadonlyMap<string, number>;
export const clockKey = (workflowId: string, activityId: string, attempt: number): string =>
  `${workflowId}/${activityId}/${attempt}`;

export interface ActivityTiming {
  type: string;
  role?: MultiAgentRole;
  scheduledAt: number;
  startedAt: number;
  endedAt: number;
  attempt: number;
  /** Schedule -> start: Temporal's dispatch to a worker slot. */
  queueMs: number;
  /** Start -> completion recorded. */
  runMs: number;
  /** Of `runMs`, the activity's own code as the worker timed it; undefined when the worker is not in this process. */
  codeMs?: number;
  /** Latency the scripted model injected into requests made inside this activity. */
  injectedMs: number;
  /** Time the scripted model spent answering (injected latency included). */
  modelMs: number;
  requests: number;
}

export interface RoleCounts {
  modelTurns: number;
  codexCalls: number;
  codexRequests: number;
  injectedMs: number;
}

/** The chain of activities that tiled the run's wall time, and what it was spent on (ms, sums to wallMs). */
export interface Breakdown {
  activities: number;
  codexCalls: number;
  injected: number;
  /** Codex call duration not spent waiting for the model: thread start, apply_patch, sandboxed exec, MCP. */
  codexOwn: number;
  /** Model-turn activities minus the model's answer time, plus the file activities (workspace, gates). */
  activityOwn: number;
  /** Scripted model's own answer time beyond the injected latency. */
  scriptedServe: number;
  /** Schedule -> start of each activity on the chain. */
  temporalQueue: number;
  /**
   * Start -> completion beyond the activity's code as the worker timed it: the task's way to the code (poll answer,
   * SDK, payload decoding) and the result's way back into history. Zero when no worker clock was given.
   */
  temporalDelivery: number;
  /** Previous activity's completion -> next activity scheduled: a workflow task round trip. */
  temporalGap: number;
  /** Client start -> first activity scheduled, and last activity completed -> client has the result. */
  startAndFinish: number;
  /** `activityOwn` by activity type, with how many of that type are on the chain. */
  ownByType: Record<string, { ms: number; count: number }>;
}

export interface RunTiming {
  workflowId: string;
  wallMs: number;
  historyBytes: number;
  events: number;
  activities: ActivityTiming[];
  roles: Record<MultiAgentRole, RoleCounts>;
  /** PM + Designer + max(Frontend, Backend) + Tester of the injected latency. */
  criticalInjectedMs: number;
  breakdown: Breakdown;
  /** Designer's gate passed -> the later of the Frontend and Backend gates passed. */
  branchSegmentMs: number;
  /** Frontend and Backend injected latency: the segment's ideal length when sequential (sum) and parallel (max). */
  branchInjected: { frontend: number; backend: number };
  workflowTaskTimeouts: number;
  /** Why each workflow task timed out: schedule-to-start (a sticky queue nobody polled) or start-to-close. */
  workflowTaskTimeoutTypes: string[];
  /** Scheduled -> started of every workflow task: how long the workflow waited for the worker to run its code. */
  workflowTaskQueueMs: number[];
}

const GATE_ROLE = new Map<string, MultiAgentRole>(MULTI_AGENT_ROLES.map((r) => [builtinRole(r).title, r]));

function roleOf(a: ActivityRecord): MultiAgentRole | undefined {
  const r = activityRole(a);
  if (r && (MULTI_AGENT_ROLES as readonly string[]).includes(r)) return r as MultiAgentRole;
  const gate = (a.input as { gate?: unknown } | undefined)?.gate;
  return typeof gate === 'string' ? GATE_ROLE.get(gate) : undefined;
}

export function injectedFor(e: RequestLogEntry, l: InjectedLatency): number {
  if (e.kind === 'agent') return l.turnMs;
  return l.codexRequestMs + (e.turn === 1 ? l.codexMs : 0);
}

/** Reads a finished run. `clientStart`/`clientEnd` bracket start() and result() on the client. */
export async function analyseRun(
  handle: WorkflowHandle,
  stats: ScriptedStats,
  latency: InjectedLatency,
  clientStart: number,
  clientEnd: number,
  clock?: WorkerClock,
): Promise<RunTiming> {
  const history = await handle.fetchHistory();
  const rec = readHistory(history);
  const requests = stats.requests.filter((e) => e.run === handle.workflowId && e.completed);
  const activities: ActivityTiming[] = rec.activities
    .filter((a) => a.startedAt !== undefined && a.endedAt !== undefined)
    .map((a) => {
      const role = roleOf(a);
      const startedAt = a.startedAt as number;
      const endedAt = a.endedAt as number;
      const kind = a.type === 'modelTurn' ? 'agent' : a.type === 'codexCall' ? 'codex' : undefined;
      const inside = kind
        ? requests.filter((e) => {
            const at = Date.parse(e.startedAt);
            return e.kind === kind && e.role === role && at >= startedAt - 5 && at <= endedAt;
          })
        : [];
      return {
        type: a.type,
        role,
        scheduledAt: a.scheduledAt,
        startedAt,
        endedAt,
        attempt: a.attempt,
        queueMs: startedAt - a.scheduledAt,
        runMs: endedAt - startedAt,
        codeMs: clock?.get(clockKey(handle.workflowId, a.activityId, a.attempt)),
        injectedMs: inside.reduce((s, e) => s + injectedFor(e, latency), 0),
        modelMs: inside.reduce((s, e) => s + (e.durationMs ?? 0), 0),
        requests: inside.length,
      };
    });

  const roles = Object.fromEntries(
    MULTI_AGENT_ROLES.map((r) => {
      const mine = activities.filter((a) => a.role === r);
      const counts: RoleCounts = {
        modelTurns: mine.filter((a) => a.type === 'modelTurn').length,
        codexCalls: mine.filter((a) => a.type === 'codexCall').length,
        codexRequests: mine.filter((a) => a.type === 'codexCall').reduce((s, a) => s + a.requests, 0),
        injectedMs: mine.reduce((s, a) => s + a.injectedMs, 0),
      };
      return [r, counts];
    }),
  ) as Record<MultiAgentRole, RoleCounts>;
  const inj = (r: MultiAgentRole) => roles[r].injectedMs;
  const criticalInjectedMs =
    inj('project_manager') + inj('designer') + Math.max(inj('frontend'), inj('backend')) + inj('tester');

  const gateEnd = (r: MultiAgentRole) =>
    activities
      .filter((a) => a.type === 'checkDeliverables' && a.role === r)
      .reduce((m, a) => Math.max(m, a.endedAt), 0);
  const branchSegmentMs = Math.max(gateEnd('frontend'), gateEnd('backend')) - gateEnd('designer');

  const events = history.events ?? [];
  return {
    workflowId: handle.workflowId,
    wallMs: clientEnd - clientStart,
    historyBytes: Buffer.byteLength(historyToJSON(history)),
    events: events.length,
    activities,
    roles,
    criticalInjectedMs,
    breakdown: breakdown(activities, clientStart, clientEnd),
    branchSegmentMs,
    branchInjected: { frontend: inj('frontend'), backend: inj('backend') },
    workflowTaskTimeouts: events.filter((e) => e.workflowTaskTimedOutEventAttributes).length,
    workflowTaskTimeoutTypes: events.flatMap((e) => {
      const t = e.workflowTaskTimedOutEventAttributes?.timeoutType;
      return t === undefined || t === null ? [] : [TIMEOUT_TYPES[t] ?? String(t)];
    }),
    workflowTaskQueueMs: workflowTaskQueueTimes(events),
  };
}

const TIMEOUT_TYPES: Record<number, string> = {
  1: 'start-to-close',
  2: 'schedule-to-start',
  3: 'schedule-to-close',
  4: 'heartbeat',
};

type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];

function workflowTaskQueueTimes(events: readonly HistoryEvent[]): number[] {
  const scheduled = new Map<string, number>();
  const out: number[] = [];
  for (const e of events) {
    const at = optionalTsToMs(e.eventTime) ?? 0;
    if (e.workflowTaskScheduledEventAttributes) scheduled.set(String(e.eventId), at);
    const started = e.workflowTaskStartedEventAttributes;
    const from = started && scheduled.get(String(started.scheduledEventId));
    if (from !== undefined && from !== null) out.push(at - from);
  }
  return out;
}

/**
 * Walks back from the last activity, each time to the activity that completed last before this one was scheduled:
 * a chain whose gaps, queue times and run times add up to the whole run.
 */
export function criticalChain(activities: readonly ActivityTiming[]): ActivityTiming[] {
  const sorted = [...activities].sort((a, b) => a.endedAt - b.endedAt);
  const chain: ActivityTiming[] = [];
  let cur = sorted[sorted.length - 1];
  while (cur) {
    chain.unshift(cur);
    const at: number = cur.scheduledAt;
    cur = sorted.filter((a) => a.endedAt <= at).pop();
  }
  return chain;
}

function breakdown(activities: readonly ActivityTiming[], clientStart: number, clientEnd: number): Breakdown {
  const chain = criticalChain(activities);
  const b: Breakdown = {
    activities: chain.length,
    codexCalls: chain.filter((a) => a.type === 'codexCall').length,
    injected: 0,
    codexOwn: 0,
    activityOwn: 0,
    scriptedServe: 0,
    temporalQueue: 0,
    temporalDelivery: 0,
    temporalGap: 0,
    startAndFinish: 0,
    ownByType: {},
  };
  chain.forEach((a, i) => {
    const prev = chain[i - 1];
    if (prev) b.temporalGap += a.scheduledAt - prev.endedAt;
    b.temporalQueue += a.queueMs;
    b.injected += a.injectedMs;
    b.scriptedServe += a.modelMs - a.injectedMs;
    // History times are whole milliseconds; the worker's are not: never more code than the history's start -> end.
    const code = Math.min(a.codeMs ?? a.runMs, a.runMs);
    b.temporalDelivery += a.runMs - code;
    if (a.type === 'codexCall') b.codexOwn += code - a.modelMs;
    else {
      b.activityOwn += code - a.modelMs;
      const t = (b.ownByType[a.type] ??= { ms: 0, count: 0 });
      t.ms += code - a.modelMs;
      t.count += 1;
    }
  });
  const first = chain[0];
  const last = chain[chain.length - 1];
  if (first && last) b.startAndFinish = first.scheduledAt - clientStart + (clientEnd - last.endedAt);
  return b;
}

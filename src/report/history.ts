/**
 * Reads a workflow's recorded history into activity records: what ran, with which input, when, how many attempts,
 * why retries happened, and what it returned. The run report and the end-to-end tests read the history this way.
 */
import type { temporal } from '@temporalio/proto';
import { defaultPayloadConverter } from '@temporalio/common';
import { optionalTsToMs } from '@temporalio/common/lib/time';

type History = temporal.api.history.v1.IHistory;
type Payload = temporal.api.common.v1.IPayload;

export interface ActivityRecord {
  activityId: string;
  type: string;
  summary?: string;
  scheduledAt: number;
  /** Start of the last attempt (Temporal records one started event, for the attempt that closed the activity). */
  startedAt?: number;
  endedAt?: number;
  attempt: number;
  status: 'scheduled' | 'started' | 'completed' | 'failed' | 'timed-out' | 'cancelled';
  /** The failure that made the previous attempt retry (last one only: Temporal keeps one). */
  lastFailure?: string;
  failure?: string;
  input?: unknown;
  result?: unknown;
  /** The queue it was scheduled on (a host's own queue for workspace activities) and the worker that ran it. */
  taskQueue?: string;
  worker?: string;
}

export interface WorkflowRecord {
  workflowType?: string;
  /** The static summary the run was started with (shown in the Web UI). */
  summary?: string;
  startedAt?: number;
  endedAt?: number;
  status: 'running' | 'completed' | 'failed' | 'terminated' | 'cancelled' | 'timed-out' | 'continued';
  input?: unknown;
  result?: unknown;
  failure?: string;
  /** When cancellation was requested, why (`--reason`) and by whom (the client's identity). */
  cancelRequest?: { at: number; reason?: string; identity?: string };
  activities: ActivityRecord[];
  /** Updates the run accepted (people's decisions; refused ones never enter the history), in order. */
  updates: UpdateRecord[];
  eventCount: number;
}

export interface UpdateRecord {
  updateId: string;
  name: string;
  at: number;
  input?: unknown;
  result?: unknown;
  failure?: string;
  /** The client identity that sent it. */
  identity?: string;
}

function decode(payloads: Payload[] | null | undefined): unknown {
  const first = payloads?.[0];
  if (!first) return undefined;
  try {
    return defaultPayloadConverter.fromPayload(first as never);
  } catch {
    return undefined;
  }
}

function failureText(f: temporal.api.failure.v1.IFailure | null | undefined): string | undefined {
  const parts: string[] = [];
  for (let cur = f; cur && parts.length < 5; cur = cur.cause) {
    const type = cur.applicationFailureInfo?.type;
    if (cur.message) parts.push(type ? `${type}: ${cur.message}` : cur.message);
  }
  return parts.length ? parts.join(' <- ') : undefined;
}

export function readHistory(history: History): WorkflowRecord {
  const events = history.events ?? [];
  const bySchedule = new Map<string, ActivityRecord>();
  const rec: WorkflowRecord = { status: 'running', activities: [], updates: [], eventCount: events.length };
  const updates = new Map<string, UpdateRecord>();
  for (const e of events) {
    const at = optionalTsToMs(e.eventTime) ?? 0;
    const id = String(e.eventId ?? '');
    if (e.workflowExecutionStartedEventAttributes) {
      const a = e.workflowExecutionStartedEventAttributes;
      rec.workflowType = a.workflowType?.name ?? undefined;
      const summary = e.userMetadata?.summary ? decode([e.userMetadata.summary]) : undefined;
      if (typeof summary === 'string') rec.summary = summary;
      rec.startedAt = at;
      rec.input = decode(a.input?.payloads);
    } else if (e.activityTaskScheduledEventAttributes) {
      const a = e.activityTaskScheduledEventAttributes;
      const summary = e.userMetadata?.summary ? decode([e.userMetadata.summary]) : undefined;
      const act: ActivityRecord = {
        activityId: a.activityId ?? id,
        type: a.activityType?.name ?? '?',
        summary: typeof summary === 'string' ? summary : undefined,
        scheduledAt: at,
        attempt: 1,
        status: 'scheduled',
        input: decode(a.input?.payloads),
        taskQueue: a.taskQueue?.name ?? undefined,
      };
      bySchedule.set(id, act);
      rec.activities.push(act);
    } else if (e.activityTaskStartedEventAttributes) {
      const a = e.activityTaskStartedEventAttributes;
      const act = bySchedule.get(String(a.scheduledEventId ?? ''));
      if (act) {
        act.startedAt = at;
        act.attempt = a.attempt ?? 1;
        act.status = 'started';
        act.lastFailure = failureText(a.lastFailure);
        act.worker = a.identity ?? undefined;
      }
    } else if (e.activityTaskCompletedEventAttributes) {
      const a = e.activityTaskCompletedEventAttributes;
      const act = bySchedule.get(String(a.scheduledEventId ?? ''));
      if (act) Object.assign(act, { endedAt: at, status: 'completed', result: decode(a.result?.payloads) });
    } else if (e.activityTaskFailedEventAttributes) {
      const a = e.activityTaskFailedEventAttributes;
      const act = bySchedule.get(String(a.scheduledEventId ?? ''));
      if (act) Object.assign(act, { endedAt: at, status: 'failed', failure: failureText(a.failure) });
    } else if (e.activityTaskTimedOutEventAttributes) {
      const a = e.activityTaskTimedOutEventAttributes;
      const act = bySchedule.get(String(a.scheduledEventId ?? ''));
      if (act) Object.assign(act, { endedAt: at, status: 'timed-out', failure: failureText(a.failure) });
    } else if (e.activityTaskCanceledEventAttributes) {
      const a = e.activityTaskCanceledEventAttributes;
      const act = bySchedule.get(String(a.scheduledEventId ?? ''));
      if (act) Object.assign(act, { endedAt: at, status: 'cancelled' });
    } else if (e.workflowExecutionUpdateAcceptedEventAttributes) {
      const req = e.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest;
      const update: UpdateRecord = {
        updateId: req?.meta?.updateId ?? id,
        name: req?.input?.name ?? '?',
        at,
        input: decode(req?.input?.args?.payloads),
        identity: req?.meta?.identity ?? undefined,
      };
      updates.set(update.updateId, update);
      rec.updates.push(update);
    } else if (e.workflowExecutionUpdateCompletedEventAttributes) {
      const a = e.workflowExecutionUpdateCompletedEventAttributes;
      const update = updates.get(a.meta?.updateId ?? '');
      if (update) {
        update.result = decode(a.outcome?.success?.payloads);
        update.failure = failureText(a.outcome?.failure);
      }
    } else if (e.workflowExecutionCompletedEventAttributes) {
      Object.assign(rec, {
        endedAt: at,
        status: 'completed',
        result: decode(e.workflowExecutionCompletedEventAttributes.result?.payloads),
      });
    } else if (e.workflowExecutionFailedEventAttributes) {
      Object.assign(rec, {
        endedAt: at,
        status: 'failed',
        failure: failureText(e.workflowExecutionFailedEventAttributes.failure),
      });
    } else if (e.workflowExecutionTerminatedEventAttributes) {
      Object.assign(rec, { endedAt: at, status: 'terminated' });
    } else if (e.workflowExecutionCancelRequestedEventAttributes) {
      const a = e.workflowExecutionCancelRequestedEventAttributes;
      rec.cancelRequest ??= { at, reason: a.cause || undefined, identity: a.identity || undefined };
    } else if (e.workflowExecutionCanceledEventAttributes) {
      Object.assign(rec, { endedAt: at, status: 'cancelled' });
    } else if (e.workflowExecutionTimedOutEventAttributes) {
      Object.assign(rec, { endedAt: at, status: 'timed-out' });
    } else if (e.workflowExecutionContinuedAsNewEventAttributes) {
      Object.assign(rec, { endedAt: at, status: 'continued' });
    }
  }
  return rec;
}

/** The role an agent activity worked for, from its input. */
export function activityRole(a: ActivityRecord): string | undefined {
  const input = a.input as { role?: unknown } | undefined;
  return typeof input?.role === 'string' ? input.role : undefined;
}

/**
 * A step's commit pushed, from the activity that made it: `commitStep`, or a gate that committed the step once it passed
 * (`checkDeliverables` with `commit`, patch `step-end-folded`). Undefined for any other activity, or one not completed.
 */
export function stepCommitOf(a: ActivityRecord): { role: string; result: unknown } | undefined {
  if (a.status !== 'completed') return undefined;
  if (a.type === 'commitStep') return { role: activityRole(a) ?? '', result: a.result };
  if (a.type !== 'checkDeliverables') return undefined;
  const asked = (a.input as { commit?: { role?: unknown } } | undefined)?.commit;
  const done = (a.result as { commit?: unknown } | undefined)?.commit;
  return typeof asked?.role === 'string' && done !== undefined ? { role: asked.role, result: done } : undefined;
}

/** True when two activity intervals overlap in time. */
export function overlaps(
  a: { startedAt?: number; endedAt?: number },
  b: { startedAt?: number; endedAt?: number },
): boolean {
  if (a.startedAt === undefined || b.startedAt === undefined || a.endedAt === undefined || b.endedAt === undefined) {
    return false;
  }
  return a.startedAt < b.endedAt && b.startedAt < a.endedAt;
}

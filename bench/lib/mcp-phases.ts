/**
 * Where one durable `codex` call's time goes, from the client's clock and the session's history (same machine, same
 * wall clock): the request until Temporal records the workflow's start, the first workflow task waiting and running,
 * the turn's activity waiting and running (Codex's own part as the activity measured it), and the answer's way back
 * from the recorded completion to the client.
 */
import type { Client } from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import type { temporal } from '@temporalio/proto';
import type { CodexCallOutput } from '../../src/shared/types';
import { median } from './format';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export const PHASES = [
  ['request', 'client sends -> workflow started in history'],
  ['wftQueued', 'first workflow task: scheduled -> started'],
  ['wftRun', 'first workflow task: started -> completed'],
  ['toActivity', 'workflow task completed -> turn activity scheduled'],
  ['activityQueued', 'turn activity: scheduled -> started'],
  ['activityOverhead', 'turn activity: run beyond the Codex call'],
  ['codex', 'the Codex call (as the activity timed it)'],
  ['answer', 'activity completed in history -> client has the answer'],
] as const;

export type PhaseName = (typeof PHASES)[number][0];
export type CallPhases = Record<PhaseName, number>;
export interface PhaseMedian {
  phase: PhaseName;
  what: string;
  ms: number;
}

export async function callPhases(
  client: Client,
  workflowId: string,
  call: { sentAt: number; answeredAt: number },
): Promise<CallPhases> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const at = (pick: (e: HistoryEvent) => unknown) => {
    const e = events.find((x) => pick(x));
    return e ? eventMs(e) : NaN;
  };
  const done = events.find((e) => e.activityTaskCompletedEventAttributes);
  const out = done
    ? await decodeFromPayloadsAtIndex<CodexCallOutput>(
        client.options.loadedDataConverter,
        0,
        done.activityTaskCompletedEventAttributes?.result?.payloads,
      )
    : undefined;
  const started = at((e) => e.workflowExecutionStartedEventAttributes);
  const wftScheduled = at((e) => e.workflowTaskScheduledEventAttributes);
  const wftStarted = at((e) => e.workflowTaskStartedEventAttributes);
  const wftCompleted = at((e) => e.workflowTaskCompletedEventAttributes);
  const actScheduled = at((e) => e.activityTaskScheduledEventAttributes);
  const actStarted = at((e) => e.activityTaskStartedEventAttributes);
  const actCompleted = done ? eventMs(done) : NaN;
  const codex = out?.durationMs ?? NaN;
  return {
    request: started - call.sentAt,
    wftQueued: wftStarted - wftScheduled,
    wftRun: wftCompleted - wftStarted,
    toActivity: actScheduled - wftCompleted,
    activityQueued: actStarted - actScheduled,
    activityOverhead: actCompleted - actStarted - codex,
    codex,
    answer: call.answeredAt - actCompleted,
  };
}

export function medianPhases(calls: CallPhases[]): PhaseMedian[] {
  return PHASES.map(([phase, what]) => ({ phase, what, ms: median(calls.map((c) => c[phase])) }));
}

function eventMs(e: HistoryEvent): number {
  return Number(e.eventTime?.seconds ?? 0) * 1000 + Math.round((e.eventTime?.nanos ?? 0) / 1e6);
}

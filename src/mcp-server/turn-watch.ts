/**
 * How a `codex` / `codex-reply` call learns its turn's result: from the session's history, the moment Temporal has
 * recorded the turn's activity as completed (the result is durable then), rather than after the workflow has taken
 * one more workflow task to complete the `codexTurn` Update and the Update's result has come back. The Update's own
 * result stays the answer for everything else (a failed turn, a session that closed, a history that cannot be read).
 * The same history reads drive the approval watch: each new batch of events is a moment to look for requests.
 */
import type { Client, WorkflowUpdateHandle } from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import { parseTurnActivityId, type CodexTurnResult } from '../shared/codex-session';
import type { CodexCallOutput } from '../shared/types';
import { followHistory, type HistoryEvent } from './history-follower';

export interface TurnWatch {
  /** The client-visible thread id (the session's). */
  sessionId: string;
  /** Called on every batch of new history events while the turn runs. */
  onEvents?: (events: HistoryEvent[]) => void;
  signal?: AbortSignal;
}

export async function awaitTurn(
  client: Client,
  update: WorkflowUpdateHandle<CodexTurnResult>,
  o: TurnWatch,
): Promise<CodexTurnResult> {
  const stop = new AbortController();
  const abort = () => stop.abort();
  o.signal?.addEventListener('abort', abort, { once: true });
  try {
    // The Update's result is asked for only when history has no answer: a second long poll open from the start
    // would cost every call an RPC at the moment its turn's activity starts on this process's worker.
    const fromHistory = await turnFromHistory(client, update, o, stop.signal).catch(() => undefined);
    return fromHistory ?? (await update.result());
  } finally {
    stop.abort();
    o.signal?.removeEventListener('abort', abort);
  }
}

/** The turn's result once its activity completed; undefined when it failed, its Update ended, or the run ended. */
async function turnFromHistory(
  client: Client,
  update: WorkflowUpdateHandle<CodexTurnResult>,
  o: TurnWatch,
  signal: AbortSignal,
): Promise<CodexTurnResult | undefined> {
  const scheduled = new Map<string, { turn: number; at: number }>();
  for await (const events of followHistory(client, update.workflowId, {
    signal,
    ...(update.workflowRunId && { runId: update.workflowRunId }),
  })) {
    o.onEvents?.(events);
    for (const e of events) {
      // The Update ended without (another) turn activity, e.g. its handler failed: its result says why.
      if (e.workflowExecutionUpdateCompletedEventAttributes?.meta?.updateId === update.updateId) return undefined;
      const s = e.activityTaskScheduledEventAttributes;
      const ours = s?.activityId ? parseTurnActivityId(s.activityId) : undefined;
      if (ours?.updateId === update.updateId) scheduled.set(String(e.eventId), { turn: ours.turn, at: eventMs(e) });
      const done = e.activityTaskCompletedEventAttributes;
      const failed =
        e.activityTaskFailedEventAttributes ??
        e.activityTaskTimedOutEventAttributes ??
        e.activityTaskCanceledEventAttributes;
      const turn = scheduled.get(String((done ?? failed)?.scheduledEventId ?? ''));
      if (!turn) continue;
      if (!done) return undefined; // retries are over: the Update says why
      const out = await decodeFromPayloadsAtIndex<CodexCallOutput>(
        client.options.loadedDataConverter,
        0,
        done.result?.payloads,
      );
      return {
        threadId: o.sessionId,
        content: out.content,
        codexThreadId: out.threadId,
        ...(out.continuedFromThreadId && { continuedFromCodexThreadId: out.continuedFromThreadId }),
        turn: turn.turn,
        durationMs: eventMs(e) - turn.at,
      };
    }
  }
  return undefined;
}

function eventMs(e: HistoryEvent): number {
  return Number(e.eventTime?.seconds ?? 0) * 1000 + Math.round((e.eventTime?.nanos ?? 0) / 1e6);
}

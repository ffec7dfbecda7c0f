/**
 * How a `codex` / `codex-reply` call learns its turn's result: from the session's history, the moment Temporal has
 * recorded the turn's activity as completed (the result is durable then), rather than after the workflow has taken
 * one more workflow task to complete the `codexTurn` Update and the Update's result has come back. The Update's own
 * result stays the answer for everything else (a failed turn, a session that closed, a history that cannot be read).
 * The same history reads drive the approval watch: each new batch of events is a moment to look for requests.
 */
import type { Client, WorkflowUpdateHandle } from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import { parseTurnActivityId, turnFailureText, type CodexTurnResult } from '../shared/codex-session';
import { CodexTurnFailedError } from '../shared/errors';
import type { CodexCallOutput } from '../shared/types';
import { followHistory, type HistoryEvent } from './history-follower';

export interface TurnWatch {
  /** The client-visible thread id (the session's). */
  sessionId: string;
  /** Called on every batch of new history events while the turn runs. */
  onEvents?: (events: HistoryEvent[]) => void;
  signal?: AbortSignal;
}

/** The turn to wait for: an Update's (whose result answers when history has none), or a session's first turn. */
export interface TurnRef {
  workflowId: string;
  runId?: string;
  /** The Update's id, or the first turn's `turnId`: the key in the turn's activity id. */
  turnKey: string;
  /** The Update's own result; absent for a first turn, whose failure is read from history too. */
  updateResult?: () => Promise<CodexTurnResult>;
}

/** After a failed history read, a first turn's watch reads again this often, for this long (a Temporal restart). */
const REREAD_AFTER_MS = 500;
const REREAD_FOR_MS = 120_000;

export const updateTurn = (update: WorkflowUpdateHandle<CodexTurnResult>): TurnRef => ({
  workflowId: update.workflowId,
  ...(update.workflowRunId && { runId: update.workflowRunId }),
  turnKey: update.updateId,
  updateResult: () => update.result(),
});

export async function awaitTurn(client: Client, turn: TurnRef, o: TurnWatch): Promise<CodexTurnResult> {
  const stop = new AbortController();
  const abort = () => stop.abort();
  o.signal?.addEventListener('abort', abort, { once: true });
  try {
    if (turn.updateResult) {
      // The Update's result is asked for only when history has no answer: a second long poll open from the start
      // would cost every call an RPC at the moment its turn's activity starts on this process's worker.
      const seen = await turnFromHistory(client, turn, o, stop.signal).catch(() => undefined);
      return seen && 'result' in seen ? seen.result : await turn.updateResult();
    }
    // A first turn has no Update: history is the only answer, so a failed read (Temporal restarting) reads again.
    for (let failedReads = 0; ;) {
      let seen: Seen | undefined;
      try {
        seen = await turnFromHistory(client, turn, o, stop.signal);
      } catch (err) {
        if (isNotFound(err) || ++failedReads * REREAD_AFTER_MS > REREAD_FOR_MS) throw err;
        await new Promise((r) => setTimeout(r, REREAD_AFTER_MS));
        continue;
      }
      if (seen && 'result' in seen) return seen.result;
      if (seen) throw new CodexTurnFailedError(seen.failure);
      throw new CodexTurnFailedError(
        stop.signal.aborted ? 'the call was cancelled' : 'the session ended before its first turn finished',
      );
    }
  } finally {
    stop.abort();
    o.signal?.removeEventListener('abort', abort);
  }
}

type Seen = { result: CodexTurnResult } | { failure: string };

/** The turn's result once its activity completed, or why it failed; undefined when its Update ended or the run did. */
async function turnFromHistory(
  client: Client,
  turn: TurnRef,
  o: TurnWatch,
  signal: AbortSignal,
): Promise<Seen | undefined> {
  const scheduled = new Map<string, { turn: number; at: number }>();
  for await (const events of followHistory(client, turn.workflowId, {
    signal,
    ...(turn.runId && { runId: turn.runId }),
  })) {
    o.onEvents?.(events);
    for (const e of events) {
      // The Update ended without (another) turn activity, e.g. its handler failed: its result says why.
      if (e.workflowExecutionUpdateCompletedEventAttributes?.meta?.updateId === turn.turnKey) return undefined;
      const s = e.activityTaskScheduledEventAttributes;
      const ours = s?.activityId ? parseTurnActivityId(s.activityId) : undefined;
      if (ours?.updateId === turn.turnKey) scheduled.set(String(e.eventId), { turn: ours.turn, at: eventMs(e) });
      const done = e.activityTaskCompletedEventAttributes;
      const failed =
        e.activityTaskFailedEventAttributes ??
        e.activityTaskTimedOutEventAttributes ??
        e.activityTaskCanceledEventAttributes;
      const mine = scheduled.get(String((done ?? failed)?.scheduledEventId ?? ''));
      if (!mine) continue;
      if (!done) {
        // Retries are over. An Update says why itself; a first turn's reason is the activity's failure.
        const failure = e.activityTaskFailedEventAttributes?.failure ?? e.activityTaskTimedOutEventAttributes?.failure;
        const err = failure
          ? client.options.loadedDataConverter.failureConverter.failureToError(
              failure,
              client.options.loadedDataConverter.payloadConverter,
            )
          : new Error('the turn was cancelled');
        return { failure: turnFailureText(err) };
      }
      const out = await decodeFromPayloadsAtIndex<CodexCallOutput>(
        client.options.loadedDataConverter,
        0,
        done.result?.payloads,
      );
      return {
        result: {
          threadId: o.sessionId,
          content: out.content,
          codexThreadId: out.threadId,
          ...(out.continuedFromThreadId && { continuedFromCodexThreadId: out.continuedFromThreadId }),
          turn: mine.turn,
          durationMs: eventMs(e) - mine.at,
        },
      };
    }
  }
  return undefined;
}

/** gRPC NOT_FOUND: the session's workflow does not exist (any more). */
function isNotFound(err: unknown): boolean {
  return (err as { code?: unknown } | undefined)?.code === 5;
}

function eventMs(e: HistoryEvent): number {
  return Number(e.eventTime?.seconds ?? 0) * 1000 + Math.round((e.eventTime?.nanos ?? 0) / 1e6);
}

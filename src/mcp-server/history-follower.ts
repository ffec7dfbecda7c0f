/**
 * Follows one workflow run's history as Temporal writes it: `GetWorkflowExecutionHistory` with `waitNewEvent`, a
 * long poll the server answers as soon as events are added (and after its long-poll timeout with none). What the MCP
 * server shows its clients is driven by this, not by a timer: a new event wakes the reader at once, and a run where
 * nothing happens costs one open request, not a query per second.
 */
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

export type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export interface FollowOptions {
  /** The run to follow; the current run of the workflow id when absent. */
  runId?: string;
  signal: AbortSignal;
}

/**
 * Batches of new events, the existing history first, until the run closes (its last batch holds the close event),
 * the signal aborts, or Temporal fails the read (the error is thrown to the caller).
 */
export async function* followHistory(
  client: Client,
  workflowId: string,
  o: FollowOptions,
): AsyncGenerator<HistoryEvent[], void, undefined> {
  let nextPageToken: Uint8Array | undefined;
  while (!o.signal.aborted) {
    let res: temporal.api.workflowservice.v1.IGetWorkflowExecutionHistoryResponse;
    try {
      res = await client.connection.withAbortSignal(o.signal, () =>
        client.workflowService.getWorkflowExecutionHistory({
          namespace: client.options.namespace,
          execution: { workflowId, ...(o.runId && { runId: o.runId }) },
          ...(nextPageToken && { nextPageToken }),
          waitNewEvent: true,
        }),
      );
    } catch (err) {
      if (o.signal.aborted) return;
      throw err;
    }
    const events = res.history?.events ?? [];
    if (events.length) yield events;
    if (events.some(isCloseEvent)) return;
    if (!res.nextPageToken?.length) return; // the run closed: nothing more will come
    nextPageToken = res.nextPageToken;
  }
}

function isCloseEvent(e: HistoryEvent): boolean {
  return Boolean(
    e.workflowExecutionCompletedEventAttributes ||
    e.workflowExecutionFailedEventAttributes ||
    e.workflowExecutionTimedOutEventAttributes ||
    e.workflowExecutionCanceledEventAttributes ||
    e.workflowExecutionTerminatedEventAttributes ||
    e.workflowExecutionContinuedAsNewEventAttributes,
  );
}

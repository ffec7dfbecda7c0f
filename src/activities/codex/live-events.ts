/**
 * Codex's events as they happen, for whoever in this process wants to show them: the Codex call activity publishes
 * each transport event here (keyed by its workflow and activity), and the MCP server, whose in-process worker runs the
 * turns it asked for, forwards them to its client as progress notifications the moment they arrive. Nothing is kept:
 * an event nobody listens to is dropped (the durable record is the activity's heartbeat and result).
 */
import { EventEmitter } from 'node:events';
import type { CodexEvent } from './transport';

export interface LiveCodexEvent {
  workflowId: string;
  activityId: string;
  /** The call's label ("Codex turn 2", "Frontend Developer"). */
  label: string;
  event: CodexEvent;
}

const hub = new EventEmitter();
hub.setMaxListeners(0);

export function publishCodexEvent(e: LiveCodexEvent): void {
  if (hub.listenerCount(e.workflowId) > 0) hub.emit(e.workflowId, e);
}

/** Every Codex event of the workflow's activities run in this process, until the returned function is called. */
export function subscribeCodexEvents(workflowId: string, listener: (e: LiveCodexEvent) => void): () => void {
  hub.on(workflowId, listener);
  return () => hub.off(workflowId, listener);
}

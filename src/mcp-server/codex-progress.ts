/**
 * Codex's events as MCP progress: each command, file change, message and step of a Codex call that this process's
 * worker runs reaches the client as a `notifications/progress` the moment Codex reports it (the activity publishes
 * it in-process, src/activities/codex/live-events.ts), not when a sampler next looks. Of the rest only messages, plan
 * updates and errors are told: streamed deltas, token counts and protocol steps would flood the client.
 */
import { subscribeCodexEvents, type LiveCodexEvent } from '../activities/codex/live-events';

const MAX_FILES_NAMED = 5;

/** The other events worth a line, by the name each transport gives them (mcp: `codex/event` type; app-server). */
const TOLD: Record<string, string> = {
  agent_message: 'wrote a message',
  'item/completed:agentMessage': 'wrote a message',
  plan_update: 'updated its plan',
  'turn/plan/updated': 'updated its plan',
  error: 'reported an error',
  stream_error: 'reported an error',
};
const MAX_COMMAND_CHARS = 160;

/** One line for a person, or undefined for an event not worth a notification. */
export function describeCodexEvent({ label, event }: Pick<LiveCodexEvent, 'label' | 'event'>): string | undefined {
  switch (event.type) {
    case 'tokens':
      return undefined;
    case 'thread':
      return `${label}: Codex thread ${event.threadId}`;
    case 'command':
      return `${label}: Codex runs ${event.command ? `\`${clip(event.command, MAX_COMMAND_CHARS)}\`` : 'a command'}`;
    case 'files': {
      const named = event.paths.slice(0, MAX_FILES_NAMED).join(', ');
      const more = event.paths.length > MAX_FILES_NAMED ? ` and ${event.paths.length - MAX_FILES_NAMED} more` : '';
      return `${label}: Codex ${event.success ? 'changed' : 'failed to change'} ${named || 'files'}${more}`;
    }
    case 'other': {
      const told = TOLD[event.name];
      return told ? `${label}: Codex ${told}` : undefined;
    }
  }
}

/**
 * Calls `send` with a line per notable Codex event of the workflow's activities (those `accept` takes) run in this
 * process, in order, until the returned function is called.
 */
export function forwardCodexEvents(
  workflowId: string,
  send: (message: string) => Promise<void>,
  accept: (e: LiveCodexEvent) => boolean = () => true,
): () => void {
  let chain = Promise.resolve();
  return subscribeCodexEvents(workflowId, (e) => {
    if (!accept(e)) return;
    const line = describeCodexEvent(e);
    if (line === undefined) return;
    chain = chain.then(() => send(line)).catch(() => undefined);
  });
}

function clip(text: string, max: number): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/**
 * `codex/event` notifications (Codex 0.153's own event messages) mapped to the seam's transport-neutral events.
 */
import type { TokenUsage } from '../../../shared/types';
import type { CodexEvent } from '../transport';

/** A `codex/event` notification's `msg`: `type` names the event (token_count, exec_command_begin, ...). */
export interface McpCodexEvent {
  type: string;
  [key: string]: unknown;
}

interface McpTokenUsage {
  input_tokens?: number;
  output_tokens?: number;
  reasoning_output_tokens?: number;
  total_tokens?: number;
}

export function fromCodexEvent(msg: McpCodexEvent): CodexEvent {
  const name = msg.type;
  switch (msg.type) {
    case 'session_configured':
      if (typeof msg.thread_id === 'string') return { type: 'thread', name, threadId: msg.thread_id };
      break;
    case 'token_count': {
      const info = msg.info as { total_token_usage?: McpTokenUsage; last_token_usage?: McpTokenUsage } | null;
      if (!info?.total_token_usage) break;
      const total = tokenUsage(info.total_token_usage);
      return info.last_token_usage
        ? { type: 'tokens', name, total, last: tokenUsage(info.last_token_usage) }
        : { type: 'tokens', name, total };
    }
    case 'exec_command_begin':
      return Array.isArray(msg.command)
        ? { type: 'command', name, command: msg.command.map(String).join(' ') }
        : { type: 'command', name };
    case 'patch_apply_end':
      return { type: 'files', name, success: msg.success !== false, paths: changedPaths(msg.changes) };
  }
  return { type: 'other', name };
}

function tokenUsage(u: McpTokenUsage): TokenUsage {
  return {
    input: u.input_tokens ?? 0,
    output: u.output_tokens ?? 0,
    reasoning: u.reasoning_output_tokens ?? 0,
    total: u.total_tokens ?? 0,
  };
}

/** The `changes` map's keys (path -> FileChange), plus the destination of moves. */
function changedPaths(changes: unknown): string[] {
  if (!changes || typeof changes !== 'object') return [];
  const paths: string[] = [];
  for (const [file, change] of Object.entries(changes as Record<string, { move_path?: unknown } | null>)) {
    paths.push(file);
    if (typeof change?.move_path === 'string') paths.push(change.move_path);
  }
  return paths;
}

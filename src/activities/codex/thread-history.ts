/**
 * A lost thread's earlier prompts, read back from the role's stored conversation (../conversation-store.ts) rather
 * than carried in every Codex call's input: the conversation already holds each `codex` / `codex-reply` call the
 * model made and each answer (`{threadId, content}`), so the thread book the workflow keeps can be rebuilt from it,
 * call by call, exactly as the workflow recorded it. Read only when a thread was lost, which is rare.
 */
import { ThreadBook } from '../../shared/thread-book';
import type { ConversationItem } from '../../shared/types';
import type { ConversationStore } from '../conversation-store';
import { parseToolCall } from '../model-turn';

/** The prompts sent on `threadId` (as the workflow resolved it), oldest first, from the conversation's items. */
export function threadPromptsIn(items: readonly ConversationItem[], threadId: string): string[] {
  const book = new ThreadBook();
  const calls = new Map<string, { prompt: string; requested?: string }>();
  for (const item of items) {
    if (item.type === 'function_call' && typeof item.call_id === 'string') {
      const call = parseToolCall(item.call_id, String(item.name ?? ''), String(item.arguments ?? ''));
      if (!call.error) calls.set(call.callId, { prompt: call.prompt, requested: call.threadId });
    } else if (item.type === 'function_call_output' && typeof item.call_id === 'string') {
      const call = calls.get(item.call_id);
      const answered = call && answeredThread(item.output);
      if (!call || !answered) continue; // refused or failed: the workflow recorded nothing either
      const requested = call.requested === undefined ? undefined : book.resolve(call.requested);
      // An answer on another thread than the one asked for: the asked one was lost and continued there.
      const continuedFrom = requested !== undefined && answered !== requested ? requested : undefined;
      book.record(answered, requested, continuedFrom, call.prompt);
    }
  }
  return book.history(book.resolve(threadId));
}

/** The thread of a successful call's output (`{"threadId": ..., "content": ...}`); an error's output has none. */
function answeredThread(output: unknown): string | undefined {
  if (typeof output !== 'string' || !output.startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(output) as { threadId?: unknown };
    return typeof parsed.threadId === 'string' && parsed.threadId !== '' ? parsed.threadId : undefined;
  } catch {
    return undefined;
  }
}

export async function storedThreadPrompts(store: ConversationStore, head: string, threadId: string): Promise<string[]> {
  return threadPromptsIn(await store.read(head), threadId);
}

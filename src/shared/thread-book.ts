/**
 * Prompts sent per Codex thread, and which lost thread continues in which new one: what a new thread is told when
 * the thread a call asked for died with an earlier Codex process. The workflow keeps one per role's session
 * (../workflows/agent.ts); the Codex activity rebuilds the same from a stored conversation
 * (../activities/codex/thread-history.ts).
 */
export class ThreadBook {
  private readonly prompts = new Map<string, string[]>();
  private readonly movedTo = new Map<string, string>();

  resolve(threadId: string): string {
    let id = threadId;
    for (let hops = 0; this.movedTo.has(id) && hops < 100; hops++) id = this.movedTo.get(id) ?? id;
    return id;
  }
  known(threadId: string): boolean {
    return this.prompts.has(threadId);
  }
  history(threadId: string): string[] {
    return [...(this.prompts.get(threadId) ?? [])];
  }
  record(newId: string, requested: string | undefined, continuedFrom: string | undefined, prompt: string): void {
    const before = requested ? this.history(requested) : [];
    if (continuedFrom) this.movedTo.set(continuedFrom, newId);
    this.prompts.set(newId, [...(newId === requested || continuedFrom ? before : []), prompt]);
  }
}

/**
 * Bound on the prompts of a thread a Codex call carries, for a new thread to continue a lost one: every call on a
 * thread carried all of them, which grew the history with the square of a role's Codex calls. The newest prompts up to
 * this many characters are enough to go on from (in a run the whole exchange is in the role's stored conversation).
 */
export const THREAD_HISTORY_MAX_CHARS = 16_000;

/** The newest prompts whose total fits THREAD_HISTORY_MAX_CHARS (at least the newest one), oldest first. */
export function recentPrompts(prompts: readonly string[]): string[] {
  const kept: string[] = [];
  let total = 0;
  for (let i = prompts.length - 1; i >= 0; i--) {
    const p = prompts[i] ?? '';
    if (kept.length > 0 && total + p.length > THREAD_HISTORY_MAX_CHARS) break;
    kept.unshift(p.length > THREAD_HISTORY_MAX_CHARS ? p.slice(0, THREAD_HISTORY_MAX_CHARS) : p);
    total += p.length;
  }
  return kept;
}

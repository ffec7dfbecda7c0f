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

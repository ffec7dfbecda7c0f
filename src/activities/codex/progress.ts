/**
 * What one Codex call did, read from the transport-neutral events of ./transport.ts, and the heartbeats that
 * report it. Heartbeats go out at most once per `everyMs`: on events, and on a timer while the model thinks silently.
 */
import path from 'node:path';
import { ZERO_USAGE, type TokenUsage } from '../../shared/types';
import type { CodexEvent } from './transport';

/** Small on purpose: heartbeat details are recorded by Temporal. */
export interface CodexProgress {
  label: string;
  transport?: 'mcp' | 'app-server';
  threadId?: string;
  events: number;
  lastEvent?: string;
  tokens: number;
  commands: number;
  files: number;
  elapsedMs: number;
}

export class CallTracker {
  events = 0;
  commands = 0;
  lastEvent: string | undefined;
  threadId: string | undefined;
  private readonly changed = new Set<string>();
  /** Usage of earlier tool calls of this activity (a lost thread continued in a new one). */
  private settled: TokenUsage = { ...ZERO_USAGE };
  /** Thread totals before and after this call: token events carry the thread's running total. */
  private base: TokenUsage | undefined;
  private latest: TokenUsage | undefined;
  private readonly started = Date.now();
  private lastBeat = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly label: string,
    private readonly cwd: string,
    private readonly heartbeat: (details: CodexProgress) => void,
    private readonly everyMs: number,
    private readonly transport?: 'mcp' | 'app-server',
  ) {
    // The SDK sends the first heartbeat at once and throttles the next ones (to 80% of the heartbeat timeout, at most
    // the worker's HEARTBEAT_THROTTLE_MS): on app-server the first one waits for the thread id (or the first tick),
    // so a retry after a crash can resume it.
    if (transport !== 'app-server') this.beat();
    this.timer = setInterval(() => this.maybeBeat(), everyMs);
    this.timer.unref();
  }

  beginCall(threadId: string | undefined): void {
    this.settled = this.usage();
    this.base = undefined;
    this.latest = undefined;
    this.threadId = threadId;
  }

  onEvent(event: CodexEvent): void {
    this.events += 1;
    this.lastEvent = event.name;
    switch (event.type) {
      case 'thread':
        if (event.threadId !== this.threadId) {
          this.threadId = event.threadId;
          // At once: a retried attempt reads the thread id from the last heartbeat to resume it.
          this.beat();
          return;
        }
        break;
      case 'tokens':
        // The first count of this call tells where the thread stood before it: its total minus this response.
        this.base ??= event.last ? sub(event.total, event.last) : { ...ZERO_USAGE };
        this.latest = event.total;
        break;
      case 'command':
        this.commands += 1;
        break;
      case 'files':
        if (event.success) for (const file of event.paths) this.changed.add(this.relative(file));
        break;
    }
    this.maybeBeat();
  }

  usage(): TokenUsage {
    const delta = this.latest && this.base ? sub(this.latest, this.base) : ZERO_USAGE;
    return add(this.settled, delta);
  }

  files(): string[] {
    return [...this.changed].sort();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Workspace-relative with forward slashes; a path outside the workspace stays absolute. */
  private relative(file: string): string {
    const abs = path.resolve(this.cwd, file);
    const rel = path.relative(this.cwd, abs);
    if (rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) return abs;
    return rel.split(path.sep).join('/');
  }

  private maybeBeat(): void {
    if (Date.now() - this.lastBeat >= this.everyMs) this.beat();
  }

  private beat(): void {
    this.lastBeat = Date.now();
    this.heartbeat({
      label: this.label,
      transport: this.transport,
      threadId: this.threadId,
      events: this.events,
      lastEvent: this.lastEvent,
      tokens: this.usage().total,
      commands: this.commands,
      files: this.changed.size,
      elapsedMs: this.lastBeat - this.started,
    });
  }
}

const add = (a: TokenUsage, b: TokenUsage): TokenUsage => ({
  input: a.input + b.input,
  output: a.output + b.output,
  reasoning: a.reasoning + b.reasoning,
  total: a.total + b.total,
});

const sub = (a: TokenUsage, b: TokenUsage): TokenUsage => ({
  input: Math.max(0, a.input - b.input),
  output: Math.max(0, a.output - b.output),
  reasoning: Math.max(0, a.reasoning - b.reasoning),
  total: Math.max(0, a.total - b.total),
});

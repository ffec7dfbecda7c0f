/**
 * Request accounting: counts per kind, role and run, and a log of every request with a fingerprint of what was
 * asked. Equal fingerprints mean the same call was made twice (a crash test uses that to prove no finished call
 * ran again).
 */
import type { Caller, CallerKind } from './classify';
import { canonicalJson, isMessage, isRecord, messageText, sha256, type Item } from './text';

export interface RequestLogEntry {
  seq: number;
  kind: CallerKind;
  role: string | null;
  run: string;
  /** The model the request named (`model`), as sent. */
  model: string | null;
  /** Agent: model turn in the conversation; Codex: request within the Codex turn (both 1-based). */
  turn: number;
  thread: string | null;
  fingerprint: string;
  stream: boolean;
  startedAt: string;
  durationMs: number | null;
  /** HTTP status sent; 0 when the client went away before an answer. */
  status: number;
  /** True when a whole, well-formed answer was delivered. */
  completed: boolean;
  /** True when the answer ended the caller's turn (a final assistant message, no tool call). */
  final: boolean;
  /** What the script answered: "function_call codex", "apply_patch backend/server.js", "message", ... */
  answer: string | null;
  responseId: string | null;
  faults: string[];
}

interface Count {
  requests: number;
  completed: number;
}

export interface ScriptedStats {
  scripted: true;
  since: string;
  totals: Count;
  byKind: Record<CallerKind, Count>;
  byRole: Record<string, Record<CallerKind, Count>>;
  byRun: Record<string, Record<CallerKind, Count>>;
  faultsFired: number;
  requests: RequestLogEntry[];
}

const zero = (): Count => ({ requests: 0, completed: 0 });
const perKind = (): Record<CallerKind, Count> => ({ agent: zero(), codex: zero() });

/** Keys that change between two otherwise identical calls (item ids Codex assigns, encrypted reasoning). */
const VOLATILE_KEYS = new Set(['id', 'encrypted_content', 'status']);
/** Lines of Codex tool outputs that vary run to run. */
const VOLATILE_LINES = /^(Chunk ID|Wall time|Original token count):.*$/gm;

function stripVolatile(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(VOLATILE_LINES, '');
  if (Array.isArray(value)) return value.map(stripVolatile);
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (!VOLATILE_KEYS.has(k)) out[k] = stripVolatile(v);
  return out;
}

/**
 * For Codex, only the conversation proper counts: Codex's developer messages and environment context carry
 * temp paths and dates, so they are replaced by the workspace directory (the `<cwd>` it names).
 */
function relevantItems(kind: CallerKind, input: readonly Item[]): unknown[] {
  if (kind === 'agent') return [...input];
  return input.flatMap((item): unknown[] => {
    if (isMessage(item, 'developer') || isMessage(item, 'system')) return [];
    if (isMessage(item, 'user')) {
      const text = messageText(item);
      if (/^\s*<environment_context>/.test(text)) return [{ cwd: /<cwd>([^<]*)<\/cwd>/.exec(text)?.[1] ?? '' }];
      if (/^\s*</.test(text)) return [];
    }
    return [item];
  });
}

export function fingerprint(caller: Caller, input: readonly Item[]): string {
  const items = stripVolatile(relevantItems(caller.kind, input));
  return sha256(canonicalJson({ kind: caller.kind, role: caller.role ?? null, run: caller.run, items }));
}

export class StatsBook {
  private since = new Date();
  private entries: RequestLogEntry[] = [];
  private seq = 0;

  start(e: Omit<RequestLogEntry, 'seq' | 'startedAt' | 'durationMs' | 'status' | 'completed'>): RequestLogEntry {
    const entry: RequestLogEntry = {
      ...e,
      seq: ++this.seq,
      startedAt: new Date().toISOString(),
      durationMs: null,
      status: 0,
      completed: false,
    };
    this.entries.push(entry);
    return entry;
  }

  finish(entry: RequestLogEntry, status: number, completed: boolean): void {
    entry.status = status;
    entry.completed = completed;
    entry.durationMs = Date.now() - Date.parse(entry.startedAt);
  }

  reset(): void {
    this.since = new Date();
    this.entries = [];
  }

  snapshot(): ScriptedStats {
    const stats: ScriptedStats = {
      scripted: true,
      since: this.since.toISOString(),
      totals: zero(),
      byKind: perKind(),
      byRole: {},
      byRun: {},
      faultsFired: 0,
      requests: this.entries.map((e) => ({ ...e, faults: [...e.faults] })),
    };
    for (const e of this.entries) {
      const role = (stats.byRole[e.role ?? 'unknown'] ??= perKind());
      const run = (stats.byRun[e.run] ??= perKind());
      for (const c of [stats.totals, stats.byKind[e.kind], role[e.kind], run[e.kind]]) {
        c.requests += 1;
        if (e.completed) c.completed += 1;
      }
      stats.faultsFired += e.faults.length;
    }
    return stats;
  }
}

/** Groups of completed requests with the same fingerprint: the same call answered more than once. */
export function repeatedCompletions(stats: ScriptedStats, filter: (e: RequestLogEntry) => boolean = () => true) {
  const groups = new Map<string, RequestLogEntry[]>();
  for (const e of stats.requests) {
    if (!e.completed || !filter(e)) continue;
    groups.set(e.fingerprint, [...(groups.get(e.fingerprint) ?? []), e]);
  }
  return [...groups.values()].filter((g) => g.length > 1);
}

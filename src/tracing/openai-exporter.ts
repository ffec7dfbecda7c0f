/**
 * Sends trace items to the OpenAI Traces ingest as the Agents SDK's BatchTraceProcessor + exporter do: a bounded
 * queue, batches of 128 every 5 s (sooner when a batch is full), 3 tries with exponential backoff and jitter (1 s,
 * capped at 30 s) on network errors and 5xx, a 4xx logged and dropped. It never throws into a run and never makes one
 * wait: `emit` only appends to a spool file and a map.
 *
 * Exactly once: items are keyed by their id (the same id whoever emits it), the last emitted wins while unsent, and an
 * id already sent is not sent again: the ids sent from this host are appended to `<dir>/sent.ids`, which every worker
 * on the host reads before it sends. Each worker spools what it has not sent yet to `<dir>/openai-<pid>.jsonl`, which
 * outlives a SIGKILL: any worker on the host adopts the spool of a dead one and sends what it had not sent.
 */
import { appendFileSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { IngestItem } from './openai-items';

export interface OpenAIExporterOptions {
  /** The full ingest URL, e.g. https://api.openai.com/v1/traces/ingest. */
  endpoint: string;
  apiKey: string;
  organization?: string;
  project?: string;
  spoolDir: string;
  maxQueueSize?: number;
  maxBatchSize?: number;
  scheduleDelayMs?: number;
  maxRetries?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  log?: (line: string) => void;
}

const defaults = {
  maxQueueSize: 8192,
  maxBatchSize: 128,
  scheduleDelayMs: 5_000,
  maxRetries: 3,
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
};

const SPOOL = /^openai-(\d+)\.jsonl$/;

export class OpenAITracesExporter {
  private readonly o: Required<Omit<OpenAIExporterOptions, 'organization' | 'project'>> &
    Pick<OpenAIExporterOptions, 'organization' | 'project'>;
  private readonly pending = new Map<string, IngestItem>();
  private readonly sent = new Set<string>();
  private readonly spoolFile: string;
  private readonly sentFile: string;
  private sentRead = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private dropped = 0;
  private stopped = false;
  /** Counts for logs and tests. */
  readonly stats = { exported: 0, failedBatches: 0, duplicatesDropped: 0 };

  constructor(options: OpenAIExporterOptions) {
    this.o = { ...defaults, log: (l) => console.warn(l), ...options };
    try {
      mkdirSync(this.o.spoolDir, { recursive: true });
    } catch (err) {
      // Without a spool the export still works; only a killed worker's unsent spans are lost.
      this.o.log(`[non-fatal] OpenAI traces: no spool at ${this.o.spoolDir}: ${String(err)}`);
    }
    this.spoolFile = path.join(this.o.spoolDir, `openai-${process.pid}.jsonl`);
    this.sentFile = path.join(this.o.spoolDir, 'sent.ids');
    this.adoptDeadSpools();
    this.timer = setInterval(() => void this.tick(), this.o.scheduleDelayMs);
    this.timer.unref();
  }

  /** Queues items; synchronous and bounded, so a run never waits on the export. */
  emit(items: readonly IngestItem[]): void {
    if (this.stopped || items.length === 0) return;
    this.syncSent();
    const fresh = items.filter((item) => {
      if (this.sent.has(item.id)) {
        this.stats.duplicatesDropped += 1;
        return false;
      }
      return true;
    });
    for (const item of fresh) {
      if (!this.pending.has(item.id) && this.pending.size >= this.o.maxQueueSize) {
        this.dropped += 1;
        if (this.dropped === 1)
          this.o.log(`[non-fatal] OpenAI traces: queue full (${this.o.maxQueueSize}), dropping items`);
        continue;
      }
      this.pending.delete(item.id); // the last emitted wins, and goes to the back of the queue
      this.pending.set(item.id, item);
    }
    try {
      if (fresh.length) appendFileSync(this.spoolFile, fresh.map((i) => JSON.stringify(i) + '\n').join(''));
    } catch (err) {
      this.o.log(`[non-fatal] OpenAI traces: cannot write the spool ${this.spoolFile}: ${String(err)}`);
    }
    if (this.pending.size >= this.o.maxBatchSize) void this.flush();
  }

  /** Sends everything queued now (tests, shutdown); never rejects. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    this.flushing = this.drain().finally(() => (this.flushing = undefined));
    await this.flushing;
  }

  /** Sends what is left within `limitMs`, then stops; the spool keeps whatever could not be sent. */
  async shutdown(limitMs = 5_000): Promise<void> {
    clearInterval(this.timer);
    this.stopped = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.flush(), new Promise((r) => (timer = setTimeout(r, limitMs)))]);
    clearTimeout(timer);
    if (this.pending.size === 0) rmSync(this.spoolFile, { force: true });
  }

  private async tick(): Promise<void> {
    this.adoptDeadSpools();
    await this.flush();
  }

  private async drain(): Promise<void> {
    while (this.pending.size > 0) {
      this.syncSent();
      for (const id of [...this.pending.keys()]) {
        if (this.sent.has(id)) {
          this.pending.delete(id);
          this.stats.duplicatesDropped += 1;
        }
      }
      if (this.pending.size === 0) break;
      // Traces before spans, as the SDK sends a trace when it starts and its spans as they end.
      const batch = [...this.pending.values()]
        .sort((a, b) => (a.object === b.object ? 0 : a.object === 'trace' ? -1 : 1))
        .slice(0, this.o.maxBatchSize);
      const ok = await this.post(batch);
      for (const item of batch) {
        if (this.pending.get(item.id) === item) this.pending.delete(item.id);
      }
      if (!ok) {
        this.stats.failedBatches += 1;
        continue;
      }
      this.stats.exported += batch.length;
      for (const item of batch) this.sent.add(item.id);
      try {
        appendFileSync(this.sentFile, batch.map((i) => i.id + '\n').join(''));
        if (this.pending.size === 0) writeFileSync(this.spoolFile, '');
      } catch {
        // the spool is best effort: a lost .sent line means at worst one item sent twice, with the same id
      }
    }
  }

  /** One batch with the SDK's retry policy; false when it was given up (the items are dropped, as the SDK does). */
  private async post(batch: IngestItem[]): Promise<boolean> {
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      Authorization: `Bearer ${this.o.apiKey}`,
      'OpenAI-Beta': 'traces=v1',
      'User-Agent': 'durable-codex-agents',
      ...(this.o.organization ? { 'OpenAI-Organization': this.o.organization } : {}),
      ...(this.o.project ? { 'OpenAI-Project': this.o.project } : {}),
    };
    const body = JSON.stringify({ data: batch });
    let delay = this.o.baseDelayMs;
    for (let attempt = 1; attempt <= this.o.maxRetries; attempt++) {
      try {
        const res = await fetch(this.o.endpoint, {
          method: 'POST',
          headers,
          body,
          signal: AbortSignal.timeout(30_000),
        });
        if (res.ok) {
          await res.body?.cancel();
          return true;
        }
        const text = (await res.text()).slice(0, 300);
        if (res.status < 500) {
          this.o.log(`[non-fatal] OpenAI traces: client error ${res.status}: ${text}`);
          return false;
        }
        this.o.log(`[non-fatal] OpenAI traces: server error ${res.status}, retrying`);
      } catch (err) {
        this.o.log(`[non-fatal] OpenAI traces: ${err instanceof Error ? err.message : String(err)}, retrying`);
      }
      if (attempt === this.o.maxRetries) break;
      await new Promise((r) => setTimeout(r, delay + Math.random() * 0.1 * delay));
      delay = Math.min(delay * 2, this.o.maxDelayMs);
    }
    this.o.log(`[non-fatal] OpenAI traces: gave up on a batch of ${batch.length} after ${this.o.maxRetries} tries`);
    return false;
  }

  /** Reads the ids other workers on this host sent since the last look. */
  private syncSent(): void {
    try {
      const text = readFileSync(this.sentFile, 'utf8');
      // Only whole lines: another worker may be halfway through appending one.
      const end = text.lastIndexOf('\n') + 1;
      if (end <= this.sentRead) return;
      for (const id of text.slice(this.sentRead, end).split('\n')) if (id) this.sent.add(id);
      this.sentRead = end;
    } catch {
      // nothing sent yet
    }
  }

  /** Takes over the spools of workers on this host that died (SIGKILL, OOM) before sending everything. */
  private adoptDeadSpools(): void {
    let names: string[];
    try {
      names = readdirSync(this.o.spoolDir);
    } catch {
      return;
    }
    for (const name of names) {
      const pid = Number(SPOOL.exec(name)?.[1]);
      if (!pid || pid === process.pid || alive(pid)) continue;
      // Claimed by a rename, so two live workers never adopt the same spool.
      const spool = path.join(this.o.spoolDir, `adopted-${process.pid}-${name}`);
      try {
        renameSync(path.join(this.o.spoolDir, name), spool);
      } catch {
        continue;
      }
      const items: IngestItem[] = [];
      for (const line of readFileSync(spool, 'utf8').split('\n')) {
        if (!line) continue;
        try {
          items.push(JSON.parse(line) as IngestItem);
        } catch {
          // a line cut by the kill
        }
      }
      this.emit(items);
      rmSync(spool, { force: true });
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Live progress of a run for start-run and the demo: every interval, the workflow's `progress` query plus
 * `describe()`'s pending activities (attempt, last failure, Codex heartbeats). Pending activities are placed with
 * their role by their heartbeat label, else by their activityId in the recorded history. Output: a redrawn block on
 * a terminal, changed lines in plain logs, JSON lines with --json. Rendering is pure, in ./progress-render.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { z } from 'zod';
import { readHistory } from '../report/history';
import { ownerRole, roleOfLabel, teamOfRecord, titleIndex, type TitleIndex } from '../report/payloads';
import type { RoleId as Role } from '../shared/team';
import type { RunState } from '../shared/types';
import {
  jsonEvent,
  plainLines,
  renderBlock,
  roleProgress,
  type PendingActivity,
  type PlainState,
  type ProgressSnapshot,
  workflowStatus,
} from './progress-render';
import { progressQuery } from '../shared/progress';

export * from './progress-render';

export type ProgressMode = 'tty' | 'plain' | 'json';

type RawPending = temporal.api.workflow.v1.IPendingActivityInfo;

/** Which role and label each activity id has, read from the history when an unknown id shows up. */
export class ActivityDirectory {
  private readonly known = new Map<string, { role?: Role; label?: string }>();
  /** Titles of the run's team, from its recorded input; filled on the first look at the history. */
  titles: TitleIndex = new Map();

  constructor(private readonly handle: WorkflowHandle) {}

  async lookup(ids: string[]): Promise<Map<string, { role?: Role; label?: string }>> {
    if (ids.some((id) => !this.known.has(id))) {
      const history = readHistory(await this.handle.fetchHistory());
      this.titles = titleIndex(teamOfRecord(history)?.roles ?? []);
      for (const a of history.activities) {
        this.known.set(a.activityId, { role: ownerRole(a, this.titles), label: a.summary });
      }
    }
    return this.known;
  }
}

const HeartbeatSchema = z.object({ label: z.string().optional(), tokens: z.number().optional() });

function heartbeatOf(p: RawPending): z.infer<typeof HeartbeatSchema> {
  const first = p.heartbeatDetails?.payloads?.[0];
  if (!first) return {};
  try {
    return HeartbeatSchema.safeParse(defaultPayloadConverter.fromPayload(first as never)).data ?? {};
  } catch {
    return {};
  }
}

function failureText(f: temporal.api.failure.v1.IFailure | null | undefined): string | undefined {
  if (!f?.message) return undefined;
  const type = f.applicationFailureInfo?.type;
  return type ? `${type}: ${f.message}` : f.message;
}

const PENDING_STATE: Record<number, PendingActivity['state']> = { 1: 'scheduled', 2: 'started', 3: 'cancel-requested' };

/** One look at the run. Undefined when Temporal cannot describe it (yet). */
export async function takeSnapshot(
  handle: WorkflowHandle,
  directory: ActivityDirectory,
  fallbackState?: RunState,
): Promise<ProgressSnapshot | undefined> {
  const [state, desc] = await Promise.all([
    // No worker polling means no answer: give up on the query quickly and show what describe() knows.
    withTimeout(handle.query(progressQuery), 3_000).catch(() => undefined),
    handle.describe().catch(() => undefined),
  ]);
  if (!desc) return undefined;
  const raw = desc.raw.pendingActivities ?? [];
  const ids = raw.map((p) => p.activityId ?? '');
  const dir = raw.length
    ? await directory.lookup(ids).catch(() => new Map<string, { role?: Role; label?: string }>())
    : new Map();
  const titles = state ? titleIndex(state.steps) : directory.titles;
  const pending = raw.map((p, i): PendingActivity => {
    const beat = heartbeatOf(p);
    const known = dir.get(ids[i] ?? '');
    const label = beat.label ?? known?.label;
    return {
      activityId: ids[i] ?? '',
      activityType: p.activityType?.name ?? '?',
      state: PENDING_STATE[Number(p.state ?? 0)] ?? 'scheduled',
      attempt: p.attempt ?? 1,
      lastFailure: failureText(p.lastFailure),
      label,
      liveTokens: beat.tokens,
      role: roleOfLabel(label, titles) ?? known?.role,
    };
  });
  return {
    workflowId: handle.workflowId,
    at: Date.now(),
    status: workflowStatus(desc.status.name),
    state: state ?? fallbackState,
    pending,
  };
}

export interface WatchOptions {
  mode: ProgressMode;
  out?: NodeJS.WritableStream;
  intervalMs?: number;
}

/** Prints progress until the workflow closes. Returns the last snapshot seen. */
export async function watchProgress(handle: WorkflowHandle, o: WatchOptions): Promise<ProgressSnapshot | undefined> {
  const out = o.out ?? process.stdout;
  const directory = new ActivityDirectory(handle);
  // Read each time (the terminal may be resized); a pty that reports no size gets wide lines.
  const columns = () => (out as { columns?: number }).columns || 200;
  let finalState: RunState | undefined;
  const done = handle.result().then(
    (r: unknown) => {
      finalState = (r as { state?: RunState } | undefined)?.state;
      return true;
    },
    () => true,
  );
  let last: ProgressSnapshot | undefined;
  let plain: PlainState = { rows: [] };
  let drawn = 0;
  let lastJson = '';
  for (;;) {
    const finished = await Promise.race([done, sleep(o.intervalMs ?? 1000).then(() => false)]);
    // A query that times out (a busy or restarting worker) keeps the last state on screen.
    const snap = await takeSnapshot(handle, directory, (finished ? finalState : undefined) ?? last?.state);
    if (snap) {
      last = snap;
      if (o.mode === 'json') {
        const people = [snap.state?.reviews?.pending.map((r) => r.role), snap.state?.budget?.stopped?.what];
        const key = JSON.stringify([snap.status, roleProgress(snap).map(({ elapsedMs: _, ...r }) => r), people]);
        if (key !== lastJson) out.write(jsonEvent(snap) + '\n');
        lastJson = key;
      } else if (o.mode === 'tty') {
        const lines = renderBlock(snap, columns());
        if (drawn > 0) out.write(`\x1b[${drawn}A`);
        for (const l of lines) out.write(`\x1b[2K${l}\n`);
        drawn = lines.length;
      } else {
        const r = plainLines(plain, snap);
        for (const l of r.lines) out.write(`${l}\n`);
        plain = r.next;
      }
    }
    if (finished) return last;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timed out')), ms)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * A worker host's identity and its own task queue (Temporal's worker-specific task queue pattern): the host that
 * holds a run's workspace runs every activity that touches it, from `<TASK_QUEUE>-host-<id>`.
 *
 * The default identity is the hostname plus a hash of the workspace root, not the process: a worker restarted on the
 * same machine and disk serves the same queue and picks its runs back up where they are, without moving them. Set
 * WORKER_HOST_ID when several hosts share a hostname (containers) or one machine simulates several disks.
 */
import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * How long a workflow task waits for the worker that has the run cached before going to any worker. The SDK's 10 s
 * default is what a dead host would cost every run it had cached.
 */
export const DEFAULT_STICKY_SCHEDULE_TO_START_MS = 3_000;

const clean = (s: string) => s.replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '') || 'host';

export function hostIdentity(configured: string | undefined, workspaceRoot: string): string {
  if (configured) return clean(configured);
  let root = path.resolve(workspaceRoot);
  try {
    root = realpathSync(root);
  } catch {
    // not created yet: the resolved path names it as well
  }
  return `${clean(os.hostname())}-${createHash('sha256').update(root).digest('hex').slice(0, 6)}`;
}

export const hostQueueName = (taskQueue: string, host: string) => `${taskQueue}-host-${host}`;

/** The host named by a host queue, for reports read from history. */
export function hostOfQueue(queue: string | undefined): string | undefined {
  const m = queue ? /-host-([\w.-]+)$/.exec(queue) : null;
  return m?.[1];
}

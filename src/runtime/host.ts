/**
 * A worker host's identity and its own task queue (Temporal's worker-specific task queue pattern): the host that
 * holds a run's workspace runs every activity that touches it, from `<TASK_QUEUE>-host-<id>`.
 *
 * The identity belongs to the disk that holds the workspaces, not to the process or the machine's name: an id file
 * created once in WORKSPACE_ROOT (`.worker-host-id`, `<hostname>-<random>`). A worker restarted on the same disk
 * serves the same queue and picks its runs back up where they are; two disks never share an id, even in containers
 * built from one image with one hostname and one mount path. WORKER_HOST_ID overrides the host id (not the disk id,
 * which the worker's identity carries so that two disks claiming one host queue are noticed: see ./host-checks).
 */
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../shared/errors';

/**
 * How long a workflow task waits for the worker that has the run cached before going to any worker. The SDK's 10 s
 * default is what a dead host would cost every run it had cached.
 */
export const DEFAULT_STICKY_SCHEDULE_TO_START_MS = 3_000;

/** The file in WORKSPACE_ROOT that names its disk. */
export const HOST_ID_FILE = '.worker-host-id';

const clean = (s: string) => s.replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '') || 'host';

export interface HostIdentity {
  /** The host's name and queue suffix: WORKER_HOST_ID, or the disk's id. */
  host: string;
  /** The id of the disk holding WORKSPACE_ROOT, from its id file. */
  disk: string;
}

export function hostIdentity(configured: string | undefined, workspaceRoot: string): HostIdentity {
  const disk = diskId(workspaceRoot);
  return { host: configured ? clean(configured) : disk, disk };
}

/**
 * The id of the disk under `workspaceRoot`: read from its id file, or created there once. Written to a temporary
 * file and linked into place, so a reader never sees half an id and two workers starting at once agree on one.
 */
export function diskId(workspaceRoot: string): string {
  const root = path.resolve(workspaceRoot);
  const file = path.join(root, HOST_ID_FILE);
  const read = () => clean(readFileSync(file, 'utf8').trim());
  try {
    return read();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw idFileError(file, err);
  }
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    mkdirSync(root, { recursive: true });
    writeFileSync(tmp, `${clean(os.hostname())}-${randomBytes(4).toString('hex')}\n`);
    try {
      linkSync(tmp, file);
    } catch (err) {
      // Another worker on this disk created it first: its id is the disk's.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    return read();
  } catch (err) {
    throw idFileError(file, err);
  } finally {
    rmSync(tmp, { force: true });
  }
}

const idFileError = (file: string, err: unknown) =>
  new ConfigError(
    `Cannot keep this host's id in ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)}): ` +
      'WORKSPACE_ROOT must be a writable directory',
    { cause: err },
  );

/** The real path of WORKSPACE_ROOT (resolved when it does not exist yet). */
export function realRoot(workspaceRoot: string): string {
  const root = path.resolve(workspaceRoot);
  try {
    return realpathSync(root);
  } catch {
    return root;
  }
}

export const hostQueueName = (taskQueue: string, host: string) => `${taskQueue}-host-${host}`;

/** The host named by a host queue, for reports read from history. */
export function hostOfQueue(queue: string | undefined): string | undefined {
  const m = queue ? /-host-([\w.-]+)$/.exec(queue) : null;
  return m?.[1];
}

/** The worker identity Temporal shows for this worker's pollers: the default `pid@hostname`, plus host and disk. */
export const workerIdentity = (id: HostIdentity) => `${process.pid}@${os.hostname()} host=${id.host} disk=${id.disk}`;

/** Host and disk read back from a poller's identity; undefined for workers that do not say them. */
export function parseWorkerIdentity(identity: string): HostIdentity | undefined {
  const host = /\bhost=(\S+)/.exec(identity)?.[1];
  const disk = /\bdisk=(\S+)/.exec(identity)?.[1];
  return host && disk ? { host, disk } : undefined;
}

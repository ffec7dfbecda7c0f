/**
 * Start-up checks of a worker host against the others on its task queue, read from the queues' pollers (whose worker
 * identities carry host and disk ids, see ./host):
 * - two disks claiming one host queue (one WORKER_HOST_ID on two hosts): runs would find their workspace on one disk
 *   half of the time and move back and forth, so the second worker refuses to start;
 * - a remote on this host's own disk while another host serves the queue: when this host is lost, its runs cannot
 *   move, so the worker warns (and `doctor` says it).
 */
import path from 'node:path';
import type { temporal } from '@temporalio/proto';
import { ConfigError } from '../shared/errors';
import { defaultRemote, displayRemote } from '../activities/git-workspace';
import { parseWorkerIdentity, realRoot, type HostIdentity } from './host';

/** temporal.api.enums.v1.TaskQueueType (the proto package is not a direct dependency). */
const TASK_QUEUE_TYPE_WORKFLOW = 1 as temporal.api.enums.v1.TaskQueueType;
const TASK_QUEUE_TYPE_ACTIVITY = 2 as temporal.api.enums.v1.TaskQueueType;

/**
 * A poller seen this recently is taken as alive. A live worker's long polls return within a minute and it polls
 * again at once; a dead worker stays in the server's list for minutes.
 */
export const LIVE_POLLER_MS = 75_000;

type DescribeTaskQueue = (req: temporal.api.workflowservice.v1.IDescribeTaskQueueRequest) => Promise<{
  pollers?: temporal.api.taskqueue.v1.IPollerInfo[] | null;
}>;

export interface Poller extends HostIdentity {
  identity: string;
  ageMs: number;
}

/** The live pollers of a queue that say their host and disk. */
export async function livePollers(
  service: { describeTaskQueue: DescribeTaskQueue },
  namespace: string,
  queue: string,
  kind: 'workflow' | 'activity',
  now = Date.now(),
): Promise<Poller[]> {
  const r = await service.describeTaskQueue({
    namespace,
    taskQueue: { name: queue },
    taskQueueType: kind === 'workflow' ? TASK_QUEUE_TYPE_WORKFLOW : TASK_QUEUE_TYPE_ACTIVITY,
  });
  return (r.pollers ?? []).flatMap((p) => {
    const id = parseWorkerIdentity(p.identity ?? '');
    const seconds = Number(p.lastAccessTime?.seconds ?? 0);
    const ageMs = seconds ? now - (seconds * 1000 + Math.floor((p.lastAccessTime?.nanos ?? 0) / 1e6)) : 0;
    return id && ageMs < LIVE_POLLER_MS ? [{ ...id, identity: p.identity ?? '', ageMs }] : [];
  });
}

/** One line when a live worker on another disk already serves this host's queue. */
export function hostQueueConflict(self: HostIdentity, hostQueue: string, pollers: Poller[]): string | undefined {
  const other = pollers.find((p) => p.host === self.host && p.disk !== self.disk);
  if (!other) return undefined;
  return (
    `Host queue "${hostQueue}" is already served by worker ${other.identity.split(' ')[0]} on disk ${other.disk}, ` +
    `and this worker's disk is ${self.disk}: two disks cannot be one host (runs would find their workspace on one of ` +
    `them only); give each host its own WORKER_HOST_ID, or unset it to use the disk's id`
  );
}

/** Whether the runs' remote lives on this host's own disk (inside WORKSPACE_ROOT, the default). */
export function remoteOnOwnDisk(workspaceRoot: string, remote: string | undefined): boolean {
  const r = remote ?? defaultRemote(workspaceRoot);
  if (/^[\w+.-]+:\/\//.test(r) && !r.startsWith('file://')) return false;
  if (/^[^/\\]+:/.test(r) && !path.isAbsolute(r)) return false; // scp-like user@host:path
  const local = realRoot(r.replace(/^file:\/\//, ''));
  const root = realRoot(workspaceRoot);
  return local === root || local.startsWith(`${root}${path.sep}`);
}

/** One line when another host serves the task queue while this host's remote is on its own disk. */
export function localRemoteWarning(
  self: HostIdentity & { workspaceRoot: string; remote: string | undefined; taskQueue: string },
  pollers: Poller[],
): string | undefined {
  if (!remoteOnOwnDisk(self.workspaceRoot, self.remote)) return undefined;
  const others = [...new Set(pollers.filter((p) => p.host !== self.host).map((p) => p.host))];
  if (!others.length) return undefined;
  const remote = self.remote ? displayRemote(self.remote) : defaultRemote(self.workspaceRoot);
  return (
    `WORKSPACE_REMOTE ${remote} is on this host's own disk, but host ${others.join(', ')} also serves task queue ` +
    `"${self.taskQueue}": if this host is lost, its runs cannot move; set WORKSPACE_REMOTE to a remote every host reaches`
  );
}

/**
 * The checks a worker runs before it polls: throws a ConfigError (one line naming both disks) when its host queue is
 * another disk's, returns the warnings to print otherwise. A server that cannot answer is no reason to refuse.
 */
export async function checkHostAtStart(
  service: { describeTaskQueue: DescribeTaskQueue },
  namespace: string,
  self: HostIdentity & { hostQueue: string; workspaceRoot: string; remote: string | undefined; taskQueue: string },
): Promise<string[]> {
  const look = (queue: string, kind: 'workflow' | 'activity') =>
    livePollers(service, namespace, queue, kind).catch(() => [] as Poller[]);
  const [onHostQueue, onSharedQueue] = await Promise.all([
    look(self.hostQueue, 'activity'),
    look(self.taskQueue, 'activity'),
  ]);
  const conflict = hostQueueConflict(self, self.hostQueue, onHostQueue);
  if (conflict) throw new ConfigError(conflict);
  const warning = localRemoteWarning(self, onSharedQueue);
  return warning ? [warning] : [];
}

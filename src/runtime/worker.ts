/**
 * Builds the pipeline's worker: workflows bundled from src/workflows, activities from settings.
 * Shared by `npm run worker`, the demo, tests and benchmarks so they all run the same thing.
 */
import {
  NativeConnection,
  Worker,
  type ActivityInterceptorsFactory,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import type { Settings } from '../config/settings';
import { createActivities, defaultHost, hostActivities } from '../activities';
import { createCodexTransport } from '../activities/codex/create-transport';
import { typedFailures } from '../activities/failures';
import type { CodexTransport } from '../activities/codex/transport';
import { DEFAULT_STICKY_SCHEDULE_TO_START_MS, workerIdentity } from './host';
import { checkHostAtStart } from './host-checks';
import {
  createOpenAITraces,
  NO_TRACE_SINKS,
  type OpenAITraces,
  type OpenAITracesConfig,
} from '../tracing/openai-traces';
import { loadWorkerTracing, type TracingConfig, type WorkerTracing } from './telemetry';
import { bundleWorkflows } from './workflow-bundle';

/** How often a running activity's heartbeats reach the server at most, and so how soon a cancellation reaches it. */
export const HEARTBEAT_THROTTLE_MS = 1_000;

export interface AgentWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  settings: Settings;
  /** A pre-built bundle saves a second when many workers start (tests, benchmarks). */
  workflowBundle?: WorkflowBundleWithSourceMap;
  /** Activity slots. Each Codex call holds one for its whole duration. */
  maxConcurrentActivities?: number;
  /** OpenTelemetry tracing of workflows and activities; off when absent (see ./telemetry). */
  tracing?: TracingConfig;
  /** The OpenAI Traces export (TRACES=openai); off when absent (see src/tracing/openai-traces.ts). */
  openaiTraces?: OpenAITracesConfig;
  /** How long a cached run's workflow task waits for this worker before any worker takes it. */
  stickyScheduleToStartMs?: number;
  /** Where start-up warnings go (a remote other hosts cannot reach); default stderr. */
  warn?: (line: string) => void;
  /** More activity interceptors, innermost (the crash harness holds chosen activities with one, to kill inside them). */
  activityInterceptors?: ActivityInterceptorsFactory[];
}

export interface AgentWorker {
  worker: Worker;
  /** Polls this host's own queue: the activities that touch the workspaces this host holds. */
  hostWorker: Worker;
  host: string;
  /** The id of the disk holding the workspaces (WORKSPACE_ROOT/.worker-host-id). */
  disk: string;
  hostQueue: string;
  codexTransport: CodexTransport;
  tracing?: WorkerTracing;
  openaiTraces?: OpenAITraces;
  /** Runs until shutdown, then closes the Codex server and flushes traces. */
  run(): Promise<void>;
}

export async function createAgentWorker(o: AgentWorkerOptions): Promise<AgentWorker> {
  const host = defaultHost(o.settings);
  // Before polling: a host queue another disk serves is refused here, not discovered by runs moving back and forth.
  const warnings = await checkHostAtStart(o.connection.workflowService, o.namespace, {
    ...host,
    workspaceRoot: o.settings.workspaceRoot,
    remote: o.settings.workspaceRemote,
    taskQueue: o.settings.taskQueue,
  });
  for (const w of warnings) (o.warn ?? ((l: string) => console.warn(`Warning: ${l}`)))(w);
  const tracing = o.tracing ? await loadWorkerTracing(o.tracing) : undefined;
  const openaiTraces = o.openaiTraces ? createOpenAITraces(o.openaiTraces) : undefined;
  // OTel's interceptor first: its span is the active one when the others run. Typed errors become failures inside
  // the tracing ones (spans record what Temporal records), outside the harness's.
  const activityInterceptors = [
    ...(tracing?.activityInterceptors ?? []),
    ...(openaiTraces ? [openaiTraces.activityInterceptor] : []),
    typedFailures,
    ...(o.activityInterceptors ?? []),
  ];
  // Traced workflows need the tracing interceptors inside their bundle (bundleWorkflows caches one per set).
  const workflowBundle = tracing
    ? await bundleWorkflows(tracing.workflowInterceptorModules)
    : (o.workflowBundle ?? (await bundleWorkflows()));
  const codexTransport = createCodexTransport(o.settings);
  const activities = createActivities({ settings: o.settings, codexTransport, host });
  const common = {
    connection: o.connection,
    namespace: o.namespace,
    // Host and disk in the pollers' identity: how another worker's start-up checks see this one.
    identity: workerIdentity(host),
    maxConcurrentActivityTaskExecutions: o.maxConcurrentActivities ?? 50,
    shutdownGraceTime: '5s',
    // Cancellation reaches an activity only in a heartbeat's answer; the default throttle (80% of the heartbeat
    // timeout, 24 s) would let a cancelled Codex call run on that long.
    maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE_MS,
    interceptors: { activity: activityInterceptors },
  } as const;
  const created = await Promise.all([
    Worker.create({
      ...common,
      taskQueue: o.settings.taskQueue,
      workflowBundle,
      activities,
      stickyQueueScheduleToStartTimeout: o.stickyScheduleToStartMs ?? DEFAULT_STICKY_SCHEDULE_TO_START_MS,
      sinks: { ...tracing?.sinks, ...(openaiTraces?.sinks ?? NO_TRACE_SINKS) },
    }),
    Worker.create({
      ...common,
      taskQueue: host.hostQueue,
      activities: hostActivities(activities, `${host.host} (disk ${host.disk})`),
    }),
  ]).catch(async (err: unknown) => {
    await Promise.all([tracing?.shutdown(), openaiTraces?.shutdown()]);
    throw err;
  });
  const [worker, hostWorker] = created;
  // The two stop together: a host that no longer runs workflows must not keep serving its workspaces, and back.
  const stop = (w: Worker) => {
    if (w.getState() === 'RUNNING') w.shutdown();
  };
  return {
    worker,
    hostWorker,
    ...host,
    codexTransport,
    tracing,
    openaiTraces,
    async run() {
      try {
        await Promise.all([worker.run().finally(() => stop(hostWorker)), hostWorker.run().finally(() => stop(worker))]);
      } finally {
        await codexTransport.close();
        await Promise.all([tracing?.shutdown(), openaiTraces?.shutdown()]);
      }
    },
  };
}

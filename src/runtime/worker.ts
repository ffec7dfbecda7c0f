/**
 * Builds the pipeline's worker: workflows bundled from src/workflows, activities from settings.
 * Shared by `npm run worker`, the demo, tests and benchmarks so they all run the same thing.
 */
import { NativeConnection, Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Settings } from '../config/settings';
import { createActivities } from '../activities';
import { createCodexTransport, type CodexTransport } from '../activities/codex/transport';
import { loadWorkerTracing, type TracingConfig, type WorkerTracing } from './telemetry';

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
}

export interface AgentWorker {
  worker: Worker;
  codexTransport: CodexTransport;
  tracing?: WorkerTracing;
  /** Runs until shutdown, then closes the Codex server and flushes traces. */
  run(): Promise<void>;
}

export async function bundleWorkflows(workflowInterceptorModules: string[] = []): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    workflowInterceptorModules,
    logger: quietBundlerLogger,
  });
}

export async function createAgentWorker(o: AgentWorkerOptions): Promise<AgentWorker> {
  const tracing = o.tracing ? await loadWorkerTracing(o.tracing) : undefined;
  // Traced workflows need the tracing interceptors inside their bundle, so a pre-built bundle cannot be reused.
  const workflowBundle = tracing
    ? await bundleWorkflows(tracing.workflowInterceptorModules)
    : (o.workflowBundle ?? (await bundleWorkflows()));
  const codexTransport = createCodexTransport(o.settings);
  const worker = await Worker.create({
    connection: o.connection,
    namespace: o.namespace,
    taskQueue: o.settings.taskQueue,
    workflowBundle,
    activities: createActivities({ settings: o.settings, codexTransport }),
    maxConcurrentActivityTaskExecutions: o.maxConcurrentActivities ?? 50,
    shutdownGraceTime: '5s',
    ...(tracing && { interceptors: { activity: tracing.activityInterceptors }, sinks: tracing.sinks }),
  }).catch(async (err: unknown) => {
    await tracing?.shutdown();
    throw err;
  });
  return {
    worker,
    codexTransport,
    tracing,
    async run() {
      try {
        await worker.run();
      } finally {
        await codexTransport.close();
        await tracing?.shutdown();
      }
    },
  };
}

const quietBundlerLogger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (m: string) => process.stderr.write(`[bundler] ${m}\n`),
  error: (m: string) => process.stderr.write(`[bundler] ${m}\n`),
  log: () => undefined,
};

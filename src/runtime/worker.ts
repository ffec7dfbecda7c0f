/**
 * Builds the pipeline's worker: workflows bundled from src/workflows, activities from settings.
 * Shared by `npm run worker`, the demo, tests and benchmarks so they all run the same thing.
 */
import { NativeConnection, Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Settings } from '../config/settings';
import { createActivities } from '../activities';
import { CodexServer } from '../activities/codex/server';

export interface AgentWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  settings: Settings;
  /** A pre-built bundle saves a second when many workers start (tests, benchmarks). */
  workflowBundle?: WorkflowBundleWithSourceMap;
  /** Activity slots. Each Codex call holds one for its whole duration. */
  maxConcurrentActivities?: number;
}

export interface AgentWorker {
  worker: Worker;
  codexServer: CodexServer;
  /** Runs until shutdown, then closes the Codex server. */
  run(): Promise<void>;
}

export async function bundleWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger: quietBundlerLogger });
}

export async function createAgentWorker(o: AgentWorkerOptions): Promise<AgentWorker> {
  const codexServer = new CodexServer({ settings: o.settings });
  const worker = await Worker.create({
    connection: o.connection,
    namespace: o.namespace,
    taskQueue: o.settings.taskQueue,
    workflowBundle: o.workflowBundle ?? (await bundleWorkflows()),
    activities: createActivities({ settings: o.settings, codexServer }),
    maxConcurrentActivityTaskExecutions: o.maxConcurrentActivities ?? 50,
    shutdownGraceTime: '5s',
  });
  return {
    worker,
    codexServer,
    async run() {
      try {
        await worker.run();
      } finally {
        await codexServer.close();
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

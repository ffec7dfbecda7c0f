/**
 * A complete local stack on real parts: the embedded Temporal dev server (own port, own SQLite file), the scripted
 * model, and optionally an in-process worker. Used by the end-to-end tests, the chaos harness and the benchmarks.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import {
  NativeConnection,
  type ActivityInterceptorsFactory,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { loadSettings, type Settings } from '../config/settings';
import { startScriptedModel, type ScriptedModel, type ScriptedModelOptions } from '../scripted-model';
import { findFreePort, startDevServer, type DevServer } from '../temporal/dev-server';
import { installLogging, loggingConfigFromEnv } from './logging';
import { tracingConfigFromEnv } from './telemetry';
import { openaiTracesConfigFromEnv } from '../tracing/openai-traces';
import { createAgentWorker, type AgentWorker } from './worker';

export interface LocalStackOptions {
  /** Start a worker in this process (default true). Crash tests run workers as child processes instead. */
  inProcessWorker?: boolean;
  /** Serve the Web UI on this port (default: headless). */
  uiPort?: number;
  scripted?: ScriptedModelOptions;
  /** Extra environment for settings (e.g. CODEX_CALL_TIMEOUT_MS) and tracing (OTEL_EXPORTER_OTLP_ENDPOINT). */
  env?: NodeJS.ProcessEnv;
  workflowBundle?: WorkflowBundleWithSourceMap;
  maxConcurrentActivities?: number;
  /** Keep the temp directory (workspaces, db, logs) after stop(). */
  keepDir?: boolean;
  /** More activity interceptors for the in-process worker (the benchmark times each activity's code with one). */
  activityInterceptors?: ActivityInterceptorsFactory[];
}

export interface LocalStack {
  dir: string;
  dbFile: string;
  server: DevServer;
  address: string;
  namespace: string;
  client: Client;
  scripted: ScriptedModel;
  settings: Settings;
  workspaceRoot: string;
  taskQueue: string;
  worker?: AgentWorker;
  /** Environment for a worker child process that should join this stack. */
  workerEnv(): NodeJS.ProcessEnv;
  /** Restart the dev server on the same port and SQLite file (durability tests). */
  restartServer(): Promise<void>;
  stop(): Promise<void>;
}

export async function startLocalStack(o: LocalStackOptions = {}): Promise<LocalStack> {
  const dir = await mkdtemp(path.join(tmpdir(), 'dca-stack-'));
  const dbFile = path.join(dir, 'temporal.sqlite');
  const workspaceRoot = path.join(dir, 'runs');
  const port = await findFreePort();
  const serverOptions = {
    port,
    ...(o.uiPort ? { uiPort: o.uiPort } : { headless: true }),
    dbFile,
    logFile: path.join(dir, 'temporal.log'),
  };
  let server = await startDevServer(serverOptions);
  const scripted = await startScriptedModel(o.scripted);
  const taskQueue = `dca-${path.basename(dir)}`;
  const env: NodeJS.ProcessEnv = { ...o.env, TASK_QUEUE: taskQueue, WORKSPACE_ROOT: workspaceRoot };
  const settings = loadSettings(env, { scriptedBaseUrl: scripted.baseUrl });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: server.namespace });

  let worker: AgentWorker | undefined;
  let workerConnection: NativeConnection | undefined;
  let workerRun: Promise<void> | undefined;
  if (o.inProcessWorker ?? true) {
    // Tests and benchmarks stay quiet unless LOG_LEVEL asks otherwise (first installer wins; see ./logging).
    // Only here: a Runtime installed without a native connection to shut it down would keep the process alive.
    installLogging(loggingConfigFromEnv(process.env, 'WARN'));
    workerConnection = await NativeConnection.connect({ address: server.address });
    worker = await createAgentWorker({
      connection: workerConnection,
      namespace: server.namespace,
      settings,
      workflowBundle: o.workflowBundle,
      maxConcurrentActivities: o.maxConcurrentActivities,
      tracing: tracingConfigFromEnv(env),
      openaiTraces: openaiTracesConfigFromEnv(env, settings),
      activityInterceptors: o.activityInterceptors,
    });
    workerRun = worker.run();
  }

  const stack: LocalStack = {
    dir,
    dbFile,
    server,
    address: server.address,
    namespace: server.namespace,
    client,
    scripted,
    settings,
    workspaceRoot,
    taskQueue,
    worker,
    workerEnv: () => ({
      ...process.env,
      ...env,
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_NAMESPACE: server.namespace,
      SCRIPTED_MODEL_URL: scripted.baseUrl,
      OPENAI_API_KEY: '',
    }),
    async restartServer() {
      await server.stop();
      server = await startDevServer(serverOptions);
      stack.server = server;
    },
    async stop() {
      if (worker && workerRun) {
        worker.worker.shutdown();
        await workerRun.catch(() => undefined);
      }
      await workerConnection?.close().catch(() => undefined);
      await connection.close().catch(() => undefined);
      await scripted.close();
      // A database removed next needs no graceful stop (over a second); one kept to look at gets it.
      await server.stop({ now: !o.keepDir });
      if (!o.keepDir) await rm(dir, { recursive: true, force: true });
    },
  };
  return stack;
}

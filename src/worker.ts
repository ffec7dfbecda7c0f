/**
 * `npm run worker`: runs the pipeline's workflows and activities on the configured task queue.
 * With OPENAI_API_KEY it uses the real model; without it, the scripted model (started here, or the one at
 * SCRIPTED_MODEL_URL) stands in for the LLM, and says so. Stops gracefully on SIGINT/SIGTERM.
 */
import { loadSettings } from './config/settings';
import { connectWorker, describeTemporalTarget, workerConnectConfig } from './config/temporal-connection';
import { assertModelUsable } from './runtime/model-check';
import { createAgentWorker } from './runtime/worker';
import { displayRemote } from './activities/git-workspace';
import { ConfigError } from './shared/errors';
import { startScriptedModel, type ScriptedModel } from './scripted-model';
import { SCRIPTED_BANNER } from './runtime/banner';
import { installLogging, loggingConfigFromEnv } from './runtime/logging';
import { tracingConfigFromEnv } from './runtime/telemetry';

async function main(): Promise<void> {
  installLogging(loggingConfigFromEnv(process.env));
  const tracing = tracingConfigFromEnv(process.env);
  let scripted: ScriptedModel | undefined;
  let scriptedBaseUrl = process.env.SCRIPTED_MODEL_URL || undefined;
  if (!process.env.OPENAI_API_KEY && !scriptedBaseUrl) {
    scripted = await startScriptedModel();
    scriptedBaseUrl = scripted.baseUrl;
  }
  try {
    const settings = loadSettings(process.env, { scriptedBaseUrl });
    if (settings.model.scripted) console.log(SCRIPTED_BANNER(settings.model.baseUrl ?? ''));
    else await assertModelUsable(settings.model, (line) => console.warn(line));
    const target = describeTemporalTarget(workerConnectConfig());
    const { connection, namespace } = await connectWorker();
    const maxConcurrentActivities = process.env.WORKER_MAX_ACTIVITIES
      ? Number(process.env.WORKER_MAX_ACTIVITIES)
      : undefined;
    const agentWorker = await createAgentWorker({ connection, namespace, settings, maxConcurrentActivities, tracing });
    if (tracing) console.log(`Tracing: OpenTelemetry spans to ${tracing.tracesUrl} as "${tracing.serviceName}".`);
    console.log(
      `Worker ready: task queue "${settings.taskQueue}" on ${target}; host ${agentWorker.host} (own queue "${agentWorker.hostQueue}"); ` +
        `model ${settings.model.scripted ? 'SCRIPTED' : settings.model.defaultModel}; workspaces under ${settings.workspaceRoot}, pushed to ${settings.workspaceRemote ? displayRemote(settings.workspaceRemote) : 'the bare repository .remote.git there'}. Ctrl-C stops it.`,
    );
    await agentWorker.run();
    await connection.close();
    console.log('Worker stopped.');
  } finally {
    await scripted?.close();
  }
}

main().catch((err: unknown) => {
  const msg =
    err instanceof ConfigError ? err.message : err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  process.stderr.write(`worker: ${msg}\n`);
  process.exit(2);
});

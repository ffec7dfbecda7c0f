/**
 * `durable-codex-agents worker` (`npm run worker`): runs the pipeline's workflows and activities on the configured task queue.
 * With OPENAI_API_KEY it uses the real model; without it, the scripted model (started here, or the one at
 * SCRIPTED_MODEL_URL) stands in for the LLM, and says so. Stops gracefully on SIGINT/SIGTERM.
 */
import { displayRemote } from '../activities/git-workspace';
import { loadSettings } from '../config/settings';
import { connectWorker, describeTemporalTarget, workerConnectConfig } from '../config/temporal-connection';
import { SCRIPTED_BANNER } from '../runtime/banner';
import { installLogging, loggingConfigFromEnv } from '../runtime/logging';
import { assertModelUsable } from '../runtime/model-check';
import { tracingConfigFromEnv } from '../runtime/telemetry';
import { openaiTracesConfigFromEnv } from '../tracing/openai-traces';
import { createAgentWorker } from '../runtime/worker';
import { startScriptedModel, type ScriptedModel } from '../scripted-model';
import type { CliCommand } from './command';

export const workerCommand: CliCommand = {
  name: 'worker',
  summary: "run the pipeline's workflows and activities on the task queue until Ctrl-C",
  declare: (cmd) =>
    cmd.addHelpText(
      'after',
      '\nConfigured by the environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TASK_QUEUE, OPENAI_API_KEY (else the\n' +
        'scripted model, or the one at SCRIPTED_MODEL_URL), WORKSPACE_ROOT, WORKSPACE_REMOTE, WORKER_MAX_ACTIVITIES,\n' +
        'TRACES=openai and OTEL_EXPORTER_OTLP_ENDPOINT (traces; README "Traces"), TRACES_CAPTURE_CONTENT.',
    ),
  action: () => worker(),
};

/** Runs a worker until a signal stops it; resolves to 0 once it has shut down. */
export async function worker(): Promise<number> {
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
    const openaiTraces = openaiTracesConfigFromEnv(process.env, settings);
    const agentWorker = await createAgentWorker({
      connection,
      namespace,
      settings,
      maxConcurrentActivities,
      tracing,
      openaiTraces,
    });
    if (tracing) console.log(`Tracing: OpenTelemetry spans to ${tracing.tracesUrl} as "${tracing.serviceName}".`);
    if (openaiTraces) {
      console.log(
        `Tracing: OpenAI Traces to ${openaiTraces.endpoint} (content ${openaiTraces.captureContent ? 'captured' : 'not captured'}).`,
      );
    }
    console.log(
      `Worker ready: task queue "${settings.taskQueue}" on ${target}; host ${agentWorker.host} (disk ${agentWorker.disk}, own queue "${agentWorker.hostQueue}"); ` +
        `model ${settings.model.scripted ? 'SCRIPTED' : settings.model.defaultModel}; workspaces under ${settings.workspaceRoot}, pushed to ${settings.workspaceRemote ? displayRemote(settings.workspaceRemote) : 'the bare repository .remote.git there'}. Ctrl-C stops it.`,
    );
    await agentWorker.run();
    await connection.close();
    console.log('Worker stopped.');
    return 0;
  } finally {
    await scripted?.close();
  }
}

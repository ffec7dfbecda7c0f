/**
 * The OpenAI Traces export of a worker (`TRACES=openai`): its configuration from the environment, the activity
 * interceptor that turns completed model turns, Codex calls and verification rounds into spans, and the `traces`
 * sink that turns a run's start and end into its trace, agent, handoff, review and approval items.
 *
 * Spans come only from completed activities and from sink calls, never from workflow code as it replays; a retried
 * activity or a sink call made again by another worker yields the same ids (./openai-items.ts).
 */
import path from 'node:path';
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';
import type { Settings } from '../config/settings';
import { ConfigError } from '../shared/errors';
import type { TraceSinks } from '../shared/trace-sinks';
import type { CodexCallInput, CodexCallOutput, ModelTurnInput, ModelTurnOutput } from '../shared/types';
import type { VerifyInput, VerifyResult } from '../shared/types';
import { OpenAITracesExporter } from './openai-exporter';
import type { IngestItem } from './openai-items';
import { codexCallSpans, modelTurnSpan, runEndItems, traceItem, verificationSpan, type ActivityRef } from './run-spans';

export interface OpenAITracesConfig {
  endpoint: string;
  apiKey: string;
  organization?: string;
  project?: string;
  /** Prompts, instructions, model output and Codex's answers in the spans (TRACES_CAPTURE_CONTENT=1). */
  captureContent: boolean;
  spoolDir: string;
  scheduleDelayMs?: number;
}

export const TRACES_VALUES = ['openai', 'otlp'] as const;
const truthy = (v: string | undefined) => /^(1|true|yes|on)$/i.test(v?.trim() ?? '');

/** Whether prompts and completions go into spans: TRACES_CAPTURE_CONTENT, or OTel's own GenAI variable. */
export function captureContentFromEnv(env: NodeJS.ProcessEnv): boolean {
  return truthy(env.TRACES_CAPTURE_CONTENT) || truthy(env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT);
}

/**
 * `TRACES=openai` (a comma list; `otlp` is the OTel export, configured by OTEL_EXPORTER_OTLP_ENDPOINT) turns the
 * export on. Undefined when off, or refused with a warning: a zero-data-retention organisation
 * (OPENAI_ZERO_DATA_RETENTION=1: OpenAI offers no tracing to those), or the scripted model without an ingest URL.
 */
export function openaiTracesConfigFromEnv(
  env: NodeJS.ProcessEnv,
  settings: Settings,
  warn: (line: string) => void = (l) => console.warn(l),
): OpenAITracesConfig | undefined {
  const wanted = (env.TRACES ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const unknown = wanted.filter((w) => !(TRACES_VALUES as readonly string[]).includes(w));
  if (unknown.length) throw new ConfigError(`Invalid TRACES: ${unknown.join(', ')} (use ${TRACES_VALUES.join(', ')})`);
  if (!wanted.includes('openai')) return undefined;
  if (truthy(env.OPENAI_ZERO_DATA_RETENTION)) {
    warn(
      'TRACES=openai refused: OPENAI_ZERO_DATA_RETENTION is set, and OpenAI does not offer tracing to ' +
        'zero-data-retention organisations; no trace is sent (use the OpenTelemetry export instead).',
    );
    return undefined;
  }
  const explicit = env.TRACES_OPENAI_ENDPOINT?.trim();
  // The scripted model serves the Responses API only; its traces go wherever TRACES_OPENAI_ENDPOINT says.
  if (settings.model.scripted && !explicit) {
    warn('TRACES=openai ignored: the scripted model has no traces endpoint (set TRACES_OPENAI_ENDPOINT).');
    return undefined;
  }
  const base = (settings.model.baseUrl ?? 'https://api.openai.com/v1').replace(/\/+$/, '');
  const endpoint = explicit || `${base}/traces/ingest`;
  try {
    new URL(endpoint);
  } catch {
    throw new ConfigError(`Invalid TRACES_OPENAI_ENDPOINT: not a URL`);
  }
  const delay = env.TRACES_BATCH_DELAY_MS ? Number(env.TRACES_BATCH_DELAY_MS) : undefined;
  if (delay !== undefined && !(Number.isInteger(delay) && delay > 0)) {
    throw new ConfigError('Invalid TRACES_BATCH_DELAY_MS: a positive number of milliseconds');
  }
  return {
    endpoint,
    apiKey: settings.model.apiKey,
    organization: env.OPENAI_ORG_ID?.trim() || undefined,
    project: env.OPENAI_PROJECT_ID?.trim() || undefined,
    captureContent: captureContentFromEnv(env),
    spoolDir: path.join(settings.workspaceRoot, '.traces'),
    scheduleDelayMs: delay,
  };
}

export interface OpenAITraces {
  config: OpenAITracesConfig;
  exporter: OpenAITracesExporter;
  activityInterceptor: ActivityInterceptorsFactory;
  sinks: InjectedSinks<TraceSinks>;
  shutdown(): Promise<void>;
}

/** Every worker registers the `traces` sink; without the export it does nothing. */
export const NO_TRACE_SINKS: InjectedSinks<TraceSinks> = {
  traces: { runStarted: { fn: () => undefined }, runEnded: { fn: () => undefined } },
};

export function createOpenAITraces(config: OpenAITracesConfig): OpenAITraces {
  const exporter = new OpenAITracesExporter({
    endpoint: config.endpoint,
    apiKey: config.apiKey,
    organization: config.organization,
    project: config.project,
    spoolDir: config.spoolDir,
    ...(config.scheduleDelayMs ? { scheduleDelayMs: config.scheduleDelayMs } : {}),
  });
  const emit = (make: () => IngestItem[]) => {
    try {
      exporter.emit(make());
    } catch (err) {
      console.warn(`[non-fatal] OpenAI traces: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const activityInterceptor: ActivityInterceptorsFactory = (ctx) => ({
    inbound: {
      async execute(input, next) {
        const startedAt = Date.now();
        const result = await next(input);
        const { info } = ctx;
        // Only activities of a workflow run belong to a trace.
        if (!info.workflowExecution || !info.workflowType) return result;
        const ref: ActivityRef = {
          workflowId: info.workflowExecution.workflowId,
          runId: info.workflowExecution.runId,
          workflowType: info.workflowType,
          activityId: info.activityId,
          startedAt,
          endedAt: Date.now(),
        };
        const arg = input.args[0];
        const content = config.captureContent;
        if (info.activityType === 'modelTurn') {
          emit(() => [modelTurnSpan(ref, arg as ModelTurnInput, result as ModelTurnOutput, content)]);
        } else if (info.activityType === 'codexCall') {
          emit(() => codexCallSpans(ref, arg as CodexCallInput, result as CodexCallOutput, content));
        } else if (info.activityType === 'runVerification') {
          emit(() => [verificationSpan(ref, arg as VerifyInput, result as VerifyResult)]);
        }
        return result;
      },
    },
  });
  const sinks: InjectedSinks<TraceSinks> = {
    traces: {
      runStarted: { fn: (info, team) => emit(() => [traceItem(info, team)]), callDuringReplay: false },
      runEnded: { fn: (info, team, state) => emit(() => runEndItems(info, team, state)), callDuringReplay: false },
    },
  };
  return { config, exporter, activityInterceptor, sinks, shutdown: () => exporter.shutdown() };
}

/**
 * The OpenAI Traces export of a worker (`TRACES=openai`, the same for `npm run worker`, `demo` and the MCP server's
 * in-process worker): its configuration from the environment, the activity interceptor that turns completed model
 * turns, Codex calls (of runs and of the MCP server's Codex sessions) and verification rounds into spans, and the
 * `traces` sink that turns a run's start and end into its trace, agent, handoff, review and approval items.
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
import { CODEX_SESSION_WORKFLOW_TYPE } from '../shared/codex-session';
import {
  codexCallSpans,
  modelTurnSpan,
  runEndItems,
  sessionTurnItems,
  traceItem,
  verificationSpan,
  type ActivityRef,
} from './run-spans';

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

/** What the TRACES variables ask for, checked without the worker's settings (so a bad value stops a start-up early). */
export interface OpenAITracesRequest {
  /** TRACES_OPENAI_ENDPOINT; else `{OPENAI_BASE_URL}/traces/ingest` of the worker's settings. */
  endpoint?: string;
  captureContent: boolean;
  organization?: string;
  project?: string;
  scheduleDelayMs?: number;
  zeroDataRetention: boolean;
}

/**
 * `TRACES=openai` (a comma list; `otlp` is the OTel export, configured by OTEL_EXPORTER_OTLP_ENDPOINT) asks for the
 * export: undefined when it does not; a ConfigError for a value that cannot be meant.
 */
export function openaiTracesRequestFromEnv(env: NodeJS.ProcessEnv): OpenAITracesRequest | undefined {
  const wanted = (env.TRACES ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const unknown = wanted.filter((w) => !(TRACES_VALUES as readonly string[]).includes(w));
  if (unknown.length) throw new ConfigError(`Invalid TRACES: ${unknown.join(', ')} (use ${TRACES_VALUES.join(', ')})`);
  if (!wanted.includes('openai')) return undefined;
  const explicit = env.TRACES_OPENAI_ENDPOINT?.trim();
  if (explicit && !isUrl(explicit)) throw new ConfigError(`Invalid TRACES_OPENAI_ENDPOINT: not a URL`);
  const delay = env.TRACES_BATCH_DELAY_MS ? Number(env.TRACES_BATCH_DELAY_MS) : undefined;
  if (delay !== undefined && !(Number.isInteger(delay) && delay > 0)) {
    throw new ConfigError('Invalid TRACES_BATCH_DELAY_MS: a positive number of milliseconds');
  }
  return {
    ...(explicit && { endpoint: explicit }),
    captureContent: captureContentFromEnv(env),
    organization: env.OPENAI_ORG_ID?.trim() || undefined,
    project: env.OPENAI_PROJECT_ID?.trim() || undefined,
    ...(delay !== undefined && { scheduleDelayMs: delay }),
    zeroDataRetention: truthy(env.OPENAI_ZERO_DATA_RETENTION),
  };
}

/**
 * The export for a worker with these settings (its key, its base URL, its WORKSPACE_ROOT for the spool). Undefined
 * when not asked for, or refused with a warning: a zero-data-retention organisation (OPENAI_ZERO_DATA_RETENTION=1:
 * OpenAI offers no tracing to those), or the scripted model without an ingest URL.
 */
export function openaiTracesConfig(
  request: OpenAITracesRequest | undefined,
  settings: Settings,
  warn: (line: string) => void = (l) => console.warn(l),
): OpenAITracesConfig | undefined {
  if (!request) return undefined;
  if (request.zeroDataRetention) {
    warn(
      'TRACES=openai refused: OPENAI_ZERO_DATA_RETENTION is set, and OpenAI does not offer tracing to ' +
        'zero-data-retention organisations; no trace is sent (use the OpenTelemetry export instead).',
    );
    return undefined;
  }
  // The scripted model serves the Responses API only; its traces go wherever TRACES_OPENAI_ENDPOINT says.
  if (settings.model.scripted && !request.endpoint) {
    warn('TRACES=openai ignored: the scripted model has no traces endpoint (set TRACES_OPENAI_ENDPOINT).');
    return undefined;
  }
  const base = (settings.model.baseUrl ?? 'https://api.openai.com/v1').replace(/\/+$/, '');
  return {
    // The base URL is a URL already (settings check it).
    endpoint: request.endpoint ?? `${base}/traces/ingest`,
    apiKey: settings.model.apiKey,
    organization: request.organization,
    project: request.project,
    captureContent: request.captureContent,
    spoolDir: path.join(settings.workspaceRoot, '.traces'),
    scheduleDelayMs: request.scheduleDelayMs,
  };
}

/** Both steps at once, for a worker that has its settings already. */
export function openaiTracesConfigFromEnv(
  env: NodeJS.ProcessEnv,
  settings: Settings,
  warn: (line: string) => void = (l) => console.warn(l),
): OpenAITracesConfig | undefined {
  return openaiTracesConfig(openaiTracesRequestFromEnv(env), settings, warn);
}

function isUrl(text: string): boolean {
  try {
    new URL(text);
    return true;
  } catch {
    return false;
  }
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
        } else if (info.activityType === 'codexCall' && info.workflowType === CODEX_SESSION_WORKFLOW_TYPE) {
          // A turn of the MCP server's Codex session: no run around it, so the turn brings its session's trace.
          emit(() => sessionTurnItems(ref, arg as CodexCallInput, result as CodexCallOutput, content));
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

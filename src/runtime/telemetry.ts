/**
 * Optional OpenTelemetry tracing of workflows and activities. Off unless OTEL_EXPORTER_OTLP_ENDPOINT (or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set; then spans go to that OTLP/HTTP collector. Nothing from OpenTelemetry
 * is loaded when it is off: the SDK lives in ./tracing and is imported only by `loadWorkerTracing`.
 */
import { ConfigError } from '../shared/errors';
import { captureContentFromEnv } from '../tracing/openai-traces';
import type * as TracingModule from './tracing';
import { TracingConfigSchema, type TracingConfig, type WorkerTracing } from './tracing-config';

export { TracingConfigSchema, type TracingConfig, type WorkerTracing };

export const DEFAULT_SERVICE_NAME = 'durable-codex-agents-worker';

/** The standard OTel variables; undefined when tracing is off. */
export function tracingConfigFromEnv(env: NodeJS.ProcessEnv): TracingConfig | undefined {
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!traces && !base) return undefined;
  const protocol = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL)?.trim() || undefined;
  if (protocol && protocol !== 'http/protobuf' && protocol !== 'http/json') {
    throw new ConfigError(`Invalid OTEL_EXPORTER_OTLP_PROTOCOL: ${protocol} (use http/protobuf or http/json)`);
  }
  const parsed = TracingConfigSchema.safeParse({
    tracesUrl: traces || `${(base ?? '').replace(/\/+$/, '')}/v1/traces`,
    serviceName: env.OTEL_SERVICE_NAME?.trim() || DEFAULT_SERVICE_NAME,
    ...(captureContentFromEnv(env) && { captureContent: true }),
    ...(protocol && { protocol }),
  });
  if (!parsed.success) {
    throw new ConfigError(`Invalid OTEL_EXPORTER_OTLP_ENDPOINT: ${parsed.error.issues[0]?.message ?? 'not a URL'}`);
  }
  return parsed.data;
}

export async function loadWorkerTracing(config: TracingConfig): Promise<WorkerTracing> {
  // require, not import(): the bin (bin/durable-codex-agents.js) loads TypeScript through tsx's require hook only, and
  // import() would take Node's ESM loader, which that hook does not reach ("Cannot find module .../runtime/tracing").
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createWorkerTracing } = require('./tracing') as typeof TracingModule;
  return createWorkerTracing(config);
}

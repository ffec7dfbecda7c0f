/**
 * Optional OpenTelemetry tracing of workflows and activities. Off unless OTEL_EXPORTER_OTLP_ENDPOINT (or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set; then spans go to that OTLP/HTTP collector. Nothing from OpenTelemetry
 * is loaded when it is off: the SDK lives in ./tracing and is imported only by `loadWorkerTracing`.
 */
import type { ActivityInterceptorsFactory, WorkerOptions } from '@temporalio/worker';
import { z } from 'zod';
import { ConfigError } from '../shared/errors';

export const DEFAULT_SERVICE_NAME = 'durable-codex-agents-worker';

export const TracingConfigSchema = z.object({
  /** Where spans are POSTed (OTLP/HTTP protobuf), e.g. http://localhost:4318/v1/traces. */
  tracesUrl: z.url({ protocol: /^https?$/ }),
  serviceName: z.string().min(1),
});
export type TracingConfig = z.infer<typeof TracingConfigSchema>;

/** The standard OTel variables; undefined when tracing is off. */
export function tracingConfigFromEnv(env: NodeJS.ProcessEnv): TracingConfig | undefined {
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!traces && !base) return undefined;
  const parsed = TracingConfigSchema.safeParse({
    tracesUrl: traces || `${(base ?? '').replace(/\/+$/, '')}/v1/traces`,
    serviceName: env.OTEL_SERVICE_NAME?.trim() || DEFAULT_SERVICE_NAME,
  });
  if (!parsed.success) {
    throw new ConfigError(`Invalid OTEL_EXPORTER_OTLP_ENDPOINT: ${parsed.error.issues[0]?.message ?? 'not a URL'}`);
  }
  return parsed.data;
}

/** What a worker needs to trace: interceptors, the sink that exports workflow spans, and a flush on shutdown. */
export interface WorkerTracing {
  config: TracingConfig;
  /** Bundled into the workflow code. */
  workflowInterceptorModules: string[];
  activityInterceptors: ActivityInterceptorsFactory[];
  sinks: NonNullable<WorkerOptions['sinks']>;
  /** Flushes and stops the exporter; bounded, so an unreachable collector cannot hold up shutdown. */
  shutdown(): Promise<void>;
}

export async function loadWorkerTracing(config: TracingConfig): Promise<WorkerTracing> {
  const { createWorkerTracing } = await import('./tracing');
  return createWorkerTracing(config);
}

/** What ./telemetry (always loaded) and ./tracing (the OpenTelemetry SDK, loaded only when tracing is on) share. */
import type { ActivityInterceptorsFactory, WorkerOptions } from '@temporalio/worker';
import { z } from 'zod';

export const TracingConfigSchema = z.object({
  /** Where spans are POSTed, e.g. http://localhost:4318/v1/traces. */
  tracesUrl: z.url({ protocol: /^https?$/ }),
  /** OTEL_EXPORTER_OTLP_PROTOCOL: `http/protobuf` (the spec's default, what Phoenix and most collectors take) or `http/json`. */
  protocol: z.enum(['http/protobuf', 'http/json']).optional(),
  serviceName: z.string().min(1),
  /** Prompts and completions as gen_ai.* attributes (TRACES_CAPTURE_CONTENT / OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT). */
  captureContent: z.boolean().optional(),
});
export type TracingConfig = z.infer<typeof TracingConfigSchema>;

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

/**
 * The OpenTelemetry side of ./telemetry, loaded only when tracing is on. Activity spans come from the activity
 * interceptor; workflow spans are made inside the sandbox and leave it through the `exporter` sink. Failed exports
 * are OTel's problem, not the run's: the batch processor drops them and the worker carries on.
 */
import { context, propagation } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as OTLPJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/worker';
import { genAiActivityInterceptor } from '../tracing/genai-otel';
import type { TracingConfig, WorkerTracing } from './tracing-config';

const SHUTDOWN_LIMIT_MS = 3_000;
let globalsInstalled = false;

/** Trace context crosses from workflow to activity in headers: that needs a propagator and a context manager. */
function installGlobals(): void {
  if (globalsInstalled) return;
  globalsInstalled = true;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  );
}

export function createWorkerTracing(config: TracingConfig): WorkerTracing {
  installGlobals();
  const resource = new Resource({ 'service.name': config.serviceName });
  const Exporter = config.protocol === 'http/json' ? OTLPJsonTraceExporter : OTLPTraceExporter;
  // The export timeout is OTel's own (OTEL_EXPORTER_OTLP_TIMEOUT, default 10 s): a batch that times out is dropped,
  // and 5 s lost batches on a busy machine. Shutdown stays bounded by SHUTDOWN_LIMIT_MS whatever it is.
  const exporter = new Exporter({ url: config.tracesUrl });
  const processor = new BatchSpanProcessor(exporter, { scheduledDelayMillis: 1_000 });
  const provider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
  const tracer = provider.getTracer('durable-codex-agents');
  return {
    config,
    workflowInterceptorModules: [require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')],
    activityInterceptors: [
      (ctx) => ({
        inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer }),
        outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
      }),
      // Inside Temporal's activity span: the GenAI span of a model turn or a Codex call.
      genAiActivityInterceptor(tracer, config.captureContent ?? false),
    ],
    sinks: { exporter: makeWorkflowExporter(processor, resource) },
    async shutdown() {
      let timer: NodeJS.Timeout | undefined;
      const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, SHUTDOWN_LIMIT_MS)));
      await Promise.race([provider.shutdown().catch(() => undefined), limit]);
      clearTimeout(timer);
    },
  };
}

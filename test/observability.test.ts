/**
 * Observability: one Runtime logger (levels, JSON lines, no console noise from activities) and optional
 * OpenTelemetry tracing (nothing loaded when off; spans exported when on; an unreachable collector harmless).
 * Real Temporal dev server, real Codex, scripted model. The Runtime logger is per process, so it is installed here
 * first, at INFO in JSON, and captured.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '../src/shared/errors';
import { formatJsonLine, formatTextLine, installLogging, loggingConfigFromEnv } from '../src/runtime/logging';
import { startLocalStack, type LocalStack } from '../src/runtime/local-stack';
import { finishRun, startRun } from '../src/runtime/runs';
import { tracingConfigFromEnv } from '../src/runtime/telemetry';
import { findFreePort } from '../src/temporal/dev-server';
import { attributesOf, startOtlpCollector, type OtlpCollector } from './helpers/otlp-collector';

const logLines: string[] = [];
const otelModules = () =>
  Object.keys(require.cache).filter((k) => /[\\/](@opentelemetry|interceptors-opentelemetry)[\\/]/.test(k));

before(() => {
  assert.equal(
    installLogging({ level: 'INFO', format: 'json' }, (l) => logLines.push(l)),
    true,
  );
  assert.equal(installLogging({ level: 'WARN', format: 'text' }), false, 'the first installer wins');
});

async function runSingle(stack: LocalStack, id: string) {
  const handle = await startRun(stack.client, {
    kind: 'single',
    input: { tuning: { retryInitialIntervalMs: 200 } },
    workflowId: id,
    taskQueue: stack.taskQueue,
  });
  return finishRun(handle);
}

describe('logging settings', () => {
  it('reads LOG_LEVEL and LOG_FORMAT, with a default level per entrypoint', () => {
    assert.deepEqual(loggingConfigFromEnv({}), { level: 'INFO', format: 'text' });
    assert.deepEqual(loggingConfigFromEnv({}, 'WARN'), { level: 'WARN', format: 'text' });
    assert.deepEqual(loggingConfigFromEnv({ LOG_LEVEL: 'debug', LOG_FORMAT: 'JSON' }, 'WARN'), {
      level: 'DEBUG',
      format: 'json',
    });
    assert.throws(
      () => loggingConfigFromEnv({ LOG_LEVEL: 'loud' }),
      (e: unknown) => e instanceof ConfigError && /LOG_LEVEL/.test(e.message),
    );
  });

  it('formats one line per entry, with errors as their cause chain', () => {
    const err = new Error('outer', { cause: Object.assign(new Error('inner'), { type: 'TransientServiceError' }) });
    const entry = {
      level: 'WARN' as const,
      message: 'Activity failed',
      timestampNanos: 1_700_000_000_000_000_000n,
      meta: { error: err, attempt: 2, big: 5n },
    };
    assert.deepEqual(JSON.parse(formatJsonLine(entry)), {
      time: '2023-11-14T22:13:20.000Z',
      level: 'WARN',
      message: 'Activity failed',
      error: 'Error: outer <- TransientServiceError: inner',
      attempt: 2,
      big: '5',
    });
    assert.equal(
      formatTextLine(entry),
      '2023-11-14T22:13:20.000Z [WARN] Activity failed {"error":"Error: outer <- TransientServiceError: inner","attempt":2,"big":"5"}',
    );
  });
});

describe('tracing settings', () => {
  it('is off without OTEL_EXPORTER_OTLP_ENDPOINT, and validated when set', () => {
    assert.equal(tracingConfigFromEnv({}), undefined);
    assert.deepEqual(tracingConfigFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }), {
      tracesUrl: 'http://collector:4318/v1/traces',
      serviceName: 'durable-codex-agents-worker',
    });
    assert.equal(
      tracingConfigFromEnv({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://x/traces', OTEL_SERVICE_NAME: 'w' })
        ?.tracesUrl,
      'https://x/traces',
    );
    assert.throws(() => tracingConfigFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }), ConfigError);
  });
});

describe('a worker without tracing', () => {
  let stack: LocalStack;
  before(async () => (stack = await startLocalStack()));
  after(() => stack?.stop());

  it('logs through the Runtime logger only (JSON lines, workflow context), and loads nothing from OpenTelemetry', async () => {
    const noise: string[] = [];
    const stdout = process.stdout.write.bind(process.stdout);
    const stderr = process.stderr.write.bind(process.stderr);
    // The test runner itself talks to its parent in binary chunks on stdout; console output is text.
    const capture = (chunk: unknown) => (typeof chunk === 'string' && noise.push(chunk), true);
    process.stdout.write = capture as typeof process.stdout.write;
    process.stderr.write = capture as typeof process.stderr.write;
    let outcome;
    try {
      outcome = await runSingle(stack, `obs-plain-${Date.now()}`);
    } finally {
      process.stdout.write = stdout;
      process.stderr.write = stderr;
    }
    assert.equal(outcome.ok, true, outcome.error);
    assert.deepEqual(noise, [], 'nothing written to the console during the run');
    const entries = logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const turn = entries.find((e) => e.message === 'model turn started');
    assert.ok(turn, 'activity logs reach the Runtime logger');
    assert.equal(turn.level, 'INFO');
    assert.match(String(turn.workflowId), /^obs-plain-/, 'with the activity context attached');
    const warnings = entries.filter((e) => e.level === 'WARN').map((e) => e.message);
    assert.deepEqual(warnings, [], 'no warnings: the host-queue worker has no workflows by design');
    assert.deepEqual(otelModules(), []);
  });
});

describe('a worker with OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  let collector: OtlpCollector;
  before(async () => (collector = await startOtlpCollector()));
  after(() => collector.close());

  it('exports workflow and activity spans of one trace to the collector', async () => {
    // JSON, so this collector can read it (the default, http/protobuf, is what the Phoenix test reads back).
    const stack = await startLocalStack({
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' },
    });
    let outcome;
    try {
      assert.equal(stack.worker?.tracing?.config.tracesUrl, `${collector.url}/v1/traces`);
      outcome = await runSingle(stack, `obs-traced-${Date.now()}`);
    } finally {
      await stack.stop(); // flushes the span processor
    }
    assert.equal(outcome.ok, true, outcome.error);
    assert.ok(otelModules().length > 0);
    assert.ok(collector.posts.length > 0 && collector.posts.every((p) => p.path === '/v1/traces'));
    const spans = collector.spans();
    const run = spans.find((s) => s.name === 'RunWorkflow:teamWorkflow');
    const codex = spans.find((s) => s.name === 'RunActivity:codexCall');
    assert.ok(run && codex, `spans: ${[...new Set(spans.map((s) => s.name))].join(', ')}`);
    assert.equal(codex.traceId, run.traceId, 'the activity span belongs to the workflow trace');
    // GenAI conventions: a `chat` span inside each model turn's activity span, an `execute_tool` span inside each
    // Codex call's, with the model, usage and agent, and no prompt (content capture is off).
    const turn = spans.find((s) => s.name === 'RunActivity:modelTurn');
    const chat = spans.find((s) => s.name.startsWith('chat ') && s.parentSpanId === turn?.spanId);
    assert.ok(turn && chat, `spans: ${[...new Set(spans.map((s) => s.name))].join(', ')}`);
    const attrs = attributesOf(chat);
    assert.equal(attrs['gen_ai.operation.name'], 'chat');
    assert.equal(attrs['gen_ai.request.model'], chat.name.slice('chat '.length));
    assert.ok(Number(attrs['gen_ai.usage.input_tokens']) > 0 && Number(attrs['gen_ai.usage.output_tokens']) > 0);
    assert.ok(attrs['gen_ai.agent.name'], 'the role');
    assert.equal(attrs['gen_ai.input.messages'], undefined, 'no content unless asked');
    const tool = spans.find((s) => s.name === 'execute_tool codex');
    assert.ok(tool && spans.some((s) => s.spanId === tool.parentSpanId && s.name === 'RunActivity:codexCall'));
    assert.equal(attributesOf(tool)['gen_ai.tool.name'], 'codex');
    assert.equal(attributesOf(tool)['gen_ai.tool.call.arguments'], undefined, 'no prompt unless asked');
  });

  it('keeps running when the collector is unreachable', async () => {
    const closedPort = await findFreePort();
    const stack = await startLocalStack({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${closedPort}` } });
    let outcome;
    const stopStarted = { at: 0 };
    try {
      outcome = await runSingle(stack, `obs-unreachable-${Date.now()}`);
    } finally {
      stopStarted.at = Date.now();
      await stack.stop();
    }
    assert.equal(outcome.ok, true, outcome.error);
    assert.ok(Date.now() - stopStarted.at < 15_000, 'shutdown is not held up by the exporter');
  });
});

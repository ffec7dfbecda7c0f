/**
 * The OpenAI Traces export's rules, without a Temporal server: the item format and limits the exporters apply, the
 * configuration (off by default, ZDR refused, content opt-in), and the exporter's batching, retries, deduplication
 * and adoption of a dead worker's spool, against the local ingest endpoint.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadSettings } from '../../src/config/settings';
import { OpenAITracesExporter } from '../../src/tracing/openai-exporter';
import {
  MAX_FIELD_BYTES,
  SpanItemSchema,
  TraceItemSchema,
  TRUNCATION_SUFFIX,
  sanitizeSpanData,
  spanIdOf,
  traceIdOf,
  truncateToLimit,
} from '../../src/tracing/openai-items';
import { openaiTracesConfigFromEnv } from '../../src/tracing/openai-traces';
import { codexCallSpans, modelTurnSpan, sessionTurnItems, type ActivityRef } from '../../src/tracing/run-spans';
import type { CodexCallInput, CodexCallOutput, ModelTurnInput, ModelTurnOutput } from '../../src/shared/types';
import { startTracesIngest, type TracesIngest } from '../helpers/traces-ingest';

let ingest: TracesIngest;
before(async () => (ingest = await startTracesIngest()));
after(() => ingest.close());

const bytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v), 'utf8');
const ref: ActivityRef = {
  workflowId: 'wf-1',
  runId: 'run-1',
  workflowType: 'teamWorkflow',
  activityId: '7',
  startedAt: 1_000,
  endedAt: 2_000,
};
const turnIn: ModelTurnInput = {
  runId: 'wf-1',
  role: 'designer',
  turn: 1,
  instructions: 'SECRET INSTRUCTIONS',
  input: [{ type: 'message', role: 'user', content: 'x'.repeat(150_000) }],
  tools: ['codex'],
};
const turnOut = {
  responseId: 'resp_1',
  model: 'gpt-5',
  items: [{ type: 'message', role: 'assistant', content: 'done' }],
  codexCalls: [],
  usage: { input: 10, output: 5, reasoning: 2, total: 15 },
  scripted: true,
  durationMs: 5,
} as unknown as ModelTurnOutput;

describe('OpenAI Traces items', () => {
  it('derives ids in the ingest formats from the run and the step, the same every time', () => {
    const t = traceIdOf('wf-1', 'run-1');
    assert.match(t, /^trace_[0-9a-f]{32}$/);
    assert.match(spanIdOf(t, 'agent:designer'), /^span_[0-9a-f]{24}$/);
    assert.equal(spanIdOf(t, 'activity:7'), spanIdOf(traceIdOf('wf-1', 'run-1'), 'activity:7'));
    assert.notEqual(spanIdOf(t, 'activity:7'), spanIdOf(traceIdOf('wf-1', 'run-2'), 'activity:7'));
  });

  it('cuts input and output to 100,000 bytes of JSON as the exporters do, and moves usage extras to details', () => {
    const long = 'é'.repeat(80_000);
    const cut = truncateToLimit(long) as string;
    assert.ok(bytes(cut) <= MAX_FIELD_BYTES && cut.endsWith(TRUNCATION_SUFFIX));
    const list = truncateToLimit([{ a: 'x'.repeat(200_000) }, { b: 'small' }]) as unknown[];
    assert.ok(bytes(list) <= MAX_FIELD_BYTES);
    assert.deepEqual(list[1], { b: 'small' }, 'the largest child is cut first');
    const data = sanitizeSpanData({
      type: 'generation',
      usage: { input_tokens: 3, output_tokens: 4, total_tokens: 7 } as never,
    });
    assert.deepEqual(data.type === 'generation' && data.usage, {
      input_tokens: 3,
      output_tokens: 4,
      details: { total_tokens: 7 },
    });
  });

  it('leaves prompts and answers out unless content capture is on', () => {
    const plain = modelTurnSpan(ref, turnIn, turnOut, false);
    SpanItemSchema.parse(plain);
    assert.ok(!JSON.stringify(plain).includes('SECRET'));
    const full = modelTurnSpan(ref, turnIn, turnOut, true);
    SpanItemSchema.parse(full);
    assert.ok(JSON.stringify(full).includes('SECRET INSTRUCTIONS'));
    assert.ok(bytes(full.span_data.type === 'generation' && full.span_data.input) <= MAX_FIELD_BYTES);
    const codexIn = {
      role: 'designer',
      label: 'Designer: Codex call 1',
      tool: 'codex',
      prompt: 'PROMPT',
      sandbox: 'workspace-write',
      approvalPolicy: 'never',
      cwd: '/w',
      runId: 'wf-1',
    } as CodexCallInput;
    const codexOut = {
      threadId: 't1',
      content: 'ANSWER',
      filesChanged: ['a.md', 'b.md'],
      commandsRun: 2,
      events: 9,
      usage: { input: 1, output: 1, reasoning: 0, total: 2 },
      durationMs: 3,
    } as CodexCallOutput;
    const spans = codexCallSpans(ref, codexIn, codexOut, false);
    assert.equal(spans.length, 4, 'the call, its commands, one per changed file');
    for (const s of spans) SpanItemSchema.parse(s);
    assert.ok(!JSON.stringify(spans).includes('PROMPT') && !JSON.stringify(spans).includes('ANSWER'));
    assert.ok(JSON.stringify(codexCallSpans(ref, codexIn, codexOut, true)).includes('PROMPT'));
  });

  it("makes a Codex session's turn its session's trace and a top-level function span, the same ids every time", () => {
    const turn = (activityId: string): ActivityRef => ({
      workflowId: 'codex-session-0198aa00-0000-7000-8000-000000000001',
      runId: 'run-s',
      workflowType: 'codexSessionWorkflow',
      activityId,
      startedAt: 1_000,
      endedAt: 2_000,
    });
    const call = {
      role: 'codex',
      label: 'Codex turn 1',
      tool: 'codex',
      prompt: 'PROMPT',
      runId: 'x',
    } as CodexCallInput;
    const out = {
      threadId: 'c1',
      content: 'ANSWER',
      filesChanged: ['a.txt'],
      commandsRun: 1,
      events: 3,
    } as CodexCallOutput;
    const first = sessionTurnItems(turn('codex-turn-1/u1'), call, out, false);
    const second = sessionTurnItems(turn('codex-turn-2/u2'), { ...call, tool: 'codex-reply' }, out, false);
    const [trace, fn, ...children] = first;
    assert.ok(trace?.object === 'trace' && fn?.object === 'trace.span');
    TraceItemSchema.parse(trace);
    for (const s of [fn, ...children]) SpanItemSchema.parse(s);
    assert.equal(trace.id, traceIdOf(turn('').workflowId, 'run-s'));
    assert.equal(trace.group_id, turn('').workflowId);
    assert.deepEqual(trace.metadata?.thread_id, '0198aa00-0000-7000-8000-000000000001');
    assert.deepEqual(second[0], trace, 'every turn carries the same trace item');
    assert.equal(fn.parent_id, null, 'a turn is a top-level span of its session');
    assert.equal(fn.span_data.type, 'function');
    assert.notEqual(second[1]?.id, fn.id, 'one function span per turn');
    assert.deepEqual(sessionTurnItems(turn('codex-turn-1/u1'), call, out, false), first, 'a retried turn: same items');
    assert.ok(children.every((c) => c.object === 'trace.span' && c.parent_id === fn.id));
    assert.ok(!JSON.stringify(first).includes('PROMPT') && !JSON.stringify(first).includes('ANSWER'));
  });
});

describe('TRACES configuration', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'dca-traces-'));
  const real = loadSettings({ OPENAI_API_KEY: 'sk-real-key', WORKSPACE_ROOT: root });
  it('is off by default and with TRACES=otlp', () => {
    assert.equal(openaiTracesConfigFromEnv({}, real), undefined);
    assert.equal(openaiTracesConfigFromEnv({ TRACES: 'otlp' }, real), undefined);
    assert.throws(() => openaiTracesConfigFromEnv({ TRACES: 'opneai' }, real), /Invalid TRACES: opneai/);
  });
  it('sends to {base}/traces/ingest with the worker key, content off unless asked', () => {
    const c = openaiTracesConfigFromEnv({ TRACES: 'openai', OPENAI_ORG_ID: 'org-1' }, real);
    assert.equal(c?.endpoint, 'https://api.openai.com/v1/traces/ingest');
    assert.equal(c?.apiKey, 'sk-real-key');
    assert.equal(c?.organization, 'org-1');
    assert.equal(c?.captureContent, false);
    assert.equal(
      openaiTracesConfigFromEnv({ TRACES: 'openai', TRACES_CAPTURE_CONTENT: '1' }, real)?.captureContent,
      true,
    );
  });
  it('refuses the export for a zero-data-retention organisation, with a warning', () => {
    const warnings: string[] = [];
    const c = openaiTracesConfigFromEnv({ TRACES: 'openai', OPENAI_ZERO_DATA_RETENTION: '1' }, real, (l) =>
      warnings.push(l),
    );
    assert.equal(c, undefined);
    assert.match(warnings.join('\n'), /refused: .*zero-data-retention/);
  });
});

describe('the exporter', () => {
  const item = (n: number) => modelTurnSpan({ ...ref, activityId: String(n) }, turnIn, turnOut, false);
  const spoolDir = () => mkdtempSync(path.join(tmpdir(), 'dca-spool-'));
  const make = (dir: string) =>
    new OpenAITracesExporter({
      endpoint: ingest.url,
      apiKey: 'k',
      spoolDir: dir,
      scheduleDelayMs: 60_000,
      baseDelayMs: 10,
      log: () => undefined,
    });

  it('retries a 5xx, then sends each id once however often it is emitted', async () => {
    const before = ingest.items().length;
    const e = make(spoolDir());
    ingest.failNext(2, 503);
    e.emit([item(1), item(2)]);
    e.emit([item(2)]);
    await e.flush();
    e.emit([item(1)]);
    await e.flush();
    await e.shutdown();
    const got = ingest
      .items()
      .slice(before)
      .map((i) => i.id);
    assert.deepEqual(got.sort(), [item(1).id, item(2).id].sort());
    assert.equal(e.stats.failedBatches, 0);
  });

  it('drops a batch the ingest refuses (4xx) without retrying, and never throws', async () => {
    const e = make(spoolDir());
    ingest.failNext(1, 400);
    e.emit([item(3)]);
    await e.flush();
    assert.equal(e.stats.failedBatches, 1);
    await e.shutdown();
  });

  it('sends the spool of a worker that died, skipping what any worker on the host already sent', async () => {
    const dir = spoolDir();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(
      path.join(dir, `openai-${dead}.jsonl`),
      [item(4), item(5)].map((i) => JSON.stringify(i)).join('\n') + '\n{"cut',
    );
    writeFileSync(path.join(dir, 'sent.ids'), `${item(4).id}\n`);
    const before = ingest.items().length;
    const e = make(dir);
    await e.flush();
    await e.shutdown();
    assert.deepEqual(
      ingest
        .items()
        .slice(before)
        .map((i) => i.id),
      [item(5).id],
    );
    assert.deepEqual(readdirSync(dir).sort(), ['sent.ids']);
  });
});

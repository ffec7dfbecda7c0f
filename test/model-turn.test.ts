/**
 * The model-turn activity against a real HTTP endpoint: request shape, parsing, and the failure classification
 * Temporal's retry policies depend on (which statuses retry, which fail fast, that the key never leaks).
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ActivityCancellationDetails, ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createModelActivities, resolvableInput, responseRequest } from '../src/activities/model-turn';
import { loadSettings } from '../src/config/settings';
import type { ModelTurnInput, ModelTurnOutput } from '../src/shared/types';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;
let handler: Handler = () => undefined;
let server: Server;
let baseUrl: string;
const SECRET = 'sk-test-DO-NOT-LEAK-1234567890';

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => handler(req, body, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

function activity(timeoutMs = 5_000) {
  const settings = loadSettings({
    OPENAI_API_KEY: SECRET,
    OPENAI_BASE_URL: baseUrl,
    MODEL_TIMEOUT_MS: String(timeoutMs),
  });
  return createModelActivities({ settings }).modelTurn;
}

const input: ModelTurnInput = {
  runId: 'run-1',
  role: 'frontend',
  turn: 1,
  instructions: 'You are the Frontend Developer.',
  input: [{ type: 'message', role: 'user', content: 'Build it' }],
  tools: ['codex', 'codex-reply'],
  reasoningEffort: 'medium',
};

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

const okResponse = (output: unknown[]) => ({
  id: 'resp_1',
  object: 'response',
  created_at: 1,
  status: 'completed',
  model: 'gpt-5',
  output,
  usage: { input_tokens: 10, output_tokens: 5, total_tokens: 15, output_tokens_details: { reasoning_tokens: 2 } },
});

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApplicationFailure, `expected ApplicationFailure, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the activity to fail');
}

describe('modelTurn', () => {
  it('sends role headers, tools and reasoning, and parses a codex tool call', async () => {
    let seen: { headers: IncomingMessage['headers']; body: Record<string, unknown> } | undefined;
    handler = (req, body, res) => {
      seen = { headers: req.headers, body: JSON.parse(body) as Record<string, unknown> };
      json(
        res,
        200,
        okResponse([
          {
            type: 'function_call',
            id: 'fc_1',
            status: 'completed',
            call_id: 'call_1',
            name: 'codex',
            arguments: JSON.stringify({ prompt: 'Write frontend/index.html', 'approval-policy': 'never' }),
          },
        ]),
      );
    };
    const out = (await new MockActivityEnvironment().run(activity(), input)) as ModelTurnOutput;
    assert.equal(seen?.headers['x-dca-role'], 'frontend');
    assert.equal(seen?.headers['x-dca-kind'], 'agent');
    assert.equal(seen?.headers['authorization'], `Bearer ${SECRET}`);
    assert.deepEqual(
      (seen?.body.tools as { name?: string }[]).map((t) => t.name),
      ['codex', 'codex-reply'],
    );
    assert.deepEqual(seen?.body.reasoning, { effort: 'medium' });
    assert.equal(seen?.body.store, false);
    assert.equal(out.codexCalls.length, 1);
    assert.equal(out.codexCalls[0]?.prompt, 'Write frontend/index.html');
    assert.equal(out.codexCalls[0]?.error, undefined);
    assert.equal(out.codexCalls[0]?.arguments, undefined, "a valid call's raw arguments are not repeated in history");
    assert.deepEqual(out.usage, { input: 10, output: 5, reasoning: 2, total: 15 });
    assert.equal(out.items[0]?.status, 'completed', 'items go back to the model as they came');
    assert.deepEqual(seen?.body.include, ['reasoning.encrypted_content']);
    assert.equal(out.finalText, undefined);
  });

  it('returns a final answer and flags invalid tool calls instead of failing', async () => {
    handler = (_req, _body, res) =>
      json(
        res,
        200,
        okResponse([
          {
            type: 'function_call',
            id: 'fc_2',
            call_id: 'c2',
            name: 'codex',
            arguments: '{"prompt": "x", "cwd": "../../etc"}',
          },
          { type: 'function_call', id: 'fc_3', call_id: 'c3', name: 'codex-reply', arguments: 'not json' },
          { type: 'function_call', id: 'fc_4', call_id: 'c4', name: 'shell', arguments: '{}' },
        ]),
      );
    const out = (await new MockActivityEnvironment().run(activity(), input)) as ModelTurnOutput;
    assert.match(out.codexCalls[0]?.error ?? '', /outside the workspace/);
    assert.match(out.codexCalls[1]?.error ?? '', /not valid JSON/);
    assert.match(out.codexCalls[2]?.error ?? '', /Unknown tool "shell"/);
    assert.deepEqual(
      out.codexCalls.map((c) => c.arguments),
      ['{"prompt": "x", "cwd": "../../etc"}', 'not json', '{}'],
      'an invalid call keeps what the model sent',
    );

    handler = (_req, _body, res) =>
      json(
        res,
        200,
        okResponse([
          {
            type: 'message',
            id: 'm1',
            role: 'assistant',
            content: [{ type: 'output_text', text: 'All done.', annotations: [] }],
          },
        ]),
      );
    const final = (await new MockActivityEnvironment().run(activity(), input)) as ModelTurnOutput;
    assert.equal(final.finalText, 'All done.');
    assert.equal(final.codexCalls.length, 0);
  });

  const cases: { status: number; retryable: boolean; type: string; retryAfter?: string; delayMs?: number }[] = [
    { status: 429, retryable: true, type: 'TransientServiceError', retryAfter: '7', delayMs: 7000 },
    { status: 408, retryable: true, type: 'TransientServiceError' },
    { status: 409, retryable: true, type: 'TransientServiceError' },
    { status: 500, retryable: true, type: 'TransientServiceError' },
    { status: 503, retryable: true, type: 'TransientServiceError', retryAfter: '2', delayMs: 2000 },
    { status: 400, retryable: false, type: 'ModelRequestError' },
    { status: 401, retryable: false, type: 'ModelRequestError' },
    { status: 403, retryable: false, type: 'ModelRequestError' },
    { status: 404, retryable: false, type: 'ModelRequestError' },
  ];
  for (const c of cases) {
    it(`classifies HTTP ${c.status} as ${c.retryable ? 'retryable' : 'non-retryable'} ${c.type}`, async () => {
      handler = (_req, _body, res) =>
        json(
          res,
          c.status,
          { error: { message: `status ${c.status} from test`, type: 'test' } },
          c.retryAfter ? { 'retry-after': c.retryAfter } : {},
        );
      const failure = await failureOf(new MockActivityEnvironment().run(activity(), input));
      assert.equal(failure.type, c.type);
      assert.equal(failure.nonRetryable, !c.retryable);
      if (c.delayMs !== undefined) assert.equal(failure.nextRetryDelay, c.delayMs);
      assert.ok(!failure.message.includes(SECRET), 'the key never appears in the message');
      assert.ok(!JSON.stringify(failure.cause ?? {}).includes(SECRET));
      if (c.status === 401) assert.match(failure.message, /rejected the API key/);
    });
  }

  it('treats a connection dropped mid-body as transient', async () => {
    handler = (_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"id": "resp_');
      setTimeout(() => res.destroy(), 20);
    };
    const failure = await failureOf(new MockActivityEnvironment().run(activity(), input));
    assert.equal(failure.type, 'TransientServiceError');
    assert.equal(failure.nonRetryable, false);
  });

  it('times out a hung call as a transient failure', async () => {
    handler = () => undefined; // never answers
    const failure = await failureOf(new MockActivityEnvironment().run(activity(300), input));
    assert.equal(failure.type, 'TransientServiceError');
    assert.match(failure.message, /timed out|unreachable/i);
  });

  it('on cancellation aborts the request and leaves with the CancelledFailure (not a retryable failure)', async () => {
    let closed: Promise<void> | undefined;
    handler = (req) => {
      closed = new Promise((r) => req.socket.once('close', () => r()));
    }; // never answers
    const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 30_000 });
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const pending = env.run(activity(60_000), input).then(
      () => assert.fail('expected a cancellation'),
      (e: unknown) => e,
    );
    while (!closed) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 1_100));
    env.cancel('CANCELLED');
    const err = await pending;
    assert.ok(err instanceof CancelledFailure, String(err));
    await closed; // the HTTP request was aborted
    assert.ok(beats.length >= 1, 'heartbeats while the model thinks (the only way a cancellation gets in)');
  });

  it('stopped by a worker shutting down (no cancel asked for), fails retryably so another worker takes it', async () => {
    handler = () => undefined; // never answers
    const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 30_000 });
    const pending = failureOf(env.run(activity(60_000), input));
    await new Promise((r) => setTimeout(r, 200));
    env.cancel('WORKER_SHUTDOWN', new ActivityCancellationDetails({ workerShutdown: true }));
    const failure = await pending;
    assert.equal(failure.type, 'TransientServiceError');
    assert.equal(failure.nonRetryable, false);
    assert.match(failure.message, /Model turn stopped: the worker is shutting down/);
  });

  it('treats an unreachable endpoint as transient', async () => {
    const settings = loadSettings({ OPENAI_API_KEY: SECRET, OPENAI_BASE_URL: 'http://127.0.0.1:1/v1' });
    const failure = await failureOf(
      new MockActivityEnvironment().run(createModelActivities({ settings }).modelTurn, input),
    );
    assert.equal(failure.type, 'TransientServiceError');
  });
});

describe('Responses requests per model family', () => {
  const bare: ModelTurnInput = { ...input, reasoningEffort: undefined, tools: ['web_search', 'codex'] };

  it('a reasoning model always gets encrypted reasoning, an effort only when the role sets one', () => {
    for (const model of ['gpt-5', 'gpt-5-mini', 'o4-mini', 'gpt-5.2-codex']) {
      const r = responseRequest(bare, model);
      assert.deepEqual(r.include, ['reasoning.encrypted_content'], model);
      assert.equal(r.reasoning, undefined, model);
      assert.equal(r.store, false);
    }
    assert.deepEqual(responseRequest(input, 'gpt-5').reasoning, { effort: 'medium' });
  });

  it('a non-reasoning model gets no reasoning settings and no reasoning items', () => {
    const withThoughts: ModelTurnInput = {
      ...input,
      input: [
        { type: 'message', role: 'user', content: 'Build it' },
        { type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: 'abc.def' },
        { type: 'function_call', id: 'fc_1', call_id: 'c1', name: 'codex', arguments: '{}' },
        { type: 'function_call_output', call_id: 'c1', output: 'ok' },
      ],
    };
    for (const model of ['gpt-4.1', 'gpt-4o-mini', 'gpt-5-chat-latest']) {
      const r = responseRequest(withThoughts, model);
      assert.equal(r.reasoning, undefined, model);
      assert.equal(r.include, undefined, model);
      assert.deepEqual(
        (r.input as { type: string }[]).map((i) => i.type),
        ['message', 'function_call', 'function_call_output'],
      );
    }
  });

  it('web_search is offered as the hosted tool on every path', () => {
    const tools = responseRequest(bare, 'gpt-5').tools as { type: string; name?: string }[];
    assert.deepEqual(
      tools.map((t) => t.name ?? t.type),
      ['web_search', 'codex'],
    );
  });

  it('keeps reasoning items intact and in order; drops an unresolvable one and unties what it produced', () => {
    const items = [
      { type: 'message', role: 'user', content: 'go' },
      { type: 'reasoning', id: 'rs_old', summary: [] },
      { type: 'function_call', id: 'fc_old', call_id: 'c0', name: 'codex', arguments: '{}' },
      { type: 'function_call_output', call_id: 'c0', output: 'ok' },
      { type: 'reasoning', id: 'rs_new', summary: [], encrypted_content: 'x.y' },
      { type: 'web_search_call', id: 'ws_1', status: 'completed', action: { type: 'search', query: 'q' } },
      { type: 'function_call', id: 'fc_new', call_id: 'c1', name: 'codex', arguments: '{}' },
    ];
    assert.deepEqual(resolvableInput(items, true), [
      items[0],
      { type: 'function_call', call_id: 'c0', name: 'codex', arguments: '{}' },
      items[3],
      items[4],
      items[5],
      items[6],
    ]);
  });
});

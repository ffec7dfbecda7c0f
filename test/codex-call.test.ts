/**
 * The Codex call activity on real parts: the real `codex mcp-server` binary (0.153.4) driven through the
 * activity in a MockActivityEnvironment, against a Responses endpoint (a protocol stub for precise cases).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { continuationPrompt, createCodexActivities } from '../src/activities/codex/call';
import { ConversationStore } from '../src/activities/conversation-store';
import { approvalPolicy } from '../src/activities/codex/approvals';
import { classifyCodexError } from '../src/activities/codex/errors';
import type { CodexProgress } from '../src/activities/codex/progress';
import { CodexServer } from '../src/activities/codex/mcp/server';
import { SCRIPTED_MODEL_KEY, SCRIPTED_MODEL_SLUG, codexBinaryPath, type Settings } from '../src/config/settings';
import { codexPrompt, startScriptedModel, type ScriptedModel } from '../src/scripted-model';
import { CodexFatalError, CodexThreadLostError, TransientServiceError } from '../src/shared/errors';
import type { CodexCallInput, CodexCallOutput } from '../src/shared/types';
import {
  addFilePatch,
  execCommand,
  isToolOutput,
  message,
  startResponsesStub,
  toolThenMessage,
  userTexts,
  type ResponsesStub,
  type StubRequest,
} from './helpers/responses-stub';
import { CapturingLogger } from './helpers/capturing-logger';

const SECRET = 'sk-test-DO-NOT-LEAK-codex-0987654321';

let stub: ResponsesStub;
let tmp: string;
let serverLog: CapturingLogger;
let server: CodexServer;

function settingsFor(
  overrides: { codex?: Partial<Settings['codex']>; model?: Partial<Settings['model']> } = {},
): Settings {
  return {
    taskQueue: 'test',
    workspaceRoot: tmp,
    model: {
      apiKey: SCRIPTED_MODEL_KEY,
      baseUrl: stub.baseUrl,
      scripted: true,
      defaultModel: 'scripted',
      requestTimeoutMs: 30_000,
      ...overrides.model,
    },
    codex: {
      transport: 'mcp',
      command: codexBinaryPath(),
      model: SCRIPTED_MODEL_SLUG,
      home: path.join(tmp, 'codex-home'),
      callTimeoutMs: 60_000,
      allowDangerFullAccess: false,
      ...overrides.codex,
    },
  };
}

function workspace(): string {
  return fs.mkdtempSync(path.join(tmp, 'ws-'));
}

function callInput(cwd: string, over: Partial<CodexCallInput> = {}): CodexCallInput {
  return {
    runId: 'run-test',
    role: 'frontend',
    label: 'Frontend Developer: Codex call 1',
    tool: 'codex',
    prompt: 'Write the files.',
    cwd,
    approvalPolicy: 'never',
    sandbox: 'workspace-write',
    ...over,
  };
}

interface Run {
  output?: CodexCallOutput;
  error?: unknown;
  heartbeats: CodexProgress[];
  log: CapturingLogger;
  env: MockActivityEnvironment;
}

async function run(
  input: CodexCallInput,
  opts: {
    settings?: Settings;
    server?: CodexServer;
    store?: ConversationStore;
    during?: (env: MockActivityEnvironment) => void;
  } = {},
): Promise<Run> {
  const log = new CapturingLogger();
  const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 30_000 }, { logger: log });
  const heartbeats: CodexProgress[] = [];
  env.on('heartbeat', (d: CodexProgress) => heartbeats.push(d));
  const { codexCall } = createCodexActivities({
    settings: opts.settings ?? settingsFor(),
    server: opts.server ?? server,
    ...(opts.store && { store: opts.store }),
    // No workflow here: the workspace policy answers Codex's approval requests.
    approvals: 'workspace',
  });
  opts.during?.(env);
  try {
    return { output: await env.run(codexCall, input), heartbeats, log, env };
  } catch (error) {
    return { error, heartbeats, log, env };
  }
}

/** A first call (writes part1.txt) on a new thread, then its Codex process SIGKILLed: the thread is lost. */
async function callThenKillCodex(cwd: string): Promise<{ first: Run; oldPid: number }> {
  stub.setResponder(toolThenMessage(() => [addFilePatch('part1.txt', 'one')]));
  const first = await run(callInput(cwd, { prompt: 'write part1.txt' }));
  assert.equal(first.error, undefined);
  const oldPid = server.pid!;
  process.kill(oldPid, 'SIGKILL');
  await waitForExit(oldPid);
  return { first, oldPid };
}

function failure(r: Run): ApplicationFailure {
  assert.ok(r.error instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(r.error)}`);
  return r.error;
}

function turnMetadata(req: StubRequest): Record<string, unknown> {
  return JSON.parse(String(req.headers['x-codex-turn-metadata'] ?? '{}')) as Record<string, unknown>;
}

async function waitFor(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function waitForExit(pid: number): Promise<void> {
  await waitFor(() => {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  });
}

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'codex-call-'));
  stub = await startResponsesStub();
  serverLog = new CapturingLogger();
  server = new CodexServer({ settings: settingsFor(), logger: serverLog });
});

after(async () => {
  await server.close();
  await stub.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

void describe('codexCall on the real codex binary', () => {
  void it('writes files in the workspace under workspace-write and reports them', async () => {
    const cwd = workspace();
    stub.setResponder(
      toolThenMessage(
        () => [addFilePatch('frontend/index.html', '<!doctype html>\n<title>Bug Busters</title>')],
        () => 'Wrote frontend/index.html',
      ),
    );
    const n0 = stub.requests.length;
    const r = await run(callInput(cwd, { prompt: 'Write frontend/index.html' }));
    assert.equal(r.error, undefined);
    const out = r.output!;
    assert.match(fs.readFileSync(path.join(cwd, 'frontend/index.html'), 'utf8'), /Bug Busters/);
    assert.deepEqual(out.filesChanged, ['frontend/index.html']);
    assert.equal(out.content, 'Wrote frontend/index.html');
    assert.match(out.threadId, /^[0-9a-f-]{36}$/);
    assert.equal(out.usage.total, 240, 'two responses of 120 tokens');
    assert.equal(out.usage.reasoning, 10);
    assert.ok(out.events > 5);
    assert.equal(out.commandsRun, 0);
    assert.equal(out.continuedFromThreadId, undefined);

    const req = stub.requests[n0]!;
    assert.equal(req.headers['x-dca-kind'], 'codex');
    assert.equal(req.headers['x-dca-role'], 'frontend');
    assert.equal(req.headers['x-dca-run'], 'run-test');
    assert.equal(
      req.headers.authorization,
      `Bearer ${SCRIPTED_MODEL_KEY}`,
      'the scripted model, like the real API, gets a key: its visible placeholder',
    );
    assert.equal(req.body.model, SCRIPTED_MODEL_SLUG);
    assert.equal(turnMetadata(req).sandbox_mode, 'workspace-write');
    assert.ok(userTexts(req).includes('Write frontend/index.html'));

    const logs = r.log.entries.map((e) => e.message);
    assert.ok(logs.includes('Codex call started') && logs.includes('Codex call finished'));
    const end = r.log.entries.find((e) => e.message === 'Codex call finished')!;
    assert.equal(end.meta?.threadId, out.threadId);
    assert.equal(typeof end.meta?.durationMs, 'number');
  });

  void it('passes base-instructions and developer-instructions to Codex', async () => {
    stub.setResponder(toolThenMessage());
    const n0 = stub.requests.length;
    const r = await run(
      callInput(workspace(), {
        baseInstructions: 'BASE: you are a careful coder',
        developerInstructions: 'DEV: small files',
      }),
    );
    assert.equal(r.error, undefined, String(r.error));
    const req = stub.requests[n0]!;
    assert.equal(req.body.instructions, 'BASE: you are a careful coder');
    assert.ok(JSON.stringify(req.body.input).includes('DEV: small files'));
  });

  void it('keeps /tmp read-only under workspace-write (exclude_slash_tmp) while the workspace stays writable', async () => {
    const cwd = workspace();
    const outside = path.join(os.tmpdir(), `dca-outside-${process.pid}-${Date.now()}`);
    let toolOutput = '';
    stub.setResponder(
      toolThenMessage(
        () => [execCommand(`echo inside > inside.txt; echo outside > ${outside}; echo exit=$?`)],
        (req) => {
          toolOutput = String(req.last?.output ?? '');
          return 'ok';
        },
      ),
    );
    const r = await run(callInput(cwd));
    assert.equal(r.error, undefined);
    assert.equal(fs.readFileSync(path.join(cwd, 'inside.txt'), 'utf8'), 'inside\n');
    assert.equal(fs.existsSync(outside), false, toolOutput);
    assert.match(toolOutput, /Read-only file system/);
    assert.equal(r.output!.commandsRun, 1);
  });

  void it('continues the same thread with codex-reply', async () => {
    const cwd = workspace();
    stub.setResponder(toolThenMessage((req) => [addFilePatch(`step${userTexts(req).length}.txt`, 'x')]));
    const first = await run(callInput(cwd, { prompt: 'first prompt' }));
    assert.equal(first.error, undefined);
    const n0 = stub.requests.length;
    const second = await run(
      callInput(cwd, { tool: 'codex-reply', threadId: first.output!.threadId, prompt: 'second prompt' }),
    );
    assert.equal(second.error, undefined);
    assert.equal(second.output!.threadId, first.output!.threadId);
    assert.equal(second.output!.continuedFromThreadId, undefined);
    const texts = userTexts(stub.requests[n0]!);
    assert.ok(texts.includes('first prompt') && texts.includes('second prompt'), 'the thread keeps its history');
    assert.equal(second.output!.usage.total, 240, 'usage counts this call only, not the thread total');
    assert.equal(second.output!.filesChanged.length, 1);
  });

  void it('runs two calls concurrently on one server and routes each one its own events', async () => {
    const [a, b] = [workspace(), workspace()];
    stub.setResponder(
      toolThenMessage(
        (req) => [addFilePatch(`${userTexts(req).at(-1)}.txt`, 'x')],
        (req) => `done ${userTexts(req).at(-1)}`,
        400,
      ),
    );
    const t0 = Date.now();
    const [ra, rb] = await Promise.all([run(callInput(a, { prompt: 'alpha' })), run(callInput(b, { prompt: 'beta' }))]);
    const elapsed = Date.now() - t0;
    assert.deepEqual(ra.output?.filesChanged, ['alpha.txt']);
    assert.deepEqual(rb.output?.filesChanged, ['beta.txt']);
    assert.notEqual(ra.output!.threadId, rb.output!.threadId);
    assert.ok(elapsed < 2 * 2 * 400 + 1_500, `calls overlapped (${elapsed} ms)`);
  });

  void it('heartbeats while Codex waits on a slow model', async () => {
    const cwd = workspace();
    stub.setResponder(
      toolThenMessage(
        () => [addFilePatch('slow.txt', 'slow')],
        () => 'slow done',
        1_500,
      ),
    );
    const r = await run(callInput(cwd));
    assert.equal(r.error, undefined);
    assert.ok(r.output!.durationMs >= 3_000, `took ${r.output!.durationMs} ms`);
    assert.ok(r.heartbeats.length >= 3, `got ${r.heartbeats.length} heartbeats`);
    const last = r.heartbeats.at(-1)!;
    assert.equal(last.label, 'Frontend Developer: Codex call 1');
    assert.ok(last.events > 0 && typeof last.lastEvent === 'string');
    assert.equal(last.threadId, r.output!.threadId);
    assert.ok(
      r.heartbeats.some((h) => h.tokens > 0 && h.files === 1),
      'progress shows tokens and files',
    );
  });

  void it('answers approval requests: approves inside the workspace, denies outside, and completes', async () => {
    const cwd = workspace();
    const outsideFile = path.join(tmp, `outside-${Date.now()}.txt`);
    const toolOutputs: string[] = [];
    stub.setResponder((req) => {
      if (isToolOutput(req.last)) toolOutputs.push(String(req.last?.output));
      if (toolOutputs.length === 0) {
        return {
          kind: 'items',
          items: [
            execCommand('echo escalated > approved.txt', {
              sandbox_permissions: 'require_escalated',
              justification: 'write a file in the workspace',
            }),
          ],
        };
      }
      if (toolOutputs.length === 1) return { kind: 'items', items: [addFilePatch(outsideFile, 'nope')] };
      return { kind: 'items', items: [message('approvals done')] };
    });
    const r = await run(callInput(cwd, { approvalPolicy: 'on-request' }));
    assert.equal(r.error, undefined, String(r.error));
    assert.equal(r.output!.content, 'approvals done');
    assert.equal(fs.readFileSync(path.join(cwd, 'approved.txt'), 'utf8'), 'escalated\n');
    assert.equal(fs.existsSync(outsideFile), false);
    assert.match(toolOutputs[1] ?? '', /Only files inside the workspace/, 'the rejection reaches the model');

    const answers = r.log.entries.filter((e) => e.message === 'Codex approval answered').map((e) => e.meta);
    assert.equal(answers.length, 2);
    assert.equal(answers[0]?.kind, 'exec-approval');
    assert.equal(answers[0]?.decision, 'approved');
    assert.equal(answers[1]?.kind, 'patch-approval');
    assert.deepEqual(answers[1]?.files, [outsideFile]);
    assert.match(JSON.stringify(answers[1]?.decision), /"denied":\{"rejection":"Only files inside/);
  });

  void it('continues a thread lost with its Codex process in a new thread that carries the history', async () => {
    const cwd = workspace();
    const { first, oldPid } = await callThenKillCodex(cwd);

    stub.setResponder(toolThenMessage(() => [addFilePatch('part2.txt', 'two')]));
    const n0 = stub.requests.length;
    const second = await run(
      callInput(cwd, {
        tool: 'codex-reply',
        threadId: first.output!.threadId,
        prompt: 'now write part2.txt',
        threadHistory: ['write part1.txt'],
      }),
    );
    assert.equal(second.error, undefined, String(second.error));
    const out = second.output!;
    assert.equal(out.continuedFromThreadId, first.output!.threadId);
    assert.notEqual(out.threadId, first.output!.threadId);
    assert.notEqual(server.pid, oldPid);
    assert.deepEqual(out.filesChanged, ['part2.txt']);
    const prompt = userTexts(stub.requests[n0]!).at(-1) ?? '';
    assert.match(prompt, /was lost/);
    assert.match(prompt, /inspect the existing files before writing/);
    assert.ok(prompt.includes('write part1.txt') && prompt.endsWith('now write part2.txt'));
    assert.ok(second.log.entries.some((e) => e.message === 'Codex thread lost; continuing in a new thread'));
  });

  void it("continues a lost thread with the prompts read from the role's stored conversation", async () => {
    const cwd = workspace();
    const { first } = await callThenKillCodex(cwd);

    // What the role's conversation holds by now: the model's call and its answer, then the call being made.
    const store = new ConversationStore(fs.mkdtempSync(path.join(tmp, 'store-')));
    const threadId = first.output!.threadId;
    const head = await store.append(undefined, [
      { type: 'message', role: 'user', content: 'Build it.' },
      { type: 'function_call', call_id: 'c1', name: 'codex', arguments: JSON.stringify({ prompt: 'write part1.txt' }) },
      { type: 'function_call_output', call_id: 'c1', output: JSON.stringify({ threadId, content: 'done' }) },
      {
        type: 'function_call',
        call_id: 'c2',
        name: 'codex-reply',
        arguments: JSON.stringify({ threadId, prompt: 'now write part2.txt' }),
      },
    ]);
    stub.setResponder(toolThenMessage(() => [addFilePatch('part2.txt', 'two')]));
    const n0 = stub.requests.length;
    const second = await run(
      callInput(cwd, { tool: 'codex-reply', threadId, prompt: 'now write part2.txt', conversation: { head } }),
      { store },
    );
    assert.equal(second.error, undefined, String(second.error));
    assert.equal(second.output!.continuedFromThreadId, threadId);
    const prompt = userTexts(stub.requests[n0]!).at(-1) ?? '';
    assert.match(prompt, /was lost/);
    assert.ok(prompt.includes('write part1.txt') && prompt.endsWith('now write part2.txt'), prompt);
  });

  void describe('failure classification (Codex retries 0: one request per failure)', () => {
    const cases = [
      { name: 'HTTP 429', action: { kind: 'status', status: 429 }, type: 'TransientServiceError', nonRetryable: false },
      { name: 'HTTP 500', action: { kind: 'status', status: 500 }, type: 'TransientServiceError', nonRetryable: false },
      { name: 'HTTP 503', action: { kind: 'status', status: 503 }, type: 'TransientServiceError', nonRetryable: false },
      { name: 'broken stream', action: { kind: 'broken' }, type: 'TransientServiceError', nonRetryable: false },
      {
        name: 'HTTP 401',
        action: { kind: 'status', status: 401, body: '{"error":{"message":"Incorrect API key provided"}}' },
        type: 'CodexFatalError',
        nonRetryable: true,
      },
      {
        name: 'HTTP 400',
        action: {
          kind: 'status',
          status: 400,
          body: '{"error":{"message":"Unsupported parameter","type":"invalid_request_error"}}',
        },
        type: 'CodexFatalError',
        nonRetryable: true,
      },
    ] as const;
    for (const c of cases) {
      void it(`${c.name} -> ${c.type}${c.nonRetryable ? ' (non-retryable)' : ' (retryable)'}`, async () => {
        stub.setResponder(() => c.action);
        const n0 = stub.requests.length;
        const r = await run(callInput(workspace()));
        const f = failure(r);
        assert.equal(f.type, c.type);
        assert.equal(f.nonRetryable, c.nonRetryable);
        assert.equal(f.cause?.name, c.type, 'the typed error stays in the cause chain');
        assert.ok(
          c.type === 'CodexFatalError' ? f.cause instanceof CodexFatalError : f.cause instanceof TransientServiceError,
        );
        assert.equal(stub.requests.length - n0, 1, 'Codex did not retry on its own');
        if (c.name === 'HTTP 401') assert.match(f.message, /401 Unauthorized.*Check OPENAI_API_KEY/);
      });
    }
  });

  void it('fails retryably when the codex process dies mid-call, and the next call works on a new process', async () => {
    stub.setResponder(() => ({ kind: 'hang' }));
    const n0 = stub.requests.length;
    const pending = run(callInput(workspace()));
    await waitFor(() => stub.requests.length > n0);
    const pid = server.pid!;
    process.kill(pid, 'SIGKILL');
    const r = await pending;
    const f = failure(r);
    assert.equal(f.type, 'TransientServiceError');
    assert.equal(f.nonRetryable, false);
    assert.match(f.message, new RegExp(`process \\(pid ${pid}\\) exited during the call`));
    assert.equal((f.cause?.cause as { code?: number } | undefined)?.code, -32000, 'MCP ConnectionClosed kept as cause');

    stub.setResponder(toolThenMessage(() => [addFilePatch('after.txt', 'ok')]));
    const cwd = workspace();
    const next = await run(callInput(cwd));
    assert.equal(next.error, undefined, String(next.error));
    assert.ok(fs.existsSync(path.join(cwd, 'after.txt')));
    assert.notEqual(server.pid, pid);
    assert.ok(serverLog.entries.some((e) => e.message === 'codex mcp-server exited' && e.meta?.pid === pid));
  });

  void it('times out a hanging call retryably (explicit MCP timeout) and Codex aborts the turn', async () => {
    stub.setResponder(() => ({ kind: 'hang' }));
    const r = await run(callInput(workspace()), { settings: settingsFor({ codex: { callTimeoutMs: 1_500 } }) });
    const f = failure(r);
    assert.equal(f.type, 'TransientServiceError');
    assert.match(f.message, /timed out after 2 s/);
  });

  void it('stops on activity cancellation with a CancelledFailure', async () => {
    stub.setResponder(() => ({ kind: 'hang' }));
    const n0 = stub.requests.length;
    const r = await run(callInput(workspace()), {
      during: (env) => {
        void waitFor(() => stub.requests.length > n0).then(() => env.cancel());
      },
    });
    assert.ok(r.error instanceof CancelledFailure, String(r.error));
  });

  void it('downgrades danger-full-access to workspace-write unless the worker allows it', async () => {
    stub.setResponder(toolThenMessage());
    let n0 = stub.requests.length;
    const r = await run(callInput(workspace(), { sandbox: 'danger-full-access' }));
    assert.equal(r.error, undefined);
    assert.equal(turnMetadata(stub.requests[n0]!).sandbox_mode, 'workspace-write');
    assert.ok(r.log.entries.some((e) => e.message === 'Codex sandbox downgraded'));

    n0 = stub.requests.length;
    const allowed = await run(callInput(workspace(), { sandbox: 'danger-full-access' }), {
      settings: settingsFor({ codex: { allowDangerFullAccess: true } }),
    });
    assert.equal(allowed.error, undefined);
    assert.equal(turnMetadata(stub.requests[n0]!).sandbox_mode, 'danger-full-access');
  });

  void it('with a real key: Codex authenticates through env_key, and the key is never logged', async () => {
    const log = new CapturingLogger();
    const settings = settingsFor({ model: { scripted: false, apiKey: SECRET } });
    const keyed = new CodexServer({ settings, logger: log });
    try {
      stub.setResponder(() => ({ kind: 'status', status: 401, body: `{"error":{"message":"bad key ${SECRET}"}}` }));
      const n0 = stub.requests.length;
      const r = await run(callInput(workspace()), { settings, server: keyed });
      assert.equal(stub.requests[n0]!.headers.authorization, `Bearer ${SECRET}`);
      assert.equal(failure(r).type, 'CodexFatalError');
      stub.setResponder(toolThenMessage());
      const ok = await run(callInput(workspace()), { settings, server: keyed });
      assert.equal(ok.error, undefined);
      assert.ok(!log.text().includes(SECRET), 'server log has no key');
      assert.ok(!ok.log.text().includes(SECRET) && !r.log.text().includes('sk-test'), 'activity log has no key');
    } finally {
      await keyed.close();
    }
  });

  void it('rejects invalid input as a non-retryable ConfigError', async () => {
    const r = await run(callInput(workspace(), { tool: 'codex-reply' }));
    const f = failure(r);
    assert.equal(f.type, 'ConfigError');
    assert.equal(f.nonRetryable, true);
    assert.match(f.message, /codex-reply needs a threadId/);
  });
});

void describe('codexCall with the scripted model (real files through real Codex)', () => {
  let model: ScriptedModel;
  let scripted: Settings;
  const taskList = 'Build "Bug Busters": click a moving bug for points, a 20-second round, then the final score.';
  const prompt = (roleTitle: string, ...files: string[]) =>
    codexPrompt({
      roleTitle,
      taskList,
      files: files.map((f) => ({ path: f, required: true, purpose: 'as specified' })),
    });
  let runSeq = 0;
  const scriptedInput = (cwd: string, over: Partial<CodexCallInput> = {}) =>
    callInput(cwd, {
      runId: `scripted-${++runSeq}`,
      role: 'backend',
      label: 'Backend Developer: Codex call 1',
      ...over,
    });

  before(async () => {
    model = await startScriptedModel();
    scripted = settingsFor({ model: { baseUrl: model.baseUrl } });
  });
  after(async () => {
    await model.close();
  });

  void it('writes every file the prompt lists, inside the workspace, and reports them', async () => {
    const cwd = workspace();
    const input = scriptedInput(cwd, {
      prompt: prompt('Backend Developer', 'backend/package.json', 'backend/server.js'),
    });
    const r = await run(input, { settings: scripted });
    assert.equal(r.error, undefined, String(r.error));
    const out = r.output!;
    const pkg = JSON.parse(fs.readFileSync(path.join(cwd, 'backend/package.json'), 'utf8')) as { scripts?: object };
    assert.ok(pkg.scripts && 'start' in pkg.scripts);
    assert.ok(fs.statSync(path.join(cwd, 'backend/server.js')).size > 100);
    assert.deepEqual(out.filesChanged, ['backend/package.json', 'backend/server.js']);
    assert.ok(out.commandsRun >= 1, 'the scripted Codex checks its work with a command');
    assert.ok(out.usage.total > 0);
    const codexRequests = model.stats().requests.filter((e) => e.run === input.runId);
    assert.ok(codexRequests.length >= 3 && codexRequests.every((e) => e.kind === 'codex' && e.role === 'backend'));
  });

  void it('continues the thread with codex-reply, and a lost thread in a new one that finishes the work', async () => {
    const cwd = workspace();
    const first = await run(scriptedInput(cwd, { prompt: prompt('Frontend Developer', 'frontend/index.html') }), {
      settings: scripted,
    });
    assert.equal(first.error, undefined, String(first.error));
    const threadId = first.output!.threadId;

    const reply = await run(
      scriptedInput(cwd, {
        tool: 'codex-reply',
        threadId,
        prompt: prompt('Frontend Developer', 'frontend/styles.css'),
      }),
      { settings: scripted },
    );
    assert.equal(reply.error, undefined, String(reply.error));
    assert.equal(reply.output!.threadId, threadId);
    assert.deepEqual(reply.output!.filesChanged, ['frontend/styles.css']);

    const pid = server.pid!;
    process.kill(pid, 'SIGKILL');
    await waitForExit(pid);
    const lost = await run(
      scriptedInput(cwd, {
        tool: 'codex-reply',
        threadId,
        prompt: prompt('Frontend Developer', 'frontend/game.js'),
        threadHistory: [
          prompt('Frontend Developer', 'frontend/index.html'),
          prompt('Frontend Developer', 'frontend/styles.css'),
        ],
      }),
      { settings: scripted },
    );
    assert.equal(lost.error, undefined, String(lost.error));
    assert.equal(lost.output!.continuedFromThreadId, threadId);
    assert.notEqual(lost.output!.threadId, threadId);
    assert.deepEqual(lost.output!.filesChanged, ['frontend/game.js']);
    for (const f of ['frontend/index.html', 'frontend/styles.css', 'frontend/game.js']) {
      assert.ok(fs.statSync(path.join(cwd, f)).size > 0, f);
    }
  });

  void it('heartbeats through a slow call (1 s per model request, about 3 s in all)', async () => {
    model.setLatency({ codexMs: 1_000 });
    try {
      const cwd = workspace();
      const r = await run(scriptedInput(cwd, { prompt: prompt('Tester', 'tests/TEST_PLAN.md') }), {
        settings: scripted,
      });
      assert.equal(r.error, undefined, String(r.error));
      assert.ok(r.output!.durationMs >= 3_000, `took ${r.output!.durationMs} ms`);
      assert.ok(r.heartbeats.length >= 3, `got ${r.heartbeats.length} heartbeats`);
      assert.ok(r.heartbeats.some((h) => h.files === 1));
    } finally {
      model.setLatency({ codexMs: 0 });
    }
  });

  const faults = [
    { name: '429', effect: { status: 429, retryAfterSeconds: 1 }, type: 'TransientServiceError', nonRetryable: false },
    { name: '500', effect: { status: 500 }, type: 'TransientServiceError', nonRetryable: false },
    { name: 'broken stream', effect: 'broken-stream', type: 'TransientServiceError', nonRetryable: false },
    { name: '401', effect: { status: 401 }, type: 'CodexFatalError', nonRetryable: true },
  ] as const;
  for (const f of faults) {
    void it(`fault ${f.name} -> ${f.type} (fires once: the next attempt succeeds)`, async () => {
      const cwd = workspace();
      const input = scriptedInput(cwd, { prompt: prompt('Designer', 'design/design_spec.md') });
      model.setFaults([{ kind: 'codex', run: input.runId, effect: f.effect }]);
      try {
        const r = await run(input, { settings: scripted });
        const fail = failure(r);
        assert.equal(fail.type, f.type);
        assert.equal(fail.nonRetryable, f.nonRetryable);
        const again = await run(input, { settings: scripted });
        assert.equal(again.error, undefined, 'the fault fired once; the next attempt succeeds');
        assert.ok(fs.existsSync(path.join(cwd, 'design/design_spec.md')));
      } finally {
        model.setFaults([]);
      }
    });
  }
});

void describe('codex call helpers', () => {
  void it('classifies Codex error texts', () => {
    assert.ok(classifyCodexError('Session not found for thread_id: abc') instanceof CodexThreadLostError);
    assert.ok(
      classifyCodexError('exceeded retry limit, last status: 429 Too Many Requests') instanceof TransientServiceError,
    );
    assert.ok(
      classifyCodexError("We're currently experiencing high demand, which may cause temporary errors.") instanceof
        TransientServiceError,
    );
    assert.ok(classifyCodexError('unexpected status 502 Bad Gateway: x') instanceof TransientServiceError);
    assert.ok(classifyCodexError('stream disconnected before completion: x') instanceof TransientServiceError);
    assert.ok(classifyCodexError('unexpected status 403 Forbidden: x') instanceof CodexFatalError);
    assert.ok(classifyCodexError('Missing environment variable: `OPENAI_API_KEY`.') instanceof CodexFatalError);
    assert.ok(classifyCodexError('{"error":{"message":"bad"}}') instanceof CodexFatalError);
    assert.ok(
      classifyCodexError('Failed to parse configuration for Codex tool: unknown field `profile`') instanceof
        CodexFatalError,
    );
  });

  void it('builds a continuation prompt that keeps the newest history within bounds', () => {
    const p = continuationPrompt('t-1', ['a'.repeat(30_000), 'b'.repeat(30_000), 'd'.repeat(30_000), 'c'], 'next');
    assert.ok(p.includes('thread t-1'), 'names the lost thread');
    assert.ok(p.includes('(1 older ones omitted)'), 'says what was dropped');
    assert.ok(p.includes('--- earlier prompt 4 ---\nc'), 'numbers prompts as sent');
    assert.ok(p.endsWith('--- new request ---\nnext'), 'ends with the new request');
    assert.ok(!p.includes('a'.repeat(100)), 'the oldest prompt is dropped');
    assert.ok(p.length < 62_000, 'bounded');
  });

  void it('approves only inside the workspace', () => {
    const policy = approvalPolicy('/w/run');
    assert.equal(policy({ message: '', codex_elicitation: 'exec-approval', codex_cwd: '/w/run/sub' }), 'approved');
    assert.deepEqual(Object.keys(policy({ message: '', codex_elicitation: 'exec-approval', codex_cwd: '/w/run2' })), [
      'denied',
    ]);
    assert.equal(
      policy({ message: '', codex_elicitation: 'patch-approval', codex_changes: { '/w/run/a.txt': { type: 'add' } } }),
      'approved',
    );
    const moved = policy({
      message: '',
      codex_elicitation: 'patch-approval',
      codex_changes: { '/w/run/a.txt': { type: 'update', move_path: '/etc/a.txt' } },
    });
    assert.notEqual(moved, 'approved');
    assert.notEqual(policy({ message: '', codex_elicitation: 'something-new' }), 'approved');
  });
});

/**
 * The scripted model driven as our agents drive it (the `openai` package), plus faults, stats and the control API.
 * The real Codex binary against it: scripted-model-codex.test.ts. The generated project: scripted-model-content.test.ts.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import OpenAI from 'openai';
import { responseRequest } from '../src/activities/model-turn';
import {
  CODEX_FILES_HEADER,
  codexPrompt,
  GAME_DESIGNER_BRIEF,
  parseCodexPrompt,
  repeatedCompletions,
  startScriptedModel,
  type ScriptedModel,
} from '../src/scripted-model';
import { codexScript, readCodexTurn } from '../src/scripted-model/codex-script';
import { agentBrief, DEFAULT_SINGLE_AGENT_PROMPT, missingDeliverablesMessage } from '../src/shared/prompts';
import { builtinRole } from '../src/shared/builtin-teams';
import type { RoleId as Role } from '../src/shared/team';
import type { ConversationItem } from '../src/shared/types';

const BUG_BUSTERS = fs.readFileSync(path.join(__dirname, '..', 'tasks', 'bug-busters.md'), 'utf8');

type Item = Record<string, unknown> & { type: string };

/** Function tools shaped like the Codex MCP tools, as the model-turn activity offers them. */
const TOOLS = [
  {
    type: 'function',
    name: 'codex',
    strict: false,
    parameters: {
      type: 'object',
      properties: { prompt: { type: 'string' }, 'approval-policy': { type: 'string' }, sandbox: { type: 'string' } },
      required: ['prompt'],
    },
  },
  {
    type: 'function',
    name: 'codex-reply',
    strict: false,
    parameters: {
      type: 'object',
      properties: { threadId: { type: 'string' }, prompt: { type: 'string' } },
      required: ['threadId', 'prompt'],
    },
  },
] as OpenAI.Responses.Tool[];

let model: ScriptedModel;
let client: OpenAI;

before(async () => {
  model = await startScriptedModel();
  client = new OpenAI({ apiKey: 'scripted', baseURL: model.baseUrl, maxRetries: 0, timeout: 10_000 });
});
after(() => model.close());
beforeEach(() => {
  model.setFaults([]);
  model.setLatency({ agentMs: 0, codexMs: 0, codexCallMs: 0 });
  model.resetStats();
});

const headers = (role: Role, run: string) => ({ 'x-dca-kind': 'agent', 'x-dca-role': role, 'x-dca-run': run });

async function turn(role: Role, run: string, input: Item[], extra: { stream?: boolean } = {}) {
  // The request the model-turn activity makes, so these cases follow the rules a real run meets.
  const request = responseRequest(
    {
      runId: run,
      role,
      turn: 1,
      instructions: builtinRole(role).instructions,
      input: input as ConversationItem[],
      tools: builtinRole(role).tools.filter((t) => t !== 'web_search'),
    },
    'gpt-5',
  );
  const response = await client.responses.create(
    { ...request, ...extra, stream: false },
    { headers: headers(role, run) },
  );
  // The activity passes output items back as they are; reasoning items lead each answer.
  const items = response.output as unknown as Item[];
  return { response, items, answer: items.filter((i) => i.type !== 'reasoning') };
}

const user = (text: string): Item => ({ type: 'message', role: 'user', content: text });
const output = (callId: unknown, threadId: string, content = 'Wrote the files.'): Item => ({
  type: 'function_call_output',
  call_id: callId,
  output: JSON.stringify({ threadId, content }),
});
const args = (item: Item | undefined) => JSON.parse(String(item?.arguments)) as Record<string, string>;

void describe('scripted agents', () => {
  const cases: { role: Role; files: string[] }[] = [
    { role: 'project_manager', files: ['REQUIREMENTS.md', 'TEST.md', 'AGENT_TASKS.md'] },
    { role: 'designer', files: ['design/design_spec.md', 'design/wireframe.md'] },
    { role: 'frontend', files: ['frontend/index.html', 'frontend/styles.css', 'frontend/game.js'] },
    { role: 'backend', files: ['backend/package.json', 'backend/server.js'] },
    { role: 'tester', files: ['tests/TEST_PLAN.md', 'tests/test.sh'] },
  ];
  for (const { role, files } of cases) {
    void it(`${role}: codex call naming its files, then a summary; missing files -> codex-reply`, async () => {
      const run = `agent-${role}`;
      const conversation: Item[] = [user(agentBrief(builtinRole(role), BUG_BUSTERS, []))];

      const t1 = await turn(role, run, conversation);
      assert.equal(t1.response.object, 'response');
      assert.equal(t1.response.status, 'completed');
      assert.match(t1.response.id, /^resp_[0-9a-f]{32}$/);
      assert.ok(t1.response.usage && t1.response.usage.input_tokens > 100 && t1.response.usage.output_tokens > 10);
      assert.equal(t1.response.usage.total_tokens, t1.response.usage.input_tokens + t1.response.usage.output_tokens);
      assert.equal(t1.answer.length, 1);
      const [thought] = t1.items;
      assert.equal(thought?.type, 'reasoning', 'gpt-5 answers with a reasoning item first');
      assert.match(String(thought?.encrypted_content), /^[\w-]+\.[\w-]+$/, 'encrypted_content, as included');
      assert.ok((t1.response.usage.output_tokens_details.reasoning_tokens ?? 0) > 0);
      const call = t1.answer[0];
      assert.equal(call?.type, 'function_call');
      assert.equal(call?.name, 'codex');
      const a = args(call);
      assert.equal(a['approval-policy'], 'never');
      assert.equal(a.sandbox, 'workspace-write');
      assert.match(a.prompt ?? '', /Project: Bug Busters/);
      assert.ok(a.prompt?.includes('Player clicks a moving bug'), 'the task list goes to Codex');
      assert.deepEqual(
        parseCodexPrompt(a.prompt ?? '')?.files.map((f) => f.path),
        files,
      );

      conversation.push(...t1.items, output(call?.call_id, 'thread-1'));
      const t2 = await turn(role, run, conversation);
      assert.equal(t2.answer[0]?.type, 'message');
      assert.match(t2.response.output_text, new RegExp(files[0]?.replace('.', '\\.') ?? ''));
      assert.match(t2.response.output_text, /thread-1/);

      conversation.push(...t2.items, user(missingDeliverablesMessage([files[0] ?? ''])));
      const t3 = await turn(role, run, conversation);
      const reply = t3.answer[0];
      assert.equal(reply?.name, 'codex-reply');
      assert.equal(args(reply).threadId, 'thread-1');
      assert.deepEqual(
        parseCodexPrompt(args(reply).prompt ?? '')?.files.map((f) => f.path),
        [files[0]],
      );
      conversation.push(...t3.items, output(reply?.call_id, 'thread-1'));
      const t4 = await turn(role, run, conversation);
      assert.equal(t4.answer[0]?.type, 'message');

      const stats = model.stats();
      assert.deepEqual(stats.byRole[role]?.agent, { requests: 4, completed: 4 });
      assert.deepEqual(
        stats.requests.map((r) => r.turn),
        [1, 2, 3, 4],
      );
      assert.deepEqual(
        stats.requests.map((r) => r.final),
        [false, true, false, true],
      );
    });
  }

  void it('game designer answers with a 3-sentence brief; game developer builds index.html from it', async () => {
    const d = await turn('game_designer', 'single', [user(DEFAULT_SINGLE_AGENT_PROMPT)]);
    assert.equal(d.response.output_text, GAME_DESIGNER_BRIEF);
    assert.equal(GAME_DESIGNER_BRIEF.split(/(?<=\.)\s+(?=[A-Z"])/).length, 3);
    const dev = await turn('game_developer', 'single', [
      user(agentBrief(builtinRole('game_developer'), `Design brief:\n${d.response.output_text}`, [])),
    ]);
    const prompt = args(dev.answer[0]).prompt ?? '';
    assert.match(prompt, /Project: Star Catcher/);
    assert.deepEqual(
      parseCodexPrompt(prompt)?.files.map((f) => f.path),
      ['index.html'],
    );
  });

  void it('a tool error gets one more codex call, then a message', async () => {
    const conversation: Item[] = [user(agentBrief(builtinRole('backend'), BUG_BUSTERS, []))];
    const t1 = await turn('backend', 'errors', conversation);
    conversation.push(...t1.items, {
      type: 'function_call_output',
      call_id: t1.answer[0]?.call_id,
      output: 'Error: boom',
    });
    const t2 = await turn('backend', 'errors', conversation);
    assert.equal(t2.answer[0]?.name, 'codex');
    conversation.push(...t2.items, {
      type: 'function_call_output',
      call_id: t2.answer[0]?.call_id,
      output: 'Error: boom',
    });
    const t3 = await turn('backend', 'errors', conversation);
    assert.equal(t3.answer[0]?.type, 'message');
  });

  void it('is deterministic: the same input gives the same output (and call ids), with fresh ids', async () => {
    const input = [user(agentBrief(builtinRole('designer'), BUG_BUSTERS, []))];
    const a = await turn('designer', 'det', input);
    const b = await turn('designer', 'det', input);
    assert.notEqual(a.response.id, b.response.id, 'ids are unique per response, as the real API ids are');
    const sansIds = (items: Item[]) =>
      items.map(({ id: _id, encrypted_content: _sealed, ...rest }) => rest as Record<string, unknown>);
    assert.deepEqual(sansIds(a.items), sansIds(b.items));
    assert.equal(a.answer[0]?.call_id, b.answer[0]?.call_id, 'call ids follow the input: fingerprints stay stable');
    const other = await turn('designer', 'det-other-run', input);
    assert.notEqual(other.response.id, a.response.id);
    assert.equal(args(other.answer[0]).prompt, args(a.answer[0]).prompt);
  });

  void it('streams SSE events ending in response.completed', async () => {
    const stream = await client.responses.create(
      {
        model: 'gpt-5',
        instructions: builtinRole('tester').instructions,
        input: [user(agentBrief(builtinRole('tester'), BUG_BUSTERS, []))] as unknown as OpenAI.Responses.ResponseInput,
        tools: TOOLS,
        stream: true,
      },
      { headers: headers('tester', 'stream') },
    );
    const types: string[] = [];
    let args = '';
    let completed: OpenAI.Responses.Response | undefined;
    for await (const e of stream) {
      types.push(e.type);
      if (e.type === 'response.function_call_arguments.delta') args += e.delta;
      if (e.type === 'response.completed') completed = e.response;
    }
    assert.equal(types[0], 'response.created');
    assert.equal(types.at(-1), 'response.completed');
    assert.ok(types.includes('response.output_item.done'));
    const item = completed?.output.find((i) => i.type === 'function_call');
    assert.equal(item?.arguments, args);
    assert.ok(model.stats().requests[0]?.stream);
  });

  void it('sniffs kind and role when the headers are missing', async () => {
    const bare = new OpenAI({ apiKey: 'x', baseURL: model.baseUrl, maxRetries: 0 });
    const r = await bare.responses.create({
      model: 'gpt-4.1',
      instructions: builtinRole('backend').instructions,
      input: agentBrief(builtinRole('backend'), BUG_BUSTERS, []),
      tools: TOOLS,
    });
    assert.equal(r.output[0]?.type, 'function_call');
    const [entry] = model.stats().requests;
    assert.equal(entry?.kind, 'agent');
    assert.equal(entry?.role, 'backend');
    assert.equal(entry?.run, 'unknown');
  });
});

void describe('faults', () => {
  const brief = () => [user(agentBrief(builtinRole('project_manager'), BUG_BUSTERS, []))];

  void it('429 with Retry-After, fired `times` times', async () => {
    model.setFaults([
      { kind: 'agent', role: 'project_manager', times: 2, effect: { status: 429, retryAfterSeconds: 7 } },
    ]);
    for (let i = 0; i < 2; i++) {
      const err = await turn('project_manager', 'f429', brief()).catch((e: unknown) => e);
      assert.ok(err instanceof OpenAI.RateLimitError, String(err));
      assert.equal(err.status, 429);
      assert.equal(err.headers?.get('retry-after'), '7');
    }
    const ok = await turn('project_manager', 'f429', brief());
    assert.equal(ok.answer[0]?.name, 'codex');
    const s = model.stats();
    assert.deepEqual(
      s.requests.map((r) => [r.status, r.completed]),
      [
        [429, false],
        [429, false],
        [200, true],
      ],
    );
    assert.equal(s.faultsFired, 2);
    assert.equal(model.faults()[0]?.fired, 2);
  });

  void it('500 and 401 on a given turn and run only', async () => {
    model.setFaults([
      { run: 'f500', turn: 2, effect: { status: 500 } },
      { run: 'f401', effect: { status: 401, message: 'Incorrect API key provided' } },
    ]);
    const t1 = await turn('designer', 'f500', brief());
    const input = [...brief(), ...t1.items, output(t1.answer[0]?.call_id, 't')];
    await assert.rejects(turn('designer', 'f500', input), (e: unknown) => e instanceof OpenAI.InternalServerError);
    await turn('designer', 'f500', input); // times defaults to 1
    await assert.rejects(turn('designer', 'f401', brief()), (e: unknown) => e instanceof OpenAI.AuthenticationError);
  });

  void it('broken stream: JSON cut mid-body, SSE without response.completed', async () => {
    model.setFaults([{ kind: 'agent', times: 2, effect: 'broken-stream' }]);
    await assert.rejects(turn('backend', 'broken', brief()));
    const stream = await client.responses.create(
      { model: 'gpt-4.1', input: brief() as unknown as OpenAI.Responses.ResponseInput, tools: TOOLS, stream: true },
      { headers: headers('backend', 'broken') },
    );
    const types: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const e of stream) types.push(e.type);
      })(),
    );
    assert.ok(!types.includes('response.completed'));
    assert.ok(model.stats().requests.every((r) => !r.completed && r.status === 200));
  });

  void it('hang until the client times out', async () => {
    model.setFaults([{ effect: 'hang' }]);
    const impatient = new OpenAI({ apiKey: 'x', baseURL: model.baseUrl, maxRetries: 0, timeout: 300 });
    const started = Date.now();
    await assert.rejects(
      impatient.responses.create({ model: 'gpt-4.1', input: 'hi' }, { headers: headers('backend', 'hang') }),
      (e: unknown) => e instanceof OpenAI.APIConnectionTimeoutError,
    );
    assert.ok(Date.now() - started >= 290);
    await new Promise((r) => setTimeout(r, 50));
    const [entry] = model.stats().requests;
    assert.equal(entry?.status, 0);
    assert.equal(entry?.completed, false);
    assert.deepEqual(entry?.faults, ['hang']);
  });

  void it('latency: global per agent turn plus a latency fault', async () => {
    model.setLatency({ agentMs: 150 });
    model.setFaults([{ kind: 'agent', effect: { latencyMs: 200 } }]);
    let started = Date.now();
    await turn('tester', 'slow', brief());
    assert.ok(Date.now() - started >= 340, 'both delays apply');
    started = Date.now();
    await turn('tester', 'slow', brief());
    const ms = Date.now() - started;
    assert.ok(ms >= 140 && ms < 340, `only the global delay (${ms} ms)`);
  });

  void it('latency per Codex call: once on its first request, on top of the per-request latency', async () => {
    model.setLatency({ codexMs: 20, codexCallMs: 300 });
    const prompt = codexPrompt({
      roleTitle: 'Tester',
      taskList: BUG_BUSTERS,
      files: [{ path: 'tests/TEST_PLAN.md', required: true, purpose: '' }],
    });
    const codexRequest = async (input: Item[]) => {
      const started = Date.now();
      await client.responses.create(
        { model: 'gpt-5.2-codex', input: input as unknown as OpenAI.Responses.ResponseInput, store: false },
        { headers: { 'x-dca-kind': 'codex', 'x-dca-role': 'tester', 'x-dca-run': 'call-latency' } },
      );
      return Date.now() - started;
    };
    const first = await codexRequest([user(prompt)]);
    const patch = { type: 'custom_tool_call', call_id: 'c1', name: 'apply_patch', input: '*** Begin Patch' };
    const patched = { type: 'custom_tool_call_output', call_id: 'c1', output: 'Success.' };
    const second = await codexRequest([user(prompt), patch, patched]);
    assert.ok(first >= 310, `first request pays both delays (${first} ms)`);
    assert.ok(second >= 15 && second < 300, `a later request only the per-request delay (${second} ms)`);
    assert.deepEqual(
      model.stats().requests.map((r) => [r.kind, r.turn]),
      [
        ['codex', 1],
        ['codex', 2],
      ],
    );
  });
});

void describe('stats and fingerprints', () => {
  void it('equal calls share a fingerprint; repeatedCompletions finds them', async () => {
    const input = [user(agentBrief(builtinRole('frontend'), BUG_BUSTERS, []))];
    await turn('frontend', 'fp', input);
    await turn('frontend', 'fp', input);
    await turn('frontend', 'fp-2', input);
    const s = model.stats();
    const [a, b, c] = s.requests;
    assert.match(a?.fingerprint ?? '', /^[0-9a-f]{64}$/);
    assert.equal(a?.fingerprint, b?.fingerprint);
    assert.notEqual(a?.fingerprint, c?.fingerprint, 'the run is part of the fingerprint');
    assert.equal(repeatedCompletions(s).length, 1);
    assert.deepEqual(s.byRun.fp?.agent, { requests: 2, completed: 2 });
    assert.deepEqual(s.byKind.codex, { requests: 0, completed: 0 });
    assert.equal(s.totals.requests, 3);
    assert.equal(s.scripted, true);
  });

  void it('control API over HTTP: faults, latency, stats, reset', async () => {
    const root = model.baseUrl.replace(/\/v1$/, '');
    const post = (p: string, body: unknown) =>
      fetch(`${root}/_scripted/${p}`, { method: 'POST', body: JSON.stringify(body) });
    assert.equal((await post('faults', { rules: [{ run: 'ctl', effect: { status: 503 } }] })).status, 200);
    assert.equal((await post('faults', [{ effect: 'explode' }])).status, 400);
    assert.equal((await post('latency', { codexMs: 5 })).status, 200);
    await assert.rejects(turn('tester', 'ctl', [user('hello')]), (e: unknown) => e instanceof OpenAI.APIError);
    const stats = (await (await fetch(`${root}/_scripted/stats`)).json()) as { requests: { status: number }[] };
    assert.equal(stats.requests[0]?.status, 503);
    const res = await fetch(`${root}/_scripted/stats`);
    assert.equal(res.headers.get('x-scripted-model'), 'true');
    assert.equal((await post('reset', {})).status, 200);
    assert.equal(model.stats().totals.requests, 0);
    assert.deepEqual(await (await fetch(`${root}/_scripted/latency`)).json(), {
      agentMs: 0,
      codexMs: 5,
      codexCallMs: 0,
    });
  });
});

void describe('codex script (without the binary)', () => {
  void it('one apply_patch per file, one check, then a message; omitted files are skipped', () => {
    const prompt = [
      'Role: Backend Developer',
      'Task list:',
      '<<<',
      BUG_BUSTERS,
      '>>>',
      '',
      CODEX_FILES_HEADER,
      '- backend/package.json (required)',
      '- backend/server.js (required)',
      '',
    ].join('\n');
    const input: Item[] = [
      { type: 'message', role: 'developer', content: [{ type: 'input_text', text: '<permissions instructions>' }] },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: '<environment_context>' }] },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: prompt }] },
    ];
    const labels: string[] = [];
    for (let i = 0; i < 5; i++) {
      const action = codexScript(readCodexTurn(input));
      labels.push(action.label);
      if (action.final) break;
      // What Codex answers for a successful apply_patch, then for a command that exited 0.
      const output =
        i < 2 ? 'Exit code: 0\nOutput:\nSuccess. Updated the following files:\n' : 'Process exited with code 0\n';
      input.push(
        { type: 'function_call', call_id: `c${i}` },
        { type: 'function_call_output', call_id: `c${i}`, output },
      );
    }
    assert.deepEqual(labels, [
      'apply_patch backend/package.json',
      'apply_patch backend/server.js',
      'exec_command',
      'message',
    ]);
    const first = codexScript(readCodexTurn(input.slice(0, 3)), new Set(['backend/package.json']));
    assert.equal(first.label, 'apply_patch backend/server.js');
  });

  it("code mode: with only Codex's `exec` offered (in its additional_tools item), writes and checks through it", () => {
    // What Codex 0.153.4 sends on its default model: no top-level tools, one JavaScript `exec` declaring the rest.
    const exec = {
      type: 'custom',
      name: 'exec',
      description:
        'Run JavaScript\n### `apply_patch`\ndeclare const tools: { apply_patch(input: string): Promise<unknown>; };\n' +
        '### `exec_command`\ndeclare const tools: { exec_command(args: {\n  cmd: string;\n}): Promise<{}>; };',
    };
    const prompt = `Task list:\n<<<\n${BUG_BUSTERS}\n>>>\n\n${CODEX_FILES_HEADER}\n- notes.md (required)\n`;
    const input: Item[] = [
      { type: 'additional_tools', tools: [{ type: 'namespace', name: 'functions', tools: [exec] }] },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: prompt }] },
    ];
    assert.deepEqual(readCodexTurn(input, []).offered, { codeMode: { applyPatch: true, execCommand: true } });
    const write = codexScript(readCodexTurn(input, []));
    assert.equal(write.draft.type, 'custom_tool_call');
    assert.match(
      String((write.draft as { input?: string }).input),
      /await tools\.apply_patch\("\*\*\* Begin Patch\\n\*\*\* Add File: notes\.md/,
    );
    input.push(
      { type: 'custom_tool_call', call_id: 'c0', name: 'exec' },
      { type: 'custom_tool_call_output', call_id: 'c0', output: 'Process exited with code 0\nOutput:\n' },
    );
    const check = codexScript(readCodexTurn(input, []));
    assert.equal(check.label, 'exec');
    input.push(
      { type: 'custom_tool_call', call_id: 'c1', name: 'exec' },
      { type: 'custom_tool_call_output', call_id: 'c1', output: 'Process exited with code 0\nOutput:\n12 notes.md' },
    );
    const done = codexScript(readCodexTurn(input, []));
    assert.equal(done.final, true);
    assert.match(String((done.draft as { text?: string }).text), /Wrote 1 file\(s\):\n- notes\.md[\s\S]*Checked them/);
    // Nothing that writes in it: nothing is claimed.
    const bare = { ...exec, description: 'Run JavaScript' };
    const none = codexScript(readCodexTurn([{ type: 'additional_tools', tools: [bare] }, input[1] as Item], []));
    assert.match(String((none.draft as { text?: string }).text), /offered no tool that writes files/);
  });

  it('reads the newest request of a continued thread (earlier prompts quoted before it)', () => {
    const files = (...paths: string[]) => paths.map((p) => `- ${p} (required)`).join('\n');
    const older = `Task list:\n<<<\nold task\n>>>\n\n${CODEX_FILES_HEADER}\n${files('a.md', 'b.md')}\n`;
    const newer = `Task list:\n<<<\nnew task\n>>>\n\n${CODEX_FILES_HEADER}\n${files('b.md')}\n\nThen reply.`;
    const continued = `This continues an earlier Codex session.\n--- earlier prompt 1 ---\n${older}\n--- new request ---\n${newer}`;
    assert.deepEqual(parseCodexPrompt(continued), {
      taskList: 'new task',
      files: [{ path: 'b.md', required: true, purpose: '' }],
    });
    // codex-reply in the same thread: the new prompt follows the earlier turn; the task list may come from history.
    const reply = `${CODEX_FILES_HEADER}\n${files('b.md')}\n`;
    const turn = readCodexTurn([
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: older }] },
      { type: 'custom_tool_call', call_id: 'c1' },
      { type: 'custom_tool_call_output', call_id: 'c1' },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'done' }] },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: reply }] },
    ]);
    assert.equal(turn.step, 0);
    assert.equal(turn.parsed?.taskList, 'old task');
    assert.deepEqual(
      turn.parsed?.files.map((f) => f.path),
      ['b.md'],
    );
  });
});

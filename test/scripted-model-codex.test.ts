/**
 * The real Codex binary (`codex mcp-server`, 0.153.4) driven by the scripted model: the scripted agents' prompts
 * go to Codex over MCP, Codex asks the scripted model what to do, and real files appear in a temp workspace.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import OpenAI from 'openai';
import { responseRequest } from '../src/activities/model-turn';
import { SCRIPTED_MODEL_KEY, SCRIPTED_MODEL_SLUG } from '../src/config/settings';
import { fileContent, repeatedCompletions, startScriptedModel, type ScriptedModel } from '../src/scripted-model';
import { agentBrief, missingDeliverablesMessage } from '../src/shared/prompts';
import { builtinRole } from '../src/shared/builtin-teams';
import type { RoleId as Role } from '../src/shared/team';
import type { ConversationItem } from '../src/shared/types';
import { runTestScript, withServer } from './fixtures/scripted/project';

const ROOT = path.join(__dirname, '..');
const CODEX_BIN = path.join(ROOT, 'node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex');
const BUG_BUSTERS = fs.readFileSync(path.join(ROOT, 'tasks', 'bug-busters.md'), 'utf8');
const skip = fs.existsSync(CODEX_BIN) ? false : `no Codex binary at ${CODEX_BIN}`;

type Item = Record<string, unknown> & { type: string };
interface CodexResult {
  threadId: string;
  content: string;
  isError: boolean;
  ms: number;
}

const tempDirs: string[] = [];
const tempDir = (prefix: string) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
};
const tempWorkspace = () => tempDir('scripted-ws-');

/** One `codex mcp-server` process with a temp CODEX_HOME, pointed at the scripted model per call. */
class CodexServer {
  events = 0;
  stderr = '';
  private constructor(
    private readonly client: Client,
    private readonly baseUrl: string,
  ) {}

  static async start(baseUrl: string): Promise<CodexServer> {
    const home = tempDir('scripted-codex-home-');
    const transport = new StdioClientTransport({
      command: CODEX_BIN,
      args: ['mcp-server'],
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? home,
        CODEX_HOME: home,
        OPENAI_API_KEY: SCRIPTED_MODEL_KEY,
      },
      stderr: 'pipe',
    });
    const client = new Client({ name: 'scripted-model-test', version: '0.0.0' });
    const server = new CodexServer(client, baseUrl);
    client.fallbackNotificationHandler = async () => {
      server.events += 1;
    };
    transport.stderr?.on('data', (d: Buffer) => (server.stderr += d.toString()));
    await client.connect(transport);
    return server;
  }

  async call(
    tool: 'codex' | 'codex-reply',
    args: { prompt: string; threadId?: string },
    cwd: string,
    who: { role: Role; run: string },
  ): Promise<CodexResult> {
    const started = Date.now();
    const provider = {
      name: 'scripted',
      base_url: this.baseUrl,
      wire_api: 'responses',
      env_key: 'OPENAI_API_KEY',
      request_max_retries: 0,
      stream_max_retries: 0,
      http_headers: { 'x-dca-kind': 'codex', 'x-dca-role': who.role, 'x-dca-run': who.run },
    };
    const callArgs =
      tool === 'codex'
        ? {
            prompt: args.prompt,
            cwd,
            'approval-policy': 'never',
            sandbox: 'workspace-write',
            model: SCRIPTED_MODEL_SLUG,
            config: { model_provider: 'scripted', model_providers: { scripted: provider } },
          }
        : { prompt: args.prompt, threadId: args.threadId };
    const r = await this.client.callTool({ name: tool, arguments: callArgs }, undefined, { timeout: 60_000 });
    const structured = (r.structuredContent ?? {}) as { threadId?: string; content?: string };
    const text = (r.content as { type: string; text?: string }[] | undefined)?.[0]?.text ?? '';
    return {
      threadId: structured.threadId ?? '',
      content: structured.content ?? text,
      isError: r.isError === true,
      ms: Date.now() - started,
    };
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

let model: ScriptedModel;
let agent: OpenAI;
let codex: CodexServer;

before(async () => {
  if (skip) return;
  model = await startScriptedModel();
  agent = new OpenAI({ apiKey: 'scripted', baseURL: model.baseUrl, maxRetries: 0 });
  codex = await CodexServer.start(model.baseUrl);
});
after(async () => {
  if (skip) return;
  await codex.close();
  await model.close();
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  if (skip) return;
  model.setFaults([]);
  model.resetStats();
});

const read = (ws: string, p: string) => fs.readFileSync(path.join(ws, p), 'utf8');
const user = (text: string): Item => ({ type: 'message', role: 'user', content: text });

/** One agent turn through the `openai` package, as the model-turn activity makes it. */
async function agentTurn(role: Role, run: string, input: Item[]) {
  const started = Date.now();
  const request = responseRequest(
    {
      runId: run,
      role,
      turn: 1,
      instructions: builtinRole(role).instructions,
      input: input as ConversationItem[],
      tools: ['codex', 'codex-reply'],
    },
    'gpt-5',
  );
  const r = await agent.responses.create(request, {
    headers: { 'x-dca-kind': 'agent', 'x-dca-role': role, 'x-dca-run': run },
  });
  const items = r.output as unknown as Item[];
  return { r, items, ms: Date.now() - started };
}

/** Runs a role like the workflow does: model turns, Codex calls, until a final message. */
async function runRole(role: Role, run: string, ws: string, conversation: Item[]) {
  for (let i = 0; i < 6; i++) {
    const t = await agentTurn(role, run, conversation);
    conversation.push(...t.items);
    const call = t.items.find((x) => x.type === 'function_call');
    if (!call) return t.r.output_text;
    const args = JSON.parse(String(call.arguments)) as { prompt: string; threadId?: string };
    const res = await codex.call(call.name as 'codex' | 'codex-reply', args, ws, { role, run });
    assert.equal(res.isError, false, res.content);
    conversation.push({
      type: 'function_call_output',
      call_id: call.call_id,
      output: JSON.stringify({ threadId: res.threadId, content: res.content }),
    });
  }
  throw new Error('no final message');
}

void describe('real Codex against the scripted model', { skip }, () => {
  void it('Project Manager: writes REQUIREMENTS.md, TEST.md, AGENT_TASKS.md; http_headers reach the model', async (t) => {
    const ws = tempWorkspace();
    const first = await agentTurn('project_manager', 't1', [
      user(agentBrief(builtinRole('project_manager'), BUG_BUSTERS, [])),
    ]);
    const args = JSON.parse(String(first.items.find((i) => i.type === 'function_call')?.arguments)) as {
      prompt: string;
    };
    const res = await codex.call('codex', args, ws, { role: 'project_manager', run: 't1' });
    t.diagnostic(`agent model call: ${first.ms} ms; codex tool call (3 files): ${res.ms} ms`);
    assert.equal(res.isError, false, res.content);
    assert.match(res.threadId, /^[0-9a-f-]{36}$/);
    assert.match(res.content, /Wrote 3 file\(s\)/);
    for (const f of ['REQUIREMENTS.md', 'TEST.md', 'AGENT_TASKS.md']) {
      assert.equal(read(ws, f), fileContent(f, { taskList: BUG_BUSTERS }), f);
    }
    assert.match(read(ws, 'TEST.md'), /\[Backend\][\s\S]*Acceptance criteria/);

    const codexRequests = model.stats().requests.filter((r) => r.kind === 'codex');
    assert.deepEqual(
      codexRequests.map((r) => r.answer),
      ['apply_patch REQUIREMENTS.md', 'apply_patch TEST.md', 'apply_patch AGENT_TASKS.md', 'exec_command', 'message'],
    );
    // Only the x-dca-* http_headers of the provider config can carry the run id: Codex 0.153.4 sends them.
    assert.ok(codexRequests.every((r) => r.run === 't1' && r.role === 'project_manager' && r.thread === res.threadId));
    assert.ok(codex.events > 10, 'codex/event notifications arrive while Codex works');
  });

  void it('omit-deliverable: the gate finds a file missing, codex-reply in the same thread writes it', async () => {
    const ws = tempWorkspace();
    model.setFaults([{ kind: 'codex', role: 'frontend', effect: 'omit-deliverable' }]);
    const conversation = [user(agentBrief(builtinRole('frontend'), BUG_BUSTERS, []))];
    await runRole('frontend', 't2', ws, conversation);
    assert.ok(!fs.existsSync(path.join(ws, 'frontend/index.html')), 'the required file was skipped');
    assert.ok(fs.existsSync(path.join(ws, 'frontend/game.js')));

    conversation.push(user(missingDeliverablesMessage(['frontend/index.html'])));
    const summary = await runRole('frontend', 't2', ws, conversation);
    assert.match(summary, /frontend\/index\.html/);
    assert.equal(read(ws, 'frontend/index.html'), fileContent('frontend/index.html', { taskList: BUG_BUSTERS }));
    const calls = conversation.filter((i) => i.type === 'function_call').map((i) => i.name);
    assert.deepEqual(calls, ['codex', 'codex-reply']);
    const threads = new Set(model.stats().requests.flatMap((r) => (r.thread ? [r.thread] : [])));
    assert.equal(threads.size, 1, 'the reply continued the same Codex thread');
  });

  void it('a rerun overwrites existing files (Add File on an existing path) and is detected as a repeat', async () => {
    const ws = tempWorkspace();
    const prompt = (
      await agentTurn('designer', 't3', [user(agentBrief(builtinRole('designer'), BUG_BUSTERS, []))])
    ).items.find((i) => i.type === 'function_call');
    const args = JSON.parse(String(prompt?.arguments)) as { prompt: string };
    await codex.call('codex', args, ws, { role: 'designer', run: 't3' });
    fs.writeFileSync(path.join(ws, 'design/design_spec.md'), 'stale\n');
    const again = await codex.call('codex', args, ws, { role: 'designer', run: 't3' });
    assert.equal(again.isError, false, again.content);
    assert.equal(read(ws, 'design/design_spec.md'), fileContent('design/design_spec.md', { taskList: BUG_BUSTERS }));
    const repeated = repeatedCompletions(model.stats(), (e) => e.kind === 'codex');
    assert.ok(repeated.length >= 1, 'the same first request was answered twice');
    assert.ok(
      repeated.every((g) => new Set(g.map((e) => e.thread)).size === 2),
      'in two different threads',
    );
  });

  void it('faults reach Codex as tool errors: 500, 429, broken stream', async (t) => {
    const ws = tempWorkspace();
    const cases: [unknown, RegExp][] = [
      [{ status: 500 }, /high demand|500/i],
      [{ status: 429, retryAfterSeconds: 1 }, /429/],
      ['broken-stream', /stream disconnected/i],
    ];
    for (const [effect, expected] of cases) {
      model.setFaults([{ kind: 'codex', effect } as never]);
      const res = await codex.call('codex', { prompt: 'hello' }, ws, { role: 'backend', run: 't4' });
      assert.equal(res.isError, true, JSON.stringify(effect));
      t.diagnostic(`${JSON.stringify(effect)} -> ${res.content.slice(0, 160)}`);
      assert.match(res.content, expected);
    }
  });

  void it('Bug Busters backend and tests/test.sh written by Codex pass against each other', async () => {
    const ws = tempWorkspace();
    await runRole('backend', 't5', ws, [user(agentBrief(builtinRole('backend'), BUG_BUSTERS, []))]);
    await runRole('tester', 't5', ws, [user(agentBrief(builtinRole('tester'), BUG_BUSTERS, []))]);
    const pkg = JSON.parse(read(ws, 'backend/package.json')) as { scripts: { start: string } };
    assert.equal(pkg.scripts.start, 'node server.js');
    const result = await withServer(path.join(ws, 'backend'), (baseUrl) => runTestScript(ws, baseUrl));
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /All checks passed/);
  });

  void it('Game Developer: index.html from the Game Designer brief', async () => {
    const ws = tempWorkspace();
    const brief = (await agentTurn('game_designer', 't6', [user('Implement a fun new game!')])).r.output_text;
    await runRole('game_developer', 't6', ws, [
      user(agentBrief(builtinRole('game_developer'), `Design brief:\n${brief}`, [])),
    ]);
    const html = read(ws, 'index.html');
    assert.match(html, /<title>Star Catcher<\/title>/);
    assert.match(html, /<canvas id="game"/);
  });
});

/**
 * The scripted Codex with `model = "gpt-5"` (issue 26, point 9), on both real Codex versions the project runs:
 * 0.153.4 (`codex mcp-server`) and 0.171.0 (`codex app-server`, through the codexCall activity) offer no
 * `apply_patch` for that model, so the script writes the files through the command tool they do offer, and its final
 * message lists only files that exist; when the sandbox refuses the writes, it says so and claims nothing.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createCodexActivities } from '../src/activities/codex/call';
import { AppServerTransport } from '../src/activities/codex/app-server/transport';
import { resolveCodexCommand } from '../src/activities/codex/binary';
import { SCRIPTED_MODEL_KEY, codexBinaryPath, type Settings } from '../src/config/settings';
import { codexPrompt, fileContent, startScriptedModel, type ScriptedModel } from '../src/scripted-model';
import { writtenFiles } from '../src/scripted-model/codex-script';
import type { CodexCallInput, CodexCallOutput } from '../src/shared/types';
import { CapturingLogger } from './helpers/capturing-logger';

const MODEL = 'gpt-5';
const TASK = 'Build "Bug Busters": click a moving bug to score points; show the score.';
const FILES = [
  { path: 'web/app.js', required: true, purpose: 'the game' },
  { path: 'README.md', required: true, purpose: 'how to play' },
];
const PROMPT = codexPrompt({ roleTitle: 'Frontend Developer', roleId: 'frontend', taskList: TASK, files: FILES });
const expected = (p: string) =>
  fileContent(p, {
    taskList: TASK,
    roleTitle: 'Frontend Developer',
    purpose: FILES.find((f) => f.path === p)?.purpose,
  });

let tmp: string;
let model: ScriptedModel;
before(async () => {
  // Codex makes helper binaries in its home and refuses to under /tmp.
  tmp = fs.mkdtempSync(path.join(os.homedir(), '.cache', 'dca-codex-tools-test-'));
  model = await startScriptedModel();
});
after(async () => {
  await model.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});
const dir = (name: string) => fs.mkdtempSync(path.join(tmp, `${name}-`));
const answers = (run: string) =>
  model
    .stats()
    .requests.filter((r) => r.run === run)
    .map((r) => r.answer);

void describe('scripted Codex with model "gpt-5" (no apply_patch offered)', () => {
  void it('codex mcp-server 0.153.4: writes through exec_command, reports the files that exist; read-only: writes nothing, claims nothing', async () => {
    const home = dir('home');
    const { command, args } = resolveCodexCommand(codexBinaryPath('mcp'));
    const transport = new StdioClientTransport({
      command,
      args: [...args, 'mcp-server'],
      env: { PATH: process.env.PATH ?? '', HOME: home, CODEX_HOME: home, OPENAI_API_KEY: SCRIPTED_MODEL_KEY },
      stderr: 'pipe',
    });
    const client = new Client({ name: 'scripted-codex-tools-test', version: '0.0.0' });
    await client.connect(transport);
    try {
      const call = async (run: string, cwd: string, sandbox: string) => {
        const provider = {
          name: 'scripted',
          base_url: model.baseUrl,
          wire_api: 'responses',
          env_key: 'OPENAI_API_KEY',
          request_max_retries: 0,
          stream_max_retries: 0,
          http_headers: { 'x-dca-kind': 'codex', 'x-dca-role': 'frontend', 'x-dca-run': run },
        };
        const r = await client.callTool(
          {
            name: 'codex',
            arguments: {
              prompt: PROMPT,
              cwd,
              'approval-policy': 'never',
              sandbox,
              model: MODEL,
              config: { model_provider: 'scripted', model_providers: { scripted: provider } },
            },
          },
          undefined,
          { timeout: 60_000 },
        );
        assert.notEqual(r.isError, true, JSON.stringify(r.content));
        return (r.structuredContent as { content: string }).content;
      };

      const ws = dir('ws');
      const content = await call('gpt5-write', ws, 'workspace-write');
      assert.deepEqual(writtenFiles(content), ['web/app.js', 'README.md'], content);
      assert.match(content, /Checked them/);
      for (const f of FILES) assert.equal(fs.readFileSync(path.join(ws, f.path), 'utf8'), expected(f.path), f.path);
      assert.deepEqual(answers('gpt5-write'), [
        'exec_command web/app.js',
        'exec_command README.md',
        'exec_command',
        'message',
      ]);

      const readOnly = dir('ws-read-only');
      const refused = await call('gpt5-read-only', readOnly, 'read-only');
      assert.deepEqual(writtenFiles(refused), [], refused);
      assert.match(refused, /^Wrote no files\.\n\nCould not write these files:\n- web\/app\.js: exit code \d+/);
      assert.doesNotMatch(refused, /Checked them/);
      assert.deepEqual(fs.readdirSync(readOnly), []);
    } finally {
      await client.close();
    }
  });

  void it('codex app-server 0.171.0 (the codexCall activity): writes through exec_command, reports the files that exist', async () => {
    const home = dir('app-home');
    const settings: Settings = {
      taskQueue: 'test',
      workspaceRoot: tmp,
      model: {
        apiKey: SCRIPTED_MODEL_KEY,
        baseUrl: model.baseUrl,
        scripted: true,
        defaultModel: MODEL,
        requestTimeoutMs: 30_000,
      },
      codex: {
        transport: 'app-server',
        command: codexBinaryPath('app-server'),
        model: MODEL,
        home,
        callTimeoutMs: 60_000,
        allowDangerFullAccess: false,
      },
    };
    const transport = new AppServerTransport({ settings, logger: new CapturingLogger() });
    try {
      const cwd = dir('app-ws');
      const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 30_000 }, { logger: new CapturingLogger() });
      const { codexCall } = createCodexActivities({ settings, transport, approvals: 'workspace' });
      const input: CodexCallInput = {
        runId: 'gpt5-app-server',
        role: 'frontend',
        label: 'Frontend Developer: Codex call 1',
        tool: 'codex',
        prompt: PROMPT,
        cwd,
        approvalPolicy: 'never',
        sandbox: 'workspace-write',
      };
      const out = (await env.run(codexCall, input)) as CodexCallOutput;
      assert.deepEqual(writtenFiles(out.content), ['web/app.js', 'README.md'], out.content);
      for (const f of FILES) assert.equal(fs.readFileSync(path.join(cwd, f.path), 'utf8'), expected(f.path), f.path);
      assert.deepEqual(answers('gpt5-app-server'), [
        'exec_command web/app.js',
        'exec_command README.md',
        'exec_command',
        'message',
      ]);
    } finally {
      await transport.close();
    }
  });
});

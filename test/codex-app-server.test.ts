/**
 * The Codex call activity on the app-server transport: the real `codex app-server` (0.171.0, the
 * @openai/codex-app-server alias) driven through the activity in a MockActivityEnvironment, against the scripted
 * model (files written) and the protocol stub (approvals, cancellation, a crash mid-call and its resumed thread).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CancelledFailure, type LogLevel, type LogMetadata, type Logger } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createCodexActivities } from '../src/activities/codex/call';
import { AppServerTransport } from '../src/activities/codex/app-server/transport';
import { THREADS_DIR, findRollout } from '../src/activities/codex/app-server/rollouts';
import type { CodexProgress } from '../src/activities/codex/progress';
import {
  SCRIPTED_MODEL_KEY,
  SCRIPTED_APP_SERVER_MODEL_SLUG,
  codexBinaryPath,
  type Settings,
} from '../src/config/settings';
import { codexPrompt, startScriptedModel, type ScriptedModel } from '../src/scripted-model';
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
} from './helpers/responses-stub';

const SECRET = 'sk-test-DO-NOT-LEAK-app-server-5566778899';

class CapturingLogger implements Logger {
  readonly entries: { level: LogLevel; message: string; meta?: LogMetadata }[] = [];
  log(level: LogLevel, message: string, meta?: LogMetadata) {
    this.entries.push({ level, message, meta });
  }
  trace = (m: string, meta?: LogMetadata) => this.log('TRACE', m, meta);
  debug = (m: string, meta?: LogMetadata) => this.log('DEBUG', m, meta);
  info = (m: string, meta?: LogMetadata) => this.log('INFO', m, meta);
  warn = (m: string, meta?: LogMetadata) => this.log('WARN', m, meta);
  error = (m: string, meta?: LogMetadata) => this.log('ERROR', m, meta);
  text(): string {
    return JSON.stringify(this.entries);
  }
}

let tmp: string;
let stub: ResponsesStub;
let model: ScriptedModel;

function settingsFor(baseUrl: string, over: { home?: string; apiKey?: string; scripted?: boolean } = {}): Settings {
  return {
    taskQueue: 'test',
    workspaceRoot: tmp,
    model: {
      apiKey: over.apiKey ?? SCRIPTED_MODEL_KEY,
      baseUrl,
      scripted: over.scripted ?? true,
      defaultModel: 'gpt-5',
      requestTimeoutMs: 30_000,
    },
    codex: {
      transport: 'app-server',
      command: codexBinaryPath('app-server'),
      model: SCRIPTED_APP_SERVER_MODEL_SLUG,
      home: over.home ?? path.join(tmp, 'codex-home'),
      callTimeoutMs: 60_000,
      allowDangerFullAccess: false,
    },
  };
}

const workspace = () => fs.mkdtempSync(path.join(tmp, 'ws-'));

function callInput(cwd: string, over: Partial<CodexCallInput> = {}): CodexCallInput {
  return {
    runId: 'run-app-server',
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
}

async function run(
  transport: AppServerTransport,
  settings: Settings,
  input: CodexCallInput,
  opts: { attempt?: number; heartbeatDetails?: unknown; during?: (env: MockActivityEnvironment) => void } = {},
): Promise<Run> {
  const log = new CapturingLogger();
  const env = new MockActivityEnvironment(
    { heartbeatTimeoutMs: 30_000, attempt: opts.attempt ?? 1, heartbeatDetails: opts.heartbeatDetails },
    { logger: log },
  );
  const heartbeats: CodexProgress[] = [];
  env.on('heartbeat', (d: CodexProgress) => heartbeats.push(d));
  const { codexCall } = createCodexActivities({ settings, transport });
  opts.during?.(env);
  try {
    return { output: await env.run(codexCall, input), heartbeats, log };
  } catch (error) {
    return { error, heartbeats, log };
  }
}

async function waitFor(cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const isGone = (pid: number) => {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
};

/** Every file under `dir` as latin1 text. */
function filesUnder(dir: string): { file: string; text: string }[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => {
      const file = path.join(e.parentPath, e.name);
      return { file, text: fs.readFileSync(file).toString('latin1') };
    });
}

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.homedir(), '.cache', 'dca-app-server-test-'));
  stub = await startResponsesStub();
  model = await startScriptedModel();
});

after(async () => {
  await stub.close();
  await model.close();
  if (!process.env.DEBUG_TEST) fs.rmSync(tmp, { recursive: true, force: true });
});

void describe('codexCall on the app-server transport (real codex 0.171.0)', () => {
  void it('writes every file the prompt lists with the scripted model, with tokens, heartbeats and a durable rollout', async () => {
    const settings = settingsFor(model.baseUrl);
    const transport = new AppServerTransport({ settings, logger: new CapturingLogger() });
    try {
      const cwd = workspace();
      const prompt = codexPrompt({
        roleTitle: 'Backend Developer',
        taskList: 'Build "Bug Busters": click a moving bug for points.',
        files: ['backend/package.json', 'backend/server.js'].map((f) => ({
          path: f,
          required: true,
          purpose: 'as specified',
        })),
      });
      const r = await run(transport, settings, callInput(cwd, { role: 'backend', runId: 'as-scripted-1', prompt }));
      assert.equal(r.error, undefined, String(r.error));
      const out = r.output!;
      assert.equal(out.transport, 'app-server');
      assert.equal(out.resumedThread, undefined);
      assert.match(out.threadId, /^[0-9a-f-]{36}$/);
      const pkg = JSON.parse(fs.readFileSync(path.join(cwd, 'backend/package.json'), 'utf8')) as { scripts?: object };
      assert.ok(pkg.scripts && 'start' in pkg.scripts);
      assert.deepEqual(out.filesChanged, ['backend/package.json', 'backend/server.js']);
      assert.ok(out.commandsRun >= 1, 'the scripted Codex checks its work with a command');
      assert.ok(out.usage.total > 0, 'token usage from thread/tokenUsage/updated');
      assert.ok(
        r.heartbeats.some((h) => h.threadId === out.threadId),
        'a heartbeat carries the thread id',
      );
      const saved = fs.readdirSync(path.join(cwd, THREADS_DIR));
      assert.deepEqual(saved, [path.basename(findRollout(settings.codex.home!, out.threadId)!)]);
      const codexRequests = model.stats().requests.filter((e) => e.run === 'as-scripted-1');
      assert.ok(codexRequests.length >= 3 && codexRequests.every((e) => e.kind === 'codex'));
    } finally {
      await transport.close();
    }
  });
});

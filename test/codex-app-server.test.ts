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
import { CancelledFailure } from '@temporalio/common';
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
import { CapturingLogger } from './helpers/capturing-logger';

const SECRET = 'sk-test-DO-NOT-LEAK-app-server-5566778899';

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
  const { codexCall } = createCodexActivities({ settings, transport, approvals: 'workspace' });
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

  void it('resumes the same thread after a SIGKILL mid-call, on another CODEX_HOME from the workspace rollout copy (attempt 2)', async () => {
    const settings = settingsFor(stub.baseUrl);
    const log = new CapturingLogger();
    const transport = new AppServerTransport({ settings, logger: log });
    let transport2: AppServerTransport | undefined;
    try {
      const cwd = workspace();
      stub.setResponder(() => ({ kind: 'hang' }));
      const n0 = stub.requests.length;
      const first = run(transport, settings, callInput(cwd, { prompt: 'write resumed.txt' }));
      await waitFor(() => stub.requests.length > n0);
      const pid = transport.pid!;
      process.kill(pid, 'SIGKILL');
      const r1 = await first;
      assert.ok(r1.error, 'the first attempt fails');
      assert.match(String((r1.error as Error).message), new RegExp(`pid ${pid}\\) exited during the call`));
      assert.ok(isGone(pid));
      const beat = r1.heartbeats.at(-1)!;
      assert.match(beat.threadId ?? '', /^[0-9a-f-]{36}$/, 'the thread id was heartbeated before the crash');

      // Attempt 2 on "another host": its own CODEX_HOME, with only the workspace's copy of the rollout.
      assert.equal(fs.readdirSync(path.join(cwd, THREADS_DIR)).length, 1, 'the rollout was copied after turn/start');
      const settings2 = settingsFor(stub.baseUrl, { home: path.join(tmp, 'codex-home-other-host') });
      transport2 = new AppServerTransport({ settings: settings2, logger: log });
      stub.setResponder(
        toolThenMessage(
          () => [addFilePatch('resumed.txt', 'again')],
          () => 'resumed and wrote it',
        ),
      );
      const n1 = stub.requests.length;
      const r2 = await run(transport2, settings2, callInput(cwd, { prompt: 'write resumed.txt' }), {
        attempt: 2,
        heartbeatDetails: beat,
      });
      assert.equal(r2.error, undefined, String(r2.error));
      const out = r2.output!;
      assert.equal(out.threadId, beat.threadId, 'the same thread, not a new one');
      assert.equal(out.resumedThread, true);
      assert.equal(out.continuedFromThreadId, undefined);
      assert.ok(findRollout(settings2.codex.home!, out.threadId), 'restored into the new CODEX_HOME');
      assert.equal(fs.readFileSync(path.join(cwd, 'resumed.txt'), 'utf8'), 'again\n');
      assert.ok(r2.log.entries.some((e) => e.message === 'Codex call resumes its thread'));
      const texts = userTexts(stub.requests[n1]!);
      assert.deepEqual(
        texts.filter((t) => t === 'write resumed.txt').length,
        2,
        "the resumed thread's history holds the interrupted turn's prompt and the new one",
      );
    } finally {
      await transport.close();
      await transport2?.close();
    }
  });

  void it('answers approval requests by the workspace policy: approves inside, declines outside', async () => {
    const settings = settingsFor(stub.baseUrl);
    const transport = new AppServerTransport({ settings, logger: new CapturingLogger() });
    try {
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
      const r = await run(transport, settings, callInput(cwd, { approvalPolicy: 'on-request' }));
      assert.equal(r.error, undefined, String(r.error));
      assert.equal(r.output!.content, 'approvals done');
      assert.equal(fs.readFileSync(path.join(cwd, 'approved.txt'), 'utf8'), 'escalated\n');
      assert.equal(fs.existsSync(outsideFile), false);
      const answers = r.log.entries.filter((e) => e.message === 'Codex approval answered').map((e) => e.meta);
      assert.deepEqual(
        answers.map((a) => [a?.kind, typeof a?.decision === 'string' ? a.decision : 'denied']),
        [
          ['exec-approval', 'approved'],
          ['patch-approval', 'denied'],
        ],
      );
      assert.deepEqual(answers[1]?.files, [outsideFile]);
    } finally {
      await transport.close();
    }
  });

  void it('interrupts the turn on cancellation (CancelledFailure), and close() stops the process', async () => {
    const settings = settingsFor(stub.baseUrl);
    const transport = new AppServerTransport({ settings, logger: new CapturingLogger() });
    stub.setResponder(() => ({ kind: 'hang' }));
    const n0 = stub.requests.length;
    const r = await run(transport, settings, callInput(workspace()), {
      during: (env) => {
        void waitFor(() => stub.requests.length > n0).then(() => env.cancel());
      },
    });
    assert.ok(r.error instanceof CancelledFailure, String(r.error));
    const pid = transport.pid!;
    assert.ok(!isGone(pid), 'the process outlives one cancelled call');
    await transport.close();
    assert.ok(isGone(pid));
  });

  void it('with a real key: sent through env_key, never in logs, CODEX_HOME/sessions or the rollout copy', async () => {
    const home = path.join(tmp, 'codex-home-keyed');
    const settings = settingsFor(stub.baseUrl, { home, apiKey: SECRET, scripted: false });
    const log = new CapturingLogger();
    const transport = new AppServerTransport({ settings, logger: log });
    try {
      const cwd = workspace();
      stub.setResponder(() => ({ kind: 'status', status: 401, body: `{"error":{"message":"bad key ${SECRET}"}}` }));
      const n0 = stub.requests.length;
      const bad = await run(transport, settings, callInput(cwd));
      assert.equal(stub.requests[n0]!.headers.authorization, `Bearer ${SECRET}`);
      assert.ok(bad.error, 'a 401 fails the call');
      stub.setResponder(toolThenMessage(() => [execCommand('env > env.txt; echo ok')]));
      const ok = await run(transport, settings, callInput(cwd));
      assert.equal(ok.error, undefined, String(ok.error));
      assert.ok(fs.statSync(path.join(cwd, 'env.txt')).size > 0, 'the command ran');
      const everywhere = [
        ...filesUnder(path.join(home, 'sessions')),
        ...filesUnder(path.join(cwd, THREADS_DIR)),
        ...filesUnder(cwd),
      ];
      assert.ok(everywhere.length >= 3);
      assert.deepEqual(
        everywhere.filter((f) => f.text.includes(SECRET)).map((f) => f.file),
        [],
      );
      for (const text of [log.text(), bad.log.text(), ok.log.text(), String(bad.error)]) {
        assert.ok(!text.includes(SECRET));
      }
    } finally {
      await transport.close();
    }
  });
});

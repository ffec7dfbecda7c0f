/**
 * The path a user with an API key runs: workers (child processes, `durable-codex-agents worker`'s settings) get OPENAI_API_KEY and
 * OPENAI_BASE_URL, and the endpoint is the scripted model started with that key, enforcing the Responses API's rules
 * (only that key, known models, reasoning items with encrypted_content under store:false, calls with their outputs).
 * Agents on gpt-5 (reasoning) and gpt-4.1-mini (not), Codex on its own default model; a worker is killed in the
 * Designer's second model turn, the turn that failed for users, and the resumed turn must still be accepted.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startLocalStack, type LocalStack } from '../src/runtime/local-stack';
import { finishRun, startRun } from '../src/runtime/runs';
import { reportFromHistory, renderMarkdown } from '../src/report/run-report';
import { CRASH_TUNING, WorkerFleet, describeRedo, inFlight, runWithKills, type KillPoint } from './helpers/crash';

const KEY = `sk-test-real-path-${Date.now().toString(36)}-0123456789`;
const ROOT = path.join(__dirname, '..');

let stack: LocalStack;
let fleet: WorkerFleet;

before(async () => {
  stack = await startLocalStack({
    inProcessWorker: false,
    // Latency keeps the Designer's second turn in flight long enough to kill the worker there.
    scripted: { apiKey: KEY, latency: { agentMs: 300, codexMs: 50 } },
  });
  fleet = new WorkerFleet(stack, {
    env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: stack.scripted.baseUrl, SCRIPTED_MODEL_URL: '' },
  });
});
after(async () => {
  await fleet?.stopAll();
  await stack?.stop();
});

/** Requests the endpoint refused (4xx): on the users' path there must be none. */
const refusals = (runId: string) =>
  stack.scripted
    .stats()
    .requests.filter((r) => r.run === runId && r.status >= 400 && r.status < 500)
    .map((r) => `#${r.seq} ${r.kind} ${r.role} turn ${r.turn}: ${r.status}`);

const designerSecondTurn: KillPoint = {
  name: 'designer-second-model-turn',
  description: "the Designer's second model turn in flight (its input carries reasoning and web search items)",
  when: (o) => inFlight(o, 'agent', 'designer').some((r) => r.turn === 2),
};

void describe('the real-model path against an endpoint that enforces the Responses API rules', () => {
  void it('Bug Busters with mixed model families completes through a kill mid-role', async (t) => {
    const workflowId = `real-path-multi-${Date.now()}`;
    const outcome = await runWithKills(stack, fleet, {
      workflowId,
      input: {
        taskList: readFileSync(path.join(ROOT, 'tasks', 'bug-busters.md'), 'utf8'),
        tuning: CRASH_TUNING,
        models: { perRole: { tester: { model: 'gpt-4.1-mini' } } },
      },
      points: [designerSecondTurn],
    });
    t.diagnostic(describeRedo(outcome.redo));
    assert.equal(outcome.ok, true, outcome.error);
    assert.deepEqual(outcome.missed, [], 'the kill point was reached');
    assert.deepEqual(outcome.missingFiles, []);
    assert.deepEqual(outcome.redo.redone, [], 'no finished call ran again');
    assert.deepEqual(refusals(workflowId), [], 'the endpoint accepted every request');

    const mine = stack.scripted.stats().requests.filter((r) => r.run === workflowId);
    const designerTurn2 = mine.filter((r) => r.kind === 'agent' && r.role === 'designer' && r.turn === 2);
    assert.ok(designerTurn2.length >= 2, 'the killed turn was asked again by the next worker');
    assert.ok(designerTurn2.at(-1)?.completed, 'and answered');

    const steps = outcome.result?.state.steps ?? [];
    const reasoning = (role: string) => steps.find((s) => s.role === role)?.modelUsage.reasoning ?? -1;
    for (const role of ['project_manager', 'designer', 'frontend', 'backend']) {
      assert.ok(reasoning(role) > 0, `${role} on gpt-5 reports reasoning tokens (${reasoning(role)})`);
    }
    assert.equal(reasoning('tester'), 0, 'the Tester on gpt-4.1-mini does not reason');
    assert.equal(outcome.result?.state.scripted, true, 'the endpoint says it is the scripted model; the run says so');

    const md = renderMarkdown(await reportFromHistory(stack.client.workflow.getHandle(workflowId)));
    assert.match(md, /reasoning [1-9][\d,]*\)/, 'the report shows reasoning tokens');
    assert.ok(!md.includes(KEY));
  });

  void it('the single-agent workflow completes on the same path', async () => {
    if (!fleet.current) await fleet.start();
    const workflowId = `real-path-single-${Date.now()}`;
    const handle = await startRun(stack.client, {
      kind: 'single',
      input: { tuning: CRASH_TUNING },
      workflowId,
      taskQueue: stack.taskQueue,
    });
    const outcome = await finishRun(handle);
    assert.equal(outcome.ok, true, outcome.error);
    assert.deepEqual(refusals(workflowId), []);
    const steps = outcome.result?.state.steps ?? [];
    assert.ok(steps.every((s) => s.modelUsage.reasoning > 0));
  });
});

/** Runs an entrypoint with the stack's Temporal and the given model settings; resolves with its exit and output. */
function runEntry(
  command: string,
  env: NodeJS.ProcessEnv,
  timeoutMs = 60_000,
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'cli', 'main.ts'), command], {
      cwd: ROOT,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: stack.address,
        TEMPORAL_NAMESPACE: stack.namespace,
        TASK_QUEUE: `${stack.taskQueue}-entry`,
        WORKSPACE_ROOT: stack.workspaceRoot,
        SCRIPTED_MODEL_URL: '',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
      reject(new Error(`${command} did not exit in ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

void describe('bad keys and models are named before any run', () => {
  const endpoint = () => ({ OPENAI_BASE_URL: stack.scripted.baseUrl });

  void it('the worker refuses to start on a rejected key, without printing it', async () => {
    const wrong = 'sk-test-wrong-key-5555555555';
    const r = await runEntry('worker', { ...endpoint(), OPENAI_API_KEY: wrong });
    assert.equal(r.code, 2, r.out);
    assert.match(r.out, /worker: Model check failed: .* rejected the key \(401\)/);
    assert.ok(!r.out.includes(wrong));
  });

  void it('the worker refuses an unknown agent model', async () => {
    const r = await runEntry('worker', { ...endpoint(), OPENAI_API_KEY: KEY, AGENT_MODEL: 'gpt-5-typo' });
    assert.equal(r.code, 2, r.out);
    assert.match(r.out, /has no model "gpt-5-typo" \(404 model_not_found\)/);
  });

  void it('doctor: all good exits 0; a bad key, an unknown model, an unreachable endpoint each get one line', async () => {
    const good = await runEntry('doctor', {
      ...endpoint(),
      OPENAI_API_KEY: KEY,
      CODEX_MODEL: 'gpt-5.2-codex',
    });
    assert.equal(good.code, 0, good.out);
    for (const what of ['Temporal', 'Model endpoint', 'Agent model', 'Codex model', 'Codex binary', 'Workspace root']) {
      assert.match(good.out, new RegExp(`^ok\\s+${what}\\s`, 'm'), `${what} ok:\n${good.out}`);
    }
    assert.match(good.out, /codex-cli 0\.153\.4/);
    assert.ok(!good.out.includes(KEY));

    const badKey = await runEntry('doctor', { ...endpoint(), OPENAI_API_KEY: 'sk-test-nope-000000000' });
    assert.equal(badKey.code, 1);
    assert.match(badKey.out, /^FAIL\s+Agent model\s+.*rejected the key \(401\)/m);

    const badModel = await runEntry('doctor', {
      ...endpoint(),
      OPENAI_API_KEY: KEY,
      AGENT_MODEL: 'gpt-4.2',
      CODEX_MODEL: 'gpt-5.2-codex',
    });
    assert.equal(badModel.code, 1);
    assert.match(badModel.out, /^FAIL\s+Agent model\s+.*has no model "gpt-4\.2"/m);
    assert.match(badModel.out, /^ok\s+Codex model\s/m);

    const down = await runEntry('doctor', { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', OPENAI_API_KEY: KEY });
    assert.equal(down.code, 1);
    assert.match(down.out, /^FAIL\s+Agent model\s+cannot reach http:\/\/127\.0\.0\.1:9\/v1 \(network error/m);

    const noTemporal = await runEntry('doctor', { TEMPORAL_ADDRESS: '127.0.0.1:9' });
    assert.equal(noTemporal.code, 1);
    assert.match(noTemporal.out, /^FAIL\s+Temporal\s+Cannot reach Temporal at 127\.0\.0\.1:9/m);
    assert.match(noTemporal.out, /^ok\s+Agent model\s/m, 'no key: the scripted model answers the model check');
  });
});

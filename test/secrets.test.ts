/**
 * Secrets on real parts: a worker (`src/cli/main.ts worker`, child process) with a dummy OPENAI_API_KEY talks to the scripted
 * model as if it were a real endpoint (OPENAI_BASE_URL), through a recording proxy that shows the key really is
 * sent (by the agents and by Codex). Runs complete, or fail on a 401 whose body echoes the key; then no trace of
 * the key may remain anywhere: workflow histories, run reports, worker logs, Codex's CODEX_HOME, Temporal's files.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { startLocalStack, type LocalStack } from '../src/runtime/local-stack';
import { finishRun, startRun } from '../src/runtime/runs';
import { WorkerFleet } from './helpers/crash';
import { rewriteExecCommands, startModelProxy, type ModelProxy } from './helpers/model-proxy';

const KEY = `sk-dummy-secret-${Date.now().toString(36)}-DO-NOT-LEAK-7c1e`;

let stack: LocalStack;
let proxy: ModelProxy;
let fleet: WorkerFleet;
const handles: WorkflowHandle[] = [];

before(async () => {
  stack = await startLocalStack({ inProcessWorker: false });
  proxy = await startModelProxy(stack.scripted.baseUrl);
  fleet = new WorkerFleet(stack, {
    entry: 'worker',
    // A key makes the worker treat OPENAI_BASE_URL as a real model (no scripted model of its own).
    env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: proxy.baseUrl, SCRIPTED_MODEL_URL: '' },
  });
  await fleet.start();
});
after(async () => {
  await fleet?.stopAll();
  await proxy?.close();
  await stack?.stop();
});

/** Every file under `dir` as text (binary files as latin1, so an embedded ASCII key still shows). */
function filesUnder(dir: string): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    const s = statSync(full, { throwIfNoEntry: false });
    if (!s) continue;
    if (s.isDirectory()) out.push(...filesUnder(full));
    else if (s.isFile()) out.push({ file: full, text: readFileSync(full).toString('latin1') });
  }
  return out;
}

/** A history as JSON, plus every base64 string in it decoded (payloads are base64 in JSON). */
function historyText(history: unknown): string {
  const json = JSON.stringify(history);
  const decoded: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      if (v.length >= 8 && /^[A-Za-z0-9+/]+={0,2}$/.test(v)) decoded.push(Buffer.from(v, 'base64').toString('latin1'));
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(JSON.parse(json));
  return `${json}\n${decoded.join('\n')}`;
}

describe('a dummy API key never leaves the worker except as the Authorization header', () => {
  it('runs the pipeline with the key against the scripted model as a real endpoint', async () => {
    const workflowId = `secrets-multi-${Date.now()}`;
    // Every command Codex runs also prints the key from its environment, if it is there.
    proxy.rewrite = (req, body) =>
      req.kind === 'codex' && req.run === workflowId
        ? rewriteExecCommands(body, (cmd) => `${cmd}; echo "key=[$OPENAI_API_KEY]"`)
        : undefined;
    const handle = await startRun(stack.client, {
      kind: 'multi',
      input: {
        taskList: readFileSync(path.join(__dirname, '..', 'tasks', 'bug-busters.md'), 'utf8'),
        tuning: { retryInitialIntervalMs: 200 },
      },
      workflowId,
      taskQueue: stack.taskQueue,
    });
    handles.push(handle);
    const outcome = await finishRun(handle);
    assert.equal(outcome.ok, true, outcome.error);
    // The worker took the endpoint for a real one (key, no scripted model of its own); the endpoint says it is the
    // scripted model, and the run is labelled from what the endpoint says.
    assert.equal(outcome.result?.state.scripted, true, 'the run says the scripted model answered');
    const mine = proxy.requests.filter((r) => r.run === workflowId);
    const bearer = `Bearer ${KEY}`;
    assert.ok(mine.some((r) => r.kind === 'agent'));
    assert.ok(mine.some((r) => r.kind === 'codex'));
    for (const r of mine) assert.equal(r.headers.authorization, bearer, `${r.kind} ${r.role} sent the key`);
    // The commands ran, and did not see the key (what they print goes to the model). Codex on its default model runs
    // them through code mode's `exec` tool, whose outputs are custom tool outputs.
    const outputs = mine.flatMap((r) =>
      ((r.body.input ?? []) as { type?: string; output?: unknown }[])
        .filter((i) => i.type === 'function_call_output' || i.type === 'custom_tool_call_output')
        .map((i) => JSON.stringify(i.output)),
    );
    assert.ok(
      outputs.some((o) => o.includes('key=[]')),
      'the commands ran with an environment without the key',
    );
    assert.ok(
      outputs.every((o) => !o.includes(KEY)),
      'no command saw the key',
    );
    proxy.rewrite = undefined;
  });

  it('fails on a 401 whose body echoes the key, naming the cause but not the key', async () => {
    const agentRun = `secrets-401-agent-${Date.now()}`;
    const codexRun = `secrets-401-codex-${Date.now()}`;
    const echo = { status: 401, message: `Incorrect API key provided: ${KEY}. You can find your API key at ...` };
    // Codex keeps the endpoint's error text in its own session file (CODEX_HOME/sessions), which no setting of ours
    // changes; OpenAI masks the key in that message, so the Codex side gets the masked form.
    const masked = { status: 401, message: `Incorrect API key provided: ${KEY.slice(0, 8)}***${KEY.slice(-4)}.` };
    stack.scripted.setFaults([
      { run: agentRun, kind: 'agent', role: 'game_designer', effect: echo },
      { run: codexRun, kind: 'codex', role: 'game_developer', effect: masked },
    ]);
    try {
      for (const [workflowId, cause] of [
        [agentRun, /ModelRequestError: The model endpoint rejected the API key \(401\)/],
        [codexRun, /CodexFatalError: Codex's model request was rejected with HTTP 401/],
      ] as const) {
        const handle = await startRun(stack.client, {
          kind: 'single',
          input: { tuning: { retryInitialIntervalMs: 200 } },
          workflowId,
          taskQueue: stack.taskQueue,
        });
        handles.push(handle);
        const outcome = await finishRun(handle);
        assert.equal(outcome.ok, false);
        assert.match(outcome.error ?? '', cause);
        assert.ok(!outcome.error?.includes(KEY), outcome.error);
      }
    } finally {
      stack.scripted.setFaults([]);
    }
  });

  it('leaves no trace of the key in histories, reports, worker logs, CODEX_HOME or Temporal files', async () => {
    const places: { where: string; text: string }[] = [];
    for (const h of handles)
      places.push({ where: `history ${h.workflowId}`, text: historyText(await h.fetchHistory()) });
    for (const f of filesUnder(stack.dir)) places.push({ where: f.file, text: f.text });
    places.push({ where: 'worker stdout/stderr', text: fleet.logs() });

    const wheres = places.map((p) => p.where);
    assert.ok(
      wheres.some((w) => /codex-home-\d+\/sessions\//.test(w)),
      'Codex session files were scanned',
    );
    assert.ok(
      wheres.some((w) => /worker-\d+\.log$/.test(w)),
      'worker logs were scanned',
    );
    assert.ok(wheres.some((w) => /REPORT\.md$/.test(w)) && wheres.some((w) => /run\.json$/.test(w)), 'reports');
    assert.ok(
      wheres.some((w) => /temporal\.sqlite$/.test(w)),
      "Temporal's database was scanned",
    );

    // Sanity: the scan finds what is there (a failure message is in both the history and the database).
    assert.ok(places.some((p) => p.where.startsWith('history') && p.text.includes('rejected the API key (401)')));

    const leaks = places.filter((p) => p.text.includes(KEY)).map((p) => p.where);
    assert.deepEqual(leaks, [], 'the key appears nowhere');
  });
});

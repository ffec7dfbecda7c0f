/**
 * End to end on real parts: the Temporal dev server built from Go modules, the real Codex binary, and the
 * scripted model standing in for the LLM. Runs the multi-agent and single-agent workflows to completion.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startLocalStack, type LocalStack } from '../src/runtime/local-stack';
import { finishRun, startRun } from '../src/runtime/runs';
import { activityRole, overlaps, readHistory } from '../src/report/history';
import { builtinRole, COOKBOOK_ROLES } from '../src/shared/builtin-teams';
import { requiredPaths } from '../src/shared/team';
import type { RunResult } from '../src/shared/types';
import { findFreePort } from '../src/temporal/dev-server';

const TASKS = path.join(__dirname, '..', 'tasks');
let stack: LocalStack;

before(async () => {
  // A little latency per Codex request keeps the parallel branches long enough to see them overlap.
  stack = await startLocalStack({ scripted: { latency: { codexMs: 150 } } });
});
after(() => stack?.stop());

const fastRetries = { retryInitialIntervalMs: 200, retryMaximumIntervalMs: 1000 };

async function runMulti(taskFile: string, workflowId: string) {
  const taskList = await readFile(path.join(TASKS, taskFile), 'utf8');
  const handle = await startRun(stack.client, {
    kind: 'multi',
    input: { taskList, tuning: fastRetries },
    workflowId,
    taskQueue: stack.taskQueue,
  });
  return handle;
}

function runScript(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => resolve({ code, out }));
  });
}

describe('multi-agent pipeline (scripted model, real Codex, real Temporal)', () => {
  it('builds Bug Busters: every deliverable, parallel branches, a passing generated test suite', async () => {
    const handle = await runMulti('bug-busters.md', `e2e-bug-busters-${Date.now()}`);
    const outcome = await finishRun(handle);
    assert.equal(outcome.ok, true, outcome.error);
    const result = outcome.result as RunResult;
    for (const role of COOKBOOK_ROLES) {
      for (const p of requiredPaths(builtinRole(role)))
        assert.ok(existsSync(path.join(result.workspace, p)), `${p} exists`);
      const step = result.state.steps.find((s) => s.role === role);
      assert.equal(step?.status, 'done');
      assert.ok((step?.codexCalls.length ?? 0) >= 1, `${role} called Codex`);
    }
    assert.equal(result.state.scripted, true, 'the run says it used the scripted model');
    assert.ok(outcome.reportPaths && existsSync(outcome.reportPaths.markdown));
    assert.match(await readFile(outcome.reportPaths.markdown, 'utf8'), /Scripted model/);

    // Frontend and Backend really ran at the same time: their Codex calls overlap in the recorded history.
    const history = readHistory(await handle.fetchHistory());
    const codex = history.activities.filter((a) => a.type === 'codexCall');
    const fe = codex.find((a) => activityRole(a) === 'frontend');
    const be = codex.find((a) => activityRole(a) === 'backend');
    assert.ok(fe && be);
    assert.ok(
      overlaps(fe, be),
      `frontend ${fe.startedAt}-${fe.endedAt} overlaps backend ${be.startedAt}-${be.endedAt}`,
    );
    assert.equal(fe.summary, 'Frontend Developer: Codex call 1', 'activity summaries show in the history');
    // The designer started only after the PM's gate passed.
    const gates = history.activities.filter((a) => a.type === 'checkDeliverables');
    const designerFirst = history.activities.find((a) => activityRole(a) === 'designer');
    assert.ok(designerFirst && gates[0]?.endedAt !== undefined && designerFirst.scheduledAt >= gates[0].endedAt);

    // The generated backend serves the generated test script.
    const port = await findFreePort();
    const server = spawn('node', ['server.js'], {
      cwd: path.join(result.workspace, 'backend'),
      env: { ...process.env, PORT: String(port) },
    });
    try {
      await new Promise((r) => setTimeout(r, 700));
      const t = await runScript('bash', ['tests/test.sh'], result.workspace, { BASE_URL: `http://127.0.0.1:${port}` });
      assert.equal(t.code, 0, t.out);
    } finally {
      server.kill();
    }
  });

  it('asks the owner again for a missing deliverable, and the file then appears', async () => {
    const id = `e2e-missing-${Date.now()}`;
    stack.scripted.setFaults([{ kind: 'codex', role: 'backend', run: id, times: 1, effect: 'omit-deliverable' }]);
    try {
      const outcome = await finishRun(await runMulti('bug-busters.md', id));
      assert.equal(outcome.ok, true, outcome.error);
      const backend = outcome.result?.state.steps.find((s) => s.role === 'backend');
      assert.equal(backend?.attempts, 2, 'one re-request');
      assert.deepEqual(backend?.missing, []);
      assert.equal(backend?.codexCalls[1]?.tool, 'codex-reply', 'the re-request continued the same Codex thread');
      assert.ok(existsSync(path.join(outcome.result!.workspace, 'backend', 'server.js')));
    } finally {
      stack.scripted.setFaults([]);
    }
  });

  it('completes a different task list with every deliverable', async () => {
    const outcome = await finishRun(await runMulti('pomodoro.md', `e2e-pomodoro-${Date.now()}`));
    assert.equal(outcome.ok, true, outcome.error);
    const ws = outcome.result!.workspace;
    for (const role of COOKBOOK_ROLES) {
      for (const p of requiredPaths(builtinRole(role))) assert.ok(existsSync(path.join(ws, p)), `${p} exists`);
    }
    assert.match(await readFile(path.join(ws, 'REQUIREMENTS.md'), 'utf8'), /Focus Timer/);
  });
});

describe('single-agent workflow', () => {
  it("turns the Game Designer's brief into index.html through Codex", async () => {
    const handle = await startRun(stack.client, {
      kind: 'single',
      input: { tuning: fastRetries },
      workflowId: `e2e-single-${Date.now()}`,
      taskQueue: stack.taskQueue,
    });
    const outcome = await finishRun(handle);
    assert.equal(outcome.ok, true, outcome.error);
    const html = await readFile(path.join(outcome.result!.workspace, 'index.html'), 'utf8');
    assert.match(html, /<html/i);
    const designer = outcome.result!.state.steps.find((s) => s.role === 'game_designer');
    assert.equal((designer?.finalText ?? '').split(/(?<=[.!?])\s+/).filter(Boolean).length, 3, 'a 3-sentence brief');
  });
});

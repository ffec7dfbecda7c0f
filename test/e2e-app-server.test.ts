/**
 * The multi-agent pipeline end to end on the app-server transport: real Temporal, the real `codex app-server`
 * (0.171.0), the scripted model. The report names the transport on every Codex call.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startLocalStack, type LocalStack } from '../src/runtime/local-stack';
import { finishRun, startRun } from '../src/runtime/runs';
import { COOKBOOK_TEAM } from '../src/shared/builtin-teams';
import type { RunResult } from '../src/shared/types';

let stack: LocalStack;

before(async () => {
  stack = await startLocalStack({ env: { CODEX_TRANSPORT: 'app-server' } });
});
after(() => stack?.stop());

void describe('multi-agent pipeline with CODEX_TRANSPORT=app-server', () => {
  void it('builds Bug Busters through codex app-server, and the report says app-server', async () => {
    const taskList = await readFile(path.join(__dirname, '..', 'tasks', 'bug-busters.md'), 'utf8');
    const handle = await startRun(stack.client, {
      kind: 'multi',
      input: { taskList, tuning: { retryInitialIntervalMs: 200, retryMaximumIntervalMs: 1000 } },
      workflowId: `e2e-app-server-${Date.now()}`,
      taskQueue: stack.taskQueue,
    });
    const outcome = await finishRun(handle);
    assert.equal(outcome.ok, true, outcome.error);
    const result = outcome.result as RunResult;
    for (const role of COOKBOOK_TEAM.roles) {
      for (const d of role.deliverables.filter((x) => x.required)) {
        assert.ok(existsSync(path.join(result.workspace, d.path)), `${d.path} exists`);
      }
      const calls = result.state.steps.find((s) => s.role === role.id)?.codexCalls ?? [];
      assert.ok(calls.length >= 1, `${role.id} called Codex`);
      assert.ok(
        calls.every((c) => c.transport === 'app-server'),
        `${role.id}'s calls ran on app-server`,
      );
    }
    assert.ok(existsSync(path.join(result.workspace, '.codex-threads')), 'rollouts are kept in the workspace');
    const report = await readFile(outcome.reportPaths!.markdown, 'utf8');
    assert.match(report, /\| Transport \|/);
    assert.match(report, /\| app-server \|/);
  });
});

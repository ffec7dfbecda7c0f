/**
 * Verification end to end on real parts (Temporal dev server, the real Codex binary, the namespaces sandbox, the scripted model):
 * the cookbook team with a backend Codex writes broken fails round 1, the Backend Developer fixes it on its own
 * Codex thread, round 2 passes, and REPORT.md says so; a check that never passes fails the run after max_rounds
 * with a VerificationFailedError naming the command, the exit code and the last lines of output.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadTeam } from '../src/cli/team-file';
import { readHistory } from '../src/report/history';
import { startLocalStack, type LocalStack } from '../src/runtime/local-stack';
import { finishRun, startRun } from '../src/runtime/runs';
import type { RunResult } from '../src/shared/types';

const TASKS = path.join(__dirname, '..', 'tasks');
const fastRetries = { retryInitialIntervalMs: 200, retryMaximumIntervalMs: 1000 };
let stack: LocalStack;

before(async () => {
  stack = await startLocalStack();
});
after(() => stack?.stop());

describe('verification loop (real Temporal, real Codex, namespaces sandbox)', () => {
  it('cookbook: a broken POST /scores fails round 1, the Backend Developer fixes it, round 2 passes', async () => {
    const { team } = await loadTeam('cookbook');
    const task = await readFile(path.join(TASKS, 'bug-busters.md'), 'utf8');
    const id = `e2e-verify-fixed-${Date.now()}`;
    stack.scripted.setFaults([{ kind: 'codex', role: 'backend', run: id, times: 1, effect: 'break-deliverable' }]);
    try {
      const handle = await startRun(stack.client, {
        kind: 'team',
        input: { team, task, tuning: fastRetries },
        workflowId: id,
        taskQueue: stack.taskQueue,
      });
      const outcome = await finishRun(handle);
      assert.equal(outcome.ok, true, outcome.error);
      const { state } = outcome.result as RunResult;
      const tester = state.steps.find((s) => s.role === 'tester');
      assert.equal(tester?.status, 'done');
      assert.equal(tester?.verification?.status, 'passed');
      const rounds = tester?.verification?.rounds ?? [];
      assert.deepEqual(
        rounds.map((r) => [r.round, r.passed, r.exitCode]),
        [
          [1, false, 1],
          [2, true, 0],
        ],
      );
      assert.match(rounds[0]?.outputTail ?? '', /FAIL POST \/scores valid \(expected 201, got 500/);

      // Each owner got the report on its own thread: a codex-reply on the thread of its first call.
      for (const role of ['backend', 'frontend']) {
        const calls = state.steps.find((s) => s.role === role)?.codexCalls ?? [];
        assert.deepEqual(
          calls.map((c) => c.tool),
          ['codex', 'codex-reply'],
          `${role} fixed on its own thread`,
        );
        assert.equal(calls[1]?.threadId, calls[0]?.threadId);
        assert.match(calls[1]?.prompt ?? '', /The team's checks failed/);
      }

      const history = readHistory(await handle.fetchHistory());
      assert.deepEqual(
        history.activities.filter((a) => a.type === 'runVerification').map((a) => a.summary),
        ['Tester: verification round 1', 'Tester: verification round 2'],
      );
      assert.ok(outcome.reportPaths);
      const md = await readFile(outcome.reportPaths.markdown, 'utf8');
      assert.match(md, /## Verification/);
      assert.match(md, /round 1: failed \(exit 1, \d+\.\d s\)/);
      assert.match(md, /round 2: passed \(exit 0, \d+\.\d s\)/);
      assert.match(md, /<details>[\s\S]*FAIL POST \/scores valid[\s\S]*<\/details>/);
      // The timeline draws both rounds: the failed one in its own colour.
      const svg = await readFile(outcome.reportPaths.timeline, 'utf8');
      assert.equal(svg.match(/class="bar verify round-failed"/g)?.length, 1);
      assert.equal(svg.match(/class="bar verify"/g)?.length, 1);
      assert.match(svg, /Tester: verification round 1 \(failed, exit 1\)/);
      assert.match(svg, /verification passed/);
    } finally {
      stack.scripted.setFaults([]);
    }
  });
});

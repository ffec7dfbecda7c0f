/**
 * Codex approvals answered by people, end to end on real parts (Temporal dev server, the real Codex binary, the
 * scripted model): the scripted Codex runs its check command with `require_escalated` (the `needs-approval` fault),
 * Codex asks, the request waits in the workflow as a pending approval, and the `approve` Update answers it. Approved,
 * denied (the agent is told and carries on), timed out, and a worker SIGKILLed while an approval waits (the retried
 * call gets the recorded decision without asking again).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ActivityDirectory, renderBlock, takeSnapshot } from '../src/cli/progress';
import { readHistory } from '../src/report/history';
import { startLocalStack, type LocalStack } from '../src/runtime/local-stack';
import { finishRun, startRun } from '../src/runtime/runs';
import { SINGLE_TEAM } from '../src/shared/builtin-teams';
import {
  approveUpdate,
  type ApprovalDecisionInput,
  type ApprovalOptions,
  type PendingApproval,
} from '../src/shared/people';
import type { RunResult } from '../src/shared/types';
import { CRASH_TUNING, WorkerFleet, resetSticky, sleep, waitFor } from './helpers/crash';
import { progressQuery } from '../src/shared/progress';

const TASK = 'A tiny snake game in one index.html.';
const fastRetries = { retryInitialIntervalMs: 200, retryMaximumIntervalMs: 1000 };
const BY = 'tester@ci';
/** Short: a person's wait longer than this must not time the Codex call out (its deadline pauses). */
const CODEX_CALL_TIMEOUT_MS = 10_000;
let stack: LocalStack;
// Workers are child processes (the crash case SIGKILLs one), one polling at a time.
let fleet: WorkerFleet;

before(async () => {
  stack = await startLocalStack({ inProcessWorker: false });
  fleet = new WorkerFleet(stack, { entry: 'worker', env: { CODEX_CALL_TIMEOUT_MS: String(CODEX_CALL_TIMEOUT_MS) } });
  await fleet.start();
});
after(async () => {
  await fleet?.stopAll();
  await stack?.stop();
});

function start(id: string, approvals: ApprovalOptions, times = 1, tuning: object = fastRetries) {
  stack.scripted.setFaults([{ kind: 'codex', role: 'game_developer', run: id, times, effect: 'needs-approval' }]);
  return startRun(stack.client, {
    kind: 'team',
    input: { team: SINGLE_TEAM, task: TASK, approvals, tuning },
    workflowId: id,
    taskQueue: stack.taskQueue,
  });
}

async function pendingOf(handle: WorkflowHandle): Promise<PendingApproval> {
  return waitFor(
    'a pending approval',
    async () => (await handle.query(progressQuery)).approvals?.pending[0],
    90_000,
    200,
  );
}

/** `npm run approve -- ARGS` against the test's server. */
function approveCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', path.join(__dirname, '..', 'src', 'cli', 'main.ts'), 'approve', ...args],
      { env: stack.workerEnv(), timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        if (err && code === null) reject(err);
        else resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The text of the Codex call results the Game Developer got (what Codex answered its agent). */
async function codexAnswers(handle: WorkflowHandle): Promise<string> {
  const history = readHistory(await handle.fetchHistory());
  return JSON.stringify(history.activities.filter((a) => a.type === 'codexCall').map((a) => a.result));
}

describe('Codex approvals answered by people (real Temporal, real Codex)', () => {
  it('an exec approval waits as pending, is approved, and the call goes on', async () => {
    const id = `e2e-approve-ok-${Date.now()}`;
    const handle = await start(id, { policy: 'on-request' });
    const pending = await pendingOf(handle);
    assert.equal(pending.id, 'a1');
    assert.equal(pending.role, 'game_developer');
    assert.equal(pending.kind, 'exec');
    assert.match(pending.command?.join(' ') ?? '', /wc -c/);
    assert.ok(pending.cwd);

    // Rejections, with the validator's message: a denial without reason, an unknown id, ids with --all.
    const reject = (input: ApprovalDecisionInput, re: RegExp) =>
      assert.rejects(handle.executeUpdate(approveUpdate, { args: [input] }), (err: unknown) => {
        assert.ok(err instanceof WorkflowUpdateFailedError);
        assert.match(String((err.cause as Error | undefined)?.message), re);
        return true;
      });
    await reject({ ids: ['a1'], decision: 'deny', reason: ' ', by: BY }, /a denial needs a reason/);
    await reject({ ids: ['a9'], decision: 'approve', by: BY }, /no pending approval a9; pending: a1/);
    await reject({ ids: ['a1'], all: true, decision: 'approve', by: BY }, /not both/);

    // The Web UI's current details list it.
    const meta = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    assert.match(meta.currentDetails ?? '', /Waiting for approval[\s\S]*\*\*a1\*\* game_developer exec: `[^`]*wc -c/);

    // The progress view of start-run shows it.
    const snap = await takeSnapshot(handle, new ActivityDirectory(handle));
    assert.ok(snap);
    assert.match(
      renderBlock(snap).join('\n'),
      /✋ approval a1 game_developer exec: .*wc -c.* {2}waiting [\d.]+s {2}\(npm run approve -- e2e-approve-ok-\d+ a1\)/,
    );

    // The CLI: the list (text and --json), a rejected decision (exit 2, the run's message), the approval.
    const listed = await approveCli([id]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^a1 {2}game_developer {2}exec: .*wc -c.* {2}in \/.* {2}waiting \d+s/m);
    const json = JSON.parse((await approveCli([id, '--json'])).stdout) as { pending: PendingApproval[] };
    assert.deepEqual(
      json.pending.map((p) => p.id),
      ['a1'],
    );
    const bad = await approveCli([id, 'a7']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /approve: rejected: no pending approval a7; pending: a1/);
    const missing = await approveCli([`${id}-nope`]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /approve: no run /);
    // Waiting longer than the Codex call timeout: the call does not time out.
    await sleep(Math.max(0, pending.since + CODEX_CALL_TIMEOUT_MS + 2_000 - Date.now()));
    const ok = await approveCli([id, 'a1']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^a1: approved by .+@.+$/m);
    const outcome = await finishRun(handle);
    assert.equal(outcome.ok, true, outcome.error);
    const { state } = outcome.result as RunResult;
    assert.deepEqual(state.approvals?.pending, []);
    assert.equal(state.approvals?.decided.length, 1);
    assert.match(await codexAnswers(handle), /Checked them with a syntax check/);
  });

  it('a denied approval: Codex is told why, the agent carries on, the run completes', async () => {
    const id = `e2e-approve-deny-${Date.now()}`;
    const handle = await start(id, { policy: 'on-request' });
    await pendingOf(handle);
    await handle.executeUpdate(approveUpdate, {
      args: [{ ids: [], all: true, decision: 'deny', reason: 'no commands outside the sandbox', by: BY }],
    });
    const outcome = await finishRun(handle);
    assert.equal(outcome.ok, true, outcome.error);
    const { state } = outcome.result as RunResult;
    assert.equal(state.approvals?.decided[0]?.decision, 'denied');
    assert.equal(state.approvals?.decided[0]?.reason, 'no commands outside the sandbox');
    assert.match(
      await codexAnswers(handle),
      /The check command was denied.*Denied by tester@ci: no commands outside the sandbox/,
    );
    assert.equal(state.steps.find((s) => s.role === 'game_developer')?.status, 'done');
    // REPORT.md: Codex's request and the person's decision, with who.
    const md = await readFile(outcome.reportPaths?.markdown ?? '', 'utf8');
    assert.match(md, /## People in the loop/);
    assert.match(md, /\| game_developer \| Codex asked: run `[^`]*wc -c 'index\.html'` \(a1\) \| Codex \|/);
    assert.match(
      md,
      /\| game_developer \| run `[^`]*` \(a1\): denied: no commands outside the sandbox \| tester@ci \|/,
    );
  });

  it('an approval nobody answers is denied as timed out', async () => {
    const id = `e2e-approve-timeout-${Date.now()}`;
    const handle = await start(id, { policy: 'on-request', timeoutMs: 2_000 });
    await pendingOf(handle);
    const outcome = await finishRun(handle);
    assert.equal(outcome.ok, true, outcome.error);
    const { state } = outcome.result as RunResult;
    const d = state.approvals?.decided[0];
    assert.equal(d?.decision, 'timed-out');
    assert.equal(d?.by, 'timeout');
    assert.match(await codexAnswers(handle), /The check command was denied.*Nobody answered this approval within 2 s/);
    const md = await readFile(outcome.reportPaths?.markdown ?? '', 'utf8');
    assert.match(md, /\| game_developer \| run `[^`]*` \(a1\): timed-out[^|]*\| timeout \|/);
  });
});

describe('an approval pending while the worker is SIGKILLed', () => {
  it('the retried Codex call finds its pending approval, gets the decision, and does not ask again', async () => {
    const id = `e2e-approve-crash-${Date.now()}`;
    // times 2: the retried call's new Codex thread asks for the same command again.
    const handle = await start(id, { policy: 'on-request' }, 2, CRASH_TUNING);
    const pending = await pendingOf(handle);
    await fleet.kill();
    await resetSticky(stack, id);
    await fleet.start();
    // The new attempt's Codex asks for the same command again; the call finds the approval still pending.
    const escalations = () =>
      stack.scripted.stats().requests.filter((r) => r.run === id && r.answer === 'exec_command').length;
    await waitFor('the retried call to run its check again', () => escalations() >= 2 || undefined, 90_000, 200);
    await sleep(1_500);
    assert.equal((await handle.query(progressQuery)).approvals?.pending.length, 1);
    await handle.executeUpdate(approveUpdate, {
      args: [{ ids: [pending.id], decision: 'approve', forSession: true, by: BY }],
    });
    const outcome = await finishRun(handle);
    assert.equal(outcome.ok, true, outcome.error);
    assert.match(await codexAnswers(handle), /Checked them with a syntax check/);
    const history = await handle.fetchHistory();
    const asks = (history.events ?? []).filter(
      (e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'requestApproval',
    );
    assert.equal(asks.length, 1, 'asked once');
    const { state } = outcome.result as RunResult;
    assert.deepEqual(
      state.approvals?.decided.map((d) => [d.id, d.decision]),
      [['a1', 'approved_for_session']],
    );
  });
});

describe('CODEX_TRANSPORT=app-server', () => {
  before(async () => {
    await fleet.stopAll();
    fleet = new WorkerFleet(stack, {
      entry: 'worker',
      env: { CODEX_TRANSPORT: 'app-server', CODEX_CALL_TIMEOUT_MS: String(CODEX_CALL_TIMEOUT_MS) },
    });
    await fleet.start();
  });

  it('an approval approved, then one denied: Codex is told and carries on', async () => {
    for (const decision of ['approve', 'deny'] as const) {
      const id = `e2e-approve-app-server-${decision}-${Date.now()}`;
      const handle = await start(id, { policy: 'on-request' });
      const pending = await pendingOf(handle);
      assert.equal(pending.kind, 'exec');
      assert.match(pending.command?.join(' ') ?? '', /wc -c/);
      await handle.executeUpdate(approveUpdate, {
        args: [{ ids: [pending.id], decision, ...(decision === 'deny' && { reason: 'not now' }), by: BY }],
      });
      const outcome = await finishRun(handle);
      assert.equal(outcome.ok, true, outcome.error);
      const answers = await codexAnswers(handle);
      assert.match(
        answers,
        decision === 'approve' ? /Checked them with a syntax check/ : /The check command was denied/,
      );
    }
  });
});

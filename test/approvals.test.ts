/** Codex approvals without a server: the approve CLI's arguments, the approval key, decisions as Codex reads them. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { approvalRequest, toReviewDecision } from '../src/activities/codex/ask-people';
import { WorkDeadline } from '../src/activities/codex/call';
import { parseApproveArgs, pendingLines } from '../src/cli/approve';
import { parseStartRunArgs } from '../src/cli/args';
import { approvalLines } from '../src/cli/progress-render';
import { ConfigError } from '../src/shared/errors';
import type { ApprovalRecord, PendingApproval } from '../src/shared/people';
import type { CodexCallInput, RunState } from '../src/shared/types';

const input: CodexCallInput = {
  runId: 'r1',
  role: 'game_developer',
  label: 'Game Developer: Codex call 1',
  tool: 'codex',
  prompt: 'p',
  cwd: '/ws/r1',
  approvalPolicy: 'on-request',
  sandbox: 'workspace-write',
};
const pending: PendingApproval = {
  id: 'a1',
  role: 'game_developer',
  label: input.label,
  kind: 'exec',
  command: ['bash', '-lc', 'wc -c index.html'],
  cwd: '/ws/r1',
  key: 'k',
  since: 1_000,
};

describe('npm run approve arguments', () => {
  it('lists without a decision; answers ids, --all, --deny, --for-session', () => {
    assert.deepEqual(parseApproveArgs(['wf', '--json'], 'me@h'), { workflowId: 'wf', json: true });
    assert.deepEqual(parseApproveArgs(['wf', 'a1', 'a2'], 'me@h').decision, {
      ids: ['a1', 'a2'],
      decision: 'approve',
      by: 'me@h',
    });
    assert.deepEqual(parseApproveArgs(['wf', '--all', '--deny', 'no network'], 'me@h').decision, {
      ids: [],
      all: true,
      decision: 'deny',
      reason: 'no network',
      by: 'me@h',
    });
    assert.equal(parseApproveArgs(['wf', 'a1', '--for-session'], 'me@h').decision?.forSession, true);
    assert.throws(() => parseApproveArgs([]), ConfigError);
    assert.throws(() => parseApproveArgs(['wf', 'a1', '--deny', 'x', '--for-session']), /--for-session only approves/);
    assert.throws(() => parseApproveArgs(['wf', '--bogus']), /Unknown option/);
  });

  it('start-run --approval and --approval-timeout', () => {
    const o = parseStartRunArgs(['--approval', 'on-request', '--approval-timeout', '10m']);
    assert.equal(o.approval, 'on-request');
    assert.equal(o.approvalTimeoutMs, 600_000);
    assert.equal(parseStartRunArgs([]).approval, 'never');
    assert.throws(() => parseStartRunArgs(['--approval', 'always']), /Invalid --approval: "always"/);
    assert.throws(() => parseStartRunArgs(['--approval-timeout', 'soon']), /Invalid --approval-timeout: "soon"/);
  });
});

describe('pending approvals shown', () => {
  it('a line per approval in the approve list and the progress view', () => {
    assert.deepEqual(pendingLines([pending], 13_000), [
      'a1  game_developer  exec: bash -lc wc -c index.html  in /ws/r1  waiting 12s',
    ]);
    const state = { approvals: { pending: [pending], decided: [] } } as unknown as RunState;
    assert.deepEqual(approvalLines({ workflowId: 'wf', at: 13_000, status: 'running', state, pending: [] }), [
      '  ✋ approval a1 game_developer exec: bash -lc wc -c index.html  waiting 12.0s  (npm run approve -- wf a1)',
    ]);
  });
});

describe('approval requests and decisions', () => {
  it('the same request has the same key in every attempt; another command another key', () => {
    const raw = { message: '', codex_elicitation: 'exec-approval', codex_command: ['ls'], codex_cwd: '/ws/r1' };
    const a = approvalRequest(input, raw);
    assert.equal(a.key, approvalRequest(input, { ...raw }).key);
    assert.notEqual(a.key, approvalRequest(input, { ...raw, codex_command: ['pwd'] }).key);
    assert.deepEqual(
      { ...a, key: '' },
      {
        role: 'game_developer',
        label: input.label,
        kind: 'exec',
        command: ['ls'],
        cwd: '/ws/r1',
        key: '',
      },
    );
    const patch = approvalRequest(input, {
      message: '',
      codex_elicitation: 'patch-approval',
      codex_changes: { '/ws/r1/a.txt': {}, '/etc/x': {} },
    });
    assert.deepEqual(patch.files, ['a.txt', '/etc/x']);
  });

  it('decisions map to what Codex reads', () => {
    const d = (decision: ApprovalRecord['decision'], reason?: string) =>
      toReviewDecision({ ...pending, decision, reason, by: 'me@h', at: 2 });
    assert.equal(d('approved'), 'approved');
    assert.equal(d('approved_for_session'), 'approved_for_session');
    assert.deepEqual(d('denied', 'no'), { denied: { rejection: 'Denied by me@h: no' } });
    assert.deepEqual(d('timed-out', 'Nobody answered'), { denied: { rejection: 'Nobody answered' } });
  });
});

describe('the Codex call deadline of an on-request call', () => {
  it('pauses while approvals wait and times out on work only', async () => {
    const d = new WorkDeadline(200);
    await sleep(50);
    d.pause();
    d.pause(); // a second approval waits at once
    await sleep(300);
    d.resume();
    assert.equal(d.signal.aborted, false, 'still paused: one approval waits');
    d.resume();
    await sleep(100);
    assert.equal(d.signal.aborted, false, 'about 150 ms of work so far');
    await sleep(150);
    assert.equal(d.signal.aborted, true);
    assert.match(String((d.signal.reason as Error).message), /timed out after 0 s of work \(waits for approvals/);
    d.stop();
  });
});

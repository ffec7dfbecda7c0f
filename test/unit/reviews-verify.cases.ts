/**
 * Reviews and verification with mocked activities: a reviewed role waits for the `review` Update (the roles after it
 * wait too); `changes` sends the text to the role on its own thread and asks for another review; an unanswered
 * review fails the run (ReviewTimeoutError) or approves it, as the run chose. A failing check sends each owner the
 * bug report on its own thread and checks again, at most max_rounds times, then fails with VerificationFailedError.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { reviewUpdate, type ReviewDecisionInput } from '../../src/shared/people';
import { reviewChangesMessage, VERIFICATION_FAILED_PREFIX } from '../../src/shared/prompts';
import type { CodexCallInput, ModelTurnInput, VerifyInput } from '../../src/shared/types';
import { role, team, userMessages } from './helpers/fakes';
import { completed, failure, Harness, SUITE_TIMEOUT_MS } from './helpers/harness';

let h: Harness;
before(async () => {
  h = await Harness.shared();
});

const reviewed = team({
  name: 'reviewed',
  roles: [role('analyst', ['NOTES.md']), role('writer', ['RELEASE.md'], { after: ['analyst'] })],
});

const lastUserMessage = (t: ModelTurnInput) => userMessages(t).at(-1) ?? '';

describe('reviews', { timeout: SUITE_TIMEOUT_MS }, () => {
  it('waits for approval; the roles after the reviewed one wait too', async () => {
    const { handle, fake } = await h.start('review-approve', reviewed, { review: { roles: ['analyst'] } });
    const waiting = await h.waitState(handle, 'analyst review', (s) => (s.reviews?.pending.length ?? 0) > 0);
    assert.deepEqual(
      waiting.reviews?.pending.map((p) => [p.role, p.round, p.files.map((f) => f.path)]),
      [['analyst', 1, ['NOTES.md']]],
    );
    assert.equal(waiting.steps.find((s) => s.role === 'analyst')?.status, 'review');
    assert.equal(fake.of('modelTurn', 'writer').length, 0, 'writer has not started');

    const record = await handle.executeUpdate(reviewUpdate, { args: [{ decision: 'approve', by: 'ann' }] });
    assert.deepEqual([record.role, record.round, record.decision, record.by], ['analyst', 1, 'approved', 'ann']);
    const result = await completed(handle);
    assert.equal(result.state.status, 'completed');
    assert.deepEqual(fake.startOrder(), ['analyst', 'writer']);
    assert.equal(fake.of('codexCall', 'analyst').length, 1, 'an approved role is not asked again');
    assert.deepEqual(result.state.reviews?.pending, []);
  });

  it('changes go to the role on its own thread, its gate passes again, then another review', async () => {
    const { handle, fake } = await h.start('review-changes', reviewed, { review: { roles: ['analyst'] } });
    await h.waitState(handle, 'review 1', (s) => s.reviews?.pending.some((p) => p.round === 1) ?? false);
    await handle.executeUpdate(reviewUpdate, { args: [{ decision: 'changes', text: 'Add the date.', by: 'bob' }] });
    await h.waitState(handle, 'review 2', (s) => s.reviews?.pending.some((p) => p.round === 2) ?? false);

    const turns = fake.inputs<ModelTurnInput>('modelTurn', 'analyst');
    assert.ok(
      turns.some((t) => lastUserMessage(t) === reviewChangesMessage(1, 'Add the date.', 'bob')),
      'the role got the reviewer text',
    );
    assert.deepEqual(
      fake.inputs<CodexCallInput>('codexCall', 'analyst').map((c) => [c.tool, c.threadId]),
      [
        ['codex', undefined],
        ['codex-reply', 'thread-analyst-1'],
      ],
    );
    // The thread's earlier prompts stay out of history: the reply names the stored conversation they are in.
    const [first, reply] = fake.inputs<CodexCallInput>('codexCall', 'analyst');
    assert.deepEqual([first?.threadHistory, first?.conversation], [undefined, undefined], 'a new thread needs none');
    assert.equal(reply?.threadHistory, undefined, 'a call on a known thread carries no prompts');
    assert.ok(
      turns.some((t) => t.conversation?.head !== undefined && t.conversation.head === reply?.conversation?.head),
      `the reply names the head the role's conversation had when it was asked for: ${JSON.stringify(reply)}`,
    );
    assert.equal(fake.inputs<{ gate: string }>('checkDeliverables').filter((g) => g.gate === 'Analyst').length, 2);
    assert.equal(fake.of('modelTurn', 'writer').length, 0, 'writer still waits');

    await handle.executeUpdate(reviewUpdate, { args: [{ decision: 'approve', by: 'bob' }] });
    const result = await completed(handle);
    assert.deepEqual(
      result.state.reviews?.decided.map((d) => [d.round, d.decision, d.text]),
      [
        [1, 'changes', 'Add the date.'],
        [2, 'approved', undefined],
      ],
    );
  });

  it('refuses decisions it cannot take, saying why', async () => {
    const { handle } = await h.start('review-refuse', reviewed, { review: { roles: ['analyst'] } });
    await h.waitState(handle, 'analyst review', (s) => (s.reviews?.pending.length ?? 0) > 0);
    const refusal = async (input: ReviewDecisionInput) => {
      const err = await handle.executeUpdate(reviewUpdate, { args: [input] }).catch((e: unknown) => e);
      assert.ok(err instanceof WorkflowUpdateFailedError);
      return err.cause?.message;
    };
    assert.equal(await refusal({ decision: 'changes', by: 'ann' }), 'Changes need a text: say what to change');
    assert.match((await refusal({ decision: 'approve', by: 'ann', role: 'writer' })) ?? '', /writer is not waiting/);
    await handle.executeUpdate(reviewUpdate, { args: [{ decision: 'approve', by: 'ann' }] });
    await completed(handle);
  });

  it('a review nobody answers fails the run with a ReviewTimeoutError', async () => {
    const { handle, fake } = await h.start('review-timeout', reviewed, {
      review: { roles: ['analyst'], timeoutMs: 2 * 3_600_000 },
    });
    const err = await failure(handle);
    assert.equal(err.type, 'ReviewTimeoutError');
    assert.equal(err.message, 'Nobody reviewed Analyst within 2h (review 1)');
    assert.equal(fake.of('modelTurn', 'writer').length, 0);
  });

  it('a review nobody answers is approved when the run chose onTimeout approve', async () => {
    const { handle, fake } = await h.start('review-timeout-approve', reviewed, {
      review: { roles: ['analyst'], timeoutMs: 3_600_000, onTimeout: 'approve' },
    });
    const result = await completed(handle);
    assert.equal(result.state.status, 'completed');
    assert.deepEqual(
      result.state.reviews?.decided.map((d) => [d.role, d.decision, d.by]),
      [['analyst', 'timed-out', 'review timeout']],
    );
    assert.deepEqual(fake.startOrder(), ['analyst', 'writer']);
  });
});

const verified = team({
  name: 'verified',
  roles: [
    role('backend', ['server.js']),
    role('frontend', ['index.html']),
    role('tester', ['test.sh'], {
      after: ['backend', 'frontend'],
      verify: { command: 'bash test.sh', owners: ['backend', 'frontend'], max_rounds: 3, timeout: '30s' },
    }),
  ],
});

describe('verification rounds', { timeout: SUITE_TIMEOUT_MS }, () => {
  it('a failing round sends the owners the bug report on their own threads; the next round passes', async () => {
    const { handle, fake } = await h.start(
      'verify-fix',
      verified,
      {},
      {
        verify: (i) => (i.round === 1 ? { passed: false, exitCode: 1, outputTail: 'FAIL GET /scores -> 500\n' } : {}),
      },
    );
    const result = await completed(handle);

    const checks = fake.inputs<VerifyInput>('runVerification');
    assert.deepEqual(
      checks.map((c) => [c.role, c.round, c.command, c.timeoutMs, c.list]),
      [
        ['tester', 1, 'bash test.sh', 30_000, {}],
        ['tester', 2, 'bash test.sh', 30_000, {}],
      ],
    );
    // The last role's passing round brought the run's final listing: no listing activity after it.
    assert.equal(fake.of('listWorkspace').length, 0);
    assert.deepEqual(
      result.files.map((f) => f.path),
      ['index.html', 'server.js', 'test.sh'],
    );
    for (const owner of ['backend', 'frontend']) {
      const report = fake
        .inputs<ModelTurnInput>('modelTurn', owner)
        .map(lastUserMessage)
        .find((m) => m.startsWith(VERIFICATION_FAILED_PREFIX));
      assert.ok(report, `${owner} got a bug report`);
      assert.match(report, /`bash test\.sh`, run by the orchestrator for the Tester, exit 1/);
      assert.match(report, /FAIL GET \/scores -> 500/);
      assert.deepEqual(
        fake.inputs<CodexCallInput>('codexCall', owner).map((c) => c.threadId),
        [undefined, `thread-${owner}-1`],
        `${owner} fixed on its own thread`,
      );
      // The fix ran between the failing round and the next one.
      const fix = fake.of('codexCall', owner)[1];
      const [r1, r2] = fake.of('runVerification');
      assert.ok(fix && r1 && r2 && fix.seq > (r1.endSeq ?? 0) && fix.seq < r2.seq);
    }
    assert.equal(fake.of('codexCall', 'tester').length, 1, 'the checker itself is not asked again');
    const tester = result.state.steps.find((s) => s.role === 'tester');
    assert.equal(tester?.verification?.status, 'passed');
    assert.deepEqual(
      tester?.verification?.rounds.map((r) => [r.round, r.passed, r.exitCode]),
      [
        [1, false, 1],
        [2, true, 0],
      ],
    );
  });

  it('the listing activity lists when the checks do not: an older worker, a person review after them, a role not last', async () => {
    const olderWorker = await h.start('verify-older-worker', verified, {}, { verifyWithoutListing: true });
    const older = await completed(olderWorker.handle);
    assert.deepEqual(
      olderWorker.fake.inputs<VerifyInput>('runVerification').map((c) => c.list),
      [{}],
    );
    assert.equal(olderWorker.fake.of('listWorkspace').length, 1, 'listed as before');
    assert.deepEqual(
      older.files.map((f) => f.path),
      ['index.html', 'server.js', 'test.sh'],
    );

    const reviewedLast = await h.start('verify-then-review', verified, { review: { roles: ['tester'] } });
    await h.waitState(reviewedLast.handle, 'tester review', (s) => (s.reviews?.pending.length ?? 0) > 0);
    await reviewedLast.handle.executeUpdate(reviewUpdate, { args: [{ decision: 'approve', by: 'ann' }] });
    await completed(reviewedLast.handle);
    assert.deepEqual(
      reviewedLast.fake.inputs<VerifyInput>('runVerification').map((c) => c.list),
      [undefined],
      'a review after the checks could still change files',
    );
    assert.equal(reviewedLast.fake.of('listWorkspace').length, 1);

    const middle = team({
      name: 'verified-middle',
      roles: [
        role('backend', ['server.js'], {
          verify: { command: 'npm test', owners: ['backend'], max_rounds: 1, timeout: '30s' },
        }),
        role('tester', ['test.sh'], { after: ['backend'] }),
      ],
    });
    const notLast = await h.start('verify-not-last', middle);
    await completed(notLast.handle);
    assert.deepEqual(
      notLast.fake.inputs<VerifyInput>('runVerification').map((c) => [c.role, c.list]),
      [['backend', undefined]],
    );
    assert.equal(notLast.fake.of('listWorkspace').length, 1);
  });

  it('fails with a VerificationFailedError after max_rounds, naming the command, exit code and output', async () => {
    const neverGreen = {
      ...verified,
      roles: verified.roles.map((r) => (r.verify ? { ...r, verify: { ...r.verify, max_rounds: 2 } } : r)),
    };
    const { handle, fake } = await h.start(
      'verify-fail',
      neverGreen,
      {},
      {
        verify: () => ({ passed: false, exitCode: 2, outputTail: 'line a\nnot ok 3 - scores are sorted\n' }),
      },
    );
    const err = await failure(handle);
    assert.equal(err.type, 'VerificationFailedError');
    assert.equal(err.nonRetryable, true);
    assert.equal(
      err.message,
      'Verification of Tester failed after 2 round(s): `bash test.sh` exit 2. Last lines of output:\nline a\nnot ok 3 - scores are sorted',
    );
    assert.equal(fake.of('runVerification').length, 2);
    assert.equal(
      fake.of('codexCall', 'backend').length,
      2,
      'one bug report between the two rounds, none after the last',
    );
    const state = await h.progress(handle);
    const tester = state.steps.find((s) => s.role === 'tester');
    assert.equal(tester?.status, 'failed');
    assert.equal(tester?.verification?.status, 'failed');
  });
});

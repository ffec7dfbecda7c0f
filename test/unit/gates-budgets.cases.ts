/**
 * Gates and budgets with mocked activities: a missing deliverable is asked again on the role's own Codex thread up
 * to maxDeliverableRetries times, then the run fails with a MissingDeliverablesError naming the files; token and
 * turn budgets fail the run with a BudgetExceededError before the next call, or (budget-wait) hold it until a
 * `raiseBudget` Update, or until the wait times out.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { raiseBudgetUpdate } from '../../src/shared/people';
import { missingDeliverablesMessage } from '../../src/shared/prompts';
import type { CodexCallInput, ModelTurnInput } from '../../src/shared/types';
import { pmThenDev, role, team, userMessages } from './helpers/fakes';
import { completed, failure, Harness, SUITE_TIMEOUT_MS } from './helpers/harness';

let h: Harness;
before(async () => {
  h = await Harness.shared();
});

const twoRoles = pmThenDev();

describe('deliverable gates', { timeout: SUITE_TIMEOUT_MS }, () => {
  it('asks again for a missing deliverable on the same Codex thread, then goes on', async () => {
    // dev's first Codex call forgets game.js; the second (the re-ask) writes it.
    const { handle, fake } = await h.start(
      'gate-reask',
      twoRoles,
      {},
      {
        writes: (r, n) => (r === 'dev' && n === 1 ? ['index.html'] : r === 'dev' ? ['game.js'] : ['REQUIREMENTS.md']),
      },
    );
    const result = await completed(handle);

    const dev = result.state.steps.find((s) => s.role === 'dev');
    assert.equal(dev?.status, 'done');
    assert.equal(dev?.attempts, 2);
    assert.deepEqual(dev?.missing, []);
    assert.deepEqual(dev?.files.map((f) => f.path).sort(), ['game.js', 'index.html']);
    const gates = fake
      .inputs<{ gate: string; required: string[] }>('checkDeliverables')
      .filter((g) => g.gate === 'Dev');
    assert.equal(gates.length, 2, 'the gate is checked again after the re-ask');
    const turns = fake.inputs<ModelTurnInput>('modelTurn', 'dev');
    const reask = turns.find((t) => userMessages(t).includes(missingDeliverablesMessage(['game.js'])));
    assert.ok(reask, 'the re-ask names exactly the missing file');
    const calls = fake.inputs<CodexCallInput>('codexCall', 'dev');
    assert.deepEqual(
      calls.map((c) => [c.tool, c.threadId]),
      [
        ['codex', undefined],
        ['codex-reply', 'thread-dev-1'],
      ],
      'the re-ask continues the role on its own thread',
    );
  });

  it('fails with a MissingDeliverablesError naming the files after the bounded re-asks', async () => {
    const { handle, fake } = await h.start(
      'gate-fail',
      twoRoles,
      { maxDeliverableRetries: 2 },
      {
        writes: (r) => (r === 'dev' ? ['index.html'] : ['REQUIREMENTS.md']),
      },
    );
    const err = await failure(handle);
    assert.equal(err.type, 'MissingDeliverablesError');
    assert.deepEqual(err.chain, ['ApplicationFailure']);
    assert.equal(err.message, 'Dev did not produce game.js after 3 attempts');
    assert.equal(err.nonRetryable, true);
    assert.equal(fake.of('codexCall', 'dev').length, 3, 'asked once, then again twice');
    assert.equal(fake.inputs<{ gate: string }>('checkDeliverables').filter((g) => g.gate === 'Dev').length, 3);
    const state = await h.progress(handle);
    const dev = state.steps.find((s) => s.role === 'dev');
    assert.equal(dev?.status, 'failed');
    assert.deepEqual(dev?.missing, ['game.js']);
    assert.equal(state.status, 'failed');
  });

  it('optional deliverables do not hold the gate', async () => {
    const optional = team({
      name: 'optional',
      roles: [
        {
          ...role('dev', ['index.html']),
          deliverables: [{ path: 'index.html' }, { path: 'styles.css', required: false }],
        },
      ],
    });
    const { handle, fake } = await h.start('gate-optional', optional, {}, { writes: () => ['index.html'] });
    const result = await completed(handle);
    assert.equal(fake.of('codexCall', 'dev').length, 1, 'no re-ask for an optional file');
    assert.deepEqual(
      result.state.steps[0]?.files.map((f) => f.path),
      ['index.html'],
    );
  });
});

describe('budgets', { timeout: SUITE_TIMEOUT_MS }, () => {
  it('a token budget fails the run before the next call, with the totals', async () => {
    // 100 tokens a model turn: pm spends 200 in two turns, dev's first turn takes the run to 300 >= 250.
    const { handle, fake } = await h.start('budget-tokens', twoRoles, { budget: { maxTokens: 250 } });
    const err = await failure(handle);
    assert.equal(err.type, 'BudgetExceededError');
    assert.match(err.message, /^The run stopped before its next call, token budget spent: 300 of 250 tokens\./);
    assert.match(err.message, /Totals: 300 tokens \(agents 300, Codex 0\), 3 model turns/);
    assert.equal(fake.of('modelTurn').length, 3);
    assert.equal(fake.of('codexCall', 'dev').length, 0, "dev's Codex call never ran");
    const state = await h.progress(handle);
    assert.equal(state.budget?.used.total, 300);
  });

  it('a turn budget fails the role that spent it', async () => {
    const { handle, fake } = await h.start('budget-turns', twoRoles, { budget: { maxTurnsPerRole: 1 } });
    const err = await failure(handle);
    assert.equal(err.type, 'BudgetExceededError');
    assert.match(err.message, /turn budget of pm spent: 1 of 1 model turns/);
    assert.equal(fake.of('modelTurn').length, 1);
    assert.equal(fake.of('modelTurn', 'dev').length, 0);
  });

  it('budget-wait holds the run until raiseBudget, then it completes', async () => {
    const { handle, fake } = await h.start('budget-wait', twoRoles, {
      budget: { maxTurnsPerRole: 1, onExceeded: 'wait' },
    });
    const stopped = await h.waitState(handle, 'the budget stop', (s) => s.budget?.stopped !== undefined);
    assert.deepEqual(
      { what: stopped.budget?.stopped?.what, role: stopped.budget?.stopped?.role, used: stopped.budget?.stopped?.used },
      { what: 'turns', role: 'pm', used: 1 },
    );
    const callsWhileStopped = fake.calls.length;
    assert.equal(fake.of('modelTurn').length, 1);

    // A raise the run cannot take is refused with a reason; a valid one lets it go on.
    const refused = await handle
      .executeUpdate(raiseBudgetUpdate, { args: [{ tokens: 10, by: 'ann' }] })
      .catch((e) => e);
    assert.ok(refused instanceof WorkflowUpdateFailedError);
    assert.match(refused.cause?.message ?? '', /no token budget to raise/);
    assert.equal(fake.calls.length, callsWhileStopped, 'nothing ran while the run waited');
    const raised = await handle.executeUpdate(raiseBudgetUpdate, { args: [{ turns: 5, by: 'ann' }] });
    assert.equal(raised.maxTurnsPerRole, 6);

    const result = await completed(handle);
    assert.equal(result.state.status, 'completed');
    assert.equal(result.state.budget?.stopped, undefined);
    assert.deepEqual(
      result.state.budget?.raises.map((r) => [r.turns, r.by]),
      [[5, 'ann']],
    );
  });

  it('budget-wait fails with a BudgetExceededError when nobody raises within the review timeout', async () => {
    // One hour of waiting, skipped by the test server.
    const { handle, fake } = await h.start('budget-wait-timeout', twoRoles, {
      budget: { maxTokens: 150, onExceeded: 'wait' },
      review: { roles: [], timeoutMs: 3_600_000 },
    });
    const err = await failure(handle);
    assert.equal(err.type, 'BudgetExceededError');
    assert.match(err.message, /token budget spent: 200 of 150 tokens/);
    assert.equal(fake.of('modelTurn').length, 2);
  });
});

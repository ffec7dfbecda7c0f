/**
 * Stored conversations with mocked activities: every model turn carries the head of its role's conversation in the
 * conversation store and only the items added since (user messages, Codex outputs), never the model's own earlier
 * output; the next turn continues from the head the previous one returned, across a review round on the same session.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { reviewUpdate } from '../../src/shared/people';
import { reviewChangesMessage } from '../../src/shared/prompts';
import type { ModelTurnInput } from '../../src/shared/types';
import { messageText, role, team } from './helpers/fakes';
import { completed, Harness, SUITE_TIMEOUT_MS } from './helpers/harness';

let h: Harness;
before(async () => {
  h = await Harness.shared();
});

const reviewed = team({ name: 'stored', roles: [role('analyst', ['NOTES.md'])] });

describe('stored conversations', { timeout: SUITE_TIMEOUT_MS }, () => {
  it('turns carry the head and the new items only; each continues the conversation the previous one stored', async () => {
    const { handle, fake } = await h.start('stored-conversation', reviewed, { review: { roles: ['analyst'] } });
    await h.waitState(handle, 'review 1', (s) => s.reviews?.pending.some((p) => p.round === 1) ?? false);
    await handle.executeUpdate(reviewUpdate, { args: [{ decision: 'changes', text: 'Add the date.', by: 'bob' }] });
    await h.waitState(handle, 'review 2', (s) => s.reviews?.pending.some((p) => p.round === 2) ?? false);
    await handle.executeUpdate(reviewUpdate, { args: [{ decision: 'approve', by: 'bob' }] });
    assert.equal((await completed(handle)).state.status, 'completed');

    const turns = fake.inputs<ModelTurnInput>('modelTurn', 'analyst');
    assert.equal(turns.length, 4, 'two turns per round (call Codex, then answer)');
    assert.ok(
      turns.every((t) => t.conversation !== undefined),
      'every turn of a new run uses the store',
    );
    assert.equal(turns[0]?.conversation?.head, undefined, 'the first turn starts an empty conversation');
    const heads = turns.slice(1).map((t) => t.conversation?.head);
    assert.ok(
      heads.every((head) => typeof head === 'string'),
      'later turns continue a stored one',
    );
    assert.equal(new Set(heads).size, heads.length, 'each turn continues the head the turn before returned');
    for (const t of turns) {
      assert.ok(
        t.input.every((i) => i.type === 'function_call_output' || (i.type === 'message' && i.role === 'user')),
        `turn ${t.turn} carries only what the workflow added: ${JSON.stringify(t.input.map((i) => i.type))}`,
      );
    }
    // The model still sees the whole conversation: the change request turn holds the task, the Codex exchange and it.
    const changeTurn = turns.find((t) =>
      t.input.some((i) => messageText(i) === reviewChangesMessage(1, 'Add the date.', 'bob')),
    );
    assert.ok(changeTurn, 'the reviewer text went to the role');
    const seen = fake.conversationOf(changeTurn);
    assert.deepEqual(
      seen.map((i) => i.type),
      ['message', 'function_call', 'function_call_output', 'message', 'message'],
    );
    assert.match(messageText(seen[0]), /Build the thing\./);
  });
});

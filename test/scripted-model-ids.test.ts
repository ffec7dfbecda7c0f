/**
 * Issue 26, item 1: response and item ids are unique per response, so the reasoning-pairing rule (an item a reasoning
 * model produced needs its reasoning item) applies only to the items a reasoning model's answer actually carried.
 * Before, ids followed the input alone: the same first message to gpt-5 and then to gpt-4.1 gave both answers the
 * same `msg_…`, and gpt-4.1's valid second turn was refused for a missing reasoning item.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startScriptedModel, type ScriptedModel } from '../src/scripted-model';

let model: ScriptedModel;

before(async () => {
  model = await startScriptedModel();
});
after(() => model.close());

type Item = Record<string, unknown> & { type: string; id: string };

async function post(body: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${model.baseUrl}/responses`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer scripted' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const hello = [{ role: 'user', content: 'hello' }];
const output = (r: { body: Record<string, unknown> }) => r.body.output as Item[];

void describe('scripted model: ids never repeat', () => {
  void it('the same input to gpt-5, gpt-5 again and gpt-4.1: the same answer, fresh ids each time', async () => {
    const a = await post({ model: 'gpt-5', input: hello });
    const b = await post({ model: 'gpt-5', input: hello });
    const c = await post({ model: 'gpt-4.1', input: hello });
    for (const r of [a, b, c]) assert.equal(r.status, 200, JSON.stringify(r.body.error));
    const ids = [a, b, c].flatMap((r) => [String(r.body.id), ...output(r).map((i) => i.id)]);
    assert.equal(new Set(ids).size, ids.length, `no id repeats: ${ids.join(' ')}`);
    const text = (r: typeof a) =>
      JSON.stringify(
        output(r)
          .filter((i) => i.type === 'message')
          .map((i) => i.content),
      );
    assert.equal(text(a), text(b), 'the answer itself still follows from the input');
    assert.equal(text(a), text(c));
  });

  void it("gpt-4.1's second turn after the same first message went to gpt-5 is accepted", async () => {
    const onGpt5 = await post({ model: 'gpt-5', input: hello });
    assert.equal(onGpt5.status, 200);
    const first = await post({ model: 'gpt-4.1', input: hello });
    const turn2 = await post({
      model: 'gpt-4.1',
      input: [...hello, ...output(first), { role: 'user', content: 'more' }],
    });
    assert.equal(turn2.status, 200, JSON.stringify(turn2.body.error));
  });

  void it('the pairing rule still holds for what gpt-5 issued: its message without its reasoning item is refused', async () => {
    const r = await post({ model: 'gpt-5', input: hello });
    const reasoning = output(r).find((i) => i.type === 'reasoning');
    const message = output(r).find((i) => i.type === 'message');
    assert.ok(reasoning && message);
    const withIt = await post({
      model: 'gpt-5',
      input: [...hello, reasoning, message, { role: 'user', content: 'more' }],
    });
    assert.equal(withIt.status, 200, JSON.stringify(withIt.body.error));
    const without = await post({ model: 'gpt-5', input: [...hello, message, { role: 'user', content: 'more' }] });
    assert.equal(without.status, 400);
    assert.equal(
      (without.body.error as { message: string }).message,
      `Item '${message.id}' of type 'message' was provided without its required 'reasoning' item: '${reasoning.id}'.`,
    );
  });
});

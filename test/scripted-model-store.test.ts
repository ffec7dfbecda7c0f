/**
 * Issue 26, point 2: what the scripted model keeps of stored responses is per API key and bounded (least recently
 * used out first), and a chain stays whole even when an ancestor has been dropped from the index (the API would still
 * have it: only lookups by id are bounded here).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ResponseObject } from '../src/scripted-model/responses';
import { ResponseStore, chainContext, storedInputItems, type StoredResponse } from '../src/scripted-model/store';

let n = 0;
const newId = (prefix: string) => `${prefix}_${++n}`;

function stored(id: string, text: string, previous?: StoredResponse): StoredResponse {
  const output = [
    { id: `msg_out_${id}`, type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] },
  ];
  const response = { id, object: 'response', status: 'completed', model: 'gpt-4.1', output, usage: null };
  return {
    response: response as ResponseObject,
    input: storedInputItems([{ role: 'user', content: id }], newId),
    previous,
  };
}

void describe('scripted model: the response store', () => {
  void it('keeps responses per key, drops the least recently used beyond its bound', () => {
    const store = new ResponseStore({ responses: 2 });
    store.putResponse('k1', stored('resp_a', 'a'));
    store.putResponse('k1', stored('resp_b', 'b'));
    assert.equal(store.getResponse('k2', 'resp_a'), undefined, 'another key never sees them');
    assert.ok(store.getResponse('k1', 'resp_a'), 'a is used now, so b is the least recently used');
    store.putResponse('k1', stored('resp_c', 'c'));
    assert.equal(store.getResponse('k1', 'resp_b'), undefined);
    assert.ok(store.getResponse('k1', 'resp_a'));
    assert.ok(store.getResponse('k1', 'resp_c'));
    assert.equal(store.deleteResponse('k1', 'resp_c'), true);
    assert.equal(store.getResponse('k1', 'resp_c'), undefined);
  });

  void it('a chain is every earlier input and output, oldest first, even past an evicted ancestor', () => {
    const store = new ResponseStore({ responses: 1 });
    const first = stored('resp_1', 'one');
    const second = stored('resp_2', 'two', first);
    store.putResponse('k', first);
    store.putResponse('k', second);
    assert.equal(store.getResponse('k', 'resp_1'), undefined);
    const context = chainContext(second);
    assert.deepEqual(
      context.map((i) => `${String(i.type)}:${String(i.role)}`),
      ['message:user', 'message:assistant', 'message:user', 'message:assistant'],
    );
    assert.deepEqual(context[0]?.content, [{ type: 'input_text', text: 'resp_1' }], 'string content as input_text');
    assert.match(String(context[0]?.id), /^msg_\d+$/, 'input items get ids');
  });
});

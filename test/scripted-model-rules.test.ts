/**
 * The scripted model refuses what the real Responses API refuses, with the API's status and error shape, and
 * answers reasoning models as the API does. Requests are raw HTTP here: the product's client never sends most
 * of these mistakes, which is the point of the rules.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startScriptedModel, type ScriptedModel } from '../src/scripted-model';

const KEY = 'sk-test-rules-0123456789';
let model: ScriptedModel;
let open: ScriptedModel;

before(async () => {
  model = await startScriptedModel({ apiKey: KEY });
  open = await startScriptedModel();
});
after(async () => {
  await model.close();
  await open.close();
});

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function post(body: Record<string, unknown>, key: string | null = KEY, on = model): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-dca-kind': 'agent' };
  if (key !== null) headers.authorization = `Bearer ${key}`;
  const res = await fetch(`${on.baseUrl}/responses`, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const errorOf = (a: Answer) => a.body.error as { message: string; type: string; param: string | null; code: string };
const user = (text: string) => ({ type: 'message', role: 'user', content: text });
const codexTool = { type: 'function', name: 'codex', parameters: { type: 'object', properties: {} }, strict: false };
const base = { model: 'gpt-5', store: false, input: [user('Role: Backend Developer\nBuild it')], tools: [codexTool] };
type Item = Record<string, unknown> & { type: string };
const outputOf = (a: Answer) => a.body.output as Item[];

void describe('scripted model: the API rules', () => {
  void it('401 without a Bearer key, and for a key other than the one it was started with', async () => {
    const none = await post(base, null);
    assert.equal(none.status, 401);
    assert.match(errorOf(none).message, /didn't provide an API key/);
    const wrong = await post(base, 'sk-wrong-key-999999');
    assert.equal(wrong.status, 401);
    assert.equal(errorOf(wrong).code, 'invalid_api_key');
    assert.ok(!errorOf(wrong).message.includes('sk-wrong-key-999999'), 'the key is masked, as the API does');
    assert.equal((await post(base, 'any-key', open)).status, 200, 'unset apiKey: any key is accepted');
    assert.equal((await post(base, null, open)).status, 401, 'but never none');
  });

  void it('404 model_not_found for an unknown model; GET /models/{id} answers the same way', async () => {
    const r = await post({ ...base, model: 'gpt-9-turbo' });
    assert.equal(r.status, 404);
    assert.equal(errorOf(r).code, 'model_not_found');
    const get = (id: string, key = KEY) =>
      fetch(`${model.baseUrl}/models/${id}`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal((await get('gpt-5')).status, 200);
    assert.equal(((await (await get('gpt-4.1')).json()) as { id: string }).id, 'gpt-4.1');
    assert.equal((await get('gpt-9-turbo')).status, 404);
    assert.equal((await get('gpt-5', 'sk-bad')).status, 401);
  });

  void it('400 for an unknown top-level parameter, tool type or include value', async () => {
    const param = await post({ ...base, temprature: 1 });
    assert.equal(param.status, 400);
    assert.equal(errorOf(param).message, "Unknown parameter: 'temprature'.");
    const tool = await post({ ...base, tools: [{ type: 'web_browser' }] });
    assert.equal(tool.status, 400);
    assert.equal(errorOf(tool).param, 'tools[0].type');
    const include = await post({ ...base, include: ['reasoning.plaintext'] });
    assert.equal(include.status, 400);
    assert.equal(errorOf(include).param, 'include[0]');
  });

  void it('400 for reasoning settings on a non-reasoning model, which answers without reasoning items', async () => {
    const r = await post({ ...base, model: 'gpt-4.1', reasoning: { effort: 'low' } });
    assert.equal(r.status, 400);
    assert.match(errorOf(r).message, /^Unsupported parameter: 'reasoning\.effort' is not supported with this model\./);
    const ok = await post({ ...base, model: 'gpt-4.1' });
    assert.equal(ok.status, 200);
    assert.ok(!outputOf(ok).some((i) => i.type === 'reasoning'));
    const usage = ok.body.usage as { output_tokens_details: { reasoning_tokens: number } };
    assert.equal(usage.output_tokens_details.reasoning_tokens, 0);
  });

  void it('a reasoning model leads with a reasoning item; encrypted_content only when included', async () => {
    const plain = await post(base);
    const [thought] = outputOf(plain);
    assert.equal(thought?.type, 'reasoning');
    assert.deepEqual(thought?.summary, []);
    assert.equal(thought?.encrypted_content, undefined);
    const usage = plain.body.usage as { output_tokens_details: { reasoning_tokens: number } };
    assert.ok(usage.output_tokens_details.reasoning_tokens > 0);
    const sealed = await post({ ...base, include: ['reasoning.encrypted_content'] });
    assert.equal(typeof outputOf(sealed)[0]?.encrypted_content, 'string');
  });

  void it('store:false: a reasoning item without encrypted_content is not found (404); a tampered one is refused', async () => {
    const first = await post(base);
    const call = outputOf(first).find((i) => i.type === 'function_call');
    const reply = { type: 'function_call_output', call_id: call?.call_id, output: 'ok' };
    const r = await post({ ...base, input: [...base.input, ...outputOf(first), reply] });
    assert.equal(r.status, 404);
    assert.match(
      errorOf(r).message,
      /^Item with id 'rs_[0-9a-f]+' not found\. Items are not persisted when `store` is set to false\./,
    );

    const sealed = outputOf(await post({ ...base, include: ['reasoning.encrypted_content'] }));
    const sealedCall = sealed.find((i) => i.type === 'function_call');
    const sealedReply = { type: 'function_call_output', call_id: sealedCall?.call_id, output: 'ok' };
    const good = await post({
      ...base,
      include: ['reasoning.encrypted_content'],
      input: [...base.input, ...sealed, sealedReply],
    });
    assert.equal(good.status, 200, JSON.stringify(good.body.error));
    const tampered = sealed.map((i) =>
      i.type === 'reasoning' ? { ...i, encrypted_content: `${String(i.encrypted_content)}x` } : i,
    );
    const bad = await post({ ...base, input: [...base.input, ...tampered, sealedReply] });
    assert.equal(bad.status, 400);
    assert.equal(errorOf(bad).code, 'invalid_encrypted_content');
  });

  void it('400 for a function_call sent back without the reasoning item that preceded it', async () => {
    const out = outputOf(await post({ ...base, include: ['reasoning.encrypted_content'] }));
    const call = out.find((i) => i.type === 'function_call');
    const reasoning = out.find((i) => i.type === 'reasoning');
    const reply = { type: 'function_call_output', call_id: call?.call_id, output: 'ok' };
    const r = await post({ ...base, input: [...base.input, call, reply] });
    assert.equal(r.status, 400);
    assert.equal(
      errorOf(r).message,
      `Item '${String(call?.id)}' of type 'function_call' was provided without its required 'reasoning' item: '${String(reasoning?.id)}'.`,
    );
    assert.ok(call);
    const { id: _id, ...untied } = call;
    assert.equal(
      (await post({ ...base, input: [...base.input, untied, reply] })).status,
      200,
      'an item without id is not tied',
    );
  });

  void it('400 for a function_call without its output, and for an output without its call', async () => {
    const call = { type: 'function_call', call_id: 'call_x', name: 'codex', arguments: '{}' };
    const missing = await post({ ...base, input: [...base.input, call] });
    assert.equal(missing.status, 400);
    assert.equal(errorOf(missing).message, 'No tool output found for function call call_x.');
    const orphan = await post({
      ...base,
      input: [...base.input, { type: 'function_call_output', call_id: 'call_y', output: 'ok' }],
    });
    assert.equal(orphan.status, 400);
    assert.match(errorOf(orphan).message, /No tool call found for function call output with call_id call_y/);
  });

  void it('refusals are logged with their status and do not use up faults', async () => {
    model.resetStats();
    model.setFaults([{ kind: 'agent', times: 1, effect: { status: 500 } }]);
    assert.equal((await post(base, null)).status, 401);
    assert.equal((await post(base)).status, 500, 'the fault fires on the first accepted request');
    model.setFaults([]);
    assert.deepEqual(
      model.stats().requests.map((r) => r.status),
      [401, 500],
    );
  });
});

/**
 * The scripted model's `pad` fault (src/scripted-model/padding.ts), as the long-role benchmark uses it: reasoning
 * items of the asked size that the model still accepts back, a role that asks Codex again on its thread until the
 * asked model turn, and a final message padded after its own text.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { responseRequest } from '../src/activities/model-turn';
import { startScriptedModel, type ScriptedModel } from '../src/scripted-model';
import { builtinRole } from '../src/shared/builtin-teams';
import { agentBrief } from '../src/shared/prompts';
import type { ConversationItem } from '../src/shared/types';

let model: ScriptedModel;
let client: OpenAI;
before(async () => {
  model = await startScriptedModel();
  client = new OpenAI({ apiKey: 'scripted', baseURL: model.baseUrl, maxRetries: 0, timeout: 10_000 });
});
after(() => model.close());

const role = 'designer' as const;
async function turn(input: ConversationItem[]): Promise<ConversationItem[]> {
  const spec = builtinRole(role);
  const request = responseRequest(
    { runId: 'pad', role, turn: 1, instructions: spec.instructions, input, tools: ['codex', 'codex-reply'] },
    'gpt-5',
  );
  const response = await client.responses.create(request, {
    headers: { 'x-dca-kind': 'agent', 'x-dca-role': role, 'x-dca-run': 'pad' },
  });
  return response.output as unknown as ConversationItem[];
}
const output = (call: ConversationItem | undefined, threadId: string): ConversationItem => ({
  type: 'function_call_output',
  call_id: call?.call_id,
  output: JSON.stringify({ threadId, content: 'Wrote the files.' }),
});

describe('pad fault', () => {
  it('pads reasoning and the final message, and keeps the role talking until the asked turn', async () => {
    model.setFaults([
      { kind: 'agent', times: 'always', effect: { pad: { reasoningBytes: 8_192, textBytes: 3_000, turns: 3 } } },
    ]);
    const conversation: ConversationItem[] = [
      { type: 'message', role: 'user', content: agentBrief(builtinRole(role), 'Build a small todo app.', []) },
    ];
    const t1 = await turn(conversation);
    const reasoning = t1.find((i) => i.type === 'reasoning');
    const size = String(reasoning?.encrypted_content).length;
    assert.ok(size > 8_000 && size < 8_400, `8 KB of encrypted reasoning, got ${size}`);
    const first = t1.find((i) => i.type === 'function_call');
    assert.equal(first?.name, 'codex');
    conversation.push(...t1, output(first, 'thread-1'));

    // Where the script would answer, the role asks Codex again on its thread (and its padded reasoning is accepted).
    const t2 = await turn(conversation);
    const again = t2.find((i) => i.type === 'function_call');
    assert.equal(again?.name, 'codex-reply');
    const args = JSON.parse(String(again?.arguments)) as { threadId: string; prompt: string };
    assert.equal(args.threadId, 'thread-1');
    assert.equal(args.prompt, (JSON.parse(String(first?.arguments)) as { prompt: string }).prompt);
    conversation.push(...t2, output(again, 'thread-1'));

    const t3 = await turn(conversation);
    const message = t3.find((i) => i.type === 'message') as { content: { text: string }[] } | undefined;
    const text = message?.content[0]?.text ?? '';
    assert.ok(text.length >= 2_990 && text.length <= 3_000, `a 3 KB answer, got ${text.length}`);
    assert.match(text, /^Designer: asked Codex to write .*\n\nNotes: /s, 'its own text first, then the padding');
  });
});

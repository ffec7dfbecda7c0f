/**
 * A lost Codex thread's earlier prompts, rebuilt from the role's stored conversation (its calls and answers) the way
 * the workflow's thread book recorded them, without a server: refused and failed calls add nothing, a thread continued
 * after a loss keeps its prompts under the new id, another thread's prompts stay apart.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { threadPromptsIn, storedThreadPrompts } from '../../src/activities/codex/thread-history';
import { ConversationStore } from '../../src/activities/conversation-store';
import { ThreadBook } from '../../src/shared/thread-book';
import type { ConversationItem } from '../../src/shared/types';

let n = 0;
const call = (name: string, args: Record<string, unknown> | string): ConversationItem[] => {
  const id = `call_${++n}`;
  return [
    {
      type: 'function_call',
      call_id: id,
      name,
      arguments: typeof args === 'string' ? args : JSON.stringify(args),
    },
  ];
};
const answer = (threadId: string | undefined, text = 'done'): ConversationItem => ({
  type: 'function_call_output',
  call_id: `call_${n}`,
  output: threadId ? JSON.stringify({ threadId, content: text }) : `Error: ${text}`,
});

/** A role's conversation: the model's calls, each followed by what the workflow answered. */
const conversation: ConversationItem[] = [
  { type: 'message', role: 'user', content: 'Write the backend.' },
  ...call('codex', { prompt: 'write server.js', 'approval-policy': 'never' }),
  answer('T1'),
  ...call('codex', { prompt: 'write the docs' }),
  answer('D1'),
  ...call('codex-reply', { threadId: 'T1', prompt: 'add /health' }),
  answer('T1'),
  // Refused by the workflow (unknown thread) and an invalid call: neither is part of any thread.
  ...call('codex-reply', { threadId: 'nope', prompt: 'ignored' }),
  answer(undefined, 'unknown threadId "nope"'),
  ...call('codex-reply', '{not json'),
  answer(undefined, 'Arguments are not valid JSON.'),
  // T1 was lost with its Codex process: this reply continued in T2.
  ...call('codex-reply', { threadId: 'T1', prompt: 'add /scores' }),
  answer('T2'),
  // The model may go on naming the old id; it resolves to the new thread.
  ...call('codex-reply', { threadId: 'T1', prompt: 'fix the port' }),
  answer('T2'),
];

void describe('thread history from the stored conversation', () => {
  void it('gives the prompts the workflow recorded for the thread, continued threads included', () => {
    assert.deepEqual(threadPromptsIn(conversation, 'T2'), [
      'write server.js',
      'add /health',
      'add /scores',
      'fix the port',
    ]);
    assert.deepEqual(threadPromptsIn(conversation, 'T1'), threadPromptsIn(conversation, 'T2'), 'the old id resolves');
    assert.deepEqual(threadPromptsIn(conversation, 'D1'), ['write the docs']);
    assert.deepEqual(threadPromptsIn(conversation, 'unknown'), []);
  });

  void it('agrees with the workflow thread book fed the same calls', () => {
    const book = new ThreadBook();
    book.record('T1', undefined, undefined, 'write server.js');
    book.record('D1', undefined, undefined, 'write the docs');
    book.record('T1', 'T1', undefined, 'add /health');
    book.record('T2', 'T1', 'T1', 'add /scores');
    book.record('T2', book.resolve('T1'), undefined, 'fix the port');
    assert.deepEqual(threadPromptsIn(conversation, 'T2'), book.history('T2'));
  });

  void it('reads the conversation from the store by its head', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'thread-history-'));
    try {
      const store = new ConversationStore(dir);
      const half = conversation.length / 2;
      const head = await store.append(
        await store.append(undefined, conversation.slice(0, half)),
        conversation.slice(half),
      );
      assert.deepEqual(await storedThreadPrompts(store, head, 'T1'), threadPromptsIn(conversation, 'T2'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * The conversation store and the model-turn activity over it: content addressing (same items, same head), the whole
 * conversation rebuilt for the endpoint from a head, a missing or corrupt blob a one-line error naming it, and where
 * the store is by default (beside a local WORKSPACE_REMOTE, so every host that reaches the remote reaches it).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ConversationStore, conversationStoreDir } from '../src/activities/conversation-store';
import { createModelActivities } from '../src/activities/model-turn';
import { loadSettings } from '../src/config/settings';
import { recentPrompts, THREAD_HISTORY_MAX_CHARS } from '../src/shared/thread-book';
import type { ConversationItem, ModelTurnInput, ModelTurnOutput } from '../src/shared/types';

let dir: string;
let server: Server;
let baseUrl: string;
const requests: { input: ConversationItem[] }[] = [];

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'conversation-store-'));
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      requests.push(JSON.parse(body) as { input: ConversationItem[] });
      const n = requests.length;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: `resp_${n}`,
          object: 'response',
          created_at: 0,
          model: 'gpt-5',
          status: 'completed',
          output: [
            { type: 'reasoning', id: `rs_${n}`, summary: [], encrypted_content: `secret-thoughts-${n}` },
            {
              type: 'message',
              id: `msg_${n}`,
              role: 'assistant',
              content: [{ type: 'output_text', text: `answer ${n}` }],
            },
          ],
          usage: { input_tokens: 1, output_tokens: 1, total_tokens: 2 },
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
after(async () => {
  server.closeAllConnections();
  server.close();
  await rm(dir, { recursive: true, force: true });
});

const user = (content: string): ConversationItem => ({ type: 'message', role: 'user', content });

describe('conversation store', () => {
  it('names a conversation by its content and gives it back whole, oldest first', async () => {
    const store = new ConversationStore(path.join(dir, 'a'));
    const one = await store.append(undefined, [user('hello')]);
    const two = await store.append(one, [user('again'), { type: 'reasoning', encrypted_content: 'x' }]);
    assert.match(two, /^[0-9a-f]{64}$/);
    assert.equal(await new ConversationStore(path.join(dir, 'a')).append(undefined, [user('hello')]), one);
    // A fresh store (another worker, no cache) reads it from disk.
    assert.deepEqual(await new ConversationStore(path.join(dir, 'a')).read(two), [
      user('hello'),
      user('again'),
      { type: 'reasoning', encrypted_content: 'x' },
    ]);
    assert.deepEqual(await store.read(undefined), []);
  });

  it('a missing or corrupt blob is an error naming it and the store', async () => {
    const root = path.join(dir, 'b');
    const head = await new ConversationStore(root).append(undefined, [user('hi')]);
    const missing = '0'.repeat(64);
    await assert.rejects(new ConversationStore(root).read(missing), (err: Error) => {
      assert.equal(err.name, 'ConfigError');
      assert.ok(err.message.includes(`conversation node ${missing} is missing from the conversation store ${root}`));
      return true;
    });
    await writeFile(path.join(root, head.slice(0, 2), head.slice(2)), '{"prev":null,"items":[]}');
    await assert.rejects(
      new ConversationStore(root).read(head),
      new RegExp(`${head} in the conversation store .* is corrupt`),
    );
    await assert.rejects(new ConversationStore(root).read('../etc'), /Invalid conversation node id "..\/etc"/);
  });

  it('lives beside a local remote by default, or where CONVERSATION_STORE says', () => {
    assert.equal(conversationStoreDir({ workspaceRoot: '/w' }), '/w/.remote.conversations');
    assert.equal(conversationStoreDir({ workspaceRoot: '/w', remote: '/srv/runs.git' }), '/srv/runs.conversations');
    assert.equal(conversationStoreDir({ workspaceRoot: '/w', remote: 'file:///srv/r.git' }), '/srv/r.conversations');
    assert.equal(conversationStoreDir({ workspaceRoot: '/w', remote: 'git@github.com:o/r.git' }), '/w/.conversations');
    assert.equal(conversationStoreDir({ workspaceRoot: '/w', remote: 'https://h/r.git', store: '/s' }), '/s');
  });
});

describe('model turns over a stored conversation', () => {
  const settings = () =>
    loadSettings({ OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: baseUrl, CONVERSATION_STORE: path.join(dir, 'c') });
  const turn = (n: number, head: string | undefined, input: ConversationItem[]): ModelTurnInput => ({
    runId: 'run-1',
    role: 'pm',
    turn: n,
    instructions: 'You are the PM.',
    input,
    conversation: { head },
    tools: ['codex'],
    model: 'gpt-5',
  });

  it('sends the whole conversation, returns only its new head; another worker continues it', async () => {
    requests.length = 0;
    const run = (i: ModelTurnInput) =>
      new MockActivityEnvironment().run(
        createModelActivities({ settings: settings() }).modelTurn,
        i,
      ) as Promise<ModelTurnOutput>;
    const first = await run(turn(1, undefined, [user('Write it')]));
    assert.deepEqual(first.items, [], 'no items in the result: they are in the store');
    assert.equal(first.finalText, 'answer 1');
    assert.equal(first.conversation?.items, 3);
    const second = await run(turn(2, first.conversation?.head, [user('More')]));
    assert.equal(second.conversation?.items, 6);
    assert.deepEqual(
      requests[1]?.input.map((i) => [i.type, i.encrypted_content ?? i.content]),
      [
        ['message', 'Write it'],
        ['reasoning', 'secret-thoughts-1'],
        ['message', [{ type: 'output_text', text: 'answer 1' }]],
        ['message', 'More'],
      ],
    );
    assert.ok((await readdir(path.join(dir, 'c'))).length > 0);
  });

  it('a head the store does not have fails the turn without retries, naming it', async () => {
    const missing = 'f'.repeat(64);
    const failure = await new MockActivityEnvironment()
      .run(createModelActivities({ settings: settings() }).modelTurn, turn(3, missing, [user('x')]))
      .then(
        () => assert.fail('the turn ran without its conversation'),
        (err: unknown) => err,
      );
    assert.ok(failure instanceof ApplicationFailure);
    assert.equal(failure.type, 'ConfigError');
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, new RegExp(`conversation node ${missing} is missing`));
  });
});

describe('thread prompts a Codex call carries in a stored session', () => {
  it('are the newest ones up to the bound, oldest first, at least the newest', () => {
    const p = (n: number, size: number) => `${n}`.padEnd(size, '.');
    const prompts = Array.from({ length: 40 }, (_, i) => p(i, 1_000));
    const kept = recentPrompts(prompts);
    assert.equal(kept.length, THREAD_HISTORY_MAX_CHARS / 1_000);
    assert.deepEqual(kept, prompts.slice(-kept.length));
    assert.deepEqual(recentPrompts([p(1, 10), p(2, 50_000)]), [p(2, THREAD_HISTORY_MAX_CHARS)]);
    assert.deepEqual(recentPrompts([]), []);
  });
});

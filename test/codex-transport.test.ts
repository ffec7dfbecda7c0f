/**
 * The Codex seam without a process: mcp `codex/event` messages mapped to the neutral events, the progress tracker
 * reading only those, and the in-memory transport passing a call's events and approval requests through.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InMemoryTransport } from '../src/activities/codex/in-memory';
import { fromCodexEvent } from '../src/activities/codex/mcp/events';
import { CallTracker, type CodexProgress } from '../src/activities/codex/progress';
import type { CodexEvent, ReviewDecision } from '../src/activities/codex/transport';

describe('Codex seam', () => {
  it('maps codex/event messages to the neutral events', () => {
    assert.deepEqual(fromCodexEvent({ type: 'session_configured', thread_id: 't1' }), {
      type: 'thread',
      name: 'session_configured',
      threadId: 't1',
    });
    assert.deepEqual(
      fromCodexEvent({
        type: 'token_count',
        info: { total_token_usage: { input_tokens: 10, output_tokens: 5, total_tokens: 15 } },
      }),
      { type: 'tokens', name: 'token_count', total: { input: 10, output: 5, reasoning: 0, total: 15 } },
    );
    assert.deepEqual(fromCodexEvent({ type: 'token_count', info: null }), { type: 'other', name: 'token_count' });
    assert.deepEqual(
      fromCodexEvent({
        type: 'patch_apply_end',
        success: true,
        changes: { 'a.txt': { type: 'add' }, 'b.txt': { type: 'update', move_path: 'c.txt' } },
      }),
      { type: 'files', name: 'patch_apply_end', success: true, paths: ['a.txt', 'b.txt', 'c.txt'] },
    );
    assert.deepEqual(fromCodexEvent({ type: 'exec_command_begin' }), { type: 'command', name: 'exec_command_begin' });
    assert.deepEqual(fromCodexEvent({ type: 'agent_message' }), { type: 'other', name: 'agent_message' });
  });

  it('tracks thread, tokens, commands and files from neutral events only', async () => {
    const beats: CodexProgress[] = [];
    const decisions: ReviewDecision[] = [];
    const transport = new InMemoryTransport(async (request, handlers) => {
      const events: CodexEvent[] = [
        { type: 'thread', name: 'thread/start', threadId: 'th-1' },
        { type: 'command', name: 'item/started:commandExecution' },
        {
          type: 'tokens',
          name: 'thread/tokenUsage/updated',
          total: { input: 110, output: 20, reasoning: 5, total: 130 },
          last: { input: 10, output: 20, reasoning: 5, total: 30 },
        },
        { type: 'files', name: 'item/completed:fileChange', success: true, paths: ['/ws/src/a.ts', '/elsewhere/x'] },
        { type: 'files', name: 'item/completed:fileChange', success: false, paths: ['/ws/failed.ts'] },
      ];
      for (const e of events) handlers.onEvent?.(e, 'th-1');
      decisions.push(await handlers.onElicitation!({ message: 'run?', codex_elicitation: 'exec-approval' }));
      return { isError: false, text: `done: ${String(request.arguments.prompt)}`, threadId: 'th-1' };
    }, 'app-server');
    const tracker = new CallTracker('Tester', '/ws', (b) => beats.push(b), 60_000, transport.name);
    try {
      const result = await transport.call(
        { name: 'codex', arguments: { prompt: 'hi' } },
        { onEvent: (e) => tracker.onEvent(e), onElicitation: () => 'approved' },
        { timeoutMs: 1_000 },
      );
      assert.deepEqual(result, { isError: false, text: 'done: hi', threadId: 'th-1' });
    } finally {
      tracker.stop();
    }
    assert.deepEqual(decisions, ['approved']);
    assert.equal(tracker.threadId, 'th-1');
    assert.equal(tracker.commands, 1);
    assert.equal(tracker.events, 5);
    assert.equal(tracker.lastEvent, 'item/completed:fileChange');
    assert.deepEqual(tracker.usage(), { input: 10, output: 20, reasoning: 5, total: 30 });
    assert.deepEqual(tracker.files(), ['/elsewhere/x', 'src/a.ts']);
    // The thread id went out at once (a retry resumes it), though app-server skips the constructor's beat.
    assert.equal(beats[0]?.threadId, 'th-1');
    assert.equal(transport.requests.length, 1);
  });
});

/**
 * The MCP server's progress lines from Codex events, without a server: which events are told and how, the
 * in-process hub the Codex call activity publishes to (per workflow, in order, nothing after unsubscribing), and the
 * turn activity id that ties a `codexTurn` Update to its activity in history.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { publishCodexEvent } from '../src/activities/codex/live-events';
import { describeCodexEvent, forwardCodexEvents } from '../src/mcp-server/codex-progress';
import { parseTurnActivityId, turnActivityId } from '../src/shared/codex-session';

const label = 'Codex turn 2';

void describe('Codex events as MCP progress', () => {
  void it('tells commands, file changes, messages and the thread; not deltas, tokens or protocol steps', () => {
    const line = (event: Parameters<typeof describeCodexEvent>[0]['event']) => describeCodexEvent({ label, event });
    assert.equal(
      line({ type: 'command', name: 'exec_command_begin', command: "bash -lc 'node --check app.js'" }),
      "Codex turn 2: Codex runs `bash -lc 'node --check app.js'`",
    );
    assert.equal(
      line({ type: 'command', name: 'item/started:commandExecution' }),
      'Codex turn 2: Codex runs a command',
    );
    assert.equal(
      line({ type: 'files', name: 'patch_apply_end', success: true, paths: ['a.txt', 'b/c.txt'] }),
      'Codex turn 2: Codex changed a.txt, b/c.txt',
    );
    assert.equal(
      line({ type: 'files', name: 'patch_apply_end', success: false, paths: ['a.txt'] }),
      'Codex turn 2: Codex failed to change a.txt',
    );
    const many = Array.from({ length: 8 }, (_, i) => `f${i}`);
    assert.match(line({ type: 'files', name: 'x', success: true, paths: many }) ?? '', /f4 and 3 more$/);
    assert.equal(line({ type: 'other', name: 'agent_message' }), 'Codex turn 2: Codex wrote a message');
    assert.equal(line({ type: 'other', name: 'item/completed:agentMessage' }), 'Codex turn 2: Codex wrote a message');
    assert.equal(line({ type: 'thread', name: 'session_configured', threadId: 't1' }), 'Codex turn 2: Codex thread t1');
    for (const name of ['agent_message_delta', 'item/agentMessage/delta', 'raw_response_item', 'turn_diff']) {
      assert.equal(line({ type: 'other', name }), undefined, name);
    }
    const total = { input: 1, output: 1, reasoning: 0, total: 2 };
    assert.equal(line({ type: 'tokens', name: 'token_count', total }), undefined);
  });

  void it('forwards the events of one workflow, in order, the accepted ones only, until stopped', async () => {
    const sent: string[] = [];
    const stop = forwardCodexEvents(
      'wf-a',
      async (m) => {
        await new Promise((r) => setTimeout(r, 5)); // a slow client: order must hold anyway
        sent.push(m);
      },
      (e) => e.activityId === 'ours',
    );
    const files = (activityId: string, workflowId: string, path: string) =>
      publishCodexEvent({
        workflowId,
        activityId,
        label,
        event: { type: 'files', name: 'p', success: true, paths: [path] },
      });
    files('ours', 'wf-a', 'one');
    files('other-turn', 'wf-a', 'not-ours');
    files('ours', 'wf-b', 'other-workflow');
    files('ours', 'wf-a', 'two');
    await new Promise((r) => setTimeout(r, 50));
    stop();
    files('ours', 'wf-a', 'after-stop');
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(sent, ['Codex turn 2: Codex changed one', 'Codex turn 2: Codex changed two']);
  });

  void it("names a turn's activity by its Update", () => {
    const id = turnActivityId('0b6c5c8e-1d1e-4c5e-9a57-6f1f3c2a9d10', 3);
    assert.deepEqual(parseTurnActivityId(id), { turn: 3, updateId: '0b6c5c8e-1d1e-4c5e-9a57-6f1f3c2a9d10' });
    assert.equal(parseTurnActivityId('1'), undefined, "an older session's activity (numbered by the SDK)");
  });
});

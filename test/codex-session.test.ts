/**
 * The Codex session workflow on a real Temporal dev server with a stand-in `codexCall` (the real one is exercised by
 * test/mcp-server*.test.ts): turns run one at a time in arrival order, the history continues as new every
 * `turnsPerRun` turns carrying the thread mapping, a lost thread's continuation gets the earlier prompts, a failed turn
 * is an Update error the server turns into a tool error, and an idle session ends; a first turn carried in the
 * session's input (how the MCP server starts one, eagerly) runs before any Update's turn, and its client reads its
 * result or its failure from history (src/mcp-server/turn-watch.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, WithStartWorkflowOperation, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { awaitTurn } from '../src/mcp-server/turn-watch';
import { bundleWorkflows } from '../src/runtime/workflow-bundle';
import {
  codexSessionStatusQuery,
  codexTurnUpdate,
  sessionWorkflowId,
  type CodexSessionInput,
} from '../src/shared/codex-session';
import { CodexTurnFailedError } from '../src/shared/errors';
import type { CodexCallInput, CodexCallOutput } from '../src/shared/types';
import { startTestTemporal, type TestTemporal } from './helpers/temporal';

let temporal: TestTemporal;
let worker: Worker;
let running: Promise<void>;
const calls: CodexCallInput[] = [];
const taskQueue = `session-${Date.now()}`;

before(async () => {
  temporal = await startTestTemporal();
  worker = await Worker.create({
    connection: temporal.nativeConnection,
    namespace: temporal.namespace,
    taskQueue,
    workflowBundle: await bundleWorkflows(),
    activities: {
      async codexCall(input: CodexCallInput): Promise<CodexCallOutput> {
        calls.push(input);
        if (input.prompt === 'fail') {
          throw ApplicationFailure.create({ type: 'ConfigError', message: 'Codex said no', nonRetryable: true });
        }
        await new Promise((r) => setTimeout(r, 50));
        return {
          threadId: input.threadId ?? 'codex-thread-1',
          content: `answer to ${input.prompt}`,
          usage: { input: 0, output: 0, reasoning: 0, total: 0 },
          filesChanged: [],
          commandsRun: 0,
          events: 0,
          durationMs: 1,
        };
      },
    },
  });
  running = worker.run();
});
after(async () => {
  worker?.shutdown();
  await running;
  await temporal?.teardown();
});

const input = (sessionId: string, idleTimeoutMs: number): CodexSessionInput => ({
  sessionId,
  settings: { cwd: '/tmp', approvalPolicy: 'never', sandbox: 'workspace-write', model: 'm', profile: 'p' },
  limits: { idleTimeoutMs, turnsPerRun: 2, tuning: { maximumAttempts: 1 } },
});

void describe('codexSessionWorkflow', () => {
  void it('runs turns in order, continues as new every turnsPerRun turns, and ends when idle', async () => {
    const sessionId = `s-${Date.now()}`;
    const client = temporal.client;
    const start = new WithStartWorkflowOperation('codexSessionWorkflow', {
      workflowId: sessionWorkflowId(sessionId),
      taskQueue,
      args: [input(sessionId, 8_000)],
      workflowIdConflictPolicy: 'FAIL',
    });
    const first = await client.workflow.executeUpdateWithStart(codexTurnUpdate, {
      args: [{ prompt: 'p1', hostQueue: taskQueue }],
      startWorkflowOperation: start,
    });
    const firstRunId = (await (await start.workflowHandle()).describe()).runId;
    assert.equal(first.threadId, sessionId);
    assert.equal(first.codexThreadId, 'codex-thread-1');
    const handle = client.workflow.getHandle(sessionWorkflowId(sessionId));
    // Two at once: the second waits for the first.
    const [r2, r3] = await Promise.all(
      ['p2', 'p3'].map((prompt) => handle.executeUpdate(codexTurnUpdate, { args: [{ prompt, hostQueue: taskQueue }] })),
    );
    assert.deepEqual([r2?.turn, r3?.turn].sort(), [2, 3]);
    const mine = calls.filter((c) => c.runId === sessionWorkflowId(sessionId));
    assert.deepEqual(
      mine.map((c) => c.tool),
      ['codex', 'codex-reply', 'codex-reply'],
    );
    assert.equal(mine[0]?.model, 'm');
    assert.equal(mine[0]?.profile, 'p');
    assert.deepEqual(
      mine[2]?.threadHistory?.length,
      2,
      `a continuation would get the earlier prompts: ${JSON.stringify(mine.map((c) => [c.prompt, c.threadHistory]))}`,
    );
    const status = await handle.query(codexSessionStatusQuery);
    assert.equal(status.turns, 3);
    assert.equal(status.codexThreadId, 'codex-thread-1');
    const described = await handle.describe();
    assert.notEqual(described.runId, firstRunId, 'history bounded by continue-as-new');

    await assert.rejects(
      handle.executeUpdate(codexTurnUpdate, { args: [{ prompt: 'fail', hostQueue: taskQueue }] }),
      (err: unknown) => err instanceof WorkflowUpdateFailedError && /Codex said no/.test(String(err.cause?.message)),
    );
    const ended = await client.workflow.getHandle(sessionWorkflowId(sessionId)).result();
    assert.equal(ended.reason, 'idle');
    assert.equal(ended.turns, 4);
  });

  void it('keeps the prompts a lost thread would need bounded in size, however large a client makes them', async () => {
    const sessionId = `big-${Date.now()}`;
    const big = (n: number) => `prompt ${n} `.padEnd(10_000, '.');
    await temporal.client.workflow.executeUpdateWithStart(codexTurnUpdate, {
      args: [{ prompt: big(1), hostQueue: taskQueue }],
      startWorkflowOperation: new WithStartWorkflowOperation('codexSessionWorkflow', {
        workflowId: sessionWorkflowId(sessionId),
        taskQueue,
        args: [input(sessionId, 8_000)],
        workflowIdConflictPolicy: 'FAIL',
      }),
    });
    const handle = temporal.client.workflow.getHandle(sessionWorkflowId(sessionId));
    // The third turn runs in the run continued as new after two: the kept prompts are carried there.
    for (const n of [2, 3])
      await handle.executeUpdate(codexTurnUpdate, { args: [{ prompt: big(n), hostQueue: taskQueue }] });
    const mine = calls.filter((c) => c.runId === sessionWorkflowId(sessionId));
    assert.deepEqual(
      mine.map((c) => c.threadHistory?.map((p) => p.slice(0, 8))),
      [undefined, ['prompt 1'], ['prompt 2']],
      'each continuation would get the newest prompts that fit in 16 KB, not all of them',
    );
  });

  void it("a first turn in the session's input runs before any Update's, and its client reads result or failure from history", async () => {
    const sessionId = `first-${Date.now()}`;
    const client = new Client({ connection: temporal.nativeConnection, namespace: temporal.namespace });
    const workflowId = sessionWorkflowId(sessionId);
    const withFirst = (prompt: string, id: string, turnId: string): CodexSessionInput => ({
      ...input(id, 8_000),
      firstTurn: { prompt, hostQueue: taskQueue, turnId },
    });
    // Eager, on the worker's own native connection, as the MCP server starts a session.
    const started = await client.workflow.start('codexSessionWorkflow', {
      workflowId,
      taskQueue,
      args: [withFirst('first', sessionId, 'turn-a')],
      requestEagerStart: true,
    });
    const handle = client.workflow.getHandle(workflowId);
    const watching = awaitTurn(
      client,
      { workflowId, runId: started.firstExecutionRunId, turnKey: 'turn-a' },
      { sessionId },
    );
    // A reply sent once the session has started (a query answers after its first workflow task) queues behind it.
    assert.equal((await handle.query(codexSessionStatusQuery)).turns, 1, 'the first turn began in the first task');
    const [first, second] = await Promise.all([
      watching,
      handle.executeUpdate(codexTurnUpdate, { args: [{ prompt: 'second', hostQueue: taskQueue }] }),
    ]);
    assert.deepEqual([first.turn, first.content, first.threadId], [1, 'answer to first', sessionId]);
    assert.deepEqual([second.turn, second.content], [2, 'answer to second']);
    const mine = calls.filter((c) => c.runId === workflowId);
    assert.deepEqual(
      mine.map((c) => [c.tool, c.prompt]),
      [
        ['codex', 'first'],
        ['codex-reply', 'second'],
      ],
    );
    assert.equal((await handle.query(codexSessionStatusQuery)).turns, 2);

    // A first turn that fails: no Update carries the failure, history does.
    const failing = `first-fail-${Date.now()}`;
    const run = await client.workflow.start('codexSessionWorkflow', {
      workflowId: sessionWorkflowId(failing),
      taskQueue,
      args: [withFirst('fail', failing, 'turn-f')],
    });
    await assert.rejects(
      awaitTurn(
        client,
        { workflowId: sessionWorkflowId(failing), runId: run.firstExecutionRunId, turnKey: 'turn-f' },
        { sessionId: failing },
      ),
      (err: unknown) => err instanceof CodexTurnFailedError && err.message === 'Codex said no',
    );
    // The session lives on after it: a reply runs.
    const after = await client.workflow
      .getHandle(sessionWorkflowId(failing))
      .executeUpdate(codexTurnUpdate, { args: [{ prompt: 'again', hostQueue: taskQueue }] });
    assert.equal(after.turn, 2);
  });
});

/**
 * What survives what, with the durable MCP server as clients run it (stdio, real Temporal, the current Codex on
 * app-server, the scripted model). The server runs with `--no-worker`; a worker process on the same machine serves the
 * host queue, and is SIGKILLed (with its codex) in the middle of a `codex-reply` turn: the client's call still returns
 * the finished turn, and the turn before it is not run again. Then the server itself is SIGKILLed: a new server process
 * (with its own in-process worker, and a new Codex process) continues the same Codex thread from the same `threadId`;
 * on the pinned `codex mcp-server` (threads die with their process) the session goes on in a new Codex thread.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startLocalStack, type LocalStack } from '../src/runtime/local-stack';
import { codexSessionStatusQuery, sessionWorkflowId } from '../src/shared/codex-session';
import { WorkerProcess, isAlive, waitFor } from './helpers/crash';
import {
  callTool,
  mcpServerEnv,
  startMcpServer,
  textOf,
  writeFilesPrompt,
  type McpServerProcess,
} from './helpers/mcp-server';

let stack: LocalStack;
let codexHome: string;
let serverDir: string;
const servers: McpServerProcess[] = [];
const workers: WorkerProcess[] = [];

const startWorker = () => {
  const w = new WorkerProcess(
    { ...stack.workerEnv(), CODEX_TRANSPORT: 'app-server', CODEX_HOME: codexHome },
    path.join(stack.dir, `worker-${workers.length + 1}.log`),
    'worker',
  );
  workers.push(w);
  return w;
};

before(async () => {
  // Latency keeps a turn in flight long enough to be killed there.
  stack = await startLocalStack({ inProcessWorker: false, scripted: { latency: { codexMs: 300 } } });
  codexHome = mkdtempSync(path.join(os.homedir(), '.cache', 'dca-mcp-durable-'));
  serverDir = path.join(stack.dir, 'client-dir');
  mkdirSync(serverDir, { recursive: true });
});
after(async () => {
  for (const s of servers) await s.close().catch(() => undefined);
  await Promise.all(workers.map((w) => w.stop()));
  await stack?.stop();
  if (codexHome) rmSync(codexHome, { recursive: true, force: true });
});

void describe('durable MCP server: crashes', () => {
  let threadId = '';
  let codexThreadId: string | undefined;

  void it('a worker SIGKILLed mid-turn: the codex-reply call returns the finished turn; the earlier turn is not redone', async () => {
    const worker = startWorker();
    await worker.warm;
    const server = await startMcpServer({
      env: mcpServerEnv(stack, codexHome),
      cwd: serverDir,
      args: ['--no-worker', '--heartbeat-timeout', '3s'],
    });
    servers.push(server);
    const first = await callTool(server, 'codex', {
      prompt: writeFilesPrompt(['one.txt']),
      'approval-policy': 'never',
      sandbox: 'workspace-write',
    });
    assert.equal(first.isError, undefined, textOf(first));
    threadId = (first.structuredContent as { threadId: string }).threadId;
    const handle = stack.client.workflow.getHandle(sessionWorkflowId(threadId));
    codexThreadId = (await handle.query(codexSessionStatusQuery)).codexThreadId;

    const codexRequests = () => stack.scripted.stats().requests.filter((r) => r.kind === 'codex').length;
    const before = codexRequests();
    const replying = callTool(server, 'codex-reply', {
      prompt: writeFilesPrompt(['two.txt', 'three.txt', 'four.txt']),
      threadId,
    });
    await waitFor('the second turn to reach the model', () => codexRequests() > before || undefined, 60_000);
    const killed = await worker.kill();
    assert.ok(!killed.codexPids.some(isAlive));
    const replacement = startWorker();
    const second = await replying;
    assert.equal(second.isError, undefined, textOf(second));
    assert.equal((second.structuredContent as { threadId: string }).threadId, threadId);
    for (const f of ['one.txt', 'two.txt', 'three.txt', 'four.txt']) assert.ok(existsSync(path.join(serverDir, f)), f);
    await replacement.warm;

    const history = await handle.fetchHistory();
    const attempts = (history.events ?? [])
      .map((e) => e.activityTaskStartedEventAttributes?.attempt)
      .filter((a): a is number => typeof a === 'number');
    assert.equal(attempts.length, 2, `one activity per turn: ${JSON.stringify(attempts)}`);
    assert.equal(attempts[0], 1, 'the first turn ran once');
    assert.ok((attempts[1] ?? 0) >= 2, `the second turn was retried: ${JSON.stringify(attempts)}`);
    const status = await handle.query(codexSessionStatusQuery);
    assert.equal(status.codexThreadId, codexThreadId, 'the retried turn resumed the same Codex thread');
  });

  void it('the server SIGKILLed after codex: a new server process continues the same thread', async () => {
    assert.ok(threadId, 'needs the session of the previous test');
    const old = servers[servers.length - 1]!;
    process.kill(old.pid, 'SIGKILL');
    await old.close().catch(() => undefined);
    // The new server serves the host queue itself (a new worker, a new Codex process).
    await Promise.all(workers.map((w) => w.stop()));
    const server = await startMcpServer({ env: mcpServerEnv(stack, codexHome), cwd: serverDir });
    servers.push(server);
    const before = stack.scripted.stats().requests.length;
    const reply = await callTool(server, 'codex-reply', { prompt: writeFilesPrompt(['five.txt']), threadId });
    assert.equal(reply.isError, undefined, textOf(reply));
    assert.ok(existsSync(path.join(serverDir, 'five.txt')));
    const status = await stack.client.workflow.getHandle(sessionWorkflowId(threadId)).query(codexSessionStatusQuery);
    assert.equal(status.turns, 3);
    assert.equal(status.codexThreadId, codexThreadId, 'the same Codex thread');
    const threads = new Set(
      stack.scripted
        .stats()
        .requests.slice(before)
        .filter((r) => r.kind === 'codex')
        .map((r) => r.thread),
    );
    assert.deepEqual([...threads], [codexThreadId]);
  });

  void it('on --transport mcp (threads die with their process) a new server continues the session in a new Codex thread', async () => {
    for (const old of servers) await old.close().catch(() => undefined);
    const env = mcpServerEnv(stack, codexHome);
    const first = await startMcpServer({ env, cwd: serverDir, args: ['--transport', 'mcp'] });
    servers.push(first);
    const started = await callTool(first, 'codex', {
      prompt: writeFilesPrompt(['mcp-one.txt']),
      'approval-policy': 'never',
      sandbox: 'workspace-write',
    });
    assert.equal(started.isError, undefined, textOf(started));
    const id = (started.structuredContent as { threadId: string }).threadId;
    const handle = stack.client.workflow.getHandle(sessionWorkflowId(id));
    const lost = (await handle.query(codexSessionStatusQuery)).codexThreadId;
    process.kill(first.pid, 'SIGKILL');
    await first.close().catch(() => undefined);
    const second = await startMcpServer({ env, cwd: serverDir, args: ['--transport', 'mcp'] });
    servers.push(second);
    const before = stack.scripted.stats().requests.length;
    const reply = await callTool(second, 'codex-reply', { prompt: writeFilesPrompt(['mcp-two.txt']), threadId: id });
    assert.equal(reply.isError, undefined, textOf(reply));
    assert.equal((reply.structuredContent as { threadId: string }).threadId, id, 'the client keeps its threadId');
    assert.ok(existsSync(path.join(serverDir, 'mcp-two.txt')));
    const status = await handle.query(codexSessionStatusQuery);
    assert.notEqual(status.codexThreadId, lost, 'a new Codex thread carries on');
    // Every request of the turn went to that new thread (its prompt carries the earlier ones: codex-session.test.ts).
    const newThread = stack.scripted
      .stats()
      .requests.slice(before)
      .filter((r) => r.kind === 'codex')
      .map((r) => r.thread);
    assert.deepEqual([...new Set(newThread)], [status.codexThreadId]);
  });
});

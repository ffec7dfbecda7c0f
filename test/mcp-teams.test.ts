/**
 * Teams as MCP tools on real parts (Temporal dev server, the real Codex binary, the scripted model), through the
 * SDK's client over an in-memory transport: run_team as an MCP task polled to completion (and answered by a second
 * server instance), cancelled with tasks/cancel, run blocking with progress notifications; run_status; review_run
 * approving a reviewed run; bad input as tool errors naming the field.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { CreateTaskResultSchema } from '@modelcontextprotocol/sdk/experimental/tasks/types.js';
import { CallToolResultSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startLocalStack, type LocalStack } from '../src/runtime/local-stack';
import { serveHttp } from '../src/mcp-server/http';
import { teamTaskServerOptions } from '../src/mcp-server/run-tasks';
import { registerTeamTools, type TeamToolDeps } from '../src/mcp-server/team-tools';

let stack: LocalStack;
const closers: (() => Promise<void>)[] = [];

before(async () => {
  // Codex latency keeps the Game Developer's step longer than a progress poll, so the samples see it run.
  stack = await startLocalStack({ scripted: { latency: { codexMs: 300 } } });
});
after(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  // A client call that failed just before (a query to a run whose worker is stopping) is retried after a backoff; let
  // those retries find the connection still open, or grpc throws 'Channel has been shut down' from a timer.
  await new Promise((r) => setTimeout(r, 2_000));
  await stack?.stop();
});

/** A server with only the team tools: what the core server builds, minus the Codex tools. */
function teamsServer(overrides: Partial<TeamToolDeps> = {}): McpServer {
  const worker = stack.worker;
  assert.ok(worker);
  const deps: TeamToolDeps = {
    client: stack.client,
    namespace: stack.namespace,
    taskQueue: stack.taskQueue,
    hostQueue: worker.hostQueue,
    settings: stack.settings,
    log: { info: () => undefined, warn: () => undefined },
    cwd: process.cwd(),
    pollIntervalMs: 300,
    runDefaults: { tuning: { retryInitialIntervalMs: 200, retryMaximumIntervalMs: 1000 } },
    ...overrides,
  };
  const server = new McpServer({ name: 'teams-only', version: '0.0.0' }, teamTaskServerOptions(deps));
  registerTeamTools(server, deps);
  return server;
}

/** A client of a new server: in memory, or over Streamable HTTP (a server process of its own, as after a restart). */
async function connect(
  name = 'mcp-teams-test',
  via: 'memory' | 'http' = 'memory',
  overrides: Partial<TeamToolDeps> = {},
): Promise<Client> {
  const client = new Client({ name, version: '0.0.0' });
  if (via === 'http') {
    const serving = await serveHttp(() => teamsServer(overrides));
    closers.push(() => serving.close());
    await client.connect(new StreamableHTTPClientTransport(new URL(serving.url)));
    closers.push(() => client.close());
    return client;
  }
  const server = teamsServer(overrides);
  const [a, b] = InMemoryTransport.createLinkedPair();
  await Promise.all([server.connect(a), client.connect(b)]);
  closers.push(
    () => client.close(),
    () => server.close(),
  );
  return client;
}

const TASK = 'Build a tiny click counter page.';

async function startTask(
  client: Client,
  args: Record<string, unknown>,
  onprogress?: (p: { message?: string }) => void,
): Promise<string> {
  const created = await client.request(
    { method: 'tools/call', params: { name: 'run_team', arguments: args, task: { ttl: 3_600_000 } } },
    CreateTaskResultSchema,
    onprogress ? { onprogress } : {},
  );
  assert.match(created.task.taskId, /^mcp-single-/);
  return created.task.taskId;
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const text = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

describe('teams as MCP tools', { timeout: 240_000 }, () => {
  it('refuses bad input with a tool error naming the field', async () => {
    const client = await connect();
    const call = async (args: Record<string, unknown>) =>
      (await client.callTool({ name: 'run_team', arguments: args })) as CallToolResult;
    const unknown = await call({ team: 'nosuchteam', task: TASK });
    assert.equal(unknown.isError, true);
    assert.match(text(unknown), /^team: Unknown team "nosuchteam" \(built-in teams: change, cookbook, single/);
    const yaml = await call({ team: 'name: x\nroles: [\n', task: TASK });
    assert.equal(yaml.isError, true);
    assert.match(text(yaml), /^team: line \d+: invalid YAML/);
    const badTeam = await call({ team: 'name: x\nroles: []\n', task: TASK });
    assert.match(text(badTeam), /^team: line \d+: roles: a team needs at least one role/);
    const empty = await call({ team: 'single', task: '   ' });
    assert.equal(empty.isError, true);
    assert.match(text(empty), /^task: must not be empty/);
    const role = await call({ team: 'single', task: TASK, review: ['nobody'] });
    assert.match(text(role), /^review: team single has no role nobody/);
    const status = (await client.callTool({
      name: 'run_status',
      arguments: { runId: 'no-such-run' },
    })) as CallToolResult;
    assert.equal(status.isError, true);
    assert.match(text(status), /^runId: no run "no-such-run"/);

    // A run pinned to a host queue nobody polls would wait for ever: refused, nothing started.
    const orphan = await connect('orphan', 'memory', { hostQueue: 'nobody-polls-this-queue' });
    const refused = (await orphan.callTool({
      name: 'run_team',
      arguments: { team: 'single', task: TASK },
    })) as CallToolResult;
    assert.equal(refused.isError, true);
    assert.match(
      text(refused),
      /^No worker polls this machine's host queue nobody-polls-this-queue: .* Nothing was started\.$/,
    );
  });

  it('runs a team as a task: tasks/get to completion, tasks/result, and a second server answers for it', async () => {
    const client = await connect();
    const taskId = await startTask(client, { team: 'single', task: TASK });
    const messages = new Set<string>();
    const done = await until('the task to finish', async () => {
      const t = await client.experimental.tasks.getTask(taskId);
      if (t.statusMessage) messages.add(t.statusMessage);
      return t.status === 'working' ? undefined : t;
    });
    assert.equal(done.status, 'completed', done.statusMessage);
    assert.ok(
      [...messages].some((m) => /roles done/.test(m)),
      [...messages].join(' | '),
    );
    const result = await client.experimental.tasks.getTaskResult(taskId, CallToolResultSchema);
    assert.notEqual(result.isError, true, text(result));
    const out = result.structuredContent as { status: string; workspace: string; files: { path: string }[] };
    assert.equal(out.status, 'completed');
    assert.ok(out.files.some((f) => f.path === 'index.html'));
    assert.ok(existsSync(path.join(out.workspace, 'index.html')), 'the workspace is on this machine');

    // A second server (over HTTP, another session, nothing shared but Temporal) knows the task.
    const other = await connect('second-client', 'http');
    const again = await other.experimental.tasks.getTask(taskId);
    assert.equal(again.status, 'completed');
    const result2 = await other.experimental.tasks.getTaskResult(taskId, CallToolResultSchema);
    assert.deepEqual(result2.structuredContent, result.structuredContent);
    const listed = await other.experimental.tasks.listTasks();
    assert.ok(listed.tasks.some((t) => t.taskId === taskId));

    const status = (await other.callTool({ name: 'run_status', arguments: { runId: taskId } })) as CallToolResult;
    const s = status.structuredContent as { status: string; host: string; steps: { role: string; status: string }[] };
    assert.equal(s.status, 'completed');
    assert.equal(s.host, stack.worker?.host, 'the run landed on this server host');
    assert.deepEqual(
      s.steps.map((x) => [x.role, x.status]),
      [
        ['game_designer', 'done'],
        ['game_developer', 'done'],
      ],
    );
  });

  it('tasks/cancel cancels the run', async () => {
    const client = await connect();
    const taskId = await startTask(client, { team: 'single', task: TASK });
    await until('the first role to run', async () => {
      const t = await client.experimental.tasks.getTask(taskId);
      return /running/.test(t.statusMessage ?? '') ? t : undefined;
    });
    const cancelled = await client.experimental.tasks.cancelTask(taskId);
    assert.equal(cancelled.status, 'cancelled');
    const result = await client.experimental.tasks.getTaskResult(taskId, CallToolResultSchema);
    assert.equal(result.isError, true);
    assert.equal((result.structuredContent as { status: string }).status, 'cancelled');
    const handle = stack.client.workflow.getHandle(taskId);
    assert.equal((await handle.describe()).status.name, 'CANCELLED');
    // As `npm run cancel` does: the history says who asked, and why.
    const asked = (await handle.fetchHistory()).events?.find((e) => e.workflowExecutionCancelRequestedEventAttributes);
    const attrs = asked?.workflowExecutionCancelRequestedEventAttributes;
    assert.match(attrs?.identity ?? '', /^tasks\/cancel from an MCP client via \S+@\S+$/);
    assert.equal(attrs?.cause, 'Client cancelled task execution.');
  });

  it('runs a team blocking over HTTP, with a progress notification per role change', async () => {
    const client = await connect('blocking-client', 'http');
    const progress: string[] = [];
    const result = (await client.callTool({ name: 'run_team', arguments: { team: 'single', task: TASK } }, undefined, {
      onprogress: (p) => progress.push(p.message ?? ''),
      resetTimeoutOnProgress: true,
      timeout: 120_000,
    })) as CallToolResult;
    assert.notEqual(result.isError, true, text(result));
    assert.match(text(result), /^Run mcp-single-\S+ completed\. Files in .*:\n {2}index\.html/);
    assert.match(progress[0] ?? '', /^Started run mcp-single-/);
    // Looked at when the run's history grows: the Game Developer's Codex step is seen running.
    assert.ok(
      progress.some((m) => /running: Game Developer/.test(m)),
      progress.join(' | '),
    );
    // Codex's own events, as this process's worker sees them (no sampler of the run's state can tell these).
    assert.ok(
      progress.some((m) => /^mcp-single-\S+: Game Developer: Codex call 1: Codex changed .*index\.html$/.test(m)),
      progress.join(' | '),
    );
    // The answer can overtake the last look at the run: the final notification is not awaited.
  });

  it('review_run approves a run that waits for a review (a task over HTTP, its progress sent on)', async () => {
    const client = await connect('mcp-teams-test', 'http');
    const progress: string[] = [];
    const taskId = await startTask(client, { team: 'single', task: TASK, review: ['game_developer'] }, (p) =>
      progress.push(p.message ?? ''),
    );
    // The progress notification announces the wait (a reviewer can act on it): sent when the run's history shows it.
    await until('the review in a progress notification', () =>
      Promise.resolve(progress.find((m) => /awaiting review: Game Developer \(answer with review_run\)/.test(m))),
    );
    const waiting = await until('the review', async () => {
      const r = (await client.callTool({ name: 'run_status', arguments: { runId: taskId } })) as CallToolResult;
      const s = r.structuredContent as { pendingReviews: { role: string; files: string[] }[] };
      return s.pendingReviews.length ? s : undefined;
    });
    assert.deepEqual(waiting.pendingReviews, [
      { role: 'game_developer', title: 'Game Developer', round: 1, files: ['index.html'] },
    ]);
    const refused = (await client.callTool({
      name: 'review_run',
      arguments: { runId: taskId, decision: 'changes' },
    })) as CallToolResult;
    assert.equal(refused.isError, true);
    assert.match(text(refused), /^text: changes need a text/);
    const approved = (await client.callTool({
      name: 'review_run',
      arguments: { runId: taskId, decision: 'approve' },
    })) as CallToolResult;
    assert.notEqual(approved.isError, true, text(approved));
    assert.match(text(approved), /^Approved game_developer \(review 1\) as mcp-teams-test via MCP/);
    const result = await client.experimental.tasks.getTaskResult(taskId, CallToolResultSchema);
    assert.equal((result.structuredContent as { status: string }).status, 'completed', text(result));
    // The task's request was answered at once; its progress kept coming on the session's own stream.
    // The review wait lasts until the approval above, so it is seen; the answer may overtake the last step's.
    assert.ok(
      progress.some((m) => /awaiting review: Game Developer \(answer with review_run\)/.test(m)),
      progress.join(' | '),
    );
  });
});

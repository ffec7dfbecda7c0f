/**
 * The `mcp-server --http` command as a process, on real parts (Temporal dev server, the real Codex binary, the
 * scripted model): all five tools listed over Streamable HTTP, `run_team` as an MCP task, the server process stopped
 * mid-run, and a new server process answering tasks/get and tasks/result for the task the first one created.
 * The servers run `--no-worker`: the stack's worker, same machine and WORKSPACE_ROOT, serves their host queue.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateTaskResultSchema } from '@modelcontextprotocol/sdk/experimental/tasks/types.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { startLocalStack, type LocalStack } from '../src/runtime/local-stack';
import { mcpServerCommand, mcpServerEnv } from './helpers/mcp-server';

let stack: LocalStack;
let codexHome: string;
const children: ChildProcess[] = [];
const clients: Client[] = [];

before(async () => {
  stack = await startLocalStack();
  codexHome = mkdtempSync(path.join(os.homedir(), '.cache', 'dca-mcp-http-'));
});
after(async () => {
  for (const c of clients) await c.close().catch(() => undefined);
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  await stack?.stop();
  if (codexHome) rmSync(codexHome, { recursive: true, force: true });
});

/** Starts `mcp-server --http 0 --no-worker` and connects a client to the URL it prints on stderr. */
async function startHttpServer(): Promise<{ child: ChildProcess; client: Client; stderr: () => string }> {
  const { command, args } = mcpServerCommand(['--http', '0', '--no-worker']);
  const child = spawn(command, args, { env: mcpServerEnv(stack, codexHome), stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL on stderr:\n${stderr}`)), 60_000);
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /MCP over Streamable HTTP on (http:\/\/\S+)/.exec(stderr);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`mcp-server exited ${code}:\n${stderr}`)));
  });
  const client = new Client({ name: 'http-e2e', version: '0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  clients.push(client);
  return { child, client, stderr: () => stderr };
}

const stopped = (child: ChildProcess) => new Promise<void>((resolve) => child.once('exit', () => resolve()));

describe('mcp-server --http', { timeout: 180_000 }, () => {
  it('lists every tool; a run_team task outlives its server process', async () => {
    const first = await startHttpServer();
    const { tools } = await first.client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), ['codex', 'codex-reply', 'review_run', 'run_status', 'run_team']);
    assert.equal(tools.find((t) => t.name === 'run_team')?.execution?.taskSupport, 'optional');

    const created = await first.client.request(
      {
        method: 'tools/call',
        params: { name: 'run_team', arguments: { team: 'single', task: 'A tiny clicker.' }, task: { ttl: 600_000 } },
      },
      CreateTaskResultSchema,
    );
    const { taskId } = created.task;
    // The server process goes away while the run goes on (on the stack's worker).
    first.child.kill('SIGTERM');
    await stopped(first.child);

    const second = await startHttpServer();
    const result = await second.client.experimental.tasks.getTaskResult(taskId, CallToolResultSchema);
    const out = result.structuredContent as { status: string; files: { path: string }[] };
    assert.equal(out.status, 'completed', JSON.stringify(result.content));
    assert.ok(out.files.some((f) => f.path === 'index.html'));
    assert.equal((await second.client.experimental.tasks.getTask(taskId)).status, 'completed');
  });
});

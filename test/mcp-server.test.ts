/**
 * The durable MCP server through a real MCP client (the SDK's, over stdio), on a real Temporal dev server, the
 * current Codex (app-server) and the scripted model: the cookbook's tool schemas, `codex` writing a file in a `cwd`
 * resolved against the server's directory, `codex-reply` continuing the same Codex thread, bad input answered as
 * readable tool errors, and nothing but JSON-RPC on stdout.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { promisify } from 'node:util';
import { startLocalStack, type LocalStack } from '../src/runtime/local-stack';
import { waitFor } from './helpers/crash';
import { codexSessionStatusQuery, sessionWorkflowId } from '../src/shared/codex-session';
import {
  REPO,
  callTool,
  mcpServerCommand,
  mcpServerEnv,
  startMcpServer,
  textOf,
  writeFilesPrompt,
  type McpServerProcess,
} from './helpers/mcp-server';

let stack: LocalStack;
let server: McpServerProcess;
let codexHome: string;
let serverDir: string;
const elicited: string[] = [];
const answers: { decision: string; reason?: string }[] = [];

before(async () => {
  stack = await startLocalStack({ inProcessWorker: false });
  // Codex 0.171 cannot set up its apply_patch helper under a CODEX_HOME in /tmp.
  codexHome = mkdtempSync(path.join(os.homedir(), '.cache', 'dca-mcp-server-'));
  serverDir = path.join(stack.dir, 'client-dir');
  mkdirSync(path.join(serverDir, 'proj'), { recursive: true });
  server = await startMcpServer({
    env: mcpServerEnv(stack, codexHome),
    cwd: serverDir,
    onElicit: (req) => {
      elicited.push(req.params.message);
      const next = answers.shift() ?? { decision: 'deny', reason: 'no answer scripted' };
      return { action: 'accept', content: next };
    },
  });
});
after(async () => {
  await server?.close();
  await stack?.stop();
  if (codexHome) rmSync(codexHome, { recursive: true, force: true });
});

void describe('durable MCP server over stdio', () => {
  void it('lists the cookbook tools with their input schemas', async () => {
    const { tools } = await server.client.listTools();
    const byName = new Map(tools.map((t) => [t.name, t]));
    const codex = byName.get('codex');
    const reply = byName.get('codex-reply');
    assert.ok(codex && reply, `tools: ${tools.map((t) => t.name).join(', ')}`);
    assert.deepEqual(Object.keys(codex.inputSchema.properties ?? {}).sort(), [
      'approval-policy',
      'base-instructions',
      'config',
      'cwd',
      'include-plan-tool',
      'model',
      'profile',
      'prompt',
      'sandbox',
    ]);
    assert.deepEqual(codex.inputSchema.required, ['prompt']);
    assert.deepEqual(Object.keys(reply.inputSchema.properties ?? {}).sort(), ['conversationId', 'prompt', 'threadId']);
    assert.deepEqual(Object.keys(codex.outputSchema?.properties ?? {}).sort(), ['content', 'threadId']);
  });

  let threadId = '';
  void it('codex writes a file in a cwd resolved against the server directory; codex-reply continues the thread', async () => {
    const first = await callTool(server, 'codex', {
      prompt: writeFilesPrompt(['hello.txt']),
      'approval-policy': 'never',
      sandbox: 'workspace-write',
      cwd: 'proj',
      'include-plan-tool': true,
    });
    assert.equal(first.isError, undefined, textOf(first));
    const structured = first.structuredContent as { threadId: string; content: string };
    threadId = structured.threadId;
    assert.match(threadId, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(textOf(first), structured.content);
    assert.match(structured.content, /hello\.txt/);
    assert.match(structured.content, /SCRIPTED model/);
    assert.ok(existsSync(path.join(serverDir, 'proj', 'hello.txt')));

    const handle = stack.client.workflow.getHandle(sessionWorkflowId(threadId));
    const before = await handle.query(codexSessionStatusQuery);
    const second = await callTool(server, 'codex-reply', { prompt: writeFilesPrompt(['second.txt']), threadId });
    assert.equal(second.isError, undefined, textOf(second));
    assert.equal((second.structuredContent as { threadId: string }).threadId, threadId);
    assert.ok(existsSync(path.join(serverDir, 'proj', 'second.txt')));
    const afterReply = await handle.query(codexSessionStatusQuery);
    assert.equal(afterReply.turns, 2);
    assert.equal(afterReply.codexThreadId, before.codexThreadId, 'the same Codex thread');
    // Codex sent both turns' requests on that one thread.
    const threads = new Set(
      stack.scripted
        .stats()
        .requests.filter((r) => r.kind === 'codex')
        .map((r) => r.thread),
    );
    assert.deepEqual([...threads], [before.codexThreadId]);

    // The deprecated alias names the same session.
    const third = await callTool(server, 'codex-reply', { prompt: 'Say done.', conversationId: threadId });
    assert.equal(third.isError, undefined, textOf(third));
  });

  void it('codex sends a progress notification per Codex event as it happens (not on a sampler)', async (t) => {
    // Each Codex model request takes 600 ms: a file Codex wrote is followed, that long later, by the next request.
    const files = ['p1.txt', 'p2.txt', 'p3.txt', 'p4.txt', 'p5.txt'];
    stack.scripted.setLatency({ codexMs: 600 });
    const seen: { message: string; at: number }[] = [];
    let result: CallToolResult;
    try {
      result = (await server.client.callTool(
        {
          name: 'codex',
          arguments: {
            prompt: writeFilesPrompt(files),
            'approval-policy': 'never',
            sandbox: 'workspace-write',
            cwd: 'proj',
          },
        },
        undefined,
        { timeout: 120_000, onprogress: (p) => seen.push({ message: p.message ?? '', at: Date.now() }) },
      )) as CallToolResult;
    } finally {
      stack.scripted.setLatency({ codexMs: 0 });
    }
    assert.equal(result.isError, undefined, textOf(result));
    const threadId = (result.structuredContent as { threadId: string }).threadId;
    const { codexThreadId } = await stack.client.workflow
      .getHandle(sessionWorkflowId(threadId))
      .query(codexSessionStatusQuery);
    // Codex applies file i's patch, reports it, then sends request i + 1 (which carries the patch's output).
    const requests = stack.scripted
      .stats()
      .requests.filter((r) => r.kind === 'codex' && r.thread === codexThreadId)
      .sort((a, b) => a.seq - b.seq);
    assert.ok(requests.length >= files.length + 1, `${requests.length} Codex requests`);
    const lines = seen.map((s) => s.message).join('\n');
    const lags: number[] = [];
    files.forEach((file, i) => {
      const notified = seen.filter((s) => new RegExp(`changed .*${file.replace('.', '\\.')}`).test(s.message));
      assert.equal(notified.length, 1, `one notification for ${file}:\n${lines}`);
      const lagMs = notified[0]!.at - Date.parse(requests[i + 1]!.startedAt);
      lags.push(lagMs);
      // A 1 s sampler would be up to 1 s late (about half the time more than 500 ms) and would merge events.
      assert.ok(lagMs <= 500, `${file} notified ${lagMs} ms after Codex reported it:\n${lines}`);
    });
    t.diagnostic(`notification lag after Codex reported each file (ms): ${lags.join(', ')}`);
    assert.match(lines, /Codex turn 1: Codex runs `.+`/, 'the check command, with its text');
  });

  void it('bad input is a tool error that names the field', async () => {
    const missing = await callTool(server, 'codex', { cwd: 'proj' });
    assert.equal(missing.isError, true);
    assert.match(textOf(missing), /prompt/);
    const blank = await callTool(server, 'codex', { prompt: '  ', cwd: 'proj' });
    assert.equal(blank.isError, true);
    assert.match(textOf(blank), /^prompt: must not be empty/);
    const unknownField = await callTool(server, 'codex', { prompt: 'x', 'developer-instructions': 'y' });
    assert.equal(unknownField.isError, true);
    assert.match(textOf(unknownField), /developer-instructions/);
    const badCwd = await callTool(server, 'codex', { prompt: 'x', cwd: 'no-such-dir' });
    assert.equal(badCwd.isError, true);
    assert.match(textOf(badCwd), /^cwd: .*no-such-dir is not a directory/);
    const noThread = await callTool(server, 'codex-reply', { prompt: 'x' });
    assert.equal(noThread.isError, true);
    assert.match(textOf(noThread), /^threadId: required/);
    const unknown = await callTool(server, 'codex-reply', {
      prompt: 'x',
      threadId: '019bbb20-bff6-7130-83aa-bf45ab33250e',
    });
    assert.equal(unknown.isError, true);
    assert.match(textOf(unknown), /^threadId: unknown or expired thread 019bbb20/);

    // A --no-worker server whose host queue nobody serves says so at start-up, in one line.
    const lonely = await startMcpServer({
      env: mcpServerEnv(stack, codexHome, { WORKER_HOST_ID: 'nobody-here' }),
      cwd: serverDir,
      args: ['--no-worker'],
    });
    try {
      await waitFor(
        'the warning',
        () => /no worker polls ".*-host-nobody-here" yet/.test(lonely.stderr()) || undefined,
      );
    } finally {
      await lonely.close();
    }
  });

  void it('the MCP Inspector CLI lists and calls the tools', async () => {
    // `npx @modelcontextprotocol/inspector --cli <command> ...` (0.15.0, the last release for Node 20).
    const inspector = path.join(REPO, 'node_modules', '@modelcontextprotocol', 'inspector', 'cli', 'build', 'cli.js');
    // --no-worker: the server started in before() serves this machine's host queue, so no second worker starts.
    const { command, args } = mcpServerCommand(['--no-worker']);
    const run = (extra: string[]) =>
      promisify(execFile)(process.execPath, [inspector, '--cli', command, ...args, ...extra], {
        cwd: serverDir,
        env: mcpServerEnv(stack, codexHome),
        timeout: 120_000,
      });
    const listed = JSON.parse((await run(['--method', 'tools/list'])).stdout) as { tools: { name: string }[] };
    assert.deepEqual(listed.tools.map((t) => t.name).sort(), [
      'codex',
      'codex-reply',
      'review_run',
      'run_status',
      'run_team',
    ]);
    const called = JSON.parse(
      (
        await run([
          '--method',
          'tools/call',
          '--tool-name',
          'codex',
          '--tool-arg',
          `prompt=${writeFilesPrompt(['inspected.txt'])}`,
          'approval-policy=never',
          'sandbox=workspace-write',
          'cwd=proj',
        ])
      ).stdout,
    ) as { structuredContent?: { threadId: string; content: string }; isError?: boolean };
    assert.notEqual(called.isError, true, JSON.stringify(called));
    assert.match(called.structuredContent?.threadId ?? '', /^[0-9a-f-]{36}$/);
    assert.ok(existsSync(path.join(serverDir, 'proj', 'inspected.txt')));
  });

  void it('approvals (on-request) reach the client as elicitations; approved and denied; decisions in history', async () => {
    stack.scripted.setFaults([{ kind: 'codex', role: 'codex', times: 2, effect: 'needs-approval' }]);
    answers.push({ decision: 'approve' }, { decision: 'deny', reason: 'not on my machine' });
    const args = { 'approval-policy': 'on-request', sandbox: 'workspace-write', cwd: 'proj' };
    const approved = await callTool(server, 'codex', { ...args, prompt: writeFilesPrompt(['approved.txt']) });
    assert.equal(approved.isError, undefined, textOf(approved));
    const denied = await callTool(server, 'codex', { ...args, prompt: writeFilesPrompt(['denied.txt']) });
    assert.equal(denied.isError, undefined, textOf(denied));
    assert.equal(elicited.length, 2, JSON.stringify(elicited));
    assert.match(elicited[0] ?? '', /Codex wants to run/);
    const decisions = async (r: typeof approved) => {
      const { threadId } = r.structuredContent as { threadId: string };
      const status = await stack.client.workflow.getHandle(sessionWorkflowId(threadId)).query(codexSessionStatusQuery);
      return status.approvals.decided.map((d) => [d.decision, d.by, d.reason ?? '']);
    };
    assert.deepEqual(await decisions(approved), [['approved', 'MCP client', '']]);
    assert.deepEqual(await decisions(denied), [['denied', 'MCP client', 'not on my machine']]);
    assert.match(textOf(denied), /denied|declined|not run/i);

    // A client without the elicitation capability: denied, with a reason the model reads. (--no-worker: the first
    // server's worker serves this machine's host queue.)
    stack.scripted.setFaults([{ kind: 'codex', role: 'codex', times: 1, effect: 'needs-approval' }]);
    const plain = await startMcpServer({ env: mcpServerEnv(stack, codexHome), cwd: serverDir, args: ['--no-worker'] });
    try {
      const r = await callTool(plain, 'codex', { ...args, prompt: writeFilesPrompt(['plain.txt']) });
      assert.equal(r.isError, undefined, textOf(r));
      const [d] = await decisions(r);
      assert.equal(d?.[0], 'denied');
      assert.match(d?.[2] ?? '', /did not declare the elicitation capability/);
    } finally {
      await plain.close();
    }
  });

  void it('stdout carries only JSON-RPC; the start-up lines go to stderr', () => {
    assert.deepEqual(server.channelErrors.map(String), []);
    assert.match(server.stderr(), /SCRIPTED model/);
    assert.match(server.stderr(), /Temporal .*namespace default/);
  });
});

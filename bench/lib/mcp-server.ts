/**
 * The durable MCP server's cost on one trivial `codex` call: the same call (a prompt the scripted Codex answers with
 * one message, one model request) through `mcp-server --transport mcp` (a Temporal session workflow, its turn an
 * activity on the server's in-process worker, the pinned `codex mcp-server` 0.153.4 behind it) and straight to that
 * pinned `codex mcp-server`, both from the MCP SDK's stdio client, same scripted model. Median of N each, after one
 * warm-up call each. Goal: durable <= 1.10 x direct + 50 ms.
 *
 * A/B: `MCP_BENCH_COMPARE=/path/to/other/checkout` adds that checkout's mcp-server (its own bin, same Temporal and
 * scripted model) to the same interleaved runs, so a change is measured against its base under the same load.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { codexConfig } from '../../src/activities/codex/call';
import { codexBinaryPath, loadSettings, SCRIPTED_MODEL_KEY, SCRIPTED_MODEL_SLUG } from '../../src/config/settings';
import type { Client as TemporalClient } from '@temporalio/client';
import { startLocalStack } from '../../src/runtime/local-stack';
import { sessionWorkflowId } from '../../src/shared/codex-session';
import { median } from './format';
import { callPhases, medianPhases, type CallPhases, type PhaseMedian } from './mcp-phases';

const REPO = path.resolve(__dirname, '..', '..');
const PROMPT = 'Say hello.';

export interface McpServerBenchReport {
  runs: number;
  directMs: number[];
  durableMs: number[];
  directMedianMs: number;
  durableMedianMs: number;
  /** MCP_BENCH_COMPARE's server, when set. */
  compare?: { repo: string; ms: number[]; medianMs: number };
  /** Where a durable call's time goes: median of each phase over the timed runs (./mcp-phases.ts). */
  phases: PhaseMedian[];
  /** durable <= 1.10 x direct + 50 ms */
  goalMs: number;
  ok: boolean;
}

export async function measureMcpServer(runs: number, log: (line: string) => void): Promise<McpServerBenchReport> {
  const stack = await startLocalStack({ inProcessWorker: false });
  const codexHome = mkdtempSync(path.join(os.homedir(), '.cache', 'dca-bench-mcp-'));
  const cwd = path.join(stack.dir, 'client-dir');
  mkdirSync(cwd, { recursive: true });
  const clients: Client[] = [];
  try {
    const baseEnv = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? os.homedir(),
      CODEX_HOME: codexHome,
    };
    // Straight to the pinned codex mcp-server, configured as the worker configures it.
    const direct = await connect(clients, {
      command: process.execPath,
      args: [codexBinaryPath('mcp'), 'mcp-server'],
      env: { ...baseEnv, OPENAI_API_KEY: SCRIPTED_MODEL_KEY },
      cwd,
    });
    const settings = loadSettings({ OPENAI_API_KEY: '' }, { scriptedBaseUrl: stack.scripted.baseUrl });
    const directArgs = {
      prompt: PROMPT,
      'approval-policy': 'never',
      sandbox: 'read-only',
      cwd,
      model: SCRIPTED_MODEL_SLUG,
      config: codexConfig({ role: 'codex', runId: 'bench-direct' }, 'read-only', settings),
    };
    // Through the durable server: its own in-process worker, the same pinned Codex.
    const durableServer = (repo: string, taskQueue: string) =>
      connect(clients, {
        command: process.execPath,
        args: [path.join(repo, 'bin', 'durable-codex-agents.js'), 'mcp-server', '--transport', 'mcp'],
        env: {
          ...baseEnv,
          TEMPORAL_ADDRESS: stack.address,
          TEMPORAL_NAMESPACE: stack.namespace,
          TASK_QUEUE: taskQueue,
          WORKSPACE_ROOT: stack.workspaceRoot,
          SCRIPTED_MODEL_URL: stack.scripted.baseUrl,
          DCA_CONFIG: path.join(codexHome, 'none.json'),
        },
        cwd,
      });
    const durable = await durableServer(REPO, stack.taskQueue);
    const compareRepo = process.env.MCP_BENCH_COMPARE ? path.resolve(process.env.MCP_BENCH_COMPARE) : undefined;
    // Its own task queue: the two servers' workers must not take each other's workflow tasks.
    const compare = compareRepo ? await durableServer(compareRepo, `${stack.taskQueue}-compare`) : undefined;
    const durableArgs = { prompt: PROMPT, 'approval-policy': 'never', sandbox: 'read-only' };

    let lastThreadId: string | undefined;
    let lastCall = { sentAt: 0, answeredAt: 0 };
    const time = async (c: Client, args: Record<string, unknown>) => {
      const sentAt = Date.now();
      const t0 = performance.now();
      const r = (await c.callTool({ name: 'codex', arguments: args }, undefined, {
        timeout: 120_000,
      })) as CallToolResult;
      const ms = performance.now() - t0;
      lastCall = { sentAt, answeredAt: sentAt + ms };
      if (r.isError) throw new Error(`codex call failed: ${JSON.stringify(r.content)}`);
      if (c === durable) lastThreadId = (r.structuredContent as { threadId?: string } | undefined)?.threadId;
      return ms;
    };
    log('  warm-up: one call each ...');
    await time(direct, directArgs);
    await time(durable, durableArgs);
    if (compare) await time(compare, durableArgs);
    const directMs: number[] = [];
    const durableMs: number[] = [];
    const compareMs: number[] = [];
    const phases: CallPhases[] = [];
    // Interleaved, so load on a shared machine falls on all alike.
    for (let i = 0; i < runs; i++) {
      directMs.push(await time(direct, directArgs));
      durableMs.push(await time(durable, durableArgs));
      if (lastThreadId) phases.push(await callPhases(stack.client, sessionWorkflowId(lastThreadId), lastCall));
      if (compare) compareMs.push(await time(compare, durableArgs));
      log(
        `  run ${i + 1}/${runs}: direct ${Math.round(directMs[i]!)} ms, durable ${Math.round(durableMs[i]!)} ms` +
          (compare ? `, compare ${Math.round(compareMs[i]!)} ms` : ''),
      );
    }
    if (lastThreadId) log(`  last durable call in history: ${await timeline(stack.client, lastThreadId)}`);
    const directMedianMs = median(directMs);
    const durableMedianMs = median(durableMs);
    const goalMs = 1.1 * directMedianMs + 50;
    return {
      runs,
      directMs,
      durableMs,
      directMedianMs,
      durableMedianMs,
      phases: medianPhases(phases),
      ...(compareRepo && { compare: { repo: compareRepo, ms: compareMs, medianMs: median(compareMs) } }),
      goalMs,
      ok: durableMedianMs <= goalMs,
    };
  } finally {
    for (const c of clients) await c.close().catch(() => undefined);
    await stack.stop();
    rmSync(codexHome, { recursive: true, force: true });
  }
}

/** Milliseconds from the first event of the session's history to each later one, by event type. */
async function timeline(client: TemporalClient, threadId: string): Promise<string> {
  const history = await client.workflow.getHandle(sessionWorkflowId(threadId)).fetchHistory();
  const events = history.events ?? [];
  const ms = (e: (typeof events)[number]) =>
    Number(e.eventTime?.seconds ?? 0) * 1000 + Math.round(Number(e.eventTime?.nanos ?? 0) / 1e6);
  const t0 = events[0] ? ms(events[0]) : 0;
  return events
    .map(
      (e) =>
        `${Object.keys(e)
          .find((k) => k.endsWith('EventAttributes'))
          ?.replace('EventAttributes', '')} +${ms(e) - t0}`,
    )
    .join(', ');
}

async function connect(
  clients: Client[],
  params: { command: string; args: string[]; env: Record<string, string>; cwd: string },
): Promise<Client> {
  const client = new Client({ name: 'dca-bench', version: '0.0.0' });
  clients.push(client);
  await client.connect(new StdioClientTransport({ ...params, stderr: 'ignore' }), { timeout: 60_000 });
  return client;
}

/**
 * The durable MCP server (`src/cli/mcp-server.ts`) as MCP clients start it: a child process over stdio, pointed at a
 * local stack's Temporal and scripted model, with no credential anywhere it would look (so the scripted model answers).
 */
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import {
  ElicitRequestSchema,
  type CallToolResult,
  type ElicitRequest,
  type ElicitResult,
} from '@modelcontextprotocol/sdk/types.js';
import type { LocalStack } from '../../src/runtime/local-stack';

export const REPO = path.resolve(__dirname, '..', '..');
/** The package's bin, as `npm link` installs it: `durable-codex-agents mcp-server`. */
export const BIN = path.join(REPO, 'bin', 'durable-codex-agents.js');
export const mcpServerCommand = (args: string[] = []) => ({
  command: process.execPath,
  args: [BIN, 'mcp-server', ...args],
});

/** The environment a stdio server gets: the stack's Temporal and scripted model, nothing that holds a key. */
export function mcpServerEnv(
  stack: LocalStack,
  codexHome: string,
  extra: NodeJS.ProcessEnv = {},
): Record<string, string> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME ?? os.homedir(),
    TEMPORAL_ADDRESS: stack.address,
    TEMPORAL_NAMESPACE: stack.namespace,
    TASK_QUEUE: stack.taskQueue,
    WORKSPACE_ROOT: stack.workspaceRoot,
    SCRIPTED_MODEL_URL: stack.scripted.baseUrl,
    CODEX_HOME: codexHome,
    DCA_CONFIG: path.join(codexHome, 'no-config.json'),
    ...extra,
  };
  mkdirSync(codexHome, { recursive: true });
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

export interface McpServerProcess {
  client: Client;
  transport: StdioClientTransport;
  stderr(): string;
  /** Errors the client saw on the channel (a non-JSON line on stdout is one). */
  channelErrors: Error[];
  pid: number;
  close(): Promise<void>;
}

export async function startMcpServer(o: {
  env: Record<string, string>;
  cwd: string;
  args?: string[];
  /** Declares the elicitation capability and answers each `elicitation/create` with this. */
  onElicit?: (request: ElicitRequest) => ElicitResult | Promise<ElicitResult>;
}): Promise<McpServerProcess> {
  const transport = new StdioClientTransport({
    ...mcpServerCommand(o.args),
    env: o.env,
    cwd: o.cwd,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const channelErrors: Error[] = [];
  const client = new Client(
    { name: 'dca-test', version: '0.0.0' },
    { capabilities: o.onElicit ? { elicitation: {} } : {} },
  );
  if (o.onElicit) client.setRequestHandler(ElicitRequestSchema, (req) => o.onElicit!(req));
  client.onerror = (err) => channelErrors.push(err);
  await client.connect(transport, { timeout: 60_000 });
  return {
    client,
    transport,
    stderr: () => stderr,
    channelErrors,
    pid: transport.pid ?? -1,
    close: () => client.close(),
  };
}

export async function callTool(
  server: McpServerProcess,
  name: string,
  args: Record<string, unknown>,
  timeoutMs = 120_000,
): Promise<CallToolResult> {
  return (await server.client.callTool({ name, arguments: args }, undefined, {
    timeout: timeoutMs,
  })) as CallToolResult;
}

export const textOf = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

/** A prompt the scripted Codex turns into files. */
export const writeFilesPrompt = (files: string[], note = '') =>
  [
    note,
    'Write exactly these files (paths relative to the current directory):',
    ...files.map((f) => `- ${f} (required)`),
  ]
    .filter(Boolean)
    .join('\n');

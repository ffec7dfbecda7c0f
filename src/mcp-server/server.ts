/**
 * The durable MCP server: the cookbook's Codex tools (`codex`, `codex-reply`: ./codex-tools.ts) and teams as tools
 * (./team-tools.ts) on one `McpServer`, whatever the transport (./stdio.ts; Streamable HTTP in ./http.ts).
 *
 * Shape shared by the tool modules: `createMcpServer(deps: McpServerDeps): McpServer` (the types live in ./deps.ts,
 * so tool modules import them without a cycle), where deps are
 *   client      a connected Temporal Client (workflows and their Updates / queries);
 *   namespace   its namespace;
 *   taskQueue   the workflows' task queue (settings.taskQueue);
 *   hostQueue   this process's host queue: Codex work started here runs on this machine, where the client's files are;
 *   settings    the worker-side settings (model endpoint, Codex transport), read once at start-up;
 *   log         stderr-only logger (stdout carries JSON-RPC and nothing else);
 *   cwd         the server's working directory (a relative `cwd` argument is resolved against it);
 *   sessions    limits of Codex sessions (idle end, history bound, activity tuning);
 *   webUiBase   the Temporal Web UI, for links in results, when known.
 * A tool never throws for the client's mistakes: it answers `isError` with a sentence the model can read.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { McpLog, McpServerDeps } from './deps';
import { registerCodexTools } from './codex-tools';
import { teamTaskServerOptions } from './run-tasks';
import { registerTeamTools } from './team-tools';

export const MCP_SERVER_NAME = 'durable-codex-agents';
export const MCP_SERVER_VERSION = '0.1.0';

export type { McpLog, McpServerDeps } from './deps';

export function createMcpServer(deps: McpServerDeps): McpServer {
  // Team runs are MCP tasks kept in Temporal (./run-tasks.ts): the store and the tasks capability come with them.
  const server = new McpServer({ name: MCP_SERVER_NAME, version: MCP_SERVER_VERSION }, teamTaskServerOptions(deps));
  registerCodexTools(server, deps);
  registerTeamTools(server, deps);
  return server;
}

export const stderrLog = (prefix = 'mcp-server'): McpLog => ({
  info: (m) => void process.stderr.write(`${prefix}: ${m}\n`),
  warn: (m) => void process.stderr.write(`${prefix}: warning: ${m}\n`),
  error: (m) => void process.stderr.write(`${prefix}: error: ${m}\n`),
});

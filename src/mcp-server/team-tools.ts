/**
 * Teams as MCP tools (`run_team`, `run_status`, `review_run`, MCP tasks): built by another change against
 * `createMcpServer`'s deps. This stub registers nothing.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { McpServerDeps } from './deps';

export function registerTeamTools(_server: McpServer, _deps: McpServerDeps): void {
  // Replaced by the team tools.
}

/**
 * MCP over stdio. stdout carries JSON-RPC and nothing else: `routeConsoleToStderr` sends every console.log /
 * info / debug to stderr before anything else runs (the Temporal runtime logger writes to stderr already).
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';

export function routeConsoleToStderr(): void {
  const toStderr = (...args: unknown[]) => console.error(...args);
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
  console.trace = toStderr;
}

/** Serves until the client closes stdin (or `stop` resolves); then closes the server. */
export async function serveStdio(server: McpServer, stop?: Promise<unknown>): Promise<void> {
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
    process.stdin.once('close', () => resolve());
  });
  await server.connect(transport);
  await Promise.race([closed, ...(stop ? [stop] : [])]);
  await server.close().catch(() => undefined);
}

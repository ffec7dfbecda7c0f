/**
 * `npm run mcp-server`: the durable Codex MCP server over stdio (src/mcp-server/main.ts).
 * stdout is the MCP channel: every message here goes to stderr.
 */
import { ConfigError } from '../shared/errors';
import { MCP_SERVER_USAGE, mcpServerMain, parseMcpServerArgs } from '../mcp-server/main';

export { MCP_SERVER_USAGE, mcpServerMain, parseMcpServerArgs };

if (require.main === module) {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stderr.write(`${MCP_SERVER_USAGE}\n`);
    process.exit(0);
  }
  Promise.resolve()
    .then(() => mcpServerMain(parseMcpServerArgs(argv)))
    .then(
      (code) => process.exit(code),
      (err: unknown) => {
        const msg =
          err instanceof ConfigError ? err.message : err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        process.stderr.write(`mcp-server: ${msg}\n`);
        process.exit(2);
      },
    );
}

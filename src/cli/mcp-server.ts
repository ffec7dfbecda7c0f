/**
 * `durable-codex-agents mcp-server` (`npm run --silent mcp-server`): the durable Codex MCP server over stdio
 * (src/mcp-server/main.ts). stdout is the MCP channel: everything this command says goes to stderr.
 */
import { DEFAULT_SESSION_TURNS_PER_RUN } from '../shared/codex-session';
import { MCP_SERVER_USAGE, mcpServerMain, mcpServerOptions, parseMcpServerArgs } from '../mcp-server/main';
import { stringOption, type CliCommand } from './command';

export { MCP_SERVER_USAGE, mcpServerMain, parseMcpServerArgs };

export const mcpServerCommand: CliCommand = {
  name: 'mcp-server',
  summary: "the cookbook's Codex MCP server (codex, codex-reply, teams as tools), durable, over stdio or HTTP",
  declare: (cmd) =>
    cmd
      .option(
        '--transport <name>',
        'app-server (the current Codex, default) or mcp (the pinned codex mcp-server 0.153.4)',
      )
      .option('--no-worker', "do not serve this machine's host queue in-process (`npm run worker` here does)")
      .option('--idle-timeout <duration>', 'end a Codex session after this long without a turn (default 7d)')
      .option(
        '--turns-per-run <n>',
        `continue a session's history as new every N turns (default ${DEFAULT_SESSION_TURNS_PER_RUN})`,
      )
      .option(
        '--heartbeat-timeout <duration>',
        'retry a Codex turn whose worker stopped heartbeating this long (default 5s)',
      )
      .option('--approval-timeout <duration>', 'deny a Codex approval the client has not answered in this time')
      .option('--db-file <file>', 'SQLite file of the embedded Temporal dev server')
      .option('--http <port>', 'serve Streamable HTTP on http://HOST:PORT/mcp instead of stdio')
      .option('--host <host>', 'address to bind with --http (default 127.0.0.1; any other needs a token)')
      .option('--token <token>', 'bearer token every HTTP request must carry (or DCA_MCP_TOKEN); required off loopback')
      .addHelpText(
        'after',
        '\nTraces as `npm run worker` makes them, from the same variables: TRACES=openai, OTEL_EXPORTER_OTLP_ENDPOINT,\n' +
          'TRACES_CAPTURE_CONTENT (README "Traces"); MCP clients pass only a few variables, so set them in the\n' +
          "client's server config (`env`).",
      ),
  action: ({ options }) =>
    mcpServerMain(
      mcpServerOptions({
        transport: stringOption(options, 'transport'),
        worker: options.worker !== false,
        idleTimeout: stringOption(options, 'idleTimeout'),
        turnsPerRun: stringOption(options, 'turnsPerRun'),
        heartbeatTimeout: stringOption(options, 'heartbeatTimeout'),
        approvalTimeout: stringOption(options, 'approvalTimeout'),
        dbFile: stringOption(options, 'dbFile'),
        http: stringOption(options, 'http'),
        host: stringOption(options, 'host'),
        token: stringOption(options, 'token'),
      }),
    ),
};

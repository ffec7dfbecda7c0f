/**
 * `durable-codex-agents temporal` (`npm run temporal`): a local Temporal for `npm run worker` / `npm run start-run`. Uses TEMPORAL_ADDRESS when that
 * server answers; otherwise runs the Temporal CLI dev server (gRPC 7233, Web UI 8233, SQLite in .temporal/ so
 * workflows survive restarts) in the foreground until Ctrl+C.
 */
import path from 'node:path';
import { z } from 'zod';
import { connectClient, describeTemporalTarget, workerConnectConfig } from '../config/temporal-connection';
import { ConfigError } from '../shared/errors';
import { ensureTemporalCli, formatDuration, isTemporalReachable, startDevServer } from '../temporal/dev-server';
import { flag, stringOption, type CliCommand, type ParsedCommandLine } from './command';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

export const temporalCommand: CliCommand = {
  name: 'temporal',
  summary: 'a local Temporal: the one at TEMPORAL_ADDRESS when it answers, else the dev server until Ctrl-C',
  declare: (cmd) =>
    cmd
      .option('--port <port>', 'gRPC port (default: TEMPORAL_DEV_PORT or 7233)')
      .option('--ui-port <port>', 'Web UI port (default: TEMPORAL_DEV_UI_PORT or the gRPC port + 1000)')
      .option('--headless', 'no Web UI')
      .option('--db-file <file>', 'the SQLite file (default: TEMPORAL_DEV_DB_FILE or .temporal/dev-server.sqlite)')
      .addHelpText('after', '\nTEMPORAL_ADDRESS: use a server you run instead.'),
  action: (parsed) => temporal(devServerArgs(parsed, process.env)),
  // A dev server that cannot start or stops on its own is exit 1, as before; bad options are exit 2.
  failureCode: 1,
};

const Port = z.coerce.number().int().min(1).max(65535);
const DevServerArgsSchema = z.object({
  port: Port,
  uiPort: Port.optional(),
  headless: z.boolean(),
  dbFile: z.string().min(1),
});
type DevServerArgs = z.infer<typeof DevServerArgsSchema>;

export function devServerArgs({ options }: ParsedCommandLine, env: NodeJS.ProcessEnv): DevServerArgs {
  const str = (name: string) => stringOption(options, name);
  const parsed = DevServerArgsSchema.safeParse({
    port: str('port') ?? env.TEMPORAL_DEV_PORT ?? 7233,
    uiPort: str('uiPort') ?? env.TEMPORAL_DEV_UI_PORT,
    headless: flag(options, 'headless'),
    dbFile: path.resolve(REPO_ROOT, str('dbFile') ?? env.TEMPORAL_DEV_DB_FILE ?? '.temporal/dev-server.sqlite'),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`Invalid ${issue?.path.join('.') ?? 'argument'}: ${issue?.message}`);
  }
  if (parsed.data.headless && parsed.data.uiPort !== undefined) {
    throw new ConfigError('--headless and --ui-port exclude each other');
  }
  return parsed.data;
}

export async function temporal(args: DevServerArgs): Promise<number> {
  const target = workerConnectConfig();

  if (process.env.TEMPORAL_ADDRESS) {
    try {
      const { connection } = await connectClient();
      await connection.close();
      console.log(`Temporal is reachable at ${describeTemporalTarget(target)} (TEMPORAL_ADDRESS); nothing to start.`);
      return 0;
    } catch (err) {
      console.warn(`${(err as Error).message}\nStarting a local dev server instead.`);
    }
  } else if (await isTemporalReachable(`127.0.0.1:${args.port}`)) {
    console.log(`A Temporal server is already running at 127.0.0.1:${args.port}; nothing to start.`);
    return 0;
  }

  const buildStarted = Date.now();
  const executable = await ensureTemporalCli({ log: (line) => console.log(line) });
  const buildMs = Date.now() - buildStarted;
  if (buildMs > 2000) console.log(`Temporal CLI ready after ${formatDuration(buildMs)}.`);

  const logFile = path.join(path.dirname(args.dbFile), 'dev-server.log');
  const started = Date.now();
  const server = await startDevServer({
    executable,
    port: args.port,
    ...(args.headless ? { headless: true } : { uiPort: args.uiPort ?? args.port + 1000 }),
    dbFile: args.dbFile,
    namespace: target.namespace,
    logFile,
  });
  console.log(
    [
      `Temporal dev server ready in ${formatDuration(Date.now() - started)} (pid ${server.pid}).`,
      `  gRPC:      ${server.address}${process.env.TEMPORAL_ADDRESS ? `  (export TEMPORAL_ADDRESS=${server.address})` : ''}`,
      `  Web UI:    ${server.uiUrl ?? 'disabled (--headless)'}`,
      `  Namespace: ${server.namespace}`,
      `  Database:  ${path.relative(process.cwd(), args.dbFile) || args.dbFile} (kept across restarts)`,
      `  Log:       ${path.relative(process.cwd(), logFile) || logFile}`,
      'Press Ctrl+C to stop.',
    ].join('\n'),
  );

  const signal = await new Promise<NodeJS.Signals | undefined>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
    void server.exited.then(() => resolve(undefined));
  });
  if (signal === undefined) {
    const { code, signal: killedBy } = await server.exited;
    console.error(
      `The Temporal dev server stopped on its own (code ${code}, signal ${killedBy}):\n${server.recentOutput()}`,
    );
    return 1;
  }
  console.log(`\n${signal}: stopping the Temporal dev server...`);
  await server.stop();
  console.log('Stopped.');
  return 0;
}

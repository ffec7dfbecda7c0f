/**
 * `mcp-server`: the durable Codex MCP server over stdio. Brings up what it needs the way `demo` does: the Temporal at
 * TEMPORAL_ADDRESS (envconfig), else one at localhost:7233, else the embedded dev server (persisted to a file); the
 * model credential the way Codex finds it (./credentials.ts), else the scripted model (said in every result); and an
 * in-process worker serving this machine's host queue, unless `--no-worker` (then `npm run worker` on this machine,
 * with the same TASK_QUEUE and WORKSPACE_ROOT or WORKER_HOST_ID, serves it). The in-process worker traces as `npm run
 * worker` does, from the same variables (TRACES, OTEL_EXPORTER_OTLP_*; README "Traces"), checked before anything
 * starts. Everything it says goes to stderr.
 */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { NativeConnection } from '@temporalio/worker';
import { defaultHost } from '../activities';
import { loadSettings, type CodexTransportName } from '../config/settings';
import { clientConnectConfig, describeTemporalTarget, workerConnectConfig } from '../config/temporal-connection';
import { installLogging, loggingConfigFromEnv } from '../runtime/logging';
import { assertModelUsable } from '../runtime/model-check';
import { webUiBase } from '../runtime/runs';
import { tracingConfigFromEnv, type TracingConfig } from '../runtime/telemetry';
import { createAgentWorker } from '../runtime/worker';
import { startScriptedModel, type ScriptedModel } from '../scripted-model';
import {
  DEFAULT_SESSION_IDLE_MS,
  DEFAULT_SESSION_TURNS_PER_RUN,
  type CodexSessionLimits,
} from '../shared/codex-session';
import { ConfigError } from '../shared/errors';
import { openaiTracesConfig, openaiTracesRequestFromEnv, type OpenAITracesRequest } from '../tracing/openai-traces';
import { ensureTemporalCli, isTemporalReachable, startDevServer } from '../temporal/dev-server';
import { findCredential } from './credentials';
import { DEFAULT_HTTP_HOST, TOKEN_ENV, httpToken, isLoopback, serveHttp } from './http';
import { createMcpServer, stderrLog, type McpServerDeps } from './server';
import { routeConsoleToStderr, serveStdio } from './stdio';

export interface McpServerOptions {
  /** Codex transport; default app-server (the current Codex). */
  transport: CodexTransportName;
  /** Serve this machine's host queue in-process (default true). */
  worker: boolean;
  idleTimeoutMs: number;
  turnsPerRun: number;
  /** Activity heartbeat timeout of Codex turns (how soon a dead worker's turn is retried). */
  heartbeatTimeoutMs?: number;
  /** A Codex approval the client does not answer within this time is denied; unset: never. */
  approvalTimeoutMs?: number;
  /** SQLite file of the embedded dev server. */
  dbFile: string;
  /** Serve Streamable HTTP on `/mcp` instead of stdio (./http.ts). */
  http?: { port: number; host: string; token?: string };
  /** The worker's trace settings, from the same variables (checked here, so a bad one stops the start). */
  traces: { otel?: TracingConfig; openai?: OpenAITracesRequest };
}

export const MCP_SERVER_USAGE = `Usage: mcp-server [options]
  --transport app-server|mcp   Codex to run: app-server (current Codex, default) or mcp (pinned codex mcp-server 0.153.4)
  --no-worker                  do not serve this machine's host queue in-process (run \`npm run worker\` here instead)
  --idle-timeout DURATION      end a Codex session after this long without a turn (default 7d; e.g. 30m, 12h)
  --turns-per-run N            continue a session's history as new every N turns (default ${DEFAULT_SESSION_TURNS_PER_RUN})
  --heartbeat-timeout DURATION a Codex turn whose worker stops heartbeating this long is retried (default 5s)
  --approval-timeout DURATION deny a Codex approval the client has not answered in this time (default: no limit)
  --db-file FILE               SQLite file of the embedded Temporal dev server
                               (default ~/.local/state/durable-codex-agents/temporal.sqlite)
  --http PORT                  serve Streamable HTTP on http://HOST:PORT/mcp instead of stdio
  --host HOST                  address to bind with --http (default 127.0.0.1; any other needs a token)
  --token TOKEN                bearer token every HTTP request must carry (or ${TOKEN_ENV}); required off loopback
Traces as \`npm run worker\`: TRACES=openai, OTEL_EXPORTER_OTLP_ENDPOINT, TRACES_CAPTURE_CONTENT (README "Traces").`;

/** The flags as parsed (by node's parseArgs here, or by the CLI's commander declaration). */
export interface McpServerFlags {
  transport?: string;
  worker?: boolean;
  idleTimeout?: string;
  turnsPerRun?: string;
  heartbeatTimeout?: string;
  approvalTimeout?: string;
  dbFile?: string;
  http?: string;
  host?: string;
  token?: string;
}

export function parseMcpServerArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): McpServerOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      transport: { type: 'string' },
      'no-worker': { type: 'boolean', default: false },
      'idle-timeout': { type: 'string' },
      'turns-per-run': { type: 'string' },
      'heartbeat-timeout': { type: 'string' },
      'approval-timeout': { type: 'string' },
      'db-file': { type: 'string' },
      http: { type: 'string' },
      host: { type: 'string' },
      token: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  return mcpServerOptions(
    {
      transport: values.transport,
      worker: !values['no-worker'],
      idleTimeout: values['idle-timeout'],
      turnsPerRun: values['turns-per-run'],
      heartbeatTimeout: values['heartbeat-timeout'],
      approvalTimeout: values['approval-timeout'],
      dbFile: values['db-file'],
      http: values.http,
      host: values.host,
      token: values.token,
    },
    env,
  );
}

export function mcpServerOptions(flags: McpServerFlags, env: NodeJS.ProcessEnv = process.env): McpServerOptions {
  const transport = flags.transport ?? env.CODEX_TRANSPORT ?? 'app-server';
  if (transport !== 'app-server' && transport !== 'mcp') {
    throw new ConfigError(`--transport: app-server or mcp, not "${transport}"`);
  }
  const turnsPerRun = flags.turnsPerRun === undefined ? DEFAULT_SESSION_TURNS_PER_RUN : Number(flags.turnsPerRun);
  if (!Number.isInteger(turnsPerRun) || turnsPerRun < 1) throw new ConfigError('--turns-per-run: a positive integer');
  const stateHome = env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
  return {
    transport,
    worker: flags.worker ?? true,
    idleTimeoutMs: flags.idleTimeout ? parseDuration(flags.idleTimeout, '--idle-timeout') : DEFAULT_SESSION_IDLE_MS,
    turnsPerRun,
    ...(flags.heartbeatTimeout && { heartbeatTimeoutMs: parseDuration(flags.heartbeatTimeout, '--heartbeat-timeout') }),
    ...(flags.approvalTimeout && { approvalTimeoutMs: parseDuration(flags.approvalTimeout, '--approval-timeout') }),
    dbFile: path.resolve(flags.dbFile ?? path.join(stateHome, 'durable-codex-agents', 'temporal.sqlite')),
    ...httpOptions(flags, env),
    traces: tracesOptions(env),
  };
}

/** The trace variables `npm run worker` reads, read and checked the same way (a ConfigError names the variable). */
function tracesOptions(env: NodeJS.ProcessEnv): McpServerOptions['traces'] {
  const otel = tracingConfigFromEnv(env);
  const openai = openaiTracesRequestFromEnv(env);
  return { ...(otel && { otel }), ...(openai && { openai }) };
}

/** `--http PORT [--host HOST] [--token TOKEN]`, checked before anything starts (a public bind needs a token). */
function httpOptions(flags: McpServerFlags, env: NodeJS.ProcessEnv): Pick<McpServerOptions, 'http'> {
  if (flags.http === undefined) {
    if (flags.host !== undefined || flags.token !== undefined)
      throw new ConfigError('--host and --token need --http PORT');
    return {};
  }
  const port = Number(flags.http);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`--http: a port, not "${flags.http}"`);
  const host = flags.host ?? DEFAULT_HTTP_HOST;
  const token = httpToken(flags.token, env);
  if (!isLoopback(host) && token === undefined) {
    throw new ConfigError(`--host ${host} is not loopback: give --token TOKEN or set ${TOKEN_ENV}`);
  }
  return { http: { port, host, ...(token !== undefined && { token }) } };
}

/** temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY (the proto package is not a direct dependency). */
const TASK_QUEUE_TYPE_ACTIVITY = 2 as temporal.api.enums.v1.TaskQueueType;

async function hasActivityPollers(client: Client, namespace: string, queue: string): Promise<boolean> {
  try {
    const r = await client.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name: queue },
      taskQueueType: TASK_QUEUE_TYPE_ACTIVITY,
    });
    return (r.pollers ?? []).length > 0;
  } catch {
    return true; // not knowing is no reason to warn
  }
}

/** `500ms`, `30s`, `15m`, `12h`, `7d`, or plain milliseconds. */
export function parseDuration(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new ConfigError(`${what}: a duration like 30s, 15m, 12h or 7d, not "${text}"`);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 'ms') as 'ms'];
  const ms = Math.round(Number(m[1]) * unit);
  if (ms <= 0) throw new ConfigError(`${what}: must be positive`);
  return ms;
}

export async function mcpServerMain(options: McpServerOptions, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  routeConsoleToStderr();
  const log = stderrLog();
  installLogging(loggingConfigFromEnv(env, 'WARN'));
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    // Temporal: TEMPORAL_ADDRESS (envconfig), else localhost:7233, else the embedded dev server.
    const target = clientConnectConfig({ env });
    let uiBase = env.TEMPORAL_UI_URL;
    if (!(await isTemporalReachable(target.connectionOptions, 1500))) {
      if (env.TEMPORAL_ADDRESS) {
        throw new ConfigError(`Cannot reach Temporal at ${describeTemporalTarget(target)} (TEMPORAL_ADDRESS)`);
      }
      log.info(
        `no Temporal at ${target.connectionOptions.address}: starting the embedded dev server (${options.dbFile})`,
      );
      const executable = await ensureTemporalCli({ log: (l: string) => log.info(l) });
      const server = await startDevServer({ executable, port: 7233, uiPort: 8233, dbFile: options.dbFile });
      cleanups.push(() => server.stop());
      uiBase = server.uiUrl;
    } else {
      uiBase ??= webUiBase(target.connectionOptions.address);
    }
    log.info(`Temporal ${describeTemporalTarget(target)}${uiBase ? `, Web UI ${uiBase}` : ''}`);

    // The model credential, the way Codex finds it; the scripted model only when there is none anywhere.
    const credential = findCredential(env);
    let scripted: ScriptedModel | undefined;
    let scriptedBaseUrl = env.SCRIPTED_MODEL_URL || undefined;
    if (!credential && !scriptedBaseUrl) {
      scripted = await startScriptedModel();
      cleanups.push(() => scripted!.close());
      scriptedBaseUrl = scripted.baseUrl;
    }
    const settings = loadSettings(
      {
        ...env,
        OPENAI_API_KEY: credential?.apiKey ?? '',
        OPENAI_BASE_URL: credential?.baseUrl ?? (credential ? '' : env.OPENAI_BASE_URL),
        CODEX_TRANSPORT: options.transport,
      },
      { scriptedBaseUrl },
    );
    if (credential) {
      log.info(
        `model endpoint ${settings.model.baseUrl ?? 'https://api.openai.com/v1'} (key from ${credential.source})`,
      );
      await assertModelUsable(settings.model, (line) => log.warn(line));
    } else {
      log.warn(
        `no OpenAI credential found (OPENAI_API_KEY, the Codex login, the config file): the SCRIPTED model at ` +
          `${scriptedBaseUrl} answers, and every tool result says so`,
      );
    }

    const { hostQueue } = defaultHost(settings);
    // With the in-process worker the client shares its native (Rust) connection: every call's RPCs and history long
    // polls then cost the main thread, where the turn's activity runs, far less than grpc-js's would.
    const workerConnection = options.worker
      ? await NativeConnection.connect(workerConnectConfig({ env }).connectionOptions)
      : undefined;
    if (workerConnection) cleanups.push(() => workerConnection.close());
    const client = new Client({
      connection: workerConnection ?? (await grpcConnection(target.connectionOptions, cleanups)),
      namespace: target.namespace,
    });
    const deps: McpServerDeps = {
      client,
      namespace: target.namespace,
      taskQueue: settings.taskQueue,
      hostQueue,
      settings,
      log,
      // `npm --prefix DIR run mcp-server` runs in DIR; npm keeps the caller's directory in INIT_CWD.
      cwd: env.INIT_CWD || process.cwd(),
      sessions: {
        idleTimeoutMs: options.idleTimeoutMs,
        turnsPerRun: options.turnsPerRun,
        ...(options.heartbeatTimeoutMs && { tuning: { heartbeatTimeoutMs: options.heartbeatTimeoutMs } }),
        ...(options.approvalTimeoutMs && { approvalTimeoutMs: options.approvalTimeoutMs }),
      } satisfies CodexSessionLimits,
      ...(uiBase && { webUiBase: uiBase }),
      eagerStart: workerConnection !== undefined,
    };

    const stopSignal = new Promise<string>((resolve) => {
      for (const s of ['SIGINT', 'SIGTERM'] as const) process.once(s, () => resolve(s));
    });
    // Answer `initialize` at once; the worker comes up meanwhile (a turn waits for it on its queue).
    const serving = options.http
      ? serveHttp(() => createMcpServer(deps), { ...options.http, log }).then(async (h) => {
          await stopSignal;
          await h.close();
        })
      : serveStdio(createMcpServer(deps), stopSignal);
    if (workerConnection) {
      const { otel } = options.traces;
      const openaiTraces = openaiTracesConfig(options.traces.openai, settings, (line) => log.warn(line));
      const agentWorker = await createAgentWorker({
        connection: workerConnection,
        namespace: target.namespace,
        settings,
        tracing: otel,
        openaiTraces,
      });
      if (otel) log.info(`traces: OpenTelemetry spans to ${otel.tracesUrl} as "${otel.serviceName}"`);
      if (openaiTraces) {
        log.info(
          `traces: OpenAI Traces to ${openaiTraces.endpoint} (content ${openaiTraces.captureContent ? 'captured' : 'not captured'})`,
        );
      }
      const running = agentWorker.run();
      cleanups.push(async () => {
        agentWorker.worker.shutdown();
        await running;
      });
      log.info(
        `Codex (${options.transport}) runs here: worker on "${settings.taskQueue}" and host queue "${hostQueue}"`,
      );
    } else {
      log.info(
        `--no-worker: Codex turns go to host queue "${hostQueue}" (served by \`npm run worker\` on this machine)`,
      );
      if (options.traces.otel || options.traces.openai) {
        log.info(
          '--no-worker: this process runs no turn, so it makes no span; the worker that runs them traces with its own ' +
            'TRACES / OTEL_EXPORTER_OTLP_ENDPOINT',
        );
      }
      if (!(await hasActivityPollers(client, target.namespace, hostQueue))) {
        log.warn(
          `no worker polls "${hostQueue}" yet: Codex turns wait for one (start \`npm run worker\` here with the same ` +
            'TASK_QUEUE and WORKSPACE_ROOT, or WORKER_HOST_ID)',
        );
      }
    }
    await serving;
    return 0;
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  }
}

async function grpcConnection(
  options: Parameters<typeof Connection.connect>[0],
  cleanups: (() => Promise<unknown>)[],
): Promise<Connection> {
  const connection = await Connection.connect(options);
  cleanups.push(() => connection.close());
  return connection;
}

/**
 * One logger for the process: the Temporal Runtime's, which also carries workflow and activity context logs
 * (`log` / `Context.current().log`) and, forwarded, the SDK core's own. LOG_LEVEL picks the level (the worker
 * defaults to INFO; local stacks for tests and benchmarks to WARN), LOG_FORMAT=json writes JSON lines. Logs go to
 * stderr so stdout stays free for progress and --json output. Install it before the first NativeConnection.
 */
import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';
import { z } from 'zod';
import { ConfigError } from '../shared/errors';

export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

export const LoggingConfigSchema = z.object({
  level: z.enum(LOG_LEVELS),
  format: z.enum(['text', 'json']),
});
export type LoggingConfig = z.infer<typeof LoggingConfigSchema>;

/** LOG_LEVEL (case-insensitive) and LOG_FORMAT, validated; `defaultLevel` applies when LOG_LEVEL is unset. */
export function loggingConfigFromEnv(env: NodeJS.ProcessEnv, defaultLevel: LogLevelName = 'INFO'): LoggingConfig {
  const parsed = LoggingConfigSchema.safeParse({
    level: env.LOG_LEVEL ? env.LOG_LEVEL.toUpperCase() : defaultLevel,
    format: env.LOG_FORMAT ? env.LOG_FORMAT.toLowerCase() : 'text',
  });
  if (!parsed.success) {
    throw new ConfigError(
      `Invalid logging settings (LOG_LEVEL one of ${LOG_LEVELS.join(', ')}; LOG_FORMAT text or json): ` +
        parsed.error.issues.map((i) => i.path.join('.')).join(', '),
    );
  }
  return parsed.data;
}

/**
 * Installs the Runtime with this logger. Returns false (and changes nothing) when a Runtime already exists:
 * the first installer wins, as Temporal allows only one per process.
 */
export function installLogging(config: LoggingConfig, write: (line: string) => void = writeStderr): boolean {
  if (Runtime._instance !== undefined) return false;
  const format = config.format === 'json' ? formatJsonLine : formatTextLine;
  Runtime.install({
    logger: new DefaultLogger(config.level, (entry) => {
      if (!isExpectedNoise(entry)) write(format(entry) + '\n');
    }),
    telemetryOptions: { logging: { filter: { core: config.level, other: 'ERROR' }, forward: {} } },
  });
  return true;
}

const writeStderr = (line: string) => void process.stderr.write(line);

/**
 * The SDK warns when a worker has no workflows; the host-queue worker (activities pinned to this machine's disk) has
 * none by design, and a warning on every start would send operators looking for a problem that is not there.
 */
function isExpectedNoise(e: LogEntry): boolean {
  return e.level === 'WARN' && e.message === 'No workflows registered, not polling for workflow tasks';
}

const isoTime = (e: LogEntry) => new Date(Number(e.timestampNanos / 1_000_000n)).toISOString();

/** `{"time":…,"level":…,"message":…, …meta}` on one line. */
export function formatJsonLine(e: LogEntry): string {
  return JSON.stringify({ time: isoTime(e), level: e.level, message: e.message, ...plain(e.meta ?? {}) });
}

/** `2026-01-01T00:00:00.000Z [INFO] message {"key":"value"}` on one line. */
export function formatTextLine(e: LogEntry): string {
  const meta = e.meta && Object.keys(e.meta).length ? ` ${JSON.stringify(plain(e.meta))}` : '';
  return `${isoTime(e)} [${e.level}] ${e.message}${meta}`;
}

/** Meta made JSON-safe: errors as their cause chain, bigints as strings, cycles cut. */
function plain(value: Record<string, unknown>): Record<string, unknown> {
  const seen = new WeakSet<object>();
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Error) return errorChain(v);
    if (v === null || typeof v !== 'object') return v;
    if (seen.has(v) || depth > 6) return '[…]';
    seen.add(v);
    if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, depth + 1)]));
  };
  return walk(value, 0) as Record<string, unknown>;
}

function errorChain(err: Error): string {
  const parts: string[] = [];
  for (let e: unknown = err; e instanceof Error && parts.length < 6; e = e.cause) {
    const type = (e as { type?: unknown }).type;
    parts.push(`${typeof type === 'string' ? type : e.name}: ${e.message}`);
  }
  return parts.join(' <- ');
}

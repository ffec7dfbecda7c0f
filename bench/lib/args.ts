/** `npm run bench` flags, parsed and validated once. */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { DEFAULT_HEARTBEAT_TIMEOUT_MS } from '../../src/workflows/activities';
import { DEFAULT_HOST_SCHEDULE_TO_START_MS } from '../../src/workflows/affinity';

export const SCENARIOS = [
  'overhead',
  'parallel',
  'resume',
  'concurrency',
  'host-loss',
  'no-move',
  'mcp-server',
  'long-role',
] as const;
export type Scenario = (typeof SCENARIOS)[number];

export const USAGE = `Usage: npm run bench -- [options]
  Benchmarks the pipeline on the real Temporal dev server and the real Codex binary, with the SCRIPTED model
  (a fixed script with injected latency, not an LLM) standing in for the agents' model and Codex's model.

  --turn-ms MS            latency of one agent model turn (default 2000)
  --codex-ms MS           latency of one Codex call, added once on its first model request (default 2000)
  --codex-request-ms MS   extra latency on EVERY model request Codex makes (default 0)
  --runs N                measured runs per variant for overhead and parallel (default 3)
  --mcp-runs N            trivial codex calls per side in the mcp-server scenario (default 5)
  --long-turns N          model turns of the one role in the long-role scenario (default 60)
  --no-move-runs N        runs started at once on two live hosts in the no-move pass (host-loss, no-move; default 10)
  --concurrency LIST      runs started at once on one worker, e.g. 10,50,100 (default 1,10)
  --only LIST             scenarios among ${SCENARIOS.join(',')} (default all)
  --heartbeat-ms MS       activity heartbeat timeout in the resume and host-loss scenarios (default: the product's, 5000)
  --host-s2s-ms MS        schedule-to-start timeout on a run's host queue in the host-loss scenario (default: the
                          product's, 5000)
  --max-activities N      activity slots of the concurrency worker (default: the worker's own default)
  --workers N             worker processes sharing the load in the concurrency scenario (default 1)
  --json                  print the results as JSON on stdout (tables go to stderr)`;

const list = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');

export const BenchOptionsSchema = z.object({
  turnMs: z.coerce.number().int().nonnegative(),
  codexMs: z.coerce.number().int().nonnegative(),
  codexRequestMs: z.coerce.number().int().nonnegative(),
  runs: z.coerce.number().int().min(1).max(50),
  mcpRuns: z.coerce.number().int().min(1).max(50),
  longTurns: z.coerce.number().int().min(2).max(100),
  noMoveRuns: z.coerce.number().int().min(1).max(100),
  concurrency: z.array(z.coerce.number().int().min(1).max(1000)).min(1),
  only: z.array(z.enum(SCENARIOS)).min(1),
  /** Undefined: the runs take the product's defaults (no tuning in their input). */
  heartbeatMs: z.coerce.number().int().min(1000).optional(),
  hostScheduleToStartMs: z.coerce.number().int().min(500).optional(),
  maxActivities: z.coerce.number().int().min(1).optional(),
  workers: z.coerce.number().int().min(1).max(16),
  json: z.boolean(),
});
export type BenchOptions = z.infer<typeof BenchOptionsSchema>;

/** Undefined when --help was asked. Throws a readable error on bad flags. */
export function parseBenchArgs(argv: string[]): BenchOptions | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      'turn-ms': { type: 'string', default: '2000' },
      'codex-ms': { type: 'string', default: '2000' },
      'codex-request-ms': { type: 'string', default: '0' },
      runs: { type: 'string', default: '3' },
      'mcp-runs': { type: 'string', default: '5' },
      'long-turns': { type: 'string', default: '60' },
      'no-move-runs': { type: 'string', default: '10' },
      concurrency: { type: 'string', default: '1,10' },
      only: { type: 'string', default: SCENARIOS.join(',') },
      'heartbeat-ms': { type: 'string' },
      'host-s2s-ms': { type: 'string' },
      'max-activities': { type: 'string' },
      workers: { type: 'string', default: '1' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return undefined;
  const parsed = BenchOptionsSchema.safeParse({
    turnMs: values['turn-ms'],
    codexMs: values['codex-ms'],
    codexRequestMs: values['codex-request-ms'],
    runs: values.runs,
    mcpRuns: values['mcp-runs'],
    longTurns: values['long-turns'],
    noMoveRuns: values['no-move-runs'],
    concurrency: list(values.concurrency),
    only: list(values.only),
    heartbeatMs: values['heartbeat-ms'],
    hostScheduleToStartMs: values['host-s2s-ms'],
    maxActivities: values['max-activities'],
    workers: values.workers,
    json: values.json,
  });
  if (!parsed.success) {
    throw new Error(parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; '));
  }
  const o = parsed.data;
  // The model-turn activity heartbeats every 5 s: below that, a turn longer than the heartbeat timeout times out.
  if (
    (o.only.includes('resume') || o.only.includes('host-loss')) &&
    heartbeatOf(o) < 5_500 &&
    o.turnMs + 500 > heartbeatOf(o)
  ) {
    throw new Error(`--heartbeat-ms (${heartbeatOf(o)}) must exceed --turn-ms by 500 ms for the resume scenario`);
  }
  return o;
}

/** The heartbeat timeout the scenario's runs get: the flag, else the product's default. */
export const heartbeatOf = (o: Pick<BenchOptions, 'heartbeatMs'>): number =>
  o.heartbeatMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS;
/** The host schedule-to-start timeout the scenario's runs get: the flag, else the product's default. */
export const hostS2sOf = (o: Pick<BenchOptions, 'hostScheduleToStartMs'>): number =>
  o.hostScheduleToStartMs ?? DEFAULT_HOST_SCHEDULE_TO_START_MS;
/** The runs' tuning: only what a flag set; nothing means the product's defaults. */
export const tuningOf = (o: Pick<BenchOptions, 'heartbeatMs' | 'hostScheduleToStartMs'>) => ({
  ...(o.heartbeatMs !== undefined && { heartbeatTimeoutMs: o.heartbeatMs }),
  ...(o.hostScheduleToStartMs !== undefined && { hostScheduleToStartMs: o.hostScheduleToStartMs }),
});

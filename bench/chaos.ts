/**
 * `npm run chaos -- --runs 20`: multi-agent runs on real parts (local Temporal dev server, real Codex, the SCRIPTED
 * model with latency) whose worker child process is SIGKILLed, with its codex child, at random moments, then
 * replaced. Each run must complete with every deliverable, and no model call or Codex call whose activity had
 * completed may run again. Prints "N/N completed, R finished steps redone" and exits 1 unless that is N/N and 0.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { startLocalStack } from '../src/runtime/local-stack';
import type { FaultRule } from '../src/scripted-model';
import { COOKBOOK_ROLES } from '../src/shared/builtin-teams';
import { CRASH_TUNING, WorkerFleet, afterMs, openAt, runWithKills, type CrashRunOutcome } from '../test/helpers/crash';

const USAGE = `Usage: npm run chaos -- [options]
  Kills the worker (SIGKILL to its process group: worker and codex) at random moments of multi-agent runs on the
  SCRIPTED model (not an LLM), starts a new worker each time, and checks every run completes without redoing work.

  --runs N          runs (default 20)
  --max-kills N     kills per run, each run draws 1..N (default 3)
  --concurrency N   runs at once, each with its own worker and task queue (default 2)
  --agent-ms MS     latency of an agent model turn (default 300)
  --codex-ms MS     latency of each model request Codex makes (default 120)
  --seed N          random seed (default: time)
  --no-sticky-reset let each kill wait out the dead worker's sticky queue (10 s) instead of resetting it`;

const OptionsSchema = z.object({
  runs: z.coerce.number().int().min(1).max(500),
  maxKills: z.coerce.number().int().min(1).max(10),
  concurrency: z.coerce.number().int().min(1).max(8),
  agentMs: z.coerce.number().int().min(0),
  codexMs: z.coerce.number().int().min(0),
  seed: z.coerce.number().int(),
  stickyReset: z.boolean(),
});

function parseOptions(argv: string[]): z.infer<typeof OptionsSchema> | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: 'string', default: '20' },
      'max-kills': { type: 'string', default: '3' },
      concurrency: { type: 'string', default: '2' },
      'agent-ms': { type: 'string', default: '300' },
      'codex-ms': { type: 'string', default: '120' },
      seed: { type: 'string', default: String(Date.now() % 1_000_000) },
      'no-sticky-reset': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return undefined;
  return OptionsSchema.parse({
    runs: values.runs,
    maxKills: values['max-kills'],
    concurrency: values.concurrency,
    agentMs: values['agent-ms'],
    codexMs: values['codex-ms'],
    seed: values.seed,
    stickyReset: !values['no-sticky-reset'],
  });
}

/** mulberry32: a small seeded generator, so a failing draw can be replayed with --seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function main(): Promise<number> {
  let o;
  try {
    o = parseOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`chaos: ${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
    return 2;
  }
  if (!o) {
    console.log(USAGE);
    return 0;
  }
  const rand = random(o.seed);
  const taskList = await readFile(path.join(__dirname, '..', 'tasks', 'bug-busters.md'), 'utf8');
  console.log(
    `chaos: ${o.runs} runs, 1-${o.maxKills} kills each, ${o.concurrency} at a time, seed ${o.seed} ` +
      `(SCRIPTED model: ${o.agentMs} ms per agent turn, ${o.codexMs} ms per Codex request)`,
  );
  // A run lasts roughly this long without kills: kills are drawn within it.
  const runMs = 10 * o.agentMs + 30 * o.codexMs + 5_000;

  // Each run's plan is drawn up front, so the seed alone decides it whatever the scheduling.
  const stamp = Date.now();
  const plans = Array.from({ length: o.runs }, (_, i) => {
    const workflowId = `chaos-${stamp}-${i + 1}`;
    const kills = Array.from({ length: 1 + Math.floor(rand() * o.maxKills) }, () => Math.floor(rand() * runMs * 0.6));
    // One run in three also loses a deliverable, so the gate asks again through codex-reply.
    const omit = rand() < 1 / 3 ? COOKBOOK_ROLES[Math.floor(rand() * COOKBOOK_ROLES.length)] : undefined;
    const faults: FaultRule[] = omit
      ? [{ run: workflowId, kind: 'codex', role: omit, times: 1, effect: 'omit-deliverable' }]
      : [];
    return { workflowId, kills, omit, faults };
  });

  const stack = await startLocalStack({
    inProcessWorker: false,
    scripted: { latency: { agentMs: o.agentMs, codexMs: o.codexMs }, faults: plans.flatMap((p) => p.faults) },
  });
  const fleets: WorkerFleet[] = [];
  const outcomes: CrashRunOutcome[] = [];
  const started = Date.now();
  try {
    let next = 0;
    const lane = async (laneNo: number) => {
      const taskQueue = `${stack.taskQueue}-lane${laneNo}`;
      const fleet = new WorkerFleet(stack, { env: { TASK_QUEUE: taskQueue } });
      fleets.push(fleet);
      await fleet.start();
      while (next < plans.length) {
        const plan = plans[next++]!;
        const points = plan.kills.map((ms) => ({
          ...afterMs(ms),
          options: { resetSticky: o.stickyReset },
        }));
        const out = await runWithKills(stack, fleet, {
          workflowId: plan.workflowId,
          taskQueue,
          input: { taskList, tuning: CRASH_TUNING },
          points,
          resultTimeoutMs: 180_000,
        });
        outcomes.push(out);
        // What each kill interrupted: the activities open at that moment (from the history), and model requests.
        const killed = out.kills
          .map((k) => {
            const open = openAt(out.history, k.at).map((a) => a.summary ?? a.type);
            return `${k.point} [${open.join(', ') || 'between activities'}]${k.inFlight.length ? ` (${k.inFlight.join(', ')})` : ''}`;
          })
          .join('; ');
        const ok = out.ok && out.missingFiles.length === 0;
        console.log(
          `${ok ? 'ok  ' : 'FAIL'} ${plan.workflowId}: ${out.kills.length} kill(s) ${killed || '-'}` +
            `${plan.omit ? `; ${plan.omit} re-asked` : ''} -> ${ok ? 'completed' : `failed: ${out.error ?? `missing ${out.missingFiles.join(', ')}`}`}` +
            ` in ${(out.durationMs / 1000).toFixed(1)} s; redone ${out.redo.redone.length}, ` +
            `in-flight repeats ${out.redo.inFlightRepeats.length}${out.redo.excessive.length ? `, EXCESSIVE ${out.redo.excessive.length}` : ''}`,
        );
      }
    };
    await Promise.all(Array.from({ length: Math.min(o.concurrency, o.runs) }, (_, i) => lane(i + 1)));
  } finally {
    await Promise.all(fleets.map((f) => f.stopAll()));
    await stack.stop();
  }

  const completed = outcomes.filter((x) => x.ok && x.missingFiles.length === 0).length;
  const redone = outcomes.reduce((n, x) => n + x.redo.redone.length + x.redo.excessive.length, 0);
  const kills = outcomes.reduce((n, x) => n + x.kills.length, 0);
  const inCall = outcomes.reduce(
    (n, x) =>
      n +
      x.kills.filter((k) => openAt(x.history, k.at).some((a) => a.type === 'modelTurn' || a.type === 'codexCall'))
        .length,
    0,
  );
  const seconds = (Date.now() - started) / 1000;
  console.log(
    `\n${completed}/${o.runs} completed, ${redone} finished steps redone ` +
      `(${kills} kills, ${inCall} of them with a model turn or Codex call open; ${seconds.toFixed(0)} s, seed ${o.seed})`,
  );
  return completed === o.runs && redone === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);

/**
 * A pipeline worker child process for the crash harness: the same worker as `src/cli/worker.ts` (createAgentWorker
 * with settings from the environment), but it warms up first (connection, pre-built workflow bundle, activities)
 * and starts polling only when the harness writes "go" on its stdin, so a replacement is ready the moment the harness
 * kills the current worker. (Not a signal: the Temporal runtime treats SIGUSR2 as a shutdown signal.) When stdin
 * closes before that (the harness died), it exits.
 *
 * Environment: what `stack.workerEnv()` gives, plus WORKFLOW_BUNDLE_PATH (the bundle's code, written by the harness),
 * and optionally CRASH_HOLD (activity types, each `type` or `type:text` for one whose input contains the text, `+type`
 * to hold after the work) with CRASH_HOLD_DIR: the first attempt of the first activity of each type that any worker of
 * the fleet runs waits before it starts (heartbeating) until the harness writes `<type>.release` there, so a kill or a server restart lands inside an activity that takes milliseconds (a gate, a commit). The hold is
 * claimed by creating `<type>.held` (once per fleet: the replacement worker does not hold it again).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { loadSettings } from '../../src/config/settings';
import { connectWorker } from '../../src/config/temporal-connection';
import { createAgentWorker } from '../../src/runtime/worker';
import { openaiTracesConfigFromEnv } from '../../src/tracing/openai-traces';

/** Bound on a hold the harness never releases (it was killed, or its point failed). */
const HOLD_MAX_MS = 60_000;

/**
 * `holds`: activity types, each optionally `type:text`, held only when its input (as JSON) contains the text. A type
 * written `+type` is held after the activity's work is done, before its result reaches Temporal (a gate that committed
 * and pushed its step, say); its files are `type+.held` and `type+.release`. One hold per attempt at most.
 */
function holdInterceptor(dir: string, holds: string[]): ActivityInterceptorsFactory {
  const specs = holds.map((h) => {
    const [type = '', text] = h.split(/:(.*)/s);
    const after = type.startsWith('+');
    return { type: after ? type.slice(1) : type, text, after, name: after ? `${type.slice(1)}+` : type };
  });
  return (ctx) => {
    /** Claims the first matching hold of this kind and waits until it is released; false when none was claimed. */
    const hold = async (args: unknown[], after: boolean): Promise<boolean> => {
      const { activityType, attempt, activityId } = ctx.info;
      const spec = specs.find(
        (s) =>
          s.type === activityType &&
          s.after === after &&
          (!s.text || JSON.stringify(args).includes(s.text)) &&
          !existsSync(path.join(dir, `${s.name}.held`)),
      );
      if (!spec || attempt !== 1) return false;
      try {
        writeFileSync(path.join(dir, `${spec.name}.held`), `${process.pid} ${activityId}\n`, { flag: 'wx' });
      } catch {
        return false; // another worker of the fleet claimed it first
      }
      console.log(`Holding ${activityType} ${after ? 'after its work' : ''}(activity ${activityId})`);
      const end = Date.now() + HOLD_MAX_MS;
      while (!existsSync(path.join(dir, `${spec.name}.release`)) && Date.now() < end) {
        ctx.heartbeat();
        await new Promise((r) => setTimeout(r, 50));
      }
      return true;
    };
    return {
      inbound: {
        async execute(input, next) {
          const heldBefore = await hold(input.args, false);
          const result = await next(input);
          if (!heldBefore) await hold(input.args, true);
          return result;
        },
      },
    };
  };
}

async function main(): Promise<void> {
  const settings = loadSettings(process.env, { scriptedBaseUrl: process.env.SCRIPTED_MODEL_URL || undefined });
  const bundlePath = process.env.WORKFLOW_BUNDLE_PATH;
  // Source maps are inline in the code; the field is deprecated.
  const workflowBundle = bundlePath ? { code: readFileSync(bundlePath, 'utf8'), sourceMap: '' } : undefined;
  let polling = false;
  // A standby that never polled has nothing to finish, and the Temporal Runtime's own SIGTERM handler only shuts down
  // running workers: without this a standby outlived its harness's graceful stop by the full 10 s grace.
  process.on('SIGTERM', () => {
    if (!polling) process.exit(0);
  });
  const go = new Promise<void>((resolve) => {
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (d: string) => d.includes('go') && resolve());
    process.stdin.on('end', () => process.exit(0));
  });
  const { connection, namespace } = await connectWorker();
  const openaiTraces = openaiTracesConfigFromEnv(process.env, settings);
  const hold = process.env.CRASH_HOLD_DIR;
  const activityInterceptors = hold ? [holdInterceptor(hold, (process.env.CRASH_HOLD ?? '').split(','))] : [];
  const worker = await createAgentWorker({
    connection,
    namespace,
    settings,
    workflowBundle,
    openaiTraces,
    activityInterceptors,
  });
  console.log(`Worker warm: pid ${process.pid}`);
  await go;
  polling = true;
  console.log(`Worker ready: polling task queue "${settings.taskQueue}"`);
  await worker.run();
  await connection.close();
  // The harness's stdin pipe would keep this process alive after its worker stopped (a graceful stop took its full
  // 10 s grace): nothing more comes on it.
  process.stdin.destroy();
}

main().catch((err: unknown) => {
  process.stderr.write(`crash-worker: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(2);
});

/**
 * A pipeline worker child process for the crash harness: the same worker as `src/cli/worker.ts` (createAgentWorker
 * with settings from the environment), but it warms up first (connection, pre-built workflow bundle, activities)
 * and starts polling only when the harness writes "go" on its stdin, so a replacement is ready the moment the harness
 * kills the current worker. (Not a signal: the Temporal runtime treats SIGUSR2 as a shutdown signal.) When stdin
 * closes before that (the harness died), it exits.
 *
 * Environment: what `stack.workerEnv()` gives, plus WORKFLOW_BUNDLE_PATH (the bundle's code, written by the harness).
 */
import { readFileSync } from 'node:fs';
import { loadSettings } from '../../src/config/settings';
import { connectWorker } from '../../src/config/temporal-connection';
import { createAgentWorker } from '../../src/runtime/worker';
import { openaiTracesConfigFromEnv } from '../../src/tracing/openai-traces';

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
  const worker = await createAgentWorker({ connection, namespace, settings, workflowBundle, openaiTraces });
  console.log(`Worker warm: pid ${process.pid}`);
  await go;
  polling = true;
  console.log(`Worker ready: polling task queue "${settings.taskQueue}"`);
  await worker.run();
  await connection.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`crash-worker: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(2);
});

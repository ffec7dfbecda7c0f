/**
 * A real Temporal dev server per test file (each file runs in its own process): a free port, a temp SQLite file,
 * headless unless asked, and a TestWorkflowEnvironment attached to it. `teardown()` stops the server and removes
 * the temp dir.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { NativeConnection } from '@temporalio/worker';
import { findFreePort, startDevServer, type DevServer } from '../../src/temporal/dev-server';

export interface TestTemporalOptions {
  /** Serve the Web UI on a free port (default: headless). */
  ui?: boolean;
  namespace?: string;
  /** Keep the temp dir (SQLite file, server log) after teardown, to look at a failure. */
  keepDir?: boolean;
}

export interface TestTemporal {
  server: DevServer;
  address: string;
  namespace: string;
  /** Attached to `server`; its client and nativeConnection are ready for Workers and workflow calls. */
  env: TestWorkflowEnvironment;
  client: Client;
  nativeConnection: NativeConnection;
  /** Holds `temporal.sqlite` and `temporal.log`. */
  dir: string;
  /** How long the server took to answer, for the test's diagnostics. */
  startMs: number;
  teardown(): Promise<void>;
}

export async function startTestTemporal(options: TestTemporalOptions = {}): Promise<TestTemporal> {
  const dir = await mkdtemp(path.join(tmpdir(), 'dca-temporal-'));
  const removeDir = (): Promise<void> =>
    options.keepDir ? Promise.resolve() : rm(dir, { recursive: true, force: true });
  let server: DevServer | undefined;
  try {
    const started = Date.now();
    server = await startDevServer({
      port: await findFreePort(),
      ...(options.ui ? { uiPort: await findFreePort() } : { headless: true }),
      dbFile: path.join(dir, 'temporal.sqlite'),
      logFile: path.join(dir, 'temporal.log'),
      namespace: options.namespace ?? 'default',
    });
    const startMs = Date.now() - started;
    const env = await TestWorkflowEnvironment.createFromExistingServer({
      address: server.address,
      namespace: server.namespace,
    });
    const running = server;
    return {
      server,
      address: server.address,
      namespace: server.namespace,
      env,
      client: env.client,
      nativeConnection: env.nativeConnection,
      dir,
      startMs,
      teardown: async () => {
        // The environment only closes its connections: it did not start this server.
        await env.teardown();
        // Its database is in the temp dir removed next: nothing to shut down gracefully for.
        await running.stop({ now: true });
        await removeDir();
      },
    };
  } catch (err) {
    await server?.stop();
    await removeDir();
    throw err;
  }
}

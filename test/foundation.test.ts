/**
 * The foundation everything else stands on: a real Temporal dev server, a real Worker running a bundled workflow,
 * history replay that passes for the same code and fails for changed code, and clear errors when Temporal is absent.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Runtime,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import {
  connectClient,
  connectWorker,
  describeTemporalTarget,
  workerConnectConfig,
} from '../src/config/temporal-connection';
import { ConfigError } from '../src/shared/errors';
import { findFreePort, isTemporalReachable, startDevServer } from '../src/temporal/dev-server';
import * as activities from './fixtures/activities/greeting';
import type { greetingWorkflow } from './fixtures/workflows/greeting';
import { startTestTemporal, type TestTemporal } from './helpers/temporal';

const WORKFLOWS = path.join(__dirname, 'fixtures', 'workflows');
const quietLogger = new DefaultLogger('WARN');
// Worker state changes are INFO noise here; the expected nondeterminism warning during replay still shows.
Runtime.install({ logger: quietLogger });

function bundle(file: string): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath: path.join(WORKFLOWS, file), logger: quietLogger });
}

describe('foundation: a real Temporal dev server', () => {
  let t: TestTemporal;
  let greetingBundle: WorkflowBundleWithSourceMap;

  before(async () => {
    t = await startTestTemporal();
    greetingBundle = await bundle('greeting.ts');
  });
  after(() => t?.teardown());

  it('starts in a few seconds and answers on its address', async (ctx) => {
    ctx.diagnostic(`dev server ready in ${t.startMs} ms at ${t.address}`);
    assert.ok(t.startMs < 15_000, `started in ${t.startMs} ms`);
    assert.equal(await isTemporalReachable(t.address), true);
  });

  describe('a workflow run on a real Worker', () => {
    const workflowId = `greeting-${randomUUID()}`;
    let history: Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;

    before(async () => {
      const taskQueue = `foundation-${randomUUID()}`;
      const worker = await Worker.create({
        connection: t.nativeConnection,
        namespace: t.namespace,
        taskQueue,
        workflowBundle: greetingBundle,
        activities,
      });
      const result = await worker.runUntil(
        t.client.workflow.execute<typeof greetingWorkflow>('greetingWorkflow', {
          taskQueue,
          workflowId,
          args: [{ name: 'Temporal' }],
        }),
      );
      assert.equal(result, 'Hello, Temporal!');
      history = await t.client.workflow.getHandle(workflowId).fetchHistory();
    });

    it('records the activity in its history', () => {
      const events = history.events ?? [];
      assert.ok(events.some((e) => e.activityTaskCompletedEventAttributes));
      assert.ok(events.at(-1)?.workflowExecutionCompletedEventAttributes);
    });

    it('replays against the same workflow code', async () => {
      await Worker.runReplayHistory({ workflowBundle: greetingBundle }, history, workflowId);
    });

    it('fails replay against a changed workflow with a DeterminismViolationError', async () => {
      const changed = await bundle('greeting-changed.ts');
      await assert.rejects(Worker.runReplayHistory({ workflowBundle: changed }, history, workflowId), (err) => {
        assert.ok(err instanceof DeterminismViolationError, `DeterminismViolationError, got ${String(err)}`);
        assert.match(err.message, /Nondeterminism/);
        return true;
      });
    });
  });

  it('connects through the env-config helpers (client and worker)', async () => {
    const env = { TEMPORAL_ADDRESS: t.address, TEMPORAL_NAMESPACE: t.namespace, TEMPORAL_CONFIG_FILE: noConfigFile() };
    const client = await connectClient({ env });
    assert.equal(client.namespace, t.namespace);
    await client.connection.close();
    const worker = await connectWorker({ env });
    await worker.connection.close();
  });
});

describe('the dev server on its own', () => {
  it('keeps workflows in its SQLite file across a restart', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'dca-foundation-'));
    const options = { port: await findFreePort(), headless: true, dbFile: path.join(dir, 'db.sqlite') };
    const workflowId = `persisted-${randomUUID()}`;
    try {
      let server = await startDevServer(options);
      let connection = await Connection.connect({ address: server.address });
      // No worker: the run simply stays open, which is all this test needs.
      await new Client({ connection }).workflow.start('greetingWorkflow', {
        taskQueue: 'nobody-polls',
        workflowId,
        args: [{ name: 'again' }],
      });
      await connection.close();
      await server.stop();

      server = await startDevServer(options);
      connection = await Connection.connect({ address: server.address });
      const description = await new Client({ connection }).workflow.getHandle(workflowId).describe();
      assert.equal(description.status.name, 'RUNNING');
      await connection.close();
      await server.stop();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a port that is already taken, instead of talking to the other server', async () => {
    const t = await startTestTemporal();
    try {
      const port = Number(t.address.split(':')[1]);
      await assert.rejects(startDevServer({ port, headless: true }), (err: Error) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port} is in use`));
        return true;
      });
    } finally {
      await t.teardown();
    }
  });
});

describe('connection settings', () => {
  it('default to localhost:7233 and namespace default, and never show the API key', () => {
    const target = workerConnectConfig({ env: { TEMPORAL_CONFIG_FILE: noConfigFile() } });
    assert.equal(target.connectionOptions.address, 'localhost:7233');
    assert.equal(target.namespace, 'default');
    const cloud = workerConnectConfig({
      env: {
        TEMPORAL_ADDRESS: 'x.tmprl.cloud:7233',
        TEMPORAL_API_KEY: 'sk-secret-123',
        TEMPORAL_CONFIG_FILE: noConfigFile(),
      },
    });
    assert.equal(describeTemporalTarget(cloud), 'x.tmprl.cloud:7233 (namespace default, TLS, API key)');
  });
});

describe('when no Temporal is running', () => {
  it('isTemporalReachable is false for a closed port, quickly', async () => {
    const address = `127.0.0.1:${await findFreePort()}`;
    const started = Date.now();
    assert.equal(await isTemporalReachable(address, 2000), false);
    assert.ok(Date.now() - started < 2000);
  });

  for (const [name, connect] of [
    ['client', connectClient],
    ['worker', connectWorker],
  ] as const) {
    it(`the ${name} connection helper says where it looked and what to do, without the API key`, async () => {
      const address = `127.0.0.1:${await findFreePort()}`;
      const env = {
        TEMPORAL_ADDRESS: address,
        TEMPORAL_API_KEY: 'sk-secret-123',
        TEMPORAL_CONFIG_FILE: noConfigFile(),
      };
      await assert.rejects(connect({ env }), (err: Error) => {
        assert.ok(err instanceof ConfigError, `ConfigError, got ${err.name}`);
        assert.match(err.message, new RegExp(`^Cannot reach Temporal at ${address}: .*ECONNREFUSED`));
        assert.match(err.message, /Start one with `npm run temporal` or set TEMPORAL_ADDRESS\.$/);
        assert.equal(err.message.split('\n').length, 1);
        assert.ok(!err.message.includes('sk-secret-123'));
        return true;
      });
    });
  }
});

/** Tests must not pick up a developer's ~/.config/temporalio/temporal.toml; a missing file is allowed. */
function noConfigFile(): string {
  return path.join(__dirname, 'fixtures', 'no-such-temporal.toml');
}

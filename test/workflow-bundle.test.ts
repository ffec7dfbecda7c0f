/** The workflow bundle's disk cache: built once per content, reused after, never shared across interceptor sets. */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bundleCacheDir, bundleWorkflows } from '../src/runtime/workflow-bundle';

describe('bundleWorkflows', () => {
  let env: NodeJS.ProcessEnv;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'dca-bundle-'));
    env = { XDG_CACHE_HOME: dir };
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('builds the bundle once, then serves it from the cache', async () => {
    const first = await bundleWorkflows([], env);
    assert.match(first.code, /multiAgentWorkflow/);
    const files = await readdir(bundleCacheDir(env));
    assert.equal(files.length, 1, `one cached bundle, not ${files.join(', ')}`);
    // Prove the second call reads the file: a marker written into it comes back.
    const cached = path.join(bundleCacheDir(env), files[0] as string);
    await writeFile(cached, `${first.code}\n// marker`);
    const second = await bundleWorkflows([], env);
    assert.ok(second.code.endsWith('// marker'));
  });

  it('keys the cache by the interceptor modules too', async () => {
    const traced = await bundleWorkflows(
      [require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')],
      env,
    );
    assert.ok(!traced.code.endsWith('// marker'));
    assert.equal((await readdir(bundleCacheDir(env))).length, 2);
  });
});

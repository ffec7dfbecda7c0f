/**
 * The workflows' webpack bundle, cached on disk by a hash of everything that goes into it: the source tree that holds
 * src/workflows (every module a workflow can import lives there), the lockfile (the SDK's version), and the
 * interceptor modules. Building it costs seconds of CPU; every worker, MCP server and test process used to pay it.
 * The cache is the user's own (`${XDG_CACHE_HOME:-~/.cache}/durable-codex-agents/workflow-bundle/`), never a shared
 * temp directory: a worker runs what it finds there.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

const WORKFLOWS = path.dirname(require.resolve('../workflows'));
const SOURCE_ROOT = path.dirname(WORKFLOWS);
const LOCKFILE = path.join(SOURCE_ROOT, '..', 'package-lock.json');
const SOURCE_FILE = /\.(ts|js|cjs|mjs)$/;

export async function bundleWorkflows(
  workflowInterceptorModules: string[] = [],
  env: NodeJS.ProcessEnv = process.env,
): Promise<WorkflowBundleWithSourceMap> {
  const key = await bundleKey(workflowInterceptorModules);
  const cached = path.join(bundleCacheDir(env), `${key}.js`);
  const hit = await fs.readFile(cached, 'utf8').catch(() => undefined);
  if (hit !== undefined) return { code: hit, sourceMap: '' };
  const bundle = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS,
    workflowInterceptorModules,
    logger: quietBundlerLogger,
  });
  // Written whole, then renamed: a concurrent reader sees the old state or the complete bundle, never half of one.
  try {
    await fs.mkdir(path.dirname(cached), { recursive: true, mode: 0o700 });
    const partial = `${cached}.${process.pid}.partial`;
    await fs.writeFile(partial, bundle.code, { mode: 0o600 });
    await fs.rename(partial, cached);
  } catch {
    // A cache that cannot be written (read-only home, full disk) only costs the next start its seconds.
  }
  return bundle;
}

export function bundleCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const cacheHome = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cacheHome, 'durable-codex-agents', 'workflow-bundle');
}

async function bundleKey(interceptors: string[]): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (dir: string): Promise<void> => {
    const entries = await fs.readdir(dir, { withFileTypes: true });
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (SOURCE_FILE.test(e.name)) hash.update(`${path.relative(SOURCE_ROOT, p)}\0`).update(await fs.readFile(p));
    }
  };
  await walk(SOURCE_ROOT);
  hash.update(await fs.readFile(LOCKFILE).catch(() => Buffer.from('no lockfile')));
  hash.update(JSON.stringify(interceptors));
  return hash.digest('hex').slice(0, 32);
}

const quietBundlerLogger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (m: string) => process.stderr.write(`[bundler] ${m}\n`),
  error: (m: string) => process.stderr.write(`[bundler] ${m}\n`),
  log: () => undefined,
};

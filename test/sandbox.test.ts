/**
 * Codex's sandbox through the whole pipeline, read from what Codex itself reports on every model request
 * (`x-codex-turn-metadata` carries `sandbox_mode`), through a recording proxy in front of the scripted model:
 * workspace-write by default with /tmp read-only; danger-full-access only when the worker allows it
 * (CODEX_ALLOW_DANGER_FULL_ACCESS) and the run asks for it; a model asking for it changes nothing.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startLocalStack, type LocalStack } from '../src/runtime/local-stack';
import { startRun } from '../src/runtime/runs';
import { bundleWorkflows } from '../src/runtime/workflow-bundle';
import type { RunResult, SandboxMode } from '../src/shared/types';
import {
  rewriteExecCommands,
  startModelProxy,
  startProxiedWorker,
  turnMetadata,
  type ModelProxy,
  type ProxiedWorker,
} from './helpers/model-proxy';

let stack: LocalStack;
let proxy: ModelProxy;
let strict: ProxiedWorker;
let permissive: ProxiedWorker;

before(async () => {
  stack = await startLocalStack({ inProcessWorker: false });
  proxy = await startModelProxy(stack.scripted.baseUrl);
  const workflowBundle = await bundleWorkflows();
  [strict, permissive] = await Promise.all([
    startProxiedWorker(stack, proxy, { taskQueue: `${stack.taskQueue}-strict`, workflowBundle }),
    startProxiedWorker(stack, proxy, {
      taskQueue: `${stack.taskQueue}-permissive`,
      workflowBundle,
      env: { CODEX_ALLOW_DANGER_FULL_ACCESS: '1' },
    }),
  ]);
});
after(async () => {
  await Promise.all([strict?.stop(), permissive?.stop()]);
  await proxy?.close();
  await stack?.stop();
});

const codexRequests = (runId: string) => proxy.requests.filter((r) => r.run === runId && r.kind === 'codex');
const sandboxModes = (runId: string) => [...new Set(codexRequests(runId).map((r) => turnMetadata(r).sandbox_mode))];

describe("Codex's sandbox in pipeline runs", () => {
  it('is workspace-write for every Codex request of a multi-agent run, with /tmp read-only', async () => {
    const workflowId = `sandbox-multi-${Date.now()}`;
    const probe = path.join(tmpdir(), `dca-sandbox-probe-${process.pid}-${Date.now()}`);
    // Each check command Codex runs also tries to write to /tmp and into the workspace.
    proxy.rewrite = (req, body) =>
      req.run === workflowId && req.kind === 'codex'
        ? rewriteExecCommands(body, (cmd) => `${cmd}; echo x > ${probe}; echo "tmp=$?"; echo ok > sandbox-probe.txt`)
        : undefined;
    try {
      const handle = await startRun(stack.client, {
        kind: 'multi',
        input: { taskList: await readFile(path.join(__dirname, '..', 'tasks', 'bug-busters.md'), 'utf8') },
        workflowId,
        taskQueue: strict.taskQueue,
      });
      const result = (await handle.result()) as RunResult;
      assert.ok(codexRequests(workflowId).length >= 20, 'Codex made its requests through the proxy');
      assert.deepEqual(sandboxModes(workflowId), ['workspace-write']);
      assert.equal(existsSync(probe), false, '/tmp stayed read-only');
      assert.equal(
        readFileSync(path.join(result.workspace, 'sandbox-probe.txt'), 'utf8'),
        'ok\n',
        'workspace writable',
      );
      const outputs = codexRequests(workflowId).flatMap((r) =>
        ((r.body.input ?? []) as { type?: string; output?: unknown }[])
          .filter((i) => i.type === 'function_call_output')
          .map((i) => String(i.output)),
      );
      assert.ok(
        outputs.some((o) => /Read-only file system/.test(o) && /tmp=1/.test(o)),
        outputs.join('\n'),
      );
    } finally {
      proxy.rewrite = undefined;
    }
  });

  async function singleRun(name: string, queue: ProxiedWorker, sandbox: SandboxMode | undefined) {
    const workflowId = `sandbox-${name}-${Date.now()}`;
    // The model asks for danger-full-access in its Codex call, whatever the run says.
    proxy.rewrite = (req, body) => {
      if (req.run !== workflowId || req.kind !== 'agent') return undefined;
      const response = JSON.parse(body) as { output: { type: string; name?: string; arguments?: string }[] };
      for (const item of response.output) {
        if (item.type === 'function_call' && item.name === 'codex' && item.arguments) {
          item.arguments = JSON.stringify({ ...JSON.parse(item.arguments), sandbox: 'danger-full-access' });
        }
      }
      return JSON.stringify(response);
    };
    try {
      const handle = await startRun(stack.client, {
        kind: 'single',
        input: { sandbox },
        workflowId,
        taskQueue: queue.taskQueue,
      });
      await handle.result();
      const asked = proxy.requests.filter((r) => r.run === workflowId && r.kind === 'agent');
      assert.ok(
        asked.some((r) => JSON.stringify(r.body.input).includes('danger-full-access')),
        'the model did ask for danger-full-access',
      );
      return sandboxModes(workflowId);
    } finally {
      proxy.rewrite = undefined;
    }
  }

  it('stays workspace-write when only the model asks for danger-full-access', async () => {
    assert.deepEqual(await singleRun('model-asks', permissive, undefined), ['workspace-write']);
  });

  it('stays workspace-write when the run asks for danger-full-access but the worker does not allow it', async () => {
    assert.deepEqual(await singleRun('not-allowed', strict, 'danger-full-access'), ['workspace-write']);
  });

  it('is danger-full-access only when the run asks and CODEX_ALLOW_DANGER_FULL_ACCESS allows it', async () => {
    assert.deepEqual(await singleRun('allowed', permissive, 'danger-full-access'), ['danger-full-access']);
  });
});

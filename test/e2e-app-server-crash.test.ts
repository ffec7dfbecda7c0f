/**
 * A worker (child process) SIGKILLed with its process group in the middle of a Codex call on the app-server
 * transport: the replacement worker (its own CODEX_HOME, as on another host) resumes the same Codex thread from the
 * workspace's rollout copy, and the run's state and report say so.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startLocalStack, type LocalStack } from '../src/runtime/local-stack';
import { finishRun, startRun } from '../src/runtime/runs';
import type { RunResult } from '../src/shared/types';
import { CRASH_TUNING, WorkerFleet, waitFor } from './helpers/crash';

let stack: LocalStack;
let fleet: WorkerFleet;
let codexHome: string;

before(async () => {
  // Latency keeps the PM's Codex call in flight long enough to be killed there.
  stack = await startLocalStack({ inProcessWorker: false, scripted: { latency: { codexMs: 400 } } });
  // Codex 0.171 cannot set up its apply_patch helper under a CODEX_HOME in /tmp (where the stack lives).
  codexHome = mkdtempSync(path.join(os.homedir(), '.cache', 'dca-app-server-crash-'));
  fleet = new WorkerFleet(stack, { env: { CODEX_TRANSPORT: 'app-server', CODEX_HOME: codexHome } });
  await fleet.start();
});
after(async () => {
  await fleet?.stopAll();
  await stack?.stop();
  if (codexHome) rmSync(codexHome, { recursive: true, force: true });
});

void describe('worker killed mid-Codex-call on app-server', () => {
  void it('the next worker resumes the same thread id, and the report shows it resumed', async () => {
    const taskList = await readFile(path.join(__dirname, '..', 'tasks', 'bug-busters.md'), 'utf8');
    const workflowId = `app-server-crash-${Date.now()}`;
    const handle = await startRun(stack.client, {
      kind: 'multi',
      input: { taskList, tuning: CRASH_TUNING },
      workflowId,
      taskQueue: stack.taskQueue,
    });
    const pmCodex = () =>
      stack.scripted
        .stats()
        .requests.filter((r) => r.run === workflowId && r.kind === 'codex' && r.role === 'project_manager');
    // The PM's first file is written and Codex's next model request is in flight.
    await waitFor(
      "the PM's Codex call mid-way",
      () => {
        const mine = pmCodex();
        return mine.length >= 2 &&
          mine.some((r) => r.completed && /^apply_patch/.test(r.answer ?? '')) &&
          mine.at(-1)?.durationMs === null
          ? true
          : undefined;
      },
      60_000,
    );
    const thread = pmCodex()[0]?.thread;
    assert.ok(thread, 'Codex sent its thread id');
    await fleet.kill();
    await fleet.start();

    const outcome = await finishRun(handle);
    const codexLog = () =>
      fleet
        .logs()
        .split('\n')
        .filter((l) => /Codex call|codex app-server|resum/i.test(l))
        .join('\n');
    assert.equal(outcome.ok, true, `${outcome.error}\n${codexLog()}`);
    const result = outcome.result as RunResult;
    const pm = result.state.steps.find((s) => s.role === 'project_manager')!;
    const first = pm.codexCalls[0]!;
    assert.equal(first.threadId, thread, 'the same thread, resumed');
    assert.equal(first.resumedThread, true);
    assert.equal(first.transport, 'app-server');
    assert.equal(first.continuedFromThreadId, undefined, 'not replaced by a new thread');
    assert.ok(
      pmCodex().every((r) => r.thread === thread),
      'every PM Codex request, before and after the kill, is on that thread',
    );
    const report = await readFile(outcome.reportPaths!.markdown, 'utf8');
    assert.match(report, /resumed after a crash/);
  });
});

/**
 * Cancelling a run on real parts (Temporal dev server, the real Codex binary, the scripted model): mid-Codex-call
 * while Codex runs a long command (a scripted `command` fault: `sleep 120` before its check), on both transports;
 * a Codex call and a model turn at once; and mid-model-turn (a `hang` fault) through `npm run cancel` while
 * `npm run start-run` watches. No process of a cancelled call may survive it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { startLocalStack, type LocalStack } from '../src/runtime/local-stack';
import { bundleWorkflows } from '../src/runtime/workflow-bundle';
import { finishRun, startRun } from '../src/runtime/runs';
import type { RunReport } from '../src/report/run-report';
import { progressQuery } from '../src/shared/progress';

const EventType = temporal.api.enums.v1.EventType;
const ROOT = path.join(__dirname, '..');
const LONG_COMMAND = 'sleep 120';
let stack: LocalStack;
let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

before(async () => {
  stack = await startLocalStack();
});
after(() => stack?.stop());

async function startCookbook(stack: LocalStack, workflowId: string): Promise<WorkflowHandle> {
  const taskList = await readFile(path.join(ROOT, 'tasks', 'bug-busters.md'), 'utf8');
  return startRun(stack.client, { kind: 'multi', input: { taskList }, workflowId, taskQueue: stack.taskQueue });
}

/** Runs one of our CLIs (`src/...ts`) against the stack; resolves with its exit code and output. */
function cli(command: string, ...args: string[]): Promise<{ code: number; out: string }> {
  return promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'src', 'cli', 'main.ts'), command, ...args],
    {
      cwd: ROOT,
      env: { ...stack.workerEnv(), TEMPORAL_ADDRESS: stack.address, TEMPORAL_NAMESPACE: stack.namespace },
    },
  ).then(
    ({ stdout, stderr }) => ({ code: 0, out: stdout + stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({
      code: e.code ?? -1,
      out: `${e.stdout ?? ''}${e.stderr ?? ''}`,
    }),
  );
}

interface Proc {
  pid: number;
  cwd?: string;
  command: string;
}

/** Every process on the machine whose command line or cwd mentions `text`. */
function processesMentioning(text: string): Proc[] {
  const out: Proc[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const command = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ');
      let cwd: string | undefined;
      try {
        cwd = fs.readlinkSync(`/proc/${name}/cwd`);
      } catch {
        cwd = undefined;
      }
      if (command.includes(text) || cwd?.includes(text)) out.push({ pid: Number(name), cwd, command });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Path -> sha256 of every file under `dir` (the report files excluded: they are written after the run). */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile())
        out.set(path.relative(dir, p), createHash('sha256').update(fs.readFileSync(p)).digest('hex'));
    }
  };
  walk(dir);
  return out;
}

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 60_000) {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function endsCancelled(handle: WorkflowHandle): Promise<void> {
  const err = await handle.result().then(
    () => assert.fail('expected the run to end cancelled'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof WorkflowFailedError, String(err));
  assert.ok(err.cause instanceof CancelledFailure, `cause ${String(err.cause)}`);
  assert.equal((await handle.describe()).status.name, 'CANCELLED');
}

/** The activity type of each scheduled event id, and the events in order. */
async function historyOf(handle: WorkflowHandle) {
  const events = (await handle.fetchHistory()).events ?? [];
  const typeOf = new Map<string, string>();
  for (const e of events) {
    const a = e.activityTaskScheduledEventAttributes;
    if (a) typeOf.set(String(e.eventId), a.activityType?.name ?? '?');
  }
  const activityOf = (e: temporal.api.history.v1.IHistoryEvent) =>
    typeOf.get(
      String(
        e.activityTaskCancelRequestedEventAttributes?.scheduledEventId ??
          e.activityTaskCanceledEventAttributes?.scheduledEventId ??
          '',
      ),
    );
  return { events, activityOf };
}

function eventTime(e: temporal.api.history.v1.IHistoryEvent): number {
  const t = e.eventTime;
  return Number(t?.seconds ?? 0) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);
}

/** Cancels a run while the Designer's Codex call runs the long command, and checks what is left. */
async function cancelMidCodexCall(stack: LocalStack, transport: string): Promise<void> {
  const id = `e2e-cancel-codex-${transport}-${Date.now()}`;
  stack.scripted.setFaults([{ kind: 'codex', role: 'designer', run: id, effect: { command: LONG_COMMAND } }]);
  try {
    const handle = await startCookbook(stack, id);
    const codexPid = await waitFor('the Codex server', () => stack.worker?.codexTransport.pid);
    // The Designer's Codex call wrote its files and now runs the long command in the run's workspace.
    const state = await waitFor('the long command', async () => {
      const s = await handle.query(progressQuery);
      const ws = s.workspace;
      return ws && processesMentioning(LONG_COMMAND).some((p) => p.cwd?.startsWith(ws)) ? s : undefined;
    });
    const workspace = state.workspace!;
    assert.equal(state.steps.find((s) => s.role === 'project_manager')?.status, 'done');
    const before = snapshot(workspace);
    assert.ok(before.has('REQUIREMENTS.md') && before.has('design/design_spec.md'), [...before.keys()].join(', '));
    const living = processesMentioning(workspace);
    assert.ok(living.length > 0);

    const requested = Date.now();
    await handle.cancel();
    await endsCancelled(handle);
    const tookMs = Date.now() - requested;
    // The moment the run is over, nothing it started is left: not the command, not its shell or sandbox.
    assert.deepEqual(processesMentioning(workspace), [], 'no process runs in the workspace');
    assert.deepEqual(
      processesMentioning(LONG_COMMAND).filter((p) => living.some((l) => l.pid === p.pid)),
      [],
      'the long command is gone',
    );
    // The shared Codex server (other runs' calls) lives on.
    assert.equal(stack.worker?.codexTransport.pid, codexPid, 'the codex mcp-server process was not killed');
    assert.deepEqual(snapshot(workspace), before, 'the workspace is as it was');

    const { events, activityOf } = await historyOf(handle);
    const at = (type: temporal.api.enums.v1.EventType, activity?: string) =>
      events.findIndex((e) => e.eventType === type && (activity === undefined || activityOf(e) === activity));
    const asked = at(EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED, 'codexCall');
    const cancelled = at(EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED, 'codexCall');
    const ended = at(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED);
    assert.ok(asked >= 0 && cancelled > asked && ended > cancelled, `events ${asked} < ${cancelled} < ${ended}`);
    const stopMs = eventTime(events[cancelled]!) - eventTime(events[asked]!);

    // The cancel path is deterministic: the recorded history replays against the workflow code.
    await Worker.runReplayHistory(
      { workflowBundle: await (bundle ??= bundleWorkflows()) },
      await handle.fetchHistory(),
      id,
    );

    // The Web UI's current details (the workflow's metadata query) show the cut-short role.
    const meta = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    assert.match(meta.currentDetails ?? '', /⏹️ \*\*Designer\*\*: cancelled/);

    const outcome = await finishRun(handle);
    assert.equal(outcome.cancelled, true);
    const report = outcome.report!;
    assert.equal(report.status, 'cancelled');
    assert.equal(report.steps.find((s) => s.role === 'project_manager')?.status, 'done');
    const designer = report.steps.find((s) => s.role === 'designer');
    assert.equal(designer?.status, 'cancelled');
    assert.match(designer?.error ?? '', /cancelled during Designer: Codex call 1/);
    assert.equal(designer?.codexCalls[0]?.status, 'cancelled');
    assert.ok(report.steps.filter((s) => s.status === 'waiting').length === 3, 'the later roles never started');
    const json = JSON.parse(await readFile(outcome.reportPaths!.json, 'utf8')) as RunReport;
    assert.equal(json.status, 'cancelled');
    assert.match(await readFile(outcome.reportPaths!.markdown, 'utf8'), /\| Status \| \*\*cancelled\*\* \|/);
    console.log(
      `# cancel mid-Codex-call (${transport}): run ended ${tookMs} ms after the request; Codex activity stopped in ${stopMs} ms`,
    );
  } finally {
    stack.scripted.setFaults([]);
  }
}

describe('cancel (real Temporal, real Codex, scripted model)', () => {
  it('cancels mid-Codex-call (mcp-server): the long command is killed, the workspace untouched, the report says cancelled', () =>
    cancelMidCodexCall(stack, 'mcp'));

  it('cancels Frontend mid-Codex-call and Backend mid-model-turn: the run ends only after both stopped', async () => {
    const id = `e2e-cancel-parallel-${Date.now()}`;
    // The model turn stops in a fraction of a second, the Codex call in about one: the run must wait for the slower.
    stack.scripted.setFaults([
      { kind: 'codex', role: 'frontend', run: id, effect: { command: LONG_COMMAND } },
      { kind: 'agent', role: 'backend', run: id, effect: 'hang' },
    ]);
    try {
      const handle = await startCookbook(stack, id);
      const workspace = await waitFor('the long command and the hanging model turn', async () => {
        const ws = (await handle.query(progressQuery)).workspace;
        const sleeping = ws && processesMentioning(LONG_COMMAND).some((p) => p.cwd?.startsWith(ws));
        const hanging = stack.scripted
          .stats()
          .requests.some((r) => r.run === id && r.role === 'backend' && r.kind === 'agent' && r.durationMs === null);
        return sleeping && hanging ? ws : undefined;
      });
      const before = snapshot(workspace);
      await handle.cancel();
      await endsCancelled(handle);
      assert.deepEqual(processesMentioning(workspace), [], 'no process runs in the workspace');
      assert.deepEqual(snapshot(workspace), before, 'the workspace is as it was');

      const { events, activityOf } = await historyOf(handle);
      const ended = events.findIndex((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED);
      const cancelledAt = (type: string) =>
        events.findIndex((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED && activityOf(e) === type);
      const model = cancelledAt('modelTurn');
      const codex = cancelledAt('codexCall');
      assert.ok(model >= 0 && codex >= 0, `both were cancelled (model ${model}, codex ${codex})`);
      assert.ok(model < ended && codex < ended, `the run ended (${ended}) after both had stopped`);
      const report = (await finishRun(handle)).report!;
      assert.deepEqual(
        report.steps.map((s) => s.status),
        ['done', 'done', 'cancelled', 'cancelled', 'waiting'],
      );
    } finally {
      stack.scripted.setFaults([]);
    }
  });

  it('cancels mid-model-turn through `npm run cancel`: the request is aborted at once, not at its timeout', async () => {
    const id = `e2e-cancel-model-${Date.now()}`;
    stack.scripted.setFaults([{ kind: 'agent', role: 'project_manager', run: id, effect: 'hang' }]);
    try {
      // Started and watched by `npm run start-run`, which must say the run was cancelled and still write the report.
      const watching = cli('start-run', '--id', id);
      const handle = stack.client.workflow.getHandle(id);
      await waitFor('the hanging model turn', () =>
        stack.scripted.stats().requests.some((r) => r.run === id && r.kind === 'agent') ? true : undefined,
      );
      const requested = Date.now();
      const r = await cli('cancel', id, '--reason', 'changed my mind');
      const tookMs = Date.now() - requested;
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /Run cancelled .* after the request/);
      assert.match(r.out, /cancelled: Project Manager/);
      assert.match(r.out, /Report: .*REPORT\.md/);
      await endsCancelled(handle);

      const { events, activityOf } = await historyOf(handle);
      const asked = events.find(
        (e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED && activityOf(e) === 'modelTurn',
      );
      const cancelled = events.find(
        (e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED && activityOf(e) === 'modelTurn',
      );
      assert.ok(asked && cancelled, 'the model turn was cancelled, not failed or timed out');
      const stopMs = eventTime(cancelled) - eventTime(asked);
      // Cancellation reaches the activity in a heartbeat's answer: 1 s beats, 1 s throttle. Its timeout is 10 min.
      assert.ok(stopMs < 5_000, `model turn stopped ${stopMs} ms after the request`);
      // The HTTP request itself was aborted: the scripted model saw its client go away.
      const req = stack.scripted.stats().requests.find((x) => x.run === id && x.kind === 'agent');
      assert.equal(req?.status, 0, 'the client went away');

      const report = JSON.parse(
        await readFile(path.join(r.out.match(/Report: (\S+)REPORT\.md/)![1]!, 'run.json'), 'utf8'),
      ) as RunReport;
      assert.equal(report.status, 'cancelled');
      assert.equal(report.cancelRequest?.reason, 'changed my mind');
      assert.match(report.cancelRequest?.identity ?? '', /npm run cancel/);
      assert.equal(report.steps[0]?.status, 'cancelled');

      const started = await watching;
      assert.equal(started.code, 1, started.out);
      assert.match(started.out, /Run cancelled: changed my mind/);
      assert.match(started.out, /Report: .*REPORT\.md/);

      const again = await cli('cancel', id);
      assert.equal(again.code, 2, again.out);
      assert.match(again.out, /already closed \(cancelled\)/);
      const unknown = await cli('cancel', `no-such-run-${Date.now()}`);
      assert.equal(unknown.code, 2, unknown.out);
      assert.match(unknown.out, /No workflow "no-such-run-/);
      console.log(
        `# cancel mid-model-turn: npm run cancel returned after ${tookMs} ms; model turn stopped in ${stopMs} ms`,
      );
    } finally {
      stack.scripted.setFaults([]);
    }
  });
});

describe('cancel on the app-server transport (codex app-server, turn/interrupt)', () => {
  let appStack: LocalStack;
  before(async () => {
    appStack = await startLocalStack({ env: { CODEX_TRANSPORT: 'app-server' } });
  });
  after(() => appStack?.stop());

  it('cancels mid-Codex-call: the long command is killed, the workspace untouched, the report says cancelled', () =>
    cancelMidCodexCall(appStack, 'app-server'));
});

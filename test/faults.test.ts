/**
 * Model and Codex faults through the whole pipeline, on real parts (real Temporal, real Codex, scripted model with
 * fault rules): transient failures (429 with Retry-After, 500, a broken stream, a hung call) are retried with
 * backoff and the run completes; a rejected key or request (401, 400) fails the run at once with a typed error that
 * names the cause.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ActivityFailure, ApplicationFailure, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { readHistory, type ActivityRecord } from '../src/report/history';
import { startLocalStack, type LocalStack } from '../src/runtime/local-stack';
import { startRun } from '../src/runtime/runs';
import type { FaultRule, RequestLogEntry } from '../src/scripted-model';
import type { ActivityTuning, RunResult } from '../src/shared/types';
import { waitFor } from './helpers/crash';
import { progressQuery } from '../src/shared/progress';

let stack: LocalStack;
let taskList: string;

before(async () => {
  taskList = await readFile(path.join(__dirname, '..', 'tasks', 'bug-busters.md'), 'utf8');
  stack = await startLocalStack();
});
after(() => stack?.stop());

const FAST: ActivityTuning = { retryInitialIntervalMs: 200, retryMaximumIntervalMs: 1_000 };

async function run(
  id: string,
  faults: Omit<FaultRule, 'run'>[],
  opts: { kind?: 'multi' | 'single'; tuning?: ActivityTuning } = {},
): Promise<WorkflowHandle> {
  const workflowId = `${id}-${Date.now()}`;
  stack.scripted.setFaults(faults.map((f) => ({ ...f, run: workflowId })));
  const tuning = { ...FAST, ...opts.tuning };
  return opts.kind === 'single'
    ? startRun(stack.client, { kind: 'single', input: { tuning }, workflowId, taskQueue: stack.taskQueue })
    : startRun(stack.client, { kind: 'multi', input: { taskList, tuning }, workflowId, taskQueue: stack.taskQueue });
}

const requestsOf = (h: WorkflowHandle) => stack.scripted.stats().requests.filter((r) => r.run === h.workflowId);
const activity = (acts: ActivityRecord[], summary: string) => {
  const a = acts.find((x) => x.summary === summary);
  assert.ok(a, `activity "${summary}" in the history`);
  return a;
};

/** The failure chain of a failed run: WorkflowFailedError <- ActivityFailure <- ApplicationFailure. */
async function failureOf(h: WorkflowHandle): Promise<{ activity: ActivityFailure; app: ApplicationFailure }> {
  const err = await h.result().then(
    () => assert.fail('expected the run to fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof WorkflowFailedError, String(err));
  assert.ok(err.cause instanceof ActivityFailure, String(err.cause));
  assert.ok(err.cause.cause instanceof ApplicationFailure, String(err.cause.cause));
  return { activity: err.cause, app: err.cause.cause };
}

describe('transient faults are retried with backoff and the run completes', () => {
  after(() => stack.scripted.setFaults([]));

  it('429 with Retry-After, 500, broken streams, on agent turns and inside Codex calls', async () => {
    const h = await run('faults-transient', [
      { kind: 'agent', role: 'project_manager', turn: 1, effect: { status: 429, retryAfterSeconds: 1 } },
      // Codex's own model request fails: Codex reports it, the Codex activity fails and is retried.
      { kind: 'codex', role: 'designer', turn: 2, effect: { status: 500 } },
      { kind: 'agent', role: 'frontend', turn: 1, effect: 'broken-stream' },
      { kind: 'codex', role: 'backend', turn: 2, effect: 'broken-stream' },
      { kind: 'agent', role: 'tester', turn: 2, effect: { status: 500 } },
    ]);
    const result = (await h.result()) as RunResult;
    assert.ok(result.state.steps.every((s) => s.status === 'done'));
    const acts = readHistory(await h.fetchHistory()).activities;

    const pm = activity(acts, 'Project Manager: model turn 1');
    assert.equal(pm.attempt, 2);
    assert.match(pm.lastFailure ?? '', /TransientServiceError: Model endpoint answered 429/);
    // The retry waited for Retry-After (1 s), not the policy's 200 ms.
    const pmRequests = requestsOf(h).filter((r) => r.kind === 'agent' && r.role === 'project_manager' && r.turn === 1);
    assert.equal(pmRequests.length, 2);
    const gap = Date.parse(pmRequests[1]!.startedAt) - Date.parse(pmRequests[0]!.startedAt);
    assert.ok(gap >= 1_000, `retried after ${gap} ms`);

    const designer = activity(acts, 'Designer: Codex call 1');
    assert.equal(designer.attempt, 2);
    assert.match(designer.lastFailure ?? '', /TransientServiceError: Codex hit a transient failure.*high demand/);
    const frontend = activity(acts, 'Frontend Developer: model turn 1');
    assert.equal(frontend.attempt, 2);
    assert.match(frontend.lastFailure ?? '', /TransientServiceError: Model response broke off/);
    const backend = activity(acts, 'Backend Developer: Codex call 1');
    assert.equal(backend.attempt, 2);
    assert.match(backend.lastFailure ?? '', /TransientServiceError: .*stream disconnected/);
    const tester = activity(acts, 'Tester: model turn 2');
    assert.equal(tester.attempt, 2);
    assert.match(tester.lastFailure ?? '', /TransientServiceError: Model endpoint answered 500/);
    // Nothing else was retried.
    assert.equal(acts.filter((a) => a.attempt > 1).length, 5);
  });

  it('a live model turn slower than the heartbeat timeout is not mistaken for a dead one', async () => {
    const h = await run(
      'faults-slow-turn',
      [{ kind: 'agent', role: 'game_designer', turn: 1, effect: { latencyMs: 2_500 } }],
      { kind: 'single', tuning: { heartbeatTimeoutMs: 1_000 } },
    );
    await h.result();
    const turn = activity(readHistory(await h.fetchHistory()).activities, 'Game Designer: model turn 1');
    assert.equal(turn.attempt, 1, turn.lastFailure);
  });
});

describe('hung calls time out and are retried, not waited on forever', () => {
  after(() => stack.scripted.setFaults([]));

  it('a model turn that never answers: start-to-close timeout, retried, completed', async () => {
    const h = await run('faults-hang-agent', [{ kind: 'agent', role: 'game_designer', turn: 1, effect: 'hang' }], {
      kind: 'single',
      tuning: { modelTurnTimeoutMs: 1_500 },
    });
    await h.result();
    const turn = activity(readHistory(await h.fetchHistory()).activities, 'Game Designer: model turn 1');
    assert.equal(turn.attempt, 2);
    assert.match(turn.lastFailure ?? '', /timeout/i);
    // The abandoned attempt's request is closed by the worker (cancelled), not left hanging.
    const hung = () => requestsOf(h).find((r) => r.faults.includes('hang'));
    await waitFor('the hung request to be closed', () => (hung()?.durationMs ?? null) !== null || undefined, 15_000);
  });

  it('a Codex call whose model never answers: timed out, cancelled, retried, completed', async () => {
    const h = await run('faults-hang-codex', [{ kind: 'codex', role: 'game_developer', turn: 2, effect: 'hang' }], {
      kind: 'single',
      tuning: { codexCallTimeoutMs: 4_000 },
    });
    await h.result();
    const call = activity(readHistory(await h.fetchHistory()).activities, 'Game Developer: Codex call 1');
    assert.equal(call.attempt, 2);
    assert.match(call.lastFailure ?? '', /timeout/i);
    const hung = () => requestsOf(h).find((r: RequestLogEntry) => r.faults.includes('hang'));
    await waitFor(
      'the hung Codex request to be closed',
      () => (hung()?.durationMs ?? null) !== null || undefined,
      15_000,
    );
  });
});

describe('rejected keys and requests fail the run at once, with a typed error that names the cause', () => {
  after(() => stack.scripted.setFaults([]));

  it('401 on a model turn: ModelRequestError, no retry', async () => {
    const t0 = Date.now();
    const h = await run('faults-401', [{ kind: 'agent', role: 'project_manager', turn: 1, effect: { status: 401 } }]);
    const { activity: act, app } = await failureOf(h);
    assert.equal(app.type, 'ModelRequestError');
    assert.equal(app.nonRetryable, true);
    assert.match(app.message, /rejected the API key \(401\)\. Check OPENAI_API_KEY/);
    assert.equal(act.activityType, 'modelTurn');
    assert.equal(requestsOf(h).length, 1, 'asked once, not retried');
    assert.ok(Date.now() - t0 < 10_000);
    const state = await h.query(progressQuery);
    assert.equal(state.status, 'failed');
    assert.equal(state.steps[0]?.status, 'failed');
  });

  it('400 on a model turn: ModelRequestError with the endpoint message', async () => {
    const h = await run('faults-400', [
      {
        kind: 'agent',
        role: 'designer',
        turn: 1,
        effect: { status: 400, message: "Unsupported parameter: 'reasoning.effort'" },
      },
    ]);
    const { app } = await failureOf(h);
    assert.equal(app.type, 'ModelRequestError');
    assert.match(app.message, /rejected the request \(400\).*Unsupported parameter: 'reasoning\.effort'/);
    assert.equal(requestsOf(h).filter((r) => r.role === 'designer').length, 1);
  });

  it("401 on Codex's own model request: CodexFatalError, no retry", async () => {
    const h = await run('faults-codex-401', [
      { kind: 'codex', role: 'project_manager', turn: 1, effect: { status: 401 } },
    ]);
    const { activity: act, app } = await failureOf(h);
    assert.equal(act.activityType, 'codexCall');
    assert.equal(app.type, 'CodexFatalError');
    assert.equal(app.nonRetryable, true);
    assert.match(app.message, /HTTP 401.*Check OPENAI_API_KEY/s);
    assert.equal(requestsOf(h).filter((r) => r.kind === 'codex').length, 1);
  });
});

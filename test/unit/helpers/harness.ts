/**
 * A test file's harness: the time-skipping server, one worker with the mocked activities on a queue of its own, and
 * helpers to start a team run and read its outcome through the workflow's public surface (result, failure, queries,
 * updates).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { teamWorkflow } from '../../../src/workflows';
import type { Team } from '../../../src/shared/team';
import type { RunResult, RunState, TeamRunInput } from '../../../src/shared/types';
import { typedFailures } from '../../../src/activities/failures';
import { NO_TRACE_SINKS } from '../../../src/tracing/openai-traces';
import { startTestEnv, Worker, workflowBundle } from './env';
import { FakeRun, Fakes, type FakeOptions } from './fakes';

/** Short retries: an activity that fails on purpose is retried in milliseconds of (skipped) time. */
export const FAST_TUNING = { retryInitialIntervalMs: 10, retryMaximumIntervalMs: 100, maximumAttempts: 3 };

/** A suite whose run hangs (a rule broken so that a run waits for ever) fails instead of holding the test process. */
export const SUITE_TIMEOUT_MS = 60_000;

export class Harness {
  readonly taskQueue = `unit-${randomUUID()}`;
  private readonly extraWorkers: Promise<void>[] = [];

  private constructor(
    readonly env: TestWorkflowEnvironment,
    readonly fakes: Fakes,
    private readonly worker: Worker,
    private readonly running: Promise<void>,
  ) {}

  static async start(): Promise<Harness> {
    const env = await startTestEnv();
    const fakes = new Fakes();
    const taskQueue = `unit-${randomUUID()}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities: fakes.activities(taskQueue),
      // As on a real worker (src/runtime/worker.ts): retry policies rely on it for the types never retried.
      interceptors: { activity: [typedFailures] },
      sinks: NO_TRACE_SINKS,
      // Cancellation reaches an activity with its next heartbeat: send them at once.
      defaultHeartbeatThrottleInterval: '50ms',
      maxHeartbeatThrottleInterval: '100ms',
    });
    const h = new Harness(env, fakes, worker, worker.run());
    Object.defineProperty(h, 'taskQueue', { value: taskQueue });
    return h;
  }

  private static sharedOne: Promise<Harness> | undefined;

  /** The process's harness: one test server, one worker for every case file (./workflows.test.ts stops it). */
  static shared(): Promise<Harness> {
    return (Harness.sharedOne ??= Harness.start());
  }

  static async stopShared(): Promise<void> {
    const one = Harness.sharedOne;
    Harness.sharedOne = undefined;
    if (one) await (await one).stop();
  }

  /** A worker serving only the mocked activities on `taskQueue` (a run's host) until `until` settles. */
  async hostWorker(taskQueue: string, until: Promise<unknown>): Promise<void> {
    const worker = await Worker.create({
      connection: this.env.nativeConnection,
      taskQueue,
      activities: this.fakes.activities(taskQueue),
      interceptors: { activity: [typedFailures] },
      defaultHeartbeatThrottleInterval: '50ms',
      maxHeartbeatThrottleInterval: '100ms',
    });
    const done = worker.runUntil(until.catch(() => undefined));
    this.extraWorkers.push(done.then(() => undefined));
    return done.then(() => undefined);
  }

  async stop(): Promise<void> {
    this.worker.shutdown();
    await this.running;
    await Promise.allSettled(this.extraWorkers);
    await this.env.teardown();
  }

  /** Starts a team run with a fresh workflow id and its fake. */
  async start(
    name: string,
    team: Team,
    input: Partial<TeamRunInput> = {},
    options: FakeOptions = {},
  ): Promise<{ handle: WorkflowHandle<typeof teamWorkflow>; fake: FakeRun }> {
    const workflowId = `${name}-${randomUUID().slice(0, 8)}`;
    const fake = this.fakes.add(new FakeRun(workflowId, team, options));
    const handle = await this.env.client.workflow.start<typeof teamWorkflow>('teamWorkflow', {
      taskQueue: this.taskQueue,
      workflowId,
      args: [{ team, task: 'Build the thing.', tuning: FAST_TUNING, ...input }],
    });
    return { handle, fake };
  }

  /** The run's state as the `progress` query answers it. */
  progress(handle: WorkflowHandle): Promise<RunState> {
    return handle.query<RunState>('progress');
  }

  /** Polls the `progress` query (real time; time does not skip meanwhile) until `check` holds. */
  async waitState(handle: WorkflowHandle, what: string, check: (s: RunState) => boolean): Promise<RunState> {
    let last: RunState | undefined;
    const deadline = Date.now() + 20_000;
    for (;;) {
      last = await this.progress(handle);
      if (check(last)) return last;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; state: ${JSON.stringify(last)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

/** The run's result; fails the test with the failure when the run failed. */
export async function completed(handle: WorkflowHandle<typeof teamWorkflow>): Promise<RunResult> {
  return handle.result();
}

/**
 * The ApplicationFailure a run failed with: the workflow's own failure, or the one under an activity's failure
 * (`chain` lists the whole chain, outermost first, e.g. ["ActivityFailure", "ApplicationFailure"]).
 */
export async function failure(handle: WorkflowHandle): Promise<ApplicationFailure & { chain: string[] }> {
  const err = await handle.result().then(
    () => assert.fail('the run completed but should have failed'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof WorkflowFailedError, `expected a WorkflowFailedError, got ${String(err)}`);
  const chain: string[] = [];
  let app: ApplicationFailure | undefined;
  for (let e: unknown = err.cause; e instanceof Error; e = e.cause) {
    chain.push(e.constructor.name);
    if (!app && e instanceof ApplicationFailure) app = e;
  }
  assert.ok(app, `expected an ApplicationFailure in the chain ${chain.join(' > ')}`);
  return Object.assign(app, { chain });
}

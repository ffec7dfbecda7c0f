/**
 * Resume cost: a worker process is killed (SIGKILL to its group, Codex included) in the middle of the Tester's Codex
 * call and started again at once. Temporal notices the lost activity when its heartbeat stops, retries it on the new
 * worker, and nothing that finished runs again. The seed (no durable state) must run the whole pipeline again.
 * Measured twice: as is, and with the dead worker's sticky queue reset right after the kill, which isolates the
 * sticky-queue wait from the heartbeat timeout.
 */
import { readHistory } from '../../src/report/history';
import { repeatedCompletions, type RequestLogEntry } from '../../src/scripted-model';
import { DEFAULT_RETRY_INITIAL_INTERVAL_MS } from '../../src/workflows/activities';
import { heartbeatOf, tuningOf, type BenchOptions } from './args';
import { awaitPipeline, runPipeline, startBenchStack, startPipeline, type BenchStack } from './pipeline';
import { injectedFor, type InjectedLatency } from './timing';
import { spawnWorker, type WorkerProcess } from './worker-process';

/** The workflow's default first retry interval (src/workflows/activities.ts): the second term of the resume time. */

export interface CrashMeasure {
  /** True when ResetStickyTaskQueue was called right after the kill (as an operator or supervisor could). */
  stickyReset: boolean;
  killedDuring: string;
  /** Kill -> the new worker process says it is ready (runs alongside the heartbeat wait). */
  workerRestartMs: number;
  /** Kill -> the lost activity's retry started on the new worker: heartbeat timeout + retry interval + dispatch. */
  killToRetryStartMs: number;
  /** Retry started -> run completed: the remaining work. */
  retryToDoneMs: number;
  /**
   * Retried activity completed -> next activity scheduled. Without a sticky reset the workflow task first waits on
   * the dead worker's sticky queue (schedule-to-start timeout, 10 s) when it comes within 10 s of the crash.
   */
  afterRetryWorkflowTaskMs: number;
  /** Kill -> run completed. */
  resumeMs: number;
  /** Injected latency of what had to be done after the kill (the interrupted call from scratch, then the rest). */
  remainingInjectedMs: number;
  /** Work the interrupted attempt had done when it was killed (its first request's start -> kill). */
  lostWorkMs: number;
  retriedActivity?: { type: string; summary?: string; attempt: number; lastFailure?: string };
  workflowTaskTimeouts: number;
  finishedBeforeKill: { modelCalls: number; codexCalls: number };
  repeated: { modelCalls: number; codexCalls: number; requestsOfInterruptedCodexCall: number };
  /** Whole run with the crash: start -> completed. */
  runWithCrashMs: number;
}

export interface ResumeReport {
  heartbeatTimeoutMs: number;
  retryInitialIntervalMs: number;
  crashes: CrashMeasure[];
  /** The seed's way: the whole pipeline again from scratch, measured on the restarted worker. */
  fromScratch: { wallMs: number; modelCalls: number; codexCalls: number };
}

const repeats = (groups: RequestLogEntry[][]) => groups.reduce((s, g) => s + g.length - 1, 0);

export async function measureResume(o: BenchOptions, log: (line: string) => void): Promise<ResumeReport> {
  const latency: InjectedLatency = { turnMs: o.turnMs, codexMs: o.codexMs, codexRequestMs: o.codexRequestMs };
  const b = await startBenchStack(latency, false);
  const workers: WorkerProcess[] = [spawnWorker(b.stack.workerEnv())];
  const current = () => workers[workers.length - 1] as WorkerProcess;
  try {
    log(`  worker process ready in ${await current().ready} ms`);
    const crashes: CrashMeasure[] = [];
    for (const stickyReset of [false, true]) {
      crashes.push(await crashRun(b, o, latency, stickyReset, workers, log));
    }
    const scratch = await current().guard(runPipeline(b, 'from-scratch'));
    if (scratch.error) throw new Error(`the from-scratch run failed: ${String(scratch.error)}`);
    const scratchRequests = b.stack.scripted.stats().requests.filter((e) => e.run === scratch.handle.workflowId);
    return {
      heartbeatTimeoutMs: heartbeatOf(o),
      retryInitialIntervalMs: DEFAULT_RETRY_INITIAL_INTERVAL_MS,
      crashes,
      fromScratch: {
        wallMs: scratch.clientEnd - scratch.clientStart,
        modelCalls: scratchRequests.filter((e) => e.kind === 'agent' && e.completed).length,
        codexCalls: scratchRequests.filter((e) => e.kind === 'codex' && e.completed && e.final).length,
      },
    };
  } finally {
    for (const w of workers) await w.stop();
    await b.stop();
  }
}

/** One run whose worker is killed in the Tester's Codex call; a new worker is started at once. */
async function crashRun(
  b: BenchStack,
  o: BenchOptions,
  latency: InjectedLatency,
  stickyReset: boolean,
  workers: WorkerProcess[],
  log: (line: string) => void,
): Promise<CrashMeasure> {
  const victim = workers[workers.length - 1] as WorkerProcess;
  await victim.ready;
  const started = await startPipeline(b, stickyReset ? 'resume-reset' : 'resume', {
    tuning: tuningOf({ heartbeatMs: o.heartbeatMs }),
  });
  const id = started.handle.workflowId;
  const mine = (e: RequestLogEntry) => e.run === id;
  const inFlight = await victim.guard(
    waitFor(
      () => b.stack.scripted.stats().requests.find((e) => mine(e) && e.kind === 'codex' && e.role === 'tester'),
      10 * 60_000,
    ),
  );
  await sleep(injectedFor(inFlight, latency) / 2);
  const before = b.stack.scripted.stats().requests.filter(mine);
  victim.crash();
  const killAt = Date.now();
  if (stickyReset) {
    await b.stack.client.workflowService.resetStickyTaskQueue({
      namespace: b.stack.namespace,
      execution: { workflowId: id },
    });
  }
  const next = spawnWorker(b.stack.workerEnv());
  workers.push(next);
  const workerRestartMs = Date.now() - killAt + (await next.ready);
  const done = await next.guard(awaitPipeline(started));
  if (done.error) throw new Error(`the resumed run failed: ${String(done.error)}`);
  log(
    `  killed the worker (node + codex) in the Tester's Codex call${stickyReset ? ', then reset stickiness' : ''}: ` +
      `run completed ${done.clientEnd - killAt} ms after the kill`,
  );

  const raw = await started.handle.fetchHistory();
  const activities = readHistory(raw).activities;
  const retried = activities.find((a) => a.attempt > 1);
  const nextActivity = retried && activities.find((a) => a.scheduledAt >= (retried.endedAt ?? Infinity));
  const stats = b.stack.scripted.stats();
  const after = stats.requests.filter((e) => mine(e) && e.completed && Date.parse(e.startedAt) >= killAt);
  const groups = repeatedCompletions(stats, mine);
  return {
    stickyReset,
    killedDuring: `Tester: Codex call 1, ${Math.round(injectedFor(inFlight, latency) / 2)} ms into its first model request`,
    workerRestartMs,
    killToRetryStartMs: (retried?.startedAt ?? NaN) - killAt,
    retryToDoneMs: done.clientEnd - (retried?.startedAt ?? NaN),
    afterRetryWorkflowTaskMs: (nextActivity?.scheduledAt ?? NaN) - (retried?.endedAt ?? NaN),
    resumeMs: done.clientEnd - killAt,
    remainingInjectedMs: after.reduce((s, e) => s + injectedFor(e, latency), 0),
    lostWorkMs: killAt - Date.parse(inFlight.startedAt),
    retriedActivity: retried && {
      type: retried.type,
      summary: retried.summary,
      attempt: retried.attempt,
      lastFailure: retried.lastFailure,
    },
    workflowTaskTimeouts: (raw.events ?? []).filter((e) => e.workflowTaskTimedOutEventAttributes).length,
    finishedBeforeKill: {
      modelCalls: before.filter((e) => e.kind === 'agent' && e.completed).length,
      codexCalls: before.filter((e) => e.kind === 'codex' && e.completed && e.final).length,
    },
    repeated: {
      modelCalls: repeats(groups.filter((g) => g[0]?.kind === 'agent')),
      codexCalls: repeats(groups.filter((g) => g[0]?.kind === 'codex' && g[0].final)),
      requestsOfInterruptedCodexCall: repeats(groups.filter((g) => g[0]?.kind === 'codex' && !g[0].final)),
    },
    runWithCrashMs: done.clientEnd - started.clientStart,
  };
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`gave up after ${timeoutMs} ms`);
    await sleep(20);
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

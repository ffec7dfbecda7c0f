/** The local stack and one pipeline run, as every scenario uses them. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { startLocalStack, type LocalStack } from '../../src/runtime/local-stack';
import { startRun } from '../../src/runtime/runs';
import type { ActivityTuning, RunResult } from '../../src/shared/types';
import { clockKey, type InjectedLatency, type WorkerClock } from './timing';

const TASK_FILE = path.resolve(__dirname, '..', '..', 'tasks', 'bug-busters.md');

export interface BenchStack {
  stack: LocalStack;
  taskList: string;
  /** How long each activity's own code ran on the in-process worker (./timing.ts splits history times with it). */
  clock: WorkerClock;
  stop(): Promise<void>;
}

/**
 * Times each activity's own code on the worker, innermost: a history's start -> completion also holds the task's
 * delivery to the worker and the completion's way back to the server, which are Temporal's, not the activity's.
 */
function workerClock(): { clock: Map<string, number>; interceptor: ActivityInterceptorsFactory } {
  const clock = new Map<string, number>();
  const interceptor: ActivityInterceptorsFactory = (ctx) => ({
    inbound: {
      async execute(input, next) {
        const started = performance.now();
        try {
          return await next(input);
        } finally {
          const { workflowExecution, activityId, attempt } = ctx.info;
          clock.set(clockKey(workflowExecution?.workflowId ?? '', activityId, attempt), performance.now() - started);
        }
      },
    },
  });
  return { clock, interceptor };
}

/** Real dev server + scripted model with the injected latency; Codex state in a temp CODEX_HOME, removed after. */
export async function startBenchStack(latency: InjectedLatency, inProcessWorker: boolean): Promise<BenchStack> {
  const codexHome = await mkdtemp(path.join(tmpdir(), 'dca-bench-codex-'));
  const { clock, interceptor } = workerClock();
  const stack = await startLocalStack({
    inProcessWorker,
    activityInterceptors: [interceptor],
    env: { CODEX_HOME: codexHome },
    scripted: {
      latency: { agentMs: latency.turnMs, codexCallMs: latency.codexMs, codexMs: latency.codexRequestMs },
    },
  });
  return {
    stack,
    taskList: await readFile(TASK_FILE, 'utf8'),
    clock,
    async stop() {
      await stack.stop();
      await rm(codexHome, { recursive: true, force: true });
    },
  };
}

export interface PipelineRun {
  handle: WorkflowHandle;
  clientStart: number;
  clientEnd: number;
  result?: RunResult;
  error?: unknown;
}

let seq = 0;

export async function startPipeline(
  b: BenchStack,
  label: string,
  o: { sequentialBranches?: boolean; tuning?: ActivityTuning } = {},
): Promise<{ handle: WorkflowHandle; clientStart: number }> {
  const clientStart = Date.now();
  const handle = await startRun(b.stack.client, {
    kind: 'multi',
    input: { taskList: b.taskList, sequentialBranches: o.sequentialBranches, tuning: o.tuning },
    workflowId: `bench-${label}-${Date.now()}-${++seq}`,
    taskQueue: b.stack.taskQueue,
  });
  return { handle, clientStart };
}

export async function awaitPipeline(started: { handle: WorkflowHandle; clientStart: number }): Promise<PipelineRun> {
  try {
    const result = (await started.handle.result()) as RunResult;
    return { ...started, clientEnd: Date.now(), result };
  } catch (error) {
    return { ...started, clientEnd: Date.now(), error };
  }
}

export async function runPipeline(
  b: BenchStack,
  label: string,
  o: { sequentialBranches?: boolean; tuning?: ActivityTuning } = {},
): Promise<PipelineRun> {
  return awaitPipeline(await startPipeline(b, label, o));
}

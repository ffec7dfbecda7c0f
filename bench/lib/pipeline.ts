/** The local stack and one pipeline run, as every scenario uses them. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { startLocalStack, type LocalStack } from '../../src/runtime/local-stack';
import { startRun } from '../../src/runtime/runs';
import type { ActivityTuning, RunResult } from '../../src/shared/types';
import type { InjectedLatency } from './timing';

const TASK_FILE = path.resolve(__dirname, '..', '..', 'tasks', 'bug-busters.md');

export interface BenchStack {
  stack: LocalStack;
  taskList: string;
  stop(): Promise<void>;
}

/** Real dev server + scripted model with the injected latency; Codex state in a temp CODEX_HOME, removed after. */
export async function startBenchStack(latency: InjectedLatency, inProcessWorker: boolean): Promise<BenchStack> {
  const codexHome = await mkdtemp(path.join(tmpdir(), 'dca-bench-codex-'));
  const stack = await startLocalStack({
    inProcessWorker,
    env: { CODEX_HOME: codexHome },
    scripted: {
      latency: { agentMs: latency.turnMs, codexCallMs: latency.codexMs, codexMs: latency.codexRequestMs },
    },
  });
  return {
    stack,
    taskList: await readFile(TASK_FILE, 'utf8'),
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

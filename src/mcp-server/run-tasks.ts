/**
 * MCP tasks (spec 2025-11-25, the SDK's experimental tasks) kept in Temporal: a task is a team run, its id the
 * workflow id. Nothing lives in this process: `tasks/get` reads the run (describe + its `progress` query),
 * `tasks/result` waits for the workflow's result, `tasks/cancel` cancels the run as `npm run cancel` does, and the
 * task's ttl and poll interval ride in the run's memo. So any server process on the same Temporal, a restarted one
 * included, answers for every task an MCP server created.
 *
 * Tasks are not bound to the MCP session that created them (a session does not survive a server restart): the task
 * id, a workflow id with a random part, is what names it, and who can reach the server can read it (see ./http.ts
 * for who can reach it).
 */
import { randomUUID } from 'node:crypto';
import type { CreateTaskOptions, TaskStore } from '@modelcontextprotocol/sdk/experimental/tasks/interfaces.js';
import type { ServerOptions } from '@modelcontextprotocol/sdk/server/index.js';
import type { Request, RequestId, Result, Task } from '@modelcontextprotocol/sdk/types.js';
import type { Client } from '@temporalio/client';
import { whoDecides } from '../cli/run-handle';
import { finishRun, webUiLink } from '../runtime/runs';
import { lookAtRun, outcomeResult, summary, type RunLook } from './run-view';

export const DEFAULT_TASK_POLL_MS = 1_000;

export interface RunTaskStoreDeps {
  client: Client;
  namespace: string;
  webUiBase?: string;
  /** Who asks for a cancellation, recorded in the run's history. */
  identity?: () => string;
}

/** The options an McpServer needs to serve team runs as tasks: this store, and the tasks capability. */
export function teamTaskServerOptions(deps: RunTaskStoreDeps): Pick<ServerOptions, 'taskStore' | 'capabilities'> {
  return {
    taskStore: new RunTaskStore(deps),
    capabilities: { tools: {}, tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } } },
  };
}

export class RunTaskStore implements TaskStore {
  /** Cancellations this process asked for: the task is cancelled from then on, before the run has noticed. */
  private readonly cancelling = new Set<string>();
  /** Results already built (reports written): tasks/result may be asked again. */
  private readonly results = new Map<string, Result>();

  constructor(private readonly deps: RunTaskStoreDeps) {}

  /**
   * The run is already started (see team-tools.ts): its workflow id comes in `context.workflowId` and becomes the
   * task id.
   */
  async createTask(params: CreateTaskOptions, _requestId: RequestId, _request: Request): Promise<Task> {
    const workflowId = params.context?.workflowId;
    if (typeof workflowId !== 'string')
      throw new Error('A team task is created for a started run (context.workflowId)');
    const task = await this.getTask(workflowId);
    if (!task) throw new Error(`Run ${workflowId} was started but Temporal does not know it`);
    return task;
  }

  async getTask(taskId: string): Promise<Task | null> {
    const look = await lookAtRun(this.deps.client, taskId);
    if (!look?.task) return null;
    return taskOf(look, this.cancelling.has(taskId));
  }

  /** Results live in the run's history; the SDK's own result path is not used for team runs. */
  async storeTaskResult(): Promise<void> {}

  async getTaskResult(taskId: string): Promise<Result> {
    const known = this.results.get(taskId);
    if (known) return known;
    const handle = this.deps.client.workflow.getHandle(taskId);
    const link = webUiLink(this.deps.webUiBase, this.deps.namespace, taskId);
    const outcome = await finishRun(handle, link);
    const last = outcome.ok ? undefined : await lookAtRun(this.deps.client, taskId).catch(() => undefined);
    const result = outcomeResult(taskId, outcome, { webUi: link, lastState: last?.state });
    if (this.results.size >= 100) this.results.delete(this.results.keys().next().value as string);
    this.results.set(taskId, result);
    return result;
  }

  /** Only `cancelled` means anything here: it cancels the run. Other statuses come from the run itself. */
  async updateTaskStatus(taskId: string, status: Task['status'], statusMessage?: string): Promise<void> {
    if (status !== 'cancelled') return;
    await requestRunCancel(this.deps, taskId, statusMessage ?? 'Cancelled by an MCP client (tasks/cancel)');
    this.cancelling.add(taskId);
  }

  async listTasks(): Promise<{ tasks: Task[] }> {
    const tasks: Task[] = [];
    const query = `WorkflowType = 'teamWorkflow'`;
    for await (const w of this.deps.client.workflow.list({ query, pageSize: 100 })) {
      if (tasks.length >= 100) break;
      if (!w.memo?.mcpTask) continue;
      const task = await this.getTask(w.workflowId);
      if (task) tasks.push(task);
    }
    return { tasks };
  }
}

/** Temporal's lifecycle and the run's own state as an MCP task status. */
export function taskOf(look: RunLook, cancelRequested = false): Task {
  const status: Task['status'] =
    look.lifecycle === 'running'
      ? cancelRequested || look.state?.status === 'cancelled'
        ? 'cancelled'
        : 'working'
      : look.lifecycle === 'completed'
        ? 'completed'
        : look.lifecycle === 'cancelled'
          ? 'cancelled'
          : 'failed';
  const times = (look.state?.steps ?? []).flatMap((s) => [s.startedAt ?? 0, s.endedAt ?? 0]);
  const last = look.closedAt?.getTime() ?? Math.max(look.startedAt.getTime(), look.state?.endedAt ?? 0, ...times);
  return {
    taskId: look.workflowId,
    status,
    ttl: look.task?.ttl ?? null,
    createdAt: look.startedAt.toISOString(),
    lastUpdatedAt: new Date(last).toISOString(),
    pollInterval: look.task?.pollInterval ?? DEFAULT_TASK_POLL_MS,
    statusMessage: summary(look),
  };
}

/** As `npm run cancel` does: the service call that records who asked and why in the run's history. */
export async function requestRunCancel(deps: RunTaskStoreDeps, workflowId: string, reason: string): Promise<void> {
  const desc = await deps.client.workflow.getHandle(workflowId).describe();
  if (desc.status.name !== 'RUNNING') return;
  await deps.client.workflowService.requestCancelWorkflowExecution({
    namespace: deps.namespace,
    identity: deps.identity?.() ?? `tasks/cancel from an MCP client via ${whoDecides()}`,
    requestId: randomUUID(),
    workflowExecution: { workflowId, runId: desc.runId },
    reason,
  });
}

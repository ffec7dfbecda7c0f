/**
 * Teams as MCP tools. `run_team` starts the team workflow as `npm run start-run` does (same team parsing, same
 * checks, same workflow input); `run_status` follows a run; `review_run` decides a run's review gate as
 * `npm run review` does (the workflow's `review` Update), so an orchestrating agent can be a run's reviewer.
 *
 * `run_team` supports MCP tasks (`taskSupport: optional`, the store in ./run-tasks.ts): with a task the call returns
 * at once and the client polls `tasks/get` / `tasks/result` (from any server process); without one the call blocks
 * until the run ends, sending `notifications/progress` per role change when the request has a progressToken. Either
 * way the run is a Temporal workflow: a dropped request or a restarted server does not stop it.
 *
 * Where the work happens: the run is pinned to this server's host queue (`hostQueue` in the run's input), so its
 * workspace, and every Codex call in it, is on this machine, where the MCP client's files are. The existing host
 * affinity does the rest (src/workflows/affinity.ts): a host that is lost still hands the run on to another worker.
 */
import path from 'node:path';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult, ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { z } from 'zod';
import { checkWorkspace } from '../cli/args';
import { whoDecides } from '../cli/run-handle';
import { loadTeam, parseTeamYaml } from '../cli/team-file';
import type { Settings } from '../config/settings';
import { newWorkflowId, startRun, type RunRequest } from '../runtime/runs';
import { checkRepo } from '../cli/repo';
import { withDeclaredTestCommand } from '../activities/test-command';
import { projectName } from '../shared/naming';
import { reviewUpdate, type ReviewDecisionInput } from '../shared/people';
import { parseDuration, type Team } from '../shared/team';
import type { RunOptions, RunState, TeamRunInput } from '../shared/types';
import { forwardCodexEvents } from './codex-progress';
import { followHistory } from './history-follower';
import { DEFAULT_TASK_POLL_MS } from './run-tasks';
import {
  MCP_TASK_MEMO_KEY,
  RunResultShape,
  RunStatusShape,
  lookAtRun,
  missedStarts,
  roleKey,
  statusResult,
  summary,
  type McpTaskMemo,
} from './run-view';

/** What the team tools need of the server's deps (a subset of `McpServerDeps`). */
export interface TeamToolDeps {
  client: Client;
  namespace: string;
  /** The workflows' task queue. */
  taskQueue: string;
  /** This process's host queue: runs started here land on this machine. */
  hostQueue: string;
  settings: Pick<Settings, 'workspaceRoot'>;
  log: { info(message: string): void; warn(message: string): void };
  /** A relative `workspace` is resolved against it. */
  cwd: string;
  webUiBase?: string;
  /** How often tasks/get should be polled and progress looked at; default 1 s. */
  pollIntervalMs?: number;
  /** Extra run options for every run (tests shorten retries with `tuning`). */
  runDefaults?: Pick<RunOptions, 'tuning'>;
}

const MAX_TASK_CHARS = 64 * 1024;
const HISTORY_RETRY_MS = 1_000;
const UNANSWERED_RETRIES = 5;

export const RunTeamArgsSchema = z.strictObject({
  team: z
    .string()
    .describe('A built-in team name (cookbook, single, change) or the YAML text of a team file (see docs/teams.md).'),
  task: z.string().describe('The task list every role works from (markdown).'),
  review: z.array(z.string()).optional().describe('Role ids whose files wait for a review (answer with review_run).'),
  reviewTimeout: z.string().optional().describe('How long a review may wait, e.g. "30m"; default for ever.'),
  onReviewTimeout: z.enum(['fail', 'approve']).optional().describe('What an unanswered review does; default fail.'),
  budget: z
    .strictObject({
      maxTokens: z.number().int().positive().optional(),
      maxTurnsPerRole: z.number().int().positive().optional(),
      onExceeded: z.enum(['fail', 'wait']).optional(),
    })
    .optional()
    .describe('Token and turn budgets of the run.'),
  workspace: z
    .string()
    .optional()
    .describe("The run's directory, inside the server's workspace root; relative to the server's directory."),
  repo: z
    .string()
    .optional()
    .describe(
      'Work on this git repository (a path on this machine or a URL): cloned at base, one commit per step on branch.',
    ),
  base: z.string().optional().describe("With repo: the branch to start from (default: the repository's default)."),
  branch: z.string().optional().describe('With repo: the branch the run works on (default runs/<run id>).'),
  pushTo: z.string().optional().describe("With repo: push the run's branch here (default: the repository itself)."),
});
export type RunTeamArgs = z.infer<typeof RunTeamArgsSchema>;

export const RunStatusArgsSchema = z.strictObject({
  runId: z.string().describe('The run id (the task id run_team returned, or the workflow id).'),
});

export const ReviewRunArgsSchema = z.strictObject({
  runId: z.string().describe('The run waiting for a review.'),
  decision: z.enum(['approve', 'changes']),
  text: z.string().optional().describe('With changes: what to change.'),
  role: z.string().optional().describe('The role reviewed; needed only when several wait.'),
});

/** A mistake in the caller's arguments: the message starts with the field's name. */
export class ArgumentError extends Error {
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = new.target.name;
  }
}

export function registerTeamTools(server: McpServer, deps: TeamToolDeps): void {
  const pollInterval = deps.pollIntervalMs ?? DEFAULT_TASK_POLL_MS;
  const clientName = () => server.server.getClientVersion()?.name ?? 'an MCP client';
  // A task's progress outlives its request, not the server: its history long poll ends when the server closes.
  const closed = new AbortController();
  const onclose = server.server.onclose;
  server.server.onclose = () => {
    closed.abort();
    onclose?.();
  };
  server.experimental.tasks.registerToolTask(
    'run_team',
    {
      title: 'Run a team',
      description:
        "Start a durable team run (a Temporal workflow): its roles write the task's project into a workspace on " +
        'this machine through Codex. Call it as a task (tasks/get, tasks/result, tasks/cancel) for long runs; ' +
        'without a task the call waits for the run and reports progress per role change.',
      inputSchema: RunTeamArgsSchema,
      outputSchema: RunResultShape,
      execution: { taskSupport: 'optional' },
    },
    {
      createTask: async (args, extra) => {
        const req = await runRequest(args as RunTeamArgs, deps);
        await checkHostPolled(deps);
        const memo: McpTaskMemo = { ttl: extra.taskRequestedTtl ?? null, pollInterval };
        const handle = await startRun(deps.client, { ...req, memo: { [MCP_TASK_MEMO_KEY]: memo } });
        deps.log.info(`run_team: started ${handle.workflowId} for ${clientName()}`);
        const task = await extra.taskStore.createTask({
          ttl: memo.ttl,
          pollInterval,
          context: { workflowId: handle.workflowId },
        });
        const token = extra._meta?.progressToken;
        if (token !== undefined) {
          // A task's request is answered at once: later progress goes without it (HTTP: the session's own stream).
          const unrelated = (n: ServerNotification) => server.server.notification(n);
          void sendProgress(deps, handle.workflowId, token, extra, unrelated, closed.signal);
        }
        return { task };
      },
      getTask: (_args, extra) => extra.taskStore.getTask(extra.taskId),
      getTaskResult: async (_args, extra) => (await extra.taskStore.getTaskResult(extra.taskId)) as CallToolResult,
    },
  );

  server.registerTool(
    'run_status',
    {
      title: 'Status of a team run',
      description: 'Where a team run is: each role, its files, and what waits for a review.',
      inputSchema: RunStatusArgsSchema,
      outputSchema: RunStatusShape,
    },
    async ({ runId }) => {
      try {
        const look = await lookAtRun(deps.client, runId.trim());
        if (!look) return toolError(new ArgumentError('runId', `no run "${runId}" in namespace ${deps.namespace}`));
        return statusResult(look);
      } catch (err) {
        return toolError(new Error(`Temporal did not answer: ${(err as Error).message}`, { cause: err }));
      }
    },
  );

  server.registerTool(
    'review_run',
    {
      title: 'Review a team run',
      description:
        "Decide a run's review gate: approve the role's files (the run goes on) or ask for changes (the role " +
        'revises its files, then waits for a review again).',
      inputSchema: ReviewRunArgsSchema,
    },
    async (args) => {
      try {
        return await review(deps, args, `${clientName()} via MCP (${whoDecides()})`);
      } catch (err) {
        return toolError(err);
      }
    },
  );
}

/** The run the arguments ask for, checked as start-run checks its flags; throws an ArgumentError. */
export async function runRequest(args: RunTeamArgs, deps: TeamToolDeps): Promise<RunRequest> {
  const team = await resolveTeam(args.team);
  const task = args.task;
  if (task.trim() === '') throw new ArgumentError('task', 'must not be empty: say what the team should build');
  if (task.length > MAX_TASK_CHARS) throw new ArgumentError('task', `is longer than ${MAX_TASK_CHARS} characters`);
  const input: TeamRunInput = { ...deps.runDefaults, team, task, hostQueue: deps.hostQueue };
  const ids = team.roles.map((r) => r.id);
  const unknown = (args.review ?? []).filter((r) => !ids.includes(r));
  if (unknown.length) {
    throw new ArgumentError(
      'review',
      `team ${team.name} has no role ${unknown.join(', ')} (its roles: ${ids.join(', ')})`,
    );
  }
  const timeoutMs = args.reviewTimeout === undefined ? undefined : parseDuration(args.reviewTimeout);
  if (args.reviewTimeout !== undefined && !timeoutMs) {
    throw new ArgumentError('reviewTimeout', `"${args.reviewTimeout}" is not a duration such as 90s, 10m or 24h`);
  }
  if (args.review?.length || team.roles.some((r) => r.review) || timeoutMs !== undefined) {
    input.review = {
      roles: args.review ?? [],
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      ...(args.onReviewTimeout ? { onTimeout: args.onReviewTimeout } : {}),
    };
  }
  if (args.budget) {
    const { maxTokens, maxTurnsPerRole, onExceeded } = args.budget;
    if (maxTokens === undefined && maxTurnsPerRole === undefined) {
      throw new ArgumentError('budget', 'give maxTokens or maxTurnsPerRole');
    }
    input.budget = { maxTokens, maxTurnsPerRole, onExceeded: onExceeded ?? 'fail' };
  }
  if (args.workspace !== undefined) {
    try {
      input.workspace = checkWorkspace(deps.settings.workspaceRoot, path.resolve(deps.cwd, args.workspace));
    } catch (err) {
      throw new ArgumentError('workspace', (err as Error).message);
    }
  }
  const workflowId = newWorkflowId(`mcp-${team.name}`, projectName(task));
  if (args.repo === undefined && (args.base ?? args.branch ?? args.pushTo) !== undefined) {
    throw new ArgumentError('repo', 'base, branch and pushTo need repo (the repository the run works on)');
  }
  if (args.repo !== undefined) {
    // The same checks as start-run --repo (src/cli/repo.ts): nothing starts, nothing is pushed when one fails.
    const local = (p: string) => (/^[a-z][a-z0-9+.-]*:\/\/|^[\w.-]+@[\w.-]+:/i.test(p) ? p : path.resolve(deps.cwd, p));
    try {
      const checked = await checkRepo(
        { repo: local(args.repo), base: args.base, branch: args.branch, pushTo: args.pushTo && local(args.pushTo) },
        workflowId,
      );
      input.repo = checked.spec;
      for (const w of checked.warnings) deps.log.warn(`run_team: ${w}`);
    } catch (err) {
      throw new ArgumentError('repo', (err as Error).message);
    }
    input.team = withDeclaredTestCommand(team, task);
  }
  return { kind: 'team', input, taskQueue: deps.taskQueue, workflowId };
}

/** A built-in team's name, or a team file's YAML text. */
async function resolveTeam(text: string): Promise<Team> {
  const ref = text.trim();
  if (ref === '') throw new ArgumentError('team', 'give a built-in team name (cookbook, single) or team YAML');
  try {
    if (/^[a-z0-9][a-z0-9_-]*$/.test(ref)) return (await loadTeam(ref)).team;
    return parseTeamYaml(text, 'team');
  } catch (err) {
    const message = (err as Error).message;
    throw new ArgumentError('team', message.replace(/^team:/, 'line '));
  }
}

/**
 * A run pinned to this host waits until a worker polls the host queue: say so now rather than hang. A worker that is
 * still starting (the server answers MCP before its worker is up) gets a few seconds.
 */
async function checkHostPolled(deps: TeamToolDeps, graceMs = 5_000): Promise<void> {
  const end = Date.now() + graceMs;
  for (;;) {
    const res = await deps.client.workflowService.describeTaskQueue({
      namespace: deps.namespace,
      taskQueue: { name: deps.hostQueue },
      taskQueueType: 2, // TASK_QUEUE_TYPE_ACTIVITY
    });
    if (res.pollers?.length) return;
    if (Date.now() >= end) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(
    `No worker polls this machine's host queue ${deps.hostQueue}: start the server with its worker, or ` +
      '`npm run worker` on this machine with the same WORKSPACE_ROOT. Nothing was started.',
  );
}

/**
 * notifications/progress per role change and per Codex event, until the run ends or the client is gone. Role changes
 * are looked at when the run's history grows (a long poll, ./history-follower.ts), Codex events are forwarded as
 * this process's worker sees them (./codex-progress.ts): both as they happen, neither on a timer.
 */
async function sendProgress(
  deps: TeamToolDeps,
  workflowId: string,
  progressToken: string | number,
  extra: RequestHandlerExtra<ServerRequest, ServerNotification>,
  unrelated: (n: ServerNotification) => Promise<void>,
  serverClosed: AbortSignal,
): Promise<void> {
  const signal = AbortSignal.any([extra.signal, serverClosed]);
  let progress = 0;
  let last = '';
  let lastState: RunState | undefined;
  let answered = false;
  const send = async (message: string) => {
    const n: ServerNotification = {
      method: 'notifications/progress',
      params: { progressToken, progress: ++progress, message },
    };
    if (!answered) {
      try {
        return await extra.sendNotification(n);
      } catch {
        answered = true; // the request's stream is closed: its answer went out
      }
    }
    await unrelated(n);
  };
  /** False once the run is over. */
  const look = async (): Promise<boolean> => {
    let seen = await lookAtRun(deps.client, workflowId).catch(() => undefined);
    // Its worker did not answer in time (busy, or restarting): the state that changed may not last until the next
    // event (a review wait ends with the review), so ask again now.
    for (let i = 0; i < UNANSWERED_RETRIES && seen?.lifecycle === 'running' && !seen.state && !signal.aborted; i++) {
      seen = await lookAtRun(deps.client, workflowId).catch(() => undefined);
    }
    if (!seen) return true;
    const key = `${roleKey(seen.state)}|${seen.lifecycle}`;
    if (key !== last && seen.state) {
      for (const missed of missedStarts(lastState, seen.state)) await send(`${workflowId}: ${missed}`);
      await send(`${workflowId}: ${summary(seen)}`);
    }
    last = key;
    lastState = seen.state ?? lastState;
    return seen.lifecycle === 'running';
  };
  const stopCodex = forwardCodexEvents(workflowId, (line) => send(`${workflowId}: ${line}`));
  try {
    await send(`Started run ${workflowId}; follow it with run_status or tasks/get.`);
    // One history follow per run of the workflow (a continue-as-new starts the next).
    while (!signal.aborted) {
      const batches = followHistory(deps.client, workflowId, { signal });
      for (;;) {
        let next;
        try {
          next = await batches.next();
        } catch {
          if (signal.aborted) return;
          await new Promise((r) => setTimeout(r, HISTORY_RETRY_MS)); // Temporal did not answer: follow again
          break;
        }
        if (next.done) break;
        if (!(await look())) return;
      }
      if (!(await look())) return;
    }
  } catch (err) {
    // The request's stream is gone (the client left, or a task's request was answered): the run goes on.
    deps.log.info(`run_team: progress of ${workflowId} no longer sent (${(err as Error).message})`);
  } finally {
    stopCodex();
  }
}

async function review(
  deps: TeamToolDeps,
  args: z.infer<typeof ReviewRunArgsSchema>,
  by: string,
): Promise<CallToolResult> {
  if (args.decision === 'changes' && !args.text?.trim()) {
    throw new ArgumentError('text', 'changes need a text: say what to change');
  }
  const look = await lookAtRun(deps.client, args.runId.trim(), 0);
  if (!look) throw new ArgumentError('runId', `no run "${args.runId}" in namespace ${deps.namespace}`);
  const input: ReviewDecisionInput = {
    ...(args.role ? { role: args.role } : {}),
    decision: args.decision,
    ...(args.text !== undefined ? { text: args.text } : {}),
    by,
  };
  const handle = deps.client.workflow.getHandle(look.workflowId);
  let record;
  try {
    record = await handle.executeUpdate(reviewUpdate, { args: [input] });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      throw new Error(`review refused: ${err.cause?.message ?? err.message}`, { cause: err });
    }
    if (look.lifecycle !== 'running') throw new ArgumentError('runId', `run ${look.workflowId} is ${look.lifecycle}`);
    throw err;
  }
  const text =
    record.decision === 'approved'
      ? `Approved ${record.role} (review ${record.round}) as ${record.by}: the run goes on.`
      : `Sent changes to ${record.role} (review ${record.round}): it revises its files, then waits for a review again.`;
  return { content: [{ type: 'text', text }], structuredContent: { runId: look.workflowId, ...record } };
}

/** A tool error the calling model can read. */
function toolError(err: unknown): CallToolResult {
  return { content: [{ type: 'text', text: err instanceof Error ? err.message : String(err) }], isError: true };
}

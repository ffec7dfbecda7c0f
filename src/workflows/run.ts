/**
 * The frame of every run: run state behind the `progress` query, the workspace, the agent context, the final file
 * listing, and the completed/failed bookkeeping. The team runner (./team.ts) supplies the schedule of the roles.
 */
import { CancellationScope, condition, isCancellation, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import type { ApprovalOptions, BudgetOptions, ReviewOptions } from '../shared/people';
import type { RepoSpec } from '../shared/placement';
import type { Team } from '../shared/team';
import type { ActivityTuning, FileRecord, ModelOverrides, RunResult, RunState, SandboxMode } from '../shared/types';
import { activityProxies } from './activities';
import type { AgentContext } from './agent';
import { installApprovals } from './approvals';
import { HOST_AFFINITY_PATCH, RunHost } from './affinity';
import { Budget } from './budget';
import { Reviews } from './review';
import { traceRunEnded, traceRunStarted } from './traces';
import {
  newRunState,
  progressQuery,
  runCancelled,
  runCompleted,
  runEnded,
  runFailed,
  runStarted,
  workspaceReady,
} from './run-state';

export const DEFAULT_MAX_TURNS = 12;
export const DEFAULT_MAX_DELIVERABLE_RETRIES = 2;

export interface RunFrameInput {
  workspace?: string;
  tuning?: ActivityTuning;
  models?: ModelOverrides;
  sandbox?: SandboxMode;
  maxTurnsPerAgent?: number;
  maxDeliverableRetries?: number;
  review?: ReviewOptions;
  budget?: BudgetOptions;
  approvals?: ApprovalOptions;
  hostQueue?: string;
  repo?: RepoSpec;
}

export async function runPipeline(
  kind: RunState['workflow'],
  team: Team,
  input: RunFrameInput,
  steps: (ctx: AgentContext, reviews: Reviews) => Promise<void>,
): Promise<RunResult> {
  const state = newRunState(kind, team);
  setHandler(progressQuery, () => state);
  // People in the loop: their Update handlers are set before anything runs (./review.ts, ./budget.ts).
  const reviews = new Reviews(state, team, input.review);
  const budget = new Budget(state, input.budget, input.review?.timeoutMs);
  installApprovals(state, input.approvals);
  runStarted(state);
  traceRunStarted(team);
  const acts = activityProxies(input.tuning, input.approvals);
  const { workflowId } = workflowInfo();
  try {
    // Host affinity and git workspaces (./affinity.ts); runs started before them go on as they ran.
    const host = patched(HOST_AFFINITY_PATCH)
      ? await RunHost.open(acts, state, {
          requested: input.workspace,
          tuning: input.tuning,
          hostQueue: input.hostQueue,
          repo: input.repo,
        })
      : undefined;
    const workspace =
      host?.workspace ??
      (await acts.createWorkspace.executeWithOptions({ ...acts.fileOptions, summary: 'Create workspace' }, [
        { workflowId, requested: input.workspace },
      ]));
    workspaceReady(state, workspace);
    const finalListing: { files?: FileRecord[] } = {};
    await steps(
      {
        host,
        runId: workflowId,
        state,
        workspace,
        acts,
        models: input.models,
        sandbox: input.sandbox ?? 'workspace-write',
        approvalPolicy: input.approvals?.policy ?? 'never',
        maxTurns: input.maxTurnsPerAgent ?? team.max_turns_per_role ?? DEFAULT_MAX_TURNS,
        maxDeliverableRetries: input.maxDeliverableRetries ?? DEFAULT_MAX_DELIVERABLE_RETRIES,
        budget,
        finalListing,
      },
      reviews,
    );
    // A run on a repository lists what it changed against the base, not the whole repository.
    const base = host?.baseCommit;
    const list = (a: typeof acts, ws: string) =>
      a.listWorkspace.executeWithOptions(
        { ...a.fileOptions, summary: base ? 'List changed files' : 'List deliverables' },
        base ? [ws, base] : [ws],
      );
    // The last role's passing checks may have listed it already (patch `verify-lists`, ./verify.ts).
    const files = finalListing.files ?? (host ? await host.onHost(list) : await list(acts, workspace));
    runCompleted(state);
    return { workspace: host?.workspace ?? workspace, files, state };
  } catch (err) {
    if (isCancellation(err)) {
      runCancelled(state);
      // Roles still in flight stop one by one (their activities wait until the cancellation completed): the run
      // ends once none is running, so no model turn or Codex call outlives it.
      await CancellationScope.nonCancellable(() => condition(() => !state.steps.some((s) => s.status === 'running')));
    } else {
      runFailed(state, err);
    }
    throw err;
  } finally {
    runEnded(state);
    traceRunEnded(team, state);
  }
}

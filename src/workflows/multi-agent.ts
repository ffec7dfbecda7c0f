/**
 * The gated multi-agent pipeline of the cookbook, as code instead of LLM-driven handoffs:
 * Project Manager -> Designer -> (Frontend Developer ∥ Backend Developer) -> Tester.
 * Each arrow is a gate: the next role starts only when the previous role's required files exist.
 */
import { setHandler, workflowInfo } from '@temporalio/workflow';
import { agentBrief } from '../shared/prompts';
import { MULTI_AGENT_ROLES, type Role } from '../shared/roles';
import type { MultiAgentInput, RunResult } from '../shared/types';
import { activityProxies } from './activities';
import { filesSoFar, runAgent, type AgentContext } from './agent';
import { newRunState, progressQuery, publishDetails } from './state';
import { validateMultiAgentInput } from './validate';

export const DEFAULT_MAX_TURNS = 12;
export const DEFAULT_MAX_DELIVERABLE_RETRIES = 2;

export async function multiAgentWorkflow(input: MultiAgentInput): Promise<RunResult> {
  // Before anything is created or called: a bad input fails the run with a ConfigError.
  input = validateMultiAgentInput(input);
  const state = newRunState('multi', MULTI_AGENT_ROLES);
  setHandler(progressQuery, () => state);
  publishDetails(state);
  const acts = activityProxies(input.tuning);
  const { workflowId } = workflowInfo();
  try {
    const workspace = await acts.createWorkspace.executeWithOptions(
      { ...acts.fileOptions, summary: 'Create workspace' },
      [{ workflowId, requested: input.workspace }],
    );
    state.workspace = workspace;
    const ctx: AgentContext = {
      runId: workflowId,
      state,
      workspace,
      acts,
      models: input.models,
      sandbox: input.sandbox ?? 'workspace-write',
      maxTurns: input.maxTurnsPerAgent ?? DEFAULT_MAX_TURNS,
      maxDeliverableRetries: input.maxDeliverableRetries ?? DEFAULT_MAX_DELIVERABLE_RETRIES,
    };
    const run = (role: Role) => runAgent(ctx, role, agentBrief(role, input.taskList, filesSoFar(state)));

    await run('project_manager');
    await run('designer');
    if (input.sequentialBranches) {
      await run('frontend');
      await run('backend');
    } else {
      await Promise.all([run('frontend'), run('backend')]);
    }
    await run('tester');

    const files = await acts.listWorkspace.executeWithOptions({ ...acts.fileOptions, summary: 'List deliverables' }, [
      workspace,
    ]);
    state.status = 'completed';
    return { workspace, files, state };
  } catch (err) {
    state.status = 'failed';
    state.error = err instanceof Error ? err.message : String(err);
    throw err;
  } finally {
    state.endedAt = Date.now();
    publishDetails(state);
  }
}

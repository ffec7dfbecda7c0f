/** The cookbook's single-agent example: a Game Designer's 3-sentence brief, built by a Game Developer through Codex. */
import { setHandler, workflowInfo } from '@temporalio/workflow';
import { agentBrief, DEFAULT_SINGLE_AGENT_PROMPT } from '../shared/prompts';
import { SINGLE_AGENT_ROLES } from '../shared/roles';
import type { RunResult, SingleAgentInput } from '../shared/types';
import { activityProxies } from './activities';
import { runAgent, type AgentContext } from './agent';
import { DEFAULT_MAX_DELIVERABLE_RETRIES, DEFAULT_MAX_TURNS } from './multi-agent';
import { newRunState, progressQuery, publishDetails } from './state';
import { validateSingleAgentInput } from './validate';

export async function singleAgentWorkflow(input: SingleAgentInput): Promise<RunResult> {
  // Before anything is created or called: a bad input fails the run with a ConfigError.
  input = validateSingleAgentInput(input);
  const state = newRunState('single', SINGLE_AGENT_ROLES);
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
      maxDeliverableRetries: DEFAULT_MAX_DELIVERABLE_RETRIES,
    };
    const brief = await runAgent(ctx, 'game_designer', input.prompt ?? DEFAULT_SINGLE_AGENT_PROMPT);
    await runAgent(ctx, 'game_developer', agentBrief('game_developer', `Design brief:\n${brief}`, []));
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

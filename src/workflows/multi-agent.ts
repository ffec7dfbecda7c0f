/**
 * The gated multi-agent pipeline of the cookbook, as code instead of LLM-driven handoffs:
 * Project Manager -> Designer -> (Frontend Developer ∥ Backend Developer) -> Tester.
 * Each arrow is a gate: the next role starts only when the previous role's required files exist.
 */
import { agentBrief } from '../shared/prompts';
import { MULTI_AGENT_ROLES, type Role } from '../shared/roles';
import type { MultiAgentInput, RunResult } from '../shared/types';
import { filesSoFar, runAgent } from './agent';
import { runPipeline } from './run';
import { validateMultiAgentInput } from './validate';

export async function multiAgentWorkflow(input: MultiAgentInput): Promise<RunResult> {
  // Before anything is created or called: a bad input fails the run with a ConfigError.
  input = validateMultiAgentInput(input);
  const { taskList, sequentialBranches } = input;
  return runPipeline('multi', MULTI_AGENT_ROLES, input, async (ctx) => {
    const run = (role: Role) => runAgent(ctx, role, agentBrief(role, taskList, filesSoFar(ctx.state)));
    await run('project_manager');
    await run('designer');
    if (sequentialBranches) {
      await run('frontend');
      await run('backend');
    } else {
      await Promise.all([run('frontend'), run('backend')]);
    }
    await run('tester');
  });
}

/**
 * Legacy entry point: the cookbook's pipeline as the workflow type runs recorded before team files started with.
 * It runs the built-in cookbook team through the team runner with the briefs those runs had (every file written so
 * far), so their histories replay (test/replay.test.ts). New runs start `teamWorkflow`.
 */
import { COOKBOOK_TEAM } from '../shared/builtin-teams';
import { agentBrief } from '../shared/prompts';
import type { MultiAgentInput, RunResult } from '../shared/types';
import { filesSoFar } from './agent';
import { runTeam } from './team';
import { validateMultiAgentInput } from './validate';

export async function multiAgentWorkflow(input: MultiAgentInput): Promise<RunResult> {
  // Before anything is created or called: a bad input fails the run with a ConfigError.
  input = validateMultiAgentInput(input);
  const { taskList, sequentialBranches, ...options } = input;
  return runTeam(
    'multi',
    COOKBOOK_TEAM,
    { ...options, maxConcurrentRoles: sequentialBranches ? 1 : undefined },
    (role, ctx) => agentBrief(role, taskList, filesSoFar(ctx.state)),
  );
}

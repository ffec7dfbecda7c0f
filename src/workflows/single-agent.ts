/**
 * Legacy entry point: the cookbook's single-agent example (Game Designer -> Game Developer) as runs recorded before
 * team files started it, with the messages those runs sent, so their histories replay. New runs start `teamWorkflow`
 * with the built-in `single` team.
 */
import { SINGLE_TEAM } from '../shared/builtin-teams';
import { agentBrief, DEFAULT_SINGLE_AGENT_PROMPT } from '../shared/prompts';
import type { RunResult, SingleAgentInput } from '../shared/types';
import { runTeam } from './team';
import { validateSingleAgentInput } from './validate';

export async function singleAgentWorkflow(input: SingleAgentInput): Promise<RunResult> {
  // Before anything is created or called: a bad input fails the run with a ConfigError.
  input = validateSingleAgentInput(input);
  const { prompt = DEFAULT_SINGLE_AGENT_PROMPT, ...options } = input;
  return runTeam('single', SINGLE_TEAM, options, (role, _ctx, answers) =>
    role.after.length === 0 ? prompt : agentBrief(role, `Design brief:\n${answers.get('game_designer') ?? ''}`, []),
  );
}

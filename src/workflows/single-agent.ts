/** The cookbook's single-agent example: a Game Designer's 3-sentence brief, built by a Game Developer through Codex. */
import { agentBrief, DEFAULT_SINGLE_AGENT_PROMPT } from '../shared/prompts';
import { SINGLE_AGENT_ROLES } from '../shared/roles';
import type { RunResult, SingleAgentInput } from '../shared/types';
import { runAgent } from './agent';
import { runPipeline } from './run';
import { validateSingleAgentInput } from './validate';

export async function singleAgentWorkflow(input: SingleAgentInput): Promise<RunResult> {
  // Before anything is created or called: a bad input fails the run with a ConfigError.
  input = validateSingleAgentInput(input);
  const prompt = input.prompt ?? DEFAULT_SINGLE_AGENT_PROMPT;
  return runPipeline('single', SINGLE_AGENT_ROLES, input, async (ctx) => {
    const brief = await runAgent(ctx, 'game_designer', prompt);
    await runAgent(ctx, 'game_developer', agentBrief('game_developer', `Design brief:\n${brief}`, []));
  });
}

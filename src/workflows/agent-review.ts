/**
 * Agent review gates (`reviews:` in a team file, see docs/teams.md): a reviewer role reads the whole diff and either
 * approves or sends concrete changes back to their owners, who revise on their own conversation and Codex thread
 * (the message people's reviews send, src/workflows/review.ts); then the reviewer reviews again, at most
 * `max_rounds` times. Decisions are recorded with people's review decisions (`reviews.decided` in the run state).
 */
import { ReviewRoundsExhaustedError, workflowFailure } from '../shared/errors';
import { parseReviewVerdict, reviewChangesMessage } from '../shared/prompts';
import type { Team, TeamRole } from '../shared/team';
import { teamRole } from '../shared/team-graph';
import { continueAgent, type AgentContext } from './agent';
import { reviewDecided } from './run-state';

/** Runs the reviewer's rounds from its first answer; resolves to its approving answer. */
export async function agentReview(
  ctx: AgentContext,
  team: Team,
  reviewer: TeamRole,
  firstAnswer: string,
  /** The message that asks for review round `round` (the revised diff). */
  againMessage: (round: number) => Promise<string>,
): Promise<string> {
  const spec = reviewer.reviews;
  if (!spec) return firstAnswer;
  ctx.state.reviews ??= { pending: [], decided: [] };
  let answer = firstAnswer;
  for (let round = 1; ; round++) {
    const verdict = parseReviewVerdict(answer, spec.owners);
    const at = Date.now();
    if (verdict.approved) {
      reviewDecided(ctx.state, { role: reviewer.id, round, decision: 'approved', by: reviewer.title, at });
      return answer;
    }
    for (const c of verdict.changes) {
      reviewDecided(ctx.state, { role: c.owner, round, decision: 'changes', text: c.text, by: reviewer.title, at });
    }
    if (round >= spec.max_rounds) {
      const message = `${reviewer.title} still asked for changes after ${round} review round(s): ${verdict.changes
        .map((c) => `${c.owner}: ${c.text.split('\n')[0] ?? ''}`)
        .join('; ')}`;
      throw workflowFailure(new ReviewRoundsExhaustedError(message, reviewer.id, round));
    }
    await Promise.all(
      verdict.changes.map((c) =>
        continueAgent(
          ctx,
          teamRole(team, c.owner),
          reviewChangesMessage(round, c.text, reviewer.title),
          `revision after review ${round}`,
        ),
      ),
    );
    answer = await continueAgent(ctx, reviewer, await againMessage(round + 1), `review ${round + 1}`);
  }
}

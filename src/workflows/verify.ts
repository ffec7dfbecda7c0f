/**
 * The verification loop of a role with `verify` (see docs/teams.md): run the checks (an activity on the run's
 * host); on failure send each owner the output as a bug report on its own conversation and Codex thread, let the
 * owners fix concurrently (each gate checked again), and run the checks again, at most `max_rounds` times. Then the
 * run fails with a VerificationFailedError naming the command, the exit code and the last lines of output.
 */
import { patched } from '@temporalio/workflow';
import { workflowFailure, VerificationFailedError } from '../shared/errors';
import { lastLines, verificationBugReport, verifyOutcome } from '../shared/prompts';
import type { Team, TeamRole } from '../shared/team';
import { teamRole, verifyTimeoutMs } from '../shared/team-graph';
import type { VerificationRound, VerifyResult } from '../shared/types';
import { VERIFY_TIMEOUT_MARGIN_MS } from './activities';
import { continueAgent, type AgentContext } from './agent';
import {
  stepEnded,
  stepFailed,
  stepOf,
  verificationRound,
  verificationRoundDone,
  verificationStarted,
} from './run-state';

/** Lines of output a failed round keeps in the run state and the failure message. */
const ROUND_OUTPUT_LINES = 40;
const FAILURE_OUTPUT_LINES = 10;

/** Checks that also list the workspace when they pass (the run's last role: no listing activity after them). */
export const VERIFY_LISTS_PATCH = 'verify-lists';

export async function verifyRole(
  ctx: AgentContext,
  team: Team,
  role: TeamRole,
  /** Whether this role is the run's last: every other step done, nothing after these checks. */
  last: () => boolean = () => false,
): Promise<void> {
  const verify = role.verify;
  if (!verify) return;
  const step = stepOf(ctx.state, role.id);
  const timeoutMs = verifyTimeoutMs(verify);
  verificationStarted(step, verify.command);
  const owners = verify.owners.map((id) => teamRole(team, id));
  try {
    for (let round = 1; ; round++) {
      verificationRound(ctx.state, step, round);
      const list =
        ctx.finalListing && last() && patched(VERIFY_LISTS_PATCH) ? { base: ctx.host?.baseCommit } : undefined;
      const check = (acts: AgentContext['acts'], workspace: string): Promise<VerifyResult> =>
        acts.runVerification.executeWithOptions(
          {
            ...acts.verifyOptions,
            startToCloseTimeout: timeoutMs + VERIFY_TIMEOUT_MARGIN_MS,
            summary: `${role.title}: verification round ${round}`,
          },
          [
            {
              runId: ctx.runId,
              role: role.id,
              round,
              workspace,
              command: verify.command,
              services: verify.services,
              timeoutMs,
              ...(list && { list }),
            },
          ],
        );
      // On the run's host, following the run if the host is lost mid-check.
      const result = ctx.host ? await ctx.host.onHost(check) : await check(ctx.acts, ctx.workspace);
      const outcome = verificationRoundDone(ctx.state, step, roundRecord(result), round >= verify.max_rounds);
      if (outcome === 'passed') {
        // A worker from before `list` answers without files: the run lists as it did.
        if (list && result.files && ctx.finalListing) ctx.finalListing.files = result.files;
        return;
      }
      if (outcome === 'failed') {
        const message =
          `Verification of ${role.title} failed after ${round} round(s): \`${verify.command}\` ${verifyOutcome(result)}. ` +
          `Last lines of output:\n${lastLines(result.outputTail, FAILURE_OUTPUT_LINES)}`;
        throw workflowFailure(new VerificationFailedError(message, role.id, verify.command, result.exitCode, round));
      }
      const report = verificationBugReport(round, role.title, verify.command, result);
      await Promise.all(owners.map((o) => continueAgent(ctx, o, report, `fix after verification round ${round}`)));
    }
  } catch (err) {
    stepFailed(step, err);
    throw err;
  } finally {
    stepEnded(ctx.state, step);
  }
}

function roundRecord(r: VerifyResult): VerificationRound {
  return {
    round: r.round,
    passed: r.passed,
    exitCode: r.exitCode,
    timedOut: r.timedOut,
    durationMs: r.durationMs,
    ...(r.problem ? { problem: r.problem } : {}),
    ...(r.passed ? {} : { outputTail: lastLines(r.outputTail, ROUND_OUTPUT_LINES) }),
  };
}

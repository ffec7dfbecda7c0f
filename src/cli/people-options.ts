/** start-run's people-in-the-loop flags as run options, checked against the team (an unknown role starts nothing). */
import { ConfigError } from '../shared/errors';
import type { Team } from '../shared/team';
import type { RunOptions } from '../shared/types';
import type { StartRunOptions } from './args';

export function peopleOptions(opts: StartRunOptions, team: Team): Pick<RunOptions, 'review' | 'budget' | 'approvals'> {
  const out: Pick<RunOptions, 'review' | 'budget' | 'approvals'> = {};
  const ids = team.roles.map((r) => r.id);
  const unknown = (opts.review ?? []).filter((r) => !ids.includes(r));
  if (unknown.length) {
    throw new ConfigError(
      `--review: team ${team.name} has no role ${unknown.join(', ')} (its roles: ${ids.join(', ')})`,
    );
  }
  const reviewed = opts.review?.length || team.roles.some((r) => r.review);
  if (reviewed || opts.reviewTimeoutMs !== undefined) {
    out.review = {
      roles: opts.review ?? [],
      ...(opts.reviewTimeoutMs !== undefined ? { timeoutMs: opts.reviewTimeoutMs } : {}),
      ...(opts.onReviewTimeout ? { onTimeout: opts.onReviewTimeout } : {}),
    };
  }
  if (opts.maxTokens !== undefined || opts.maxTurns !== undefined) {
    out.budget = {
      ...(opts.maxTokens !== undefined ? { maxTokens: opts.maxTokens } : {}),
      ...(opts.maxTurns !== undefined ? { maxTurnsPerRole: opts.maxTurns } : {}),
      onExceeded: opts.budgetWait ? 'wait' : 'fail',
    };
  } else if (opts.budgetWait) {
    throw new ConfigError('--budget-wait needs a budget: --max-tokens N or --max-turns N');
  }
  if (opts.approval === 'on-request') {
    out.approvals = {
      policy: 'on-request',
      ...(opts.approvalTimeoutMs !== undefined ? { timeoutMs: opts.approvalTimeoutMs } : {}),
    };
  } else if (opts.approvalTimeoutMs !== undefined) {
    throw new ConfigError('--approval-timeout needs --approval on-request');
  }
  return out;
}

/**
 * `durable-codex-agents review <workflowId>` (`npm run review`): what the run waits for a person on (reviews, a spent budget), `--json` for scripts.
 *   --approve [--role ROLE]            the role's files are fine: the run goes on
 *   --changes "TEXT" [--role ROLE]     the role revises its files on its own thread; its gate and review come again
 *   --raise-budget N [--raise-turns N] adds N tokens (N turns per role) to a run's budget: a stopped run goes on
 * Every decision is a Temporal Update (validated by the workflow, recorded in its history with who and when).
 * Exit codes: 0 done, 1 nothing to show (the run is closed), 2 bad input, rejected decision or unreachable Temporal.
 */
import { ConfigError } from '../shared/errors';
import { raiseBudgetUpdate, reviewUpdate, type ReviewDecisionInput } from '../shared/people';
import type { RunState } from '../shared/types';
import { flag, parseCommandLine, stringOption, type CliCommand, type ParsedCommandLine } from './command';
import { formatAge } from './format';
import { fmtTokens } from './progress-render';
import { openRun, rejection, whoDecides } from './run-handle';

export const reviewCommand: CliCommand = {
  name: 'review',
  summary: 'what a run waits for a person on (reviews, a spent budget), or decide it',
  declare: (cmd) =>
    cmd
      .argument('<workflowId>', 'the run')
      .option('--json', 'print JSON')
      .option('--approve', "the role's files are fine: the run goes on")
      .option('--changes <text>', 'the role revises its files; its gate and review come again')
      .option('--role <role>', 'which waiting role (needed when several wait)')
      .option('--raise-budget <n>', "add N tokens to the run's budget")
      .option('--raise-turns <n>', 'add N model turns per role'),
  action: (parsed) => review(reviewArgs(parsed)),
};

export interface ReviewArgs {
  workflowId: string;
  json: boolean;
  role?: string;
  approve: boolean;
  changes?: string;
  raiseTokens?: number;
  raiseTurns?: number;
}

export function parseReviewArgs(argv: string[]): ReviewArgs {
  return reviewArgs(parseCommandLine(reviewCommand, argv));
}

export function reviewArgs({ args, options }: ParsedCommandLine): ReviewArgs {
  const approve = flag(options, 'approve');
  const changes = stringOption(options, 'changes');
  if (approve && changes !== undefined) throw new ConfigError('Give --approve or --changes, not both');
  if (changes !== undefined && changes.trim() === '') {
    throw new ConfigError('--changes needs a text: say what to change');
  }
  const count = (name: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new ConfigError(`--${name} must be a positive integer, not "${v}"`);
    return n;
  };
  return {
    workflowId: args[0] ?? '',
    json: flag(options, 'json'),
    role: stringOption(options, 'role'),
    approve,
    changes,
    raiseTokens: count('raise-budget', stringOption(options, 'raiseBudget')),
    raiseTurns: count('raise-turns', stringOption(options, 'raiseTurns')),
  };
}

export async function review(args: ReviewArgs): Promise<number> {
  const run = await openRun(args.workflowId);
  try {
    const print = (value: unknown, text: string) => console.log(args.json ? JSON.stringify(value) : text);
    if (args.raiseTokens !== undefined || args.raiseTurns !== undefined) {
      const budget = await run.handle
        .executeUpdate(raiseBudgetUpdate, {
          args: [{ tokens: args.raiseTokens, turns: args.raiseTurns, by: whoDecides() }],
        })
        .catch(rejection('raise'));
      const limits = [
        budget.maxTokens !== undefined ? `${budget.maxTokens} tokens` : '',
        budget.maxTurnsPerRole !== undefined ? `${budget.maxTurnsPerRole} turns per role` : '',
      ].filter(Boolean);
      print({ type: 'raised', budget }, `Budget raised: now ${limits.join(', ')} (${budget.used.total} tokens used).`);
    }
    if (args.approve || args.changes !== undefined) {
      const input: ReviewDecisionInput = {
        ...(args.role ? { role: args.role } : {}),
        decision: args.approve ? 'approve' : 'changes',
        ...(args.changes !== undefined ? { text: args.changes } : {}),
        by: whoDecides(),
      };
      const record = await run.handle.executeUpdate(reviewUpdate, { args: [input] }).catch(rejection('review'));
      print(
        { type: 'reviewed', record },
        record.decision === 'approved'
          ? `Approved ${record.role} (review ${record.round}) as ${record.by}: the run goes on.`
          : `Sent changes to ${record.role} (review ${record.round}) as ${record.by}: it revises its files, then waits for a review again.`,
      );
    }
    if (args.approve || args.changes !== undefined || args.raiseTokens !== undefined || args.raiseTurns !== undefined) {
      return 0;
    }
    const state = await run.state();
    if (args.json) {
      console.log(
        JSON.stringify({
          workflowId: args.workflowId,
          status: state.status,
          reviews: state.reviews,
          budget: state.budget,
        }),
      );
      return 0;
    }
    for (const line of describeWaits(args.workflowId, state)) console.log(line);
    return state.status === 'running' ? 0 : 1;
  } finally {
    await run.close();
  }
}

/** What waits for a person, for people: one block per review, one for a spent budget. */
export function describeWaits(workflowId: string, state: RunState, now = Date.now()): string[] {
  const lines: string[] = [];
  const pending = state.reviews?.pending ?? [];
  for (const r of pending) {
    lines.push(`${r.title} (${r.role}) waits for a review: round ${r.round}, waiting ${formatAge(now - r.since)}`);
    for (const f of r.files) lines.push(`  ${f.path}  ${f.size} bytes`);
    const role = pending.length > 1 ? ` --role ${r.role}` : '';
    lines.push(`  approve:  npm run review -- ${workflowId} --approve${role}`);
    lines.push(`  changes:  npm run review -- ${workflowId} --changes "what to change"${role}`);
  }
  const budget = state.budget;
  if (budget) {
    const limits = [
      budget.maxTokens !== undefined ? `${fmtTokens(budget.used.total)} of ${fmtTokens(budget.maxTokens)} tokens` : '',
      budget.maxTurnsPerRole !== undefined ? `at most ${budget.maxTurnsPerRole} model turns per role` : '',
    ].filter(Boolean);
    lines.push(`Budget: ${limits.join(', ')}${budget.raises.length ? ` (raised ${budget.raises.length}×)` : ''}`);
    const stop = budget.stopped;
    if (stop) {
      const what = stop.what === 'tokens' ? 'the token budget' : `the turn budget of ${stop.role ?? '?'}`;
      lines.push(`  stopped ${formatAge(now - stop.since)} ago: ${what} is spent (${stop.used} of ${stop.limit})`);
      lines.push(
        `  go on:    npm run review -- ${workflowId} --raise-budget N${stop.what === 'turns' ? ' | --raise-turns N' : ''}`,
      );
    }
  }
  for (const d of state.reviews?.decided ?? []) {
    const at = new Date(d.at).toISOString().replace('T', ' ').slice(0, 19);
    lines.push(
      `Decided: ${d.role} review ${d.round} ${d.decision} by ${d.by} at ${at} UTC${d.text ? `: "${d.text}"` : ''}`,
    );
  }
  if (pending.length === 0 && !budget?.stopped) {
    lines.unshift(
      state.status === 'running'
        ? `${workflowId} is running; nothing waits for a person.`
        : `${workflowId} is ${state.status}.`,
    );
  }
  return lines;
}

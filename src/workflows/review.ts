/**
 * Review gates: a role a person reviews (start-run `--review`, `review: true` in the team file) waits after its gate
 * (and its checks) until a `review` Update approves it or asks for changes. Changes go to the same role on its own
 * conversation and Codex thread; its gate, its checks and the review then come again. Waiting is a workflow
 * `condition`: it holds no worker slot and survives worker and server restarts. A review nobody answers within the
 * run's review timeout fails the run with a ReviewTimeoutError, or approves it when the run chose `approve`.
 */
import { isCancellation, setHandler } from '@temporalio/workflow';
import { ReviewTimeoutError, workflowFailure } from '../shared/errors';
import { reviewUpdate, type ReviewDecisionInput, type ReviewOptions, type ReviewRecord } from '../shared/people';
import { reviewChangesMessage } from '../shared/prompts';
import type { Team, TeamRole } from '../shared/team';
import type { RunState } from '../shared/types';
import { continueAgent, type AgentContext } from './agent';
import { reviewAwaited, reviewClosed, reviewDecided, reviewsEnabled, stepOf, waitUntil } from './run-state';

export class Reviews {
  private readonly roles: ReadonlySet<string>;
  /** Decisions sent but not yet taken by the waiting role, by role. */
  private readonly inbox = new Map<string, ReviewRecord>();

  constructor(
    private readonly state: RunState,
    private readonly team: Team,
    private readonly options: ReviewOptions | undefined,
  ) {
    this.roles = new Set([...(options?.roles ?? []), ...team.roles.filter((r) => r.review).map((r) => r.id)]);
    if (this.roles.size > 0) reviewsEnabled(state);
    // Registered on every run, so a decision sent to a run without reviews gets a clear rejection.
    setHandler(reviewUpdate, (input) => this.decide(input), { validator: (input) => this.validate(input) });
  }

  wants(role: TeamRole): boolean {
    return this.roles.has(role.id);
  }

  /**
   * Reviews the role until a person approves it (returns the role's last answer when it revised): each `changes` decision is sent to the role, whose gate (and
   * verification, via `recheck`) must pass again before the next review.
   */
  async review(ctx: AgentContext, role: TeamRole, recheck: () => Promise<void>): Promise<string | undefined> {
    let answer: string | undefined;
    for (let round = 1; ; round++) {
      const decision = await this.waitFor(role, round);
      if (decision.decision !== 'changes') return answer;
      const message = reviewChangesMessage(round, decision.text ?? '', decision.by);
      answer = await continueAgent(ctx, role, message, `revision after review ${round}`);
      await recheck();
    }
  }

  private async waitFor(role: TeamRole, round: number): Promise<ReviewRecord> {
    const step = stepOf(this.state, role.id);
    reviewAwaited(this.state, step, {
      role: role.id,
      title: role.title,
      round,
      files: [...step.files],
      since: Date.now(),
    });
    try {
      const answered = await waitUntil(() => this.inbox.has(role.id), this.options?.timeoutMs);
      const decision = answered ? this.inbox.get(role.id) : this.timedOut(role, round);
      this.inbox.delete(role.id);
      if (!decision) throw new Error(`No review decision for ${role.id}`);
      if (decision.decision === 'timed-out' && this.options?.onTimeout !== 'approve') {
        const message = `Nobody reviewed ${role.title} within ${formatMs(this.options?.timeoutMs ?? 0)} (review ${round})`;
        throw workflowFailure(new ReviewTimeoutError(message, role.id, round));
      }
      reviewClosed(this.state, step, decision.decision === 'changes' ? 'running' : 'done');
      return decision;
    } catch (err) {
      reviewClosed(this.state, step, isCancellation(err) ? 'cancelled' : undefined);
      throw err;
    }
  }

  private timedOut(role: TeamRole, round: number): ReviewRecord {
    const record: ReviewRecord = { role: role.id, round, decision: 'timed-out', by: 'review timeout', at: Date.now() };
    reviewDecided(this.state, record);
    return record;
  }

  /** Rejects a decision the run cannot take, with a message for the person who sent it. */
  private validate(input: ReviewDecisionInput): void {
    if (!input || typeof input !== 'object') throw new Error('A review decision is an object');
    if (input.decision !== 'approve' && input.decision !== 'changes') {
      throw new Error(`Unknown review decision "${String(input.decision)}": use approve or changes`);
    }
    if (typeof input.by !== 'string' || input.by.trim() === '') throw new Error('Say who decides (by)');
    if (input.decision === 'changes' && (typeof input.text !== 'string' || input.text.trim() === '')) {
      throw new Error('Changes need a text: say what to change');
    }
    this.pendingFor(input.role);
  }

  private pendingFor(role: string | undefined) {
    const pending = this.state.reviews?.pending ?? [];
    if (this.roles.size === 0) throw new Error('This run has no review gates (start it with --review ROLE)');
    if (role !== undefined) {
      if (!this.team.roles.some((r) => r.id === role)) {
        throw new Error(`Unknown role "${role}"; this team's roles: ${this.team.roles.map((r) => r.id).join(', ')}`);
      }
      const hit = pending.find((p) => p.role === role && !this.inbox.has(p.role));
      if (!hit) throw new Error(`${role} is not waiting for a review${waitingList(pending)}`);
      return hit;
    }
    const open = pending.filter((p) => !this.inbox.has(p.role));
    if (open.length === 0) throw new Error('Nothing waits for a review now');
    if (open.length > 1) throw new Error(`Several roles wait for a review${waitingList(open)}: say which with --role`);
    return open[0] as (typeof open)[number];
  }

  private decide(input: ReviewDecisionInput): ReviewRecord {
    const pending = this.pendingFor(input.role);
    const record: ReviewRecord = {
      role: pending.role,
      round: pending.round,
      decision: input.decision === 'approve' ? 'approved' : 'changes',
      ...(input.decision === 'changes' ? { text: input.text?.trim() } : {}),
      by: input.by.trim(),
      at: Date.now(),
    };
    reviewDecided(this.state, record);
    this.inbox.set(record.role, record);
    return record;
  }
}

const waitingList = (pending: readonly { role: string }[]): string =>
  pending.length ? ` (waiting: ${pending.map((p) => p.role).join(', ')})` : '';

export function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/**
 * Codex approvals answered by people (`approval-policy: on-request`): each request Codex sends goes to the run's
 * workflow as a `requestApproval` Update (src/workflows/approvals.ts), and the call waits, heartbeating, until the
 * `progress` query shows its decision. The key is stable across attempts of the same call, so a call retried after
 * a crash gets the decision already recorded in history instead of asking again.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import {
  requestApprovalUpdate,
  type ApprovalRecord,
  type ApprovalRequest,
  type ApprovalTicket,
} from '../../shared/people';
import type { CodexCallInput } from '../../shared/types';
import { isInside } from './approvals';
import type { CodexElicitation, ReviewDecision } from './transport';
import { progressQuery } from '../../shared/progress';

export interface AskPeopleOptions {
  pollEveryMs?: number;
  /** Told while the call waits (the Codex call deadline pauses). */
  onWaiting?(waiting: boolean): void;
}

export function askPeople(ctx: Context, input: CodexCallInput, options: AskPeopleOptions = {}) {
  const handle = ctx.client.workflow.getHandle(input.runId);
  const pollEveryMs = options.pollEveryMs ?? 500;
  const seen = new Map<string, number>();
  return async (raw: CodexElicitation): Promise<ReviewDecision> => {
    const req = approvalRequest(input, raw);
    // The same request twice in one call is two approvals; a retried call repeats the same sequence of keys.
    const n = (seen.get(req.key) ?? 0) + 1;
    seen.set(req.key, n);
    req.key = `${req.key}#${n}`;
    options.onWaiting?.(true);
    try {
      // A retried call finds what its earlier attempt asked in the run state: no second request in history.
      const ticket = await untilAnswered(ctx, pollEveryMs, async () => {
        const known = await knownTicket(handle, req.key);
        return known ?? (await handle.executeUpdate(requestApprovalUpdate, { args: [req] }));
      });
      ctx.log.info('Codex approval requested', { label: input.label, id: ticket.id, known: !!ticket.decided });
      const decided = ticket.decided ?? (await waitForDecision(ctx, () => handle, ticket.id, pollEveryMs));
      ctx.log.info('Codex approval decided', { label: input.label, id: decided.id, decision: decided.decision });
      return toReviewDecision(decided);
    } finally {
      options.onWaiting?.(false);
    }
  };
}

/**
 * Retries what fails while the run's worker restarts (a query or an Update with nobody to answer). A rejected Update
 * or a closed run is final: the request is denied with that message (the activity's own cancellation ends the wait).
 */
async function untilAnswered<T>(ctx: Context, everyMs: number, fn: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError || err instanceof WorkflowNotFoundError) throw err;
      ctx.log.debug('asking the run for an approval failed; retrying', { error: String(err) });
    }
    await ctx.sleep(everyMs);
  }
}

async function knownTicket(handle: Pick<WorkflowHandle, 'query'>, key: string): Promise<ApprovalTicket | undefined> {
  const approvals = (await handle.query(progressQuery)).approvals;
  const decided = approvals?.decided.find((d) => d.key === key);
  if (decided) return { id: decided.id, decided };
  const pending = approvals?.pending.find((p) => p.key === key);
  return pending && { id: pending.id };
}

async function waitForDecision(
  ctx: Context,
  handle: () => Pick<WorkflowHandle, 'query'>,
  id: string,
  everyMs: number,
): Promise<ApprovalRecord> {
  for (;;) {
    try {
      const state = await handle().query(progressQuery);
      const hit = state.approvals?.decided.find((d) => d.id === id);
      if (hit) return hit;
    } catch (err) {
      // The workflow's worker may be restarting: ask again.
      ctx.log.debug('approval query failed; retrying', { id, error: String(err) });
    }
    await ctx.sleep(everyMs);
  }
}

export function approvalRequest(input: CodexCallInput, raw: CodexElicitation): ApprovalRequest {
  const kind = raw.codex_elicitation === 'patch-approval' ? 'patch' : 'exec';
  const cwd = raw.codex_cwd ?? input.cwd;
  const files =
    kind === 'patch'
      ? Object.keys(raw.codex_changes ?? {}).map((f) => {
          const abs = path.resolve(input.cwd, f);
          return isInside(input.cwd, abs) ? path.relative(input.cwd, abs) : abs;
        })
      : undefined;
  const reason = raw.codex_reason ?? (raw.message || undefined);
  const key = createHash('sha256')
    .update(JSON.stringify([input.label, kind, raw.codex_command ?? null, cwd, files ?? null]))
    .digest('hex')
    .slice(0, 32);
  return {
    role: input.role,
    label: input.label,
    kind,
    ...(raw.codex_command && { command: raw.codex_command }),
    cwd,
    ...(files && { files }),
    ...(reason && { reason }),
    key,
  };
}

export function toReviewDecision(d: ApprovalRecord): ReviewDecision {
  switch (d.decision) {
    case 'approved':
      return 'approved';
    case 'approved_for_session':
      return 'approved_for_session';
    case 'timed-out':
    case 'withdrawn':
      return { denied: { rejection: d.reason ?? 'Nobody answered this approval in time; it was denied.' } };
    case 'denied':
      return { denied: { rejection: `Denied by ${d.by}: ${d.reason ?? 'no reason given'}` } };
  }
}

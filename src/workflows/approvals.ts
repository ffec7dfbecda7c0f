/**
 * Codex approvals answered by people (runs with `approvals.policy: on-request`). The Codex call activity sends each
 * request Codex makes as a `requestApproval` Update and polls the `progress` query for its decision; a person answers
 * with the `approve` Update (`npm run approve`). Both are recorded in history, so a call retried after a crash sends
 * the same key again and gets the decision it already had instead of asking again. Runs without the option install
 * nothing here: their histories replay unchanged.
 */
import { condition, setHandler, workflowInfo, type ApplicationFailure } from '@temporalio/workflow';
import {
  approveUpdate,
  requestApprovalUpdate,
  type ApprovalDecisionInput,
  type ApprovalOptions,
  type ApprovalRecord,
  type ApprovalRequest,
  type PendingApproval,
} from '../shared/people';
import { ApprovalRejected, workflowFailure } from '../shared/errors';
import type { RunState } from '../shared/types';
import { approvalDecided, approvalRequested, approvalsEnabled } from './run-state';

type Approvals = NonNullable<RunState['approvals']>;

export function installApprovals(state: RunState, options: ApprovalOptions | undefined): void {
  if (options?.policy !== 'on-request') return;
  const approvals: Approvals = approvalsEnabled(state);
  const roles = new Set(state.steps.map((s) => s.role));
  let next = 1;

  setHandler(
    requestApprovalUpdate,
    (req) => {
      const decided = approvals.decided.find((d) => d.key === req.key);
      if (decided) return { id: decided.id, decided };
      const waiting = approvals.pending.find((p) => p.key === req.key);
      if (waiting) return { id: waiting.id };
      const pending: PendingApproval = { ...req, id: `a${next++}`, since: Date.now() };
      approvalRequested(state, pending);
      if (options.timeoutMs !== undefined) void expireLater(state, pending.id, options.timeoutMs);
      return { id: pending.id };
    },
    { validator: (req) => validateRequest(req, roles) },
  );

  setHandler(approveUpdate, (input) => decide(state, selected(approvals, input), input), {
    validator: (input) => void selected(approvals, input),
  });
}

function validateRequest(req: ApprovalRequest, roles: ReadonlySet<string>): void {
  if (typeof req !== 'object' || req === null) throw rejected('an approval request must be an object');
  if (!roles.has(req.role)) throw rejected(`unknown role "${String(req.role)}"`);
  if (req.kind !== 'exec' && req.kind !== 'patch') throw rejected(`unknown approval kind "${String(req.kind)}"`);
  if (typeof req.key !== 'string' || req.key === '') throw rejected('an approval request needs a key');
  if (typeof req.label !== 'string' || req.label === '') throw rejected('an approval request needs a label');
}

/** The pending approvals an `approve` names; throws the message a person reads when it names none or a wrong one. */
function selected(approvals: Approvals, input: ApprovalDecisionInput): PendingApproval[] {
  const { workflowId } = workflowInfo();
  if (typeof input !== 'object' || input === null) throw rejected('a decision must be an object');
  if (input.decision !== 'approve' && input.decision !== 'deny') {
    throw rejected(`decision must be approve or deny, not "${String(input.decision)}"`);
  }
  if (typeof input.by !== 'string' || input.by.trim() === '') throw rejected('a decision must say who made it (by)');
  if (input.decision === 'deny' && (typeof input.reason !== 'string' || input.reason.trim() === '')) {
    throw rejected('a denial needs a reason (--deny "why"): Codex tells its model why');
  }
  const ids = Array.isArray(input.ids) ? input.ids : [];
  if (input.all && ids.length > 0) throw rejected('give approval ids or --all, not both');
  if (!input.all && ids.length === 0) throw rejected('give an approval id or --all');
  if (approvals.pending.length === 0) throw rejected(`no approval is pending in ${workflowId}`);
  if (input.all) return [...approvals.pending];
  return ids.map((id) => {
    const hit = approvals.pending.find((p) => p.id === id);
    if (hit) return hit;
    const done = approvals.decided.find((d) => d.id === id);
    if (done) throw rejected(`approval ${id} was already decided: ${done.decision} by ${done.by}`);
    throw rejected(`no pending approval ${id}; pending: ${approvals.pending.map((p) => p.id).join(', ')}`);
  });
}

function decide(state: RunState, which: PendingApproval[], input: ApprovalDecisionInput): ApprovalRecord[] {
  const decision = input.decision === 'deny' ? 'denied' : input.forSession ? 'approved_for_session' : 'approved';
  const reason = input.decision === 'deny' ? input.reason?.trim() : undefined;
  return which.map((p) => approvalDecided(state, p, { decision, reason, by: input.by.trim() }));
}

/** Denies an approval nobody answered within the run's approval timeout. */
async function expireLater(state: RunState, id: string, timeoutMs: number): Promise<void> {
  const approvals = state.approvals as Approvals;
  const answered = await condition(() => !approvals.pending.some((p) => p.id === id), timeoutMs);
  const pending = approvals.pending.find((p) => p.id === id);
  if (answered || !pending) return;
  approvalDecided(state, pending, {
    decision: 'timed-out',
    reason: `Nobody answered this approval within ${formatMs(timeoutMs)}; it was denied.`,
    by: 'timeout',
  });
}

/** The approvals a Codex call asked for and nobody answered before the call ended: nothing waits on them now. */
export function withdrawApprovals(state: RunState, label: string): void {
  for (const p of state.approvals?.pending.filter((a) => a.label === label) ?? []) {
    approvalDecided(state, p, {
      decision: 'withdrawn',
      reason: 'The Codex call that asked ended first.',
      by: 'workflow',
    });
  }
}

function rejected(message: string): ApplicationFailure {
  return workflowFailure(new ApprovalRejected(message));
}

function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms / 100) / 10} s`;
}

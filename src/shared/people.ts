/**
 * People in the loop: what a run waits for a person on (a review of a role's files, a Codex approval, a spent budget),
 * and the Updates that decide it. Every decision is a Temporal Update, so it is validated before it is accepted and
 * recorded in the run's history with who sent it and when. Shared by the workflow (handlers) and the CLIs (callers).
 */
import { defineUpdate } from '@temporalio/workflow';
import type { RoleId } from './team';
import type { FileRecord, TokenUsage } from './records';

/** Who decided: the CLI sends `user@host`; the workflow stamps the time. */
export interface DecidedBy {
  by: string;
  at: number;
}

// ---- review gates ----

/** How a run's reviews go (start-run `--review`, `review: true` on a role). */
export interface ReviewOptions {
  /** Roles whose step waits for a person after its gate (and its verification) passed. */
  roles: RoleId[];
  /** How long a review may wait; unset: for ever. */
  timeoutMs?: number;
  /** What a review nobody answered in time does: `fail` (the default) fails the run, `approve` lets it go on. */
  onTimeout?: 'fail' | 'approve';
}

/** A role waiting for its review. */
export interface PendingReview {
  role: RoleId;
  title: string;
  /** 1 for the first review of the role, 2 after one round of changes, ... */
  round: number;
  files: FileRecord[];
  since: number;
}

export interface ReviewRecord extends DecidedBy {
  role: RoleId;
  round: number;
  decision: 'approved' | 'changes' | 'timed-out';
  /** The changes asked for (decision `changes`). */
  text?: string;
}

/** `npm run review -- <id> --approve | --changes TEXT [--role ROLE]`. */
export interface ReviewDecisionInput {
  /** Needed only when more than one role waits. */
  role?: RoleId;
  decision: 'approve' | 'changes';
  text?: string;
  by: string;
}

export const reviewUpdate = defineUpdate<ReviewRecord, [ReviewDecisionInput]>('review');

// ---- Codex approvals ----

export type ApprovalPolicyChoice = 'never' | 'on-request';

/** How Codex's approval requests are answered (start-run `--approval`). */
export interface ApprovalOptions {
  /** `never`: Codex never asks (the default). `on-request`: each request Codex sends waits for a person. */
  policy: ApprovalPolicyChoice;
  /** How long an approval may wait before it is denied as timed out; unset: for ever. */
  timeoutMs?: number;
}

/** What a Codex call asks a person for (sent by the Codex call activity). */
export interface ApprovalRequest {
  role: RoleId;
  /** The Codex call's label, e.g. "Backend Developer: Codex call 2". */
  label: string;
  kind: 'exec' | 'patch';
  command?: string[];
  cwd?: string;
  /** Workspace-relative paths a patch changes. */
  files?: string[];
  /** Why Codex asks (its model's justification), when it says. */
  reason?: string;
  /** Same key, same request: a call retried after a crash gets the decision it already had instead of asking again. */
  key: string;
}

export interface PendingApproval extends ApprovalRequest {
  id: string;
  since: number;
}

/** `withdrawn`: the Codex call that asked ended (it finished or failed) before anybody answered. */
export type ApprovalDecision = 'approved' | 'approved_for_session' | 'denied' | 'timed-out' | 'withdrawn';

export interface ApprovalRecord extends PendingApproval, DecidedBy {
  decision: ApprovalDecision;
  /** Why it was denied (told to Codex, which tells its model). */
  reason?: string;
}

/** The answer to `requestApproval`: its id, and its decision when one was already recorded. */
export interface ApprovalTicket {
  id: string;
  decided?: ApprovalRecord;
}

/** `npm run approve -- <id> <approvalId>|--all [--deny WHY] [--for-session]`. */
export interface ApprovalDecisionInput {
  /** Approval ids; empty with `all`. */
  ids: string[];
  all?: boolean;
  decision: 'approve' | 'deny';
  reason?: string;
  forSession?: boolean;
  by: string;
}

/** Sent by the Codex call activity for each approval request Codex makes. */
export const requestApprovalUpdate = defineUpdate<ApprovalTicket, [ApprovalRequest]>('requestApproval');
export const approveUpdate = defineUpdate<ApprovalRecord[], [ApprovalDecisionInput]>('approve');

// ---- budgets ----

export interface BudgetOptions {
  /** Tokens the whole run may spend (agents' model turns + Codex). */
  maxTokens?: number;
  /** Model turns each role may take in all. */
  maxTurnsPerRole?: number;
  /** When a budget is spent: `fail` (the default) fails with a BudgetExceededError, `wait` waits for a raise. */
  onExceeded?: 'fail' | 'wait';
}

export interface BudgetStop {
  /** "tokens" or "turns of <role>". */
  what: 'tokens' | 'turns';
  role?: RoleId;
  limit: number;
  used: number;
  since: number;
}

export interface BudgetState {
  maxTokens?: number;
  maxTurnsPerRole?: number;
  /** Tokens spent so far: agents and Codex. */
  used: TokenUsage;
  /** Set while the run waits for a raise. */
  stopped?: BudgetStop;
  raises: (DecidedBy & { tokens?: number; turns?: number })[];
}

/** `npm run review -- <id> --raise-budget N [--raise-turns N]`: adds to the limits. */
export interface RaiseBudgetInput {
  tokens?: number;
  turns?: number;
  by: string;
}

export const raiseBudgetUpdate = defineUpdate<BudgetState, [RaiseBudgetInput]>('raiseBudget');

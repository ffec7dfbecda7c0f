/**
 * The run report's "People in the loop": every decision a person sent (the accepted Updates in the history: reviews,
 * Codex approvals, budget raises), every approval Codex asked for, and what a timeout or a call's end decided (from
 * the final state).
 */
import type { ApprovalRecord, RaiseBudgetInput, ReviewRecord } from '../shared/people';
import type { RunResult } from '../shared/types';
import type { WorkflowRecord } from './history';

export interface ReportDecision {
  at: number;
  kind: 'review' | 'approval-request' | 'approval' | 'budget';
  role?: string;
  /** One line: "approved", "changes: make the title bigger", "exec `npm install` (a1)". */
  what: string;
  by?: string;
}

export function peopleOf(rec: WorkflowRecord): ReportDecision[] {
  const out: ReportDecision[] = [];
  for (const u of rec.updates) {
    if (u.failure) continue;
    if (u.name === 'review') {
      const r = u.result as ReviewRecord | undefined;
      if (r) out.push(reviewLine(r));
    } else if (u.name === 'approve') {
      for (const a of (u.result as ApprovalRecord[] | undefined) ?? []) out.push(approvalLine(a));
    } else if (u.name === 'requestApproval') {
      const r = u.input as { role?: string; kind?: string; command?: string[]; files?: string[] } | undefined;
      const id = (u.result as { id?: string; decided?: unknown } | undefined)?.id;
      const again = (u.result as { decided?: unknown } | undefined)?.decided ? ', answered from history' : '';
      out.push({
        at: u.at,
        kind: 'approval-request',
        role: r?.role,
        what: `Codex asked: ${asked(r)} (${id ?? '?'}${again})`,
        by: 'Codex',
      });
    } else if (u.name === 'raiseBudget') {
      const r = u.input as RaiseBudgetInput | undefined;
      const what = [r?.tokens ? `+${r.tokens} tokens` : '', r?.turns ? `+${r.turns} turns per role` : '']
        .filter(Boolean)
        .join(', ');
      out.push({ at: u.at, kind: 'budget', what: `budget raised: ${what}`, by: r?.by });
    }
  }
  // Timeouts decide without an Update: the final state has them.
  const state = (rec.result as Partial<RunResult> | undefined)?.state;
  for (const r of state?.reviews?.decided ?? []) if (r.decision === 'timed-out') out.push(reviewLine(r));
  for (const a of state?.approvals?.decided ?? []) {
    if (a.decision === 'timed-out' || a.decision === 'withdrawn') out.push(approvalLine(a));
  }
  return out.sort((a, b) => a.at - b.at);
}

function reviewLine(r: ReviewRecord): ReportDecision {
  const what = r.decision === 'changes' ? `changes: ${r.text ?? ''}` : r.decision;
  return { at: r.at, kind: 'review', role: r.role, what: `review ${r.round}: ${what}`, by: r.by };
}

function approvalLine(a: ApprovalRecord): ReportDecision {
  const why = a.reason ? `: ${a.reason}` : '';
  return { at: a.at, kind: 'approval', role: a.role, what: `${asked(a)} (${a.id}): ${a.decision}${why}`, by: a.by };
}

function asked(r: { kind?: string; command?: string[]; files?: string[] } | undefined): string {
  if (r?.kind === 'exec') return `run \`${(r.command ?? []).join(' ')}\``;
  if (r?.kind === 'patch') return `change ${(r.files ?? []).join(', ')}`;
  return r?.kind ?? '?';
}

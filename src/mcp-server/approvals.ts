/**
 * Codex's approval requests (`approval-policy: on-request` / `untrusted`) reach the MCP client as `elicitation/create`
 * requests, as Codex's own MCP server sent them: `threadId` and the `codex_*` fields in the params, a form asking
 * for a decision. While a turn runs, the server follows its session's history and looks for pending approvals when
 * new events arrive (the Codex call activity records each request there as an Update), and answers each with the
 * `approve` Update, so the decision is in history too. A client without the elicitation capability gets a denial whose reason the model reads.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ElicitResultSchema } from '@modelcontextprotocol/sdk/types.js';
import type { WorkflowHandle } from '@temporalio/client';
import { codexSessionStatusQuery } from '../shared/codex-session';
import { approveUpdate, type ApprovalDecisionInput, type PendingApproval } from '../shared/people';
import type { McpLog } from './deps';

export const APPROVED_BY = 'MCP client';

export const NO_ELICITATION_REASON =
  'The MCP client cannot answer approval requests (it did not declare the elicitation capability), so the ' +
  'request was denied. Work within the sandbox, or ask the user to rerun with approval-policy "never".';

/**
 * Looks at one turn's session for pending approvals on `check()` (the caller calls it on every batch of new history
 * events: a request is an Update, recorded when accepted); every pending approval is elicited once.
 */
export function approvalWatcher(
  server: McpServer,
  handle: WorkflowHandle,
  threadId: string,
  log: McpLog,
  signal?: AbortSignal,
): { check(): void } {
  const asked = new Set<string>();
  let done = false;
  let looking: Promise<void> | undefined;
  let again = false;
  const look = async () => {
    let pending: PendingApproval[] = [];
    try {
      const status = await handle.query(codexSessionStatusQuery);
      // A session whose Codex never asks needs no watching.
      if (status.settings.approvalPolicy === 'never') done = true;
      pending = status.approvals.pending;
    } catch {
      return; // its worker restarts: the next events look again
    }
    for (const p of pending) {
      if (asked.has(p.id)) continue;
      asked.add(p.id);
      void answer(server, handle, threadId, p, log, signal);
    }
  };
  const check = (): void => {
    if (done || signal?.aborted) return;
    if (looking) {
      again = true;
      return;
    }
    looking = look().finally(() => {
      looking = undefined;
      if (again) {
        again = false;
        check();
      }
    });
  };
  return { check };
}

async function answer(
  server: McpServer,
  handle: WorkflowHandle,
  threadId: string,
  p: PendingApproval,
  log: McpLog,
  signal?: AbortSignal,
): Promise<void> {
  let decision: Omit<ApprovalDecisionInput, 'ids' | 'by'>;
  if (!server.server.getClientCapabilities()?.elicitation) {
    decision = { decision: 'deny', reason: NO_ELICITATION_REASON };
  } else {
    try {
      const result = await server.server.request(
        {
          method: 'elicitation/create',
          params: {
            mode: 'form',
            message: describe(p),
            requestedSchema: {
              type: 'object',
              properties: {
                decision: {
                  type: 'string',
                  title: 'Decision',
                  enum: ['approve', 'approve_for_session', 'deny'],
                },
                reason: { type: 'string', title: 'Reason (told to Codex when denied)' },
              },
              required: ['decision'],
            },
            // As Codex's own MCP server sent them (the SDK's client schema strips what it does not know).
            threadId,
            codex_elicitation: p.kind === 'exec' ? 'exec-approval' : 'patch-approval',
            ...(p.command && { codex_command: p.command }),
            ...(p.cwd && { codex_cwd: p.cwd }),
            ...(p.files && { codex_changes: Object.fromEntries(p.files.map((f) => [f, {}])) }),
            ...(p.reason && { codex_reason: p.reason }),
          },
        },
        ElicitResultSchema,
        { timeout: 24 * 3_600_000, ...(signal && { signal }) },
      );
      const content = (result.content ?? {}) as { decision?: unknown; reason?: unknown };
      const reason = typeof content.reason === 'string' && content.reason.trim() ? content.reason.trim() : undefined;
      if (result.action === 'accept' && content.decision === 'approve') decision = { decision: 'approve' };
      else if (result.action === 'accept' && content.decision === 'approve_for_session')
        decision = { decision: 'approve', forSession: true };
      else
        decision = {
          decision: 'deny',
          reason:
            reason ?? `The MCP client's user ${result.action === 'accept' ? 'denied' : `chose ${result.action}`}.`,
        };
    } catch (err) {
      decision = { decision: 'deny', reason: `The approval request to the MCP client failed: ${String(err)}` };
    }
  }
  try {
    await handle.executeUpdate(approveUpdate, { args: [{ ...decision, ids: [p.id], by: APPROVED_BY }] });
    log.info(`approval ${p.id} of ${threadId}: ${decision.decision}${decision.reason ? ` (${decision.reason})` : ''}`);
  } catch (err) {
    // Already decided (timed out, withdrawn): nothing waits on it.
    log.warn(`approval ${p.id} of ${threadId} could not be recorded: ${String(err)}`);
  }
}

function describe(p: PendingApproval): string {
  const what =
    p.kind === 'exec'
      ? `Codex wants to run \`${(p.command ?? []).join(' ')}\`${p.cwd ? ` in ${p.cwd}` : ''}`
      : `Codex wants to change ${(p.files ?? []).join(', ') || 'files'}`;
  return `${what}.${p.reason ? ` Reason: ${p.reason}` : ''} Approve?`;
}

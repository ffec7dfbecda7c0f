/**
 * `npm run approve -- <workflowId> [--json]`: the Codex approvals a run waits for (runs started with
 * `--approval on-request`). `npm run approve -- <workflowId> <approvalId>...|--all [--deny "why"] [--for-session]`
 * answers them with the `approve` Update; the waiting Codex calls get the decision and go on.
 * Exit codes: 0 done, 2 bad input, unknown workflow or a decision the run rejected (its message is printed).
 */
import { parseArgs } from 'node:util';
import { Client, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { connectClient } from '../config/temporal-connection';
import { ConfigError } from '../shared/errors';
import { approveUpdate, type ApprovalDecisionInput, type PendingApproval } from '../shared/people';
import type { RunState } from '../shared/types';
import { describeCliError, runCliMain, whoDecides } from './run-handle';

const USAGE =
  'Usage: npm run approve -- <workflowId> [--json]\n' +
  '       npm run approve -- <workflowId> <approvalId>...|--all [--deny "why"] [--for-session] [--json]';

export interface ApproveArgs {
  workflowId: string;
  json: boolean;
  /** Undefined: list what waits. */
  decision?: ApprovalDecisionInput;
}

export function parseApproveArgs(argv: string[], by = whoDecides()): ApproveArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        all: { type: 'boolean', default: false },
        deny: { type: 'string' },
        'for-session': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  const [workflowId, ...ids] = positionals;
  if (values.help || !workflowId) throw new ConfigError(USAGE);
  const answering = values.all || ids.length > 0 || values.deny !== undefined || values['for-session'];
  if (!answering) return { workflowId, json: values.json };
  if (values.deny !== undefined && values['for-session'])
    throw new ConfigError(`--for-session only approves\n${USAGE}`);
  return {
    workflowId,
    json: values.json,
    // The run validates the rest (ids and --all, unknown ids, an empty reason) and says what is wrong.
    decision: {
      ids,
      ...(values.all && { all: true }),
      decision: values.deny !== undefined ? 'deny' : 'approve',
      ...(values.deny !== undefined && { reason: values.deny }),
      ...(values['for-session'] && { forSession: true }),
      by,
    },
  };
}

/** One line per pending approval: id, role, kind, what, where, how long it has waited. */
export function pendingLines(pending: PendingApproval[], now = Date.now()): string[] {
  return pending.map((p) => {
    const what = p.kind === 'exec' ? (p.command ?? []).join(' ') : `patch ${(p.files ?? []).join(', ')}`;
    const why = p.reason ? ` (${p.reason})` : '';
    return `${p.id}  ${p.role}  ${p.kind}: ${what}  in ${p.cwd ?? '?'}  waiting ${waited(now - p.since)}${why}`;
  });
}

function waited(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.round(s / 60)}m` : `${Math.round(s / 3600)}h`;
}

async function main(): Promise<number> {
  const args = parseApproveArgs(process.argv.slice(2));
  const { connection, namespace } = await connectClient();
  const client = new Client({ connection, namespace });
  try {
    const handle = client.workflow.getHandle(args.workflowId);
    if (!args.decision) {
      const state = await handle.query<RunState>('progress');
      const pending = state.approvals?.pending ?? [];
      if (args.json) {
        console.log(JSON.stringify({ pending, decided: state.approvals?.decided ?? [] }));
      } else if (!state.approvals) {
        console.log(`${args.workflowId} does not ask for approvals (start it with --approval on-request).`);
      } else if (pending.length === 0) {
        console.log(`Nothing waits for approval in ${args.workflowId}.`);
      } else {
        for (const line of pendingLines(pending)) console.log(line);
        console.log(`\nAnswer: npm run approve -- ${args.workflowId} <id>|--all [--deny "why"] [--for-session]`);
      }
      return 0;
    }
    // A run started without --approval on-request has no `approve` handler: say that rather than Temporal's words.
    if (!(await handle.query<RunState>('progress')).approvals) {
      throw new ConfigError(`${args.workflowId} does not ask for approvals (start it with --approval on-request)`);
    }
    const decided = await handle.executeUpdate(approveUpdate, { args: [args.decision] });
    if (args.json) console.log(JSON.stringify({ decided }));
    else for (const d of decided) console.log(`${d.id}: ${d.decision}${d.reason ? ` (${d.reason})` : ''} by ${d.by}`);
    return 0;
  } finally {
    await connection.close();
  }
}

/** A missing run and a refused decision in the words of this command; anything else as every CLI says it. */
function describeApproveError(err: unknown): string {
  if (err instanceof WorkflowNotFoundError) return `no run ${String(err.workflowId)} (or it has ended)`;
  if (err instanceof WorkflowUpdateFailedError) {
    return `rejected: ${(err.cause as Error | undefined)?.message ?? err.message}`;
  }
  return describeCliError(err);
}

if (require.main === module) runCliMain('approve', main, describeApproveError);

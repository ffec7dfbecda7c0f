/**
 * `durable-codex-agents approve <workflowId> [--json]`: the Codex approvals a run waits for (runs started with
 * `--approval on-request`). `approve <workflowId> <approvalId>...|--all [--deny "why"] [--for-session]`
 * answers them with the `approve` Update; the waiting Codex calls get the decision and go on.
 * Exit codes: 0 done, 2 bad input, unknown workflow or a decision the run rejected (its message is printed).
 */
import { Client, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { connectClient } from '../config/temporal-connection';
import { ConfigError } from '../shared/errors';
import { approveUpdate, type ApprovalDecisionInput, type PendingApproval } from '../shared/people';
import { progressQuery } from '../shared/progress';
import {
  describeCliError,
  flag,
  parseCommandLine,
  stringOption,
  type CliCommand,
  type ParsedCommandLine,
} from './command';
import { formatAge } from './format';
import { whoDecides } from './run-handle';

export const approveCommand: CliCommand = {
  name: 'approve',
  summary: 'list the Codex approvals a run waits for, or answer them',
  declare: (cmd) =>
    cmd
      .argument('<workflowId>', 'the run')
      .argument('[approvalIds...]', 'the approvals to answer (none: list what waits)')
      .option('--all', 'answer every pending approval')
      .option('--deny <why>', 'deny, saying why (default: approve)')
      .option('--for-session', 'approve this kind of request for the rest of the run')
      .option('--json', 'print JSON'),
  action: (parsed) => approve(approveArgs(parsed)),
  describeError: describeApproveError,
};

export interface ApproveArgs {
  workflowId: string;
  json: boolean;
  /** Undefined: list what waits. */
  decision?: ApprovalDecisionInput;
}

export function parseApproveArgs(argv: string[], by = whoDecides()): ApproveArgs {
  return approveArgs(parseCommandLine(approveCommand, argv), by);
}

export function approveArgs({ args, options }: ParsedCommandLine, by = whoDecides()): ApproveArgs {
  const [workflowId = '', ...ids] = args;
  const all = flag(options, 'all');
  const deny = stringOption(options, 'deny');
  const forSession = flag(options, 'forSession');
  const json = flag(options, 'json');
  const answering = all || ids.length > 0 || deny !== undefined || forSession;
  if (!answering) return { workflowId, json };
  if (deny !== undefined && forSession) throw new ConfigError('--for-session only approves');
  return {
    workflowId,
    json,
    // The run validates the rest (ids and --all, unknown ids, an empty reason) and says what is wrong.
    decision: {
      ids,
      ...(all && { all: true }),
      decision: deny !== undefined ? 'deny' : 'approve',
      ...(deny !== undefined && { reason: deny }),
      ...(forSession && { forSession: true }),
      by,
    },
  };
}

/** One line per pending approval: id, role, kind, what, where, how long it has waited. */
export function pendingLines(pending: PendingApproval[], now = Date.now()): string[] {
  return pending.map((p) => {
    const what = p.kind === 'exec' ? (p.command ?? []).join(' ') : `patch ${(p.files ?? []).join(', ')}`;
    const why = p.reason ? ` (${p.reason})` : '';
    return `${p.id}  ${p.role}  ${p.kind}: ${what}  in ${p.cwd ?? '?'}  waiting ${formatAge(now - p.since)}${why}`;
  });
}

export async function approve(args: ApproveArgs): Promise<number> {
  const { connection, namespace } = await connectClient();
  const client = new Client({ connection, namespace });
  try {
    const handle = client.workflow.getHandle(args.workflowId);
    if (!args.decision) {
      const state = await handle.query(progressQuery);
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
    if (!(await handle.query(progressQuery)).approvals) {
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

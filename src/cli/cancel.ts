/**
 * `durable-codex-agents cancel <workflowId> [--reason TEXT] [--no-wait]` (`npm run cancel`): cancels a run. Its model calls are aborted, its
 * Codex calls interrupted and the commands they ran killed; the workspace stays as it was. By default it waits
 * until the run has ended, then writes its report (status cancelled) as start-run does and says where.
 * Exit codes: 0 cancelled (or, with --no-wait, requested), 1 the run ended otherwise, 2 bad input, unknown or
 * already closed run.
 */
import { randomUUID } from 'node:crypto';
import { Client, WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import { clientConnectConfig, connectClient } from '../config/temporal-connection';
import { finishRun, webUiBase, webUiLink } from '../runtime/runs';
import { ConfigError } from '../shared/errors';
import {
  parseCommandLine,
  stringOption,
  unknownWorkflow,
  validArgs,
  type CliCommand,
  type ParsedCommandLine,
} from './command';
import { whoDecides } from './run-handle';

export const cancelCommand: CliCommand = {
  name: 'cancel',
  summary: 'cancel a run: its model and Codex calls stop, its workspace stays; waits for its report',
  declare: (cmd) =>
    cmd
      .argument('<workflowId>', 'the run')
      .option('-r, --reason <text>', 'why (recorded in the history and the report)')
      .option('--wait', 'wait until the run has ended and write its report (the default)')
      .option('--no-wait', 'return once the cancellation is requested'),
  action: (parsed) => cancel(cancelArgs(parsed)),
};

export const CancelArgsSchema = z.object({
  workflowId: z.string().min(1, 'a workflow id is required'),
  reason: z.string().trim().min(1, '--reason needs a text').optional(),
  wait: z.boolean(),
});
export type CancelArgs = z.infer<typeof CancelArgsSchema>;

export function parseCancelArgs(argv: string[]): CancelArgs {
  return cancelArgs(parseCommandLine(cancelCommand, argv));
}

export function cancelArgs({ args, options }: ParsedCommandLine): CancelArgs {
  return validArgs(cancelCommand, CancelArgsSchema, {
    workflowId: args[0] ?? '',
    reason: stringOption(options, 'reason'),
    wait: options.wait !== false,
  });
}

export async function cancel(args: CancelArgs): Promise<number> {
  const address = clientConnectConfig().connectionOptions.address;
  const { connection, namespace } = await connectClient();
  try {
    // Recorded in the history's cancel request, and so in the report: who cancelled.
    const identity = `${whoDecides()} (npm run cancel)`;
    const client = new Client({ connection, namespace, identity });
    const handle = client.workflow.getHandle(args.workflowId);
    const description = await handle.describe().catch((err: unknown) => {
      if (err instanceof WorkflowNotFoundError) {
        throw unknownWorkflow(args.workflowId, namespace, address, err);
      }
      throw err;
    });
    if (description.status.name !== 'RUNNING') {
      throw new ConfigError(
        `${args.workflowId} is already closed (${description.status.name.toLowerCase()}): nothing to cancel. ` +
          `Its report: npm run report -- ${args.workflowId}`,
      );
    }
    // handle.cancel() takes no reason; the service call records one in the history.
    await client.workflowService.requestCancelWorkflowExecution({
      namespace,
      identity,
      requestId: randomUUID(),
      workflowExecution: { workflowId: args.workflowId, runId: description.runId },
      reason: args.reason,
    });
    const requested = Date.now();
    console.log(`Cancellation of ${args.workflowId} requested${args.reason ? ` (${args.reason})` : ''}.`);
    if (!args.wait) {
      console.log(`Not waiting. Its report once it ended: npm run report -- ${args.workflowId}`);
      return 0;
    }
    const link = webUiLink(webUiBase(address), namespace, args.workflowId);
    const outcome = await finishRun(handle, link);
    const secs = ((Date.now() - requested) / 1000).toFixed(1);
    if (outcome.cancelled) {
      const steps = outcome.report?.steps ?? [];
      const done = steps.filter((s) => s.status === 'done').map((s) => s.title);
      const cut = steps.filter((s) => s.status === 'cancelled').map((s) => s.title);
      console.log(`Run cancelled ${secs} s after the request.`);
      console.log(`  done: ${done.join(', ') || 'none'}; cancelled: ${cut.join(', ') || 'none'}`);
    } else {
      const how = outcome.ok ? 'completed' : `failed (${outcome.error ?? 'unknown error'})`;
      console.log(`The run ${how} before the cancellation took effect.`);
    }
    if (outcome.reportPaths) console.log(`Report: ${outcome.reportPaths.markdown} (data: ${outcome.reportPaths.json})`);
    if (outcome.reportError) console.log(`No report: ${outcome.reportError}`);
    if (link) console.log(`History: ${link}`);
    return outcome.cancelled ? 0 : 1;
  } finally {
    await connection.close();
  }
}

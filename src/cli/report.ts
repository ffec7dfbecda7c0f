/**
 * `durable-codex-agents report <workflowId> [--run-id ID] [--out DIR] [--json]` (`npm run report`): rebuilds REPORT.md, timeline.svg and run.json for any
 * past (or running) run from its recorded history. Writes into the run's workspace when this machine can see it,
 * else into reports/<workflowId>, unless --out says where. Exit codes: 0 written, 2 bad input or unknown run.
 */
import path from 'node:path';
import { Client, WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import { clientConnectConfig, connectClient } from '../config/temporal-connection';
import { reportDir, reportFromHistory, writeReport } from '../report/run-report';
import { webUiBase, webUiLink } from '../runtime/runs';
import {
  flag,
  parseCommandLine,
  stringOption,
  unknownWorkflow,
  validArgs,
  type CliCommand,
  type ParsedCommandLine,
} from './command';

export const reportCommand: CliCommand = {
  name: 'report',
  summary: "rebuild a run's REPORT.md, timeline.svg and run.json from its recorded history",
  declare: (cmd) =>
    cmd
      .argument('<workflowId>', 'the run')
      .option('--run-id <runId>', 'one run of that workflow id (default: the latest)')
      .option('-o, --out <dir>', "where to write (default: the run's workspace, else reports/<workflowId>)")
      .option('--json', 'print the paths and totals as JSON'),
  action: (parsed) => report(reportArgs(parsed)),
};

export const ReportArgsSchema = z.object({
  workflowId: z.string().min(1, 'a workflow id is required'),
  runId: z.string().min(1).optional(),
  out: z.string().min(1).optional(),
  json: z.boolean(),
});
export type ReportArgs = z.infer<typeof ReportArgsSchema>;

export function parseReportArgs(argv: string[]): ReportArgs {
  return reportArgs(parseCommandLine(reportCommand, argv));
}

export function reportArgs({ args, options }: ParsedCommandLine): ReportArgs {
  return validArgs(reportCommand, ReportArgsSchema, {
    workflowId: args[0] ?? '',
    runId: stringOption(options, 'runId'),
    out: stringOption(options, 'out'),
    json: flag(options, 'json'),
  });
}

export async function report(args: ReportArgs): Promise<number> {
  const address = clientConnectConfig().connectionOptions.address;
  const { connection, namespace } = await connectClient();
  try {
    const client = new Client({ connection, namespace });
    const handle = client.workflow.getHandle(args.workflowId, args.runId);
    const started = Date.now();
    const built = await reportFromHistory(handle, webUiLink(webUiBase(address), namespace, args.workflowId)).catch(
      (err: unknown) => {
        if (err instanceof WorkflowNotFoundError) {
          throw unknownWorkflow(args.workflowId, namespace, address, err);
        }
        throw err;
      },
    );
    const paths = await writeReport(args.out ? path.resolve(args.out) : reportDir(built), built);
    const t = built.totals;
    if (args.json) {
      const { workflowId, runId, status } = built;
      console.log(JSON.stringify({ workflowId, runId, status, steps: built.steps.length, totals: t, paths }));
      return 0;
    }
    console.log(
      `${built.workflowId}: ${built.status}, ${built.steps.length} steps, ${t.codexCalls} Codex calls, ` +
        `${t.tokens} tokens (report built in ${Date.now() - started} ms)`,
    );
    console.log(`Report:   ${paths.markdown}\nTimeline: ${paths.timeline}\nData:     ${paths.json}`);
    return 0;
  } finally {
    await connection.close();
  }
}

/**
 * `npm run report -- <workflowId> [--run-id ID] [--out DIR]`: rebuilds REPORT.md, timeline.svg and run.json for any
 * past (or running) run from its recorded history. Writes into the run's workspace when this machine can see it,
 * else into reports/<workflowId>, unless --out says where. Exit codes: 0 written, 2 bad input or unknown run.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import { clientConnectConfig, connectClient } from '../config/temporal-connection';
import { reportDir, reportFromHistory, writeReport } from '../report/run-report';
import { webUiBase, webUiLink } from '../runtime/runs';
import { ConfigError } from '../shared/errors';
import { runCliMain } from './run-handle';

export const REPORT_USAGE = 'Usage: npm run report -- <workflowId> [--run-id RUN_ID] [--out DIR]';

export const ReportArgsSchema = z.object({
  workflowId: z.string().min(1, 'a workflow id is required'),
  runId: z.string().min(1).optional(),
  out: z.string().min(1).optional(),
});
export type ReportArgs = z.infer<typeof ReportArgsSchema>;

export function parseReportArgs(argv: string[]): ReportArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        out: { type: 'string', short: 'o' },
        'run-id': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}\n${REPORT_USAGE}`);
  }
  if (parsed.values.help) throw new ConfigError(REPORT_USAGE);
  if (parsed.positionals.length > 1) throw new ConfigError(`Expected one workflow id\n${REPORT_USAGE}`);
  const r = ReportArgsSchema.safeParse({
    workflowId: parsed.positionals[0] ?? '',
    runId: parsed.values['run-id'],
    out: parsed.values.out,
  });
  if (!r.success) throw new ConfigError(`${r.error.issues[0]?.message ?? 'invalid arguments'}\n${REPORT_USAGE}`);
  return r.data;
}

async function main(): Promise<number> {
  const args = parseReportArgs(process.argv.slice(2));
  const address = clientConnectConfig().connectionOptions.address;
  const { connection, namespace } = await connectClient();
  try {
    const client = new Client({ connection, namespace });
    const handle = client.workflow.getHandle(args.workflowId, args.runId);
    const started = Date.now();
    const report = await reportFromHistory(handle, webUiLink(webUiBase(address), namespace, args.workflowId)).catch(
      (err: unknown) => {
        if (err instanceof WorkflowNotFoundError) {
          throw new ConfigError(`No workflow "${args.workflowId}" in namespace ${namespace} at ${address}`, {
            cause: err,
          });
        }
        throw err;
      },
    );
    const paths = await writeReport(args.out ? path.resolve(args.out) : reportDir(report), report);
    const t = report.totals;
    console.log(
      `${report.workflowId}: ${report.status}, ${report.steps.length} steps, ${t.codexCalls} Codex calls, ` +
        `${t.tokens} tokens (report built in ${Date.now() - started} ms)`,
    );
    console.log(`Report:   ${paths.markdown}\nTimeline: ${paths.timeline}\nData:     ${paths.json}`);
    return 0;
  } finally {
    await connection.close();
  }
}

if (require.main === module) runCliMain('report', main);

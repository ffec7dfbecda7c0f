/**
 * `durable-codex-agents demo` (`npm run demo`): the main job in one command on a fresh machine. Uses the Temporal at TEMPORAL_ADDRESS (default
 * localhost:7233) or starts the embedded dev server, runs a worker in-process, runs a team (`--team FILE|NAME`, default
 * the cookbook's) on the Bug Busters task list (`--task FILE`) with the real model when OPENAI_API_KEY is set (else the scripted model, said loudly),
 * and prints the Web UI link and the workspace.
 */
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { DEFAULT_TASK_FILE, readTaskFile, TEAM_OF_WORKFLOW, type WorkflowKind } from './args';
import { loadTeam } from './team-file';
import { watchProgress } from './progress';
import { loadSettings } from '../config/settings';
import { ensureTemporalCli, isTemporalReachable, startDevServer } from '../temporal/dev-server';
import { startScriptedModel, type ScriptedModel } from '../scripted-model';
import { assertModelUsable } from '../runtime/model-check';
import { SCRIPTED_BANNER } from '../runtime/banner';
import { createAgentWorker } from '../runtime/worker';
import { installLogging, loggingConfigFromEnv } from '../runtime/logging';
import { tracingConfigFromEnv } from '../runtime/telemetry';
import { openaiTracesConfigFromEnv } from '../tracing/openai-traces';
import { finishRun, startRun, webUiBase, webUiLink } from '../runtime/runs';
import { ConfigError } from '../shared/errors';
import { DEFAULT_SINGLE_AGENT_PROMPT } from '../shared/prompts';
import { flag, stringOption, type CliCommand } from './command';

export interface DemoOptions {
  task?: string;
  team?: string;
  workflow?: string;
  /** Exit when the run ends instead of keeping the Web UI up. */
  exit: boolean;
}

export const demoCommand: CliCommand = {
  name: 'demo',
  summary: 'the whole job in one command: a Temporal, a worker and a run of the cookbook team (or --team)',
  declare: (cmd) =>
    cmd
      .option('--team <file|name>', 'a team file or a built-in team (default: cookbook)')
      .option('--task <file>', 'the task list (default: tasks/bug-busters.md)')
      .option('--workflow <multi|single>', 'alias of --team cookbook|single')
      .option('--exit', 'exit when the run ends (a terminal otherwise keeps the Web UI up until Ctrl-C)'),
  action: ({ options }) =>
    demo({
      task: stringOption(options, 'task'),
      team: stringOption(options, 'team'),
      workflow: stringOption(options, 'workflow'),
      exit: flag(options, 'exit'),
    }),
};

export async function demo(values: DemoOptions): Promise<number> {
  // The live progress view is the demo's output; worker logs stay at WARN unless LOG_LEVEL asks for more.
  installLogging(loggingConfigFromEnv(process.env, 'WARN'));
  const started = Date.now();
  const alias = values.workflow === undefined ? undefined : TEAM_OF_WORKFLOW[values.workflow as WorkflowKind];
  if (values.workflow !== undefined && !alias) throw new ConfigError(`Unknown workflow "${values.workflow}"`);
  const { team } = await loadTeam(values.team ?? alias ?? 'cookbook');
  const taskList = values.task
    ? await readTaskFile(values.task)
    : team.name === 'single'
      ? DEFAULT_SINGLE_AGENT_PROMPT
      : await readTaskFile(DEFAULT_TASK_FILE);
  const address = process.env.TEMPORAL_ADDRESS || 'localhost:7233';
  const namespace = process.env.TEMPORAL_NAMESPACE || 'default';
  const cleanups: (() => Promise<void>)[] = [];
  let uiBase = process.env.TEMPORAL_UI_URL;
  try {
    if (await isTemporalReachable(address, 1500)) {
      console.log(`Using the Temporal server at ${address}.`);
      uiBase ??= webUiBase(address);
    } else {
      if (process.env.TEMPORAL_ADDRESS) throw new ConfigError(`Cannot reach Temporal at ${address} (TEMPORAL_ADDRESS)`);
      console.log('No Temporal server at localhost:7233: starting the embedded dev server...');
      const executable = await ensureTemporalCli({ log: (l: string) => console.log(`  ${l}`) });
      const server = await startDevServer({
        executable,
        port: 7233,
        uiPort: 8233,
        dbFile: path.resolve('.temporal', 'dev-server.sqlite'),
      });
      cleanups.push(() => server.stop());
      uiBase = server.uiUrl;
      console.log(`Temporal dev server on ${server.address}, Web UI ${server.uiUrl}`);
    }

    let scripted: ScriptedModel | undefined;
    if (!process.env.OPENAI_API_KEY) {
      scripted = await startScriptedModel();
      cleanups.push(() => scripted!.close());
      console.log(SCRIPTED_BANNER(scripted.baseUrl));
    }
    const settings = loadSettings(process.env, { scriptedBaseUrl: scripted?.baseUrl });
    if (!scripted) await assertModelUsable(settings.model, (line) => console.warn(line));

    const connection = await NativeConnection.connect({ address });
    cleanups.push(() => connection.close());
    const agentWorker = await createAgentWorker({
      connection,
      namespace,
      settings,
      tracing: tracingConfigFromEnv(process.env),
      openaiTraces: openaiTracesConfigFromEnv(process.env, settings),
    });
    const running = agentWorker.run();
    cleanups.push(async () => {
      agentWorker.worker.shutdown();
      await running;
    });

    const clientConnection = await Connection.connect({ address });
    cleanups.push(() => clientConnection.close());
    const client = new Client({ connection: clientConnection, namespace });
    const handle = await startRun(client, {
      kind: 'team',
      input: { team, task: taskList },
      taskQueue: settings.taskQueue,
    });
    const link = webUiLink(uiBase, namespace, handle.workflowId);
    console.log(`\nStarted ${handle.workflowId}${link ? `\nWeb UI: ${link}` : ''}\n`);
    await watchProgress(handle, { mode: process.stdout.isTTY ? 'tty' : 'plain' });
    const outcome = await finishRun(handle, link);
    const wall = ((Date.now() - started) / 1000).toFixed(1);
    if (outcome.ok && outcome.result) {
      console.log(`\nDemo completed in ${wall} s. Files in ${outcome.result.workspace}:`);
      for (const f of outcome.result.files) console.log(`  ${f.path} (${f.size} bytes)`);
      for (const step of outcome.result.state.steps) {
        const v = step.verification;
        if (!v) continue;
        const rounds = v.rounds.map((r) => `round ${r.round} ${r.passed ? 'passed' : 'failed'}`).join(', ');
        console.log(`\nVerification (${step.title}: \`${v.command}\`): ${v.status} (${rounds})`);
      }
      if (team.name === 'cookbook') {
        console.log(`\nPlay: open ${path.join(outcome.result.workspace, 'frontend', 'index.html')}`);
        console.log(
          `API:  (cd ${path.join(outcome.result.workspace, 'backend')} && npm start), then bash tests/test.sh`,
        );
      }
    } else if (outcome.cancelled) {
      console.log(`\nDemo run cancelled after ${wall} s.`);
    } else {
      console.log(`\nDemo run failed after ${wall} s: ${outcome.error ?? 'unknown error'}`);
    }
    if (scripted) console.log('(Produced by the SCRIPTED model: set OPENAI_API_KEY for a real LLM.)');
    if (outcome.reportPaths)
      console.log(`Report: ${outcome.reportPaths.markdown} (timeline: ${outcome.reportPaths.timeline})`);
    if (link) console.log(`History: ${link}`);
    if (!values.exit && process.stdout.isTTY && cleanups.length > 0 && uiBase) {
      console.log('\nThe Web UI stays up: press Ctrl-C to stop.');
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    }
    return outcome.ok ? 0 : 1;
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  }
}

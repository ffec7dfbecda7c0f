/**
 * `durable-codex-agents scripted-model --port 4010` (`npm run scripted-model`): runs the scripted model on its own, for a worker in another process
 * or a chaos harness. It is a fixed script, not an LLM, and says so loudly.
 */
import { z } from 'zod';
import { ConfigError } from '../shared/errors';
import { startScriptedModel } from '../scripted-model';
import { flag, stringOption, type CliCommand, type ParsedCommandLine } from './command';

const OptionsSchema = z.object({
  port: z.coerce.number().int().min(0).max(65535),
  host: z.string().min(1),
  agentMs: z.coerce.number().int().nonnegative(),
  codexMs: z.coerce.number().int().nonnegative(),
  quiet: z.boolean(),
  apiKey: z.string().min(1).optional(),
});
export type ScriptedModelOptions = z.infer<typeof OptionsSchema>;

export const scriptedModelCommand: CliCommand = {
  name: 'scripted-model',
  summary: 'run the scripted model (a fixed script, not an LLM) on its own, for a worker in another process',
  declare: (cmd) =>
    cmd
      .option('-p, --port <port>', 'the port (0: any free one)', '4010')
      .option('--host <host>', 'the interface', '127.0.0.1')
      .option('--agent-latency <ms>', 'added to every agent answer', '0')
      .option('--codex-latency <ms>', 'added to every Codex model answer', '0')
      .option('--api-key <key>', 'accept only this Bearer key (default: any)')
      .option('-q, --quiet', 'do not log every request'),
  action: (parsed) => scriptedModel(scriptedModelOptions(parsed)),
  // Bad options are exit 2 (a ConfigError); a model that cannot start is exit 1, as before.
  failureCode: 1,
};

export function scriptedModelOptions({ options }: ParsedCommandLine): ScriptedModelOptions {
  const r = OptionsSchema.safeParse({
    port: stringOption(options, 'port'),
    host: stringOption(options, 'host'),
    agentMs: stringOption(options, 'agentLatency'),
    codexMs: stringOption(options, 'codexLatency'),
    quiet: flag(options, 'quiet'),
    apiKey: stringOption(options, 'apiKey'),
  });
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new ConfigError(`Invalid ${issue?.path.join('.') ?? 'option'}: ${issue?.message ?? 'invalid'}`);
  }
  return r.data;
}

/** Serves until SIGINT or SIGTERM; resolves to 0 once the model has closed. */
export async function scriptedModel(o: ScriptedModelOptions): Promise<number> {
  const model = await startScriptedModel({
    port: o.port,
    host: o.host,
    latency: { agentMs: o.agentMs, codexMs: o.codexMs },
    // Like a real endpoint it always wants a Bearer key; with --api-key only that one.
    apiKey: o.apiKey,
    log: o.quiet ? undefined : (line) => console.log(line),
  });
  const root = model.baseUrl.replace(/\/v1$/, '');
  console.log(
    [
      '==================================================================',
      '  SCRIPTED MODEL - NOT A REAL LLM',
      '  Every answer is a fixed, deterministic script (agents and Codex).',
      '==================================================================',
      `  Responses endpoint: ${model.baseUrl}`,
      `  Stats:   GET  ${root}/_scripted/stats`,
      `  Faults:  POST ${root}/_scripted/faults   (JSON array of rules)`,
      `  Latency: POST ${root}/_scripted/latency  {"agentMs":0,"codexMs":0}`,
      `  Reset:   POST ${root}/_scripted/reset`,
      `  Use it from a worker: SCRIPTED_MODEL_URL=${model.baseUrl} npm run worker`,
      `  or as a real endpoint: OPENAI_BASE_URL=${model.baseUrl} OPENAI_API_KEY=${o.apiKey ? '<the --api-key>' : '<any>'} npm run worker`,
      '  Ctrl+C to stop.',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  console.log('Scripted model stopping.');
  await model.close();
  return 0;
}

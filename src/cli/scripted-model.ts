/**
 * `npm run scripted-model -- --port 4010`: runs the scripted model on its own, for a worker in another process
 * or a chaos harness. It is a fixed script, not an LLM, and says so loudly.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { startScriptedModel } from '../scripted-model';

const USAGE =
  'Usage: npm run scripted-model -- [--port 4010] [--host 127.0.0.1] [--agent-latency MS] [--codex-latency MS] [--api-key KEY] [--quiet]';

const OptionsSchema = z.object({
  port: z.coerce.number().int().min(0).max(65535),
  host: z.string().min(1),
  agentMs: z.coerce.number().int().nonnegative(),
  codexMs: z.coerce.number().int().nonnegative(),
  quiet: z.boolean(),
  apiKey: z.string().min(1).optional(),
});

function parseOptions(argv: string[]): z.infer<typeof OptionsSchema> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', short: 'p', default: '4010' },
      host: { type: 'string', default: '127.0.0.1' },
      'agent-latency': { type: 'string', default: '0' },
      'codex-latency': { type: 'string', default: '0' },
      quiet: { type: 'boolean', short: 'q', default: false },
      'api-key': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  return OptionsSchema.parse({
    port: values.port,
    host: values.host,
    agentMs: values['agent-latency'],
    codexMs: values['codex-latency'],
    quiet: values.quiet,
    apiKey: values['api-key'],
  });
}

async function main(): Promise<void> {
  let o;
  try {
    o = parseOptions(process.argv.slice(2));
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    process.exit(2);
  }
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
  const stop = () => {
    console.log('Scripted model stopping.');
    model.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

/**
 * `durable-codex-agents <command>`: the one front door. Builds the program from ./commands and is the one place that
 * turns errors into `<command>: <message>` on stderr and an exit code (2 for bad input, configuration or an
 * unreachable service; a command's own failure code otherwise). `bin/durable-codex-agents.js` and the npm scripts
 * (`tsx src/cli/main.ts <command>`) call main().
 */
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../shared/errors';
import { commandFor, describeCliError, PROGRAM, type CliCommand } from './command';
import { COMMANDS } from './commands';

export interface CliOutput {
  out(text: string): void;
  err(text: string): void;
}

const STANDARD_OUTPUT: CliOutput = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** The program: one commander subcommand per CliCommand; `exitCode` receives what the action resolved to. */
export function buildProgram(
  commands: readonly CliCommand[] = COMMANDS,
  io: CliOutput = STANDARD_OUTPUT,
  exitCode: (code: number) => void = () => undefined,
): Command {
  const output = { writeOut: io.out, writeErr: io.err, outputError: () => undefined };
  const program = new Command(PROGRAM)
    .description('A gated multi-agent Codex pipeline that survives crashes: Temporal workflows, Codex as the hands.')
    .usage('<command> [options]')
    .exitOverride()
    .configureOutput(output)
    .addHelpText(
      'after',
      '\nThe npm scripts are aliases: npm run worker, npm run start-run -- --task FILE, npm run demo, ...\n' +
        `Help on one command: ${PROGRAM} <command> --help`,
    );
  for (const spec of commands) {
    const cmd = commandFor(spec).configureOutput(output);
    cmd.action(async function (this: Command) {
      exitCode(await spec.action({ args: [...this.args], options: this.opts() }));
    });
    program.addCommand(cmd);
  }
  return program;
}

/** Runs the command line (without `node` and the script); resolves to the exit code, never exits itself. */
export async function main(
  argv: readonly string[],
  commands: readonly CliCommand[] = COMMANDS,
  io: CliOutput = STANDARD_OUTPUT,
): Promise<number> {
  let code = 0;
  const program = buildProgram(commands, io, (c) => (code = c));
  const typed = argv.find((a) => !a.startsWith('-'));
  const spec = commands.find((c) => c.name === typed || c.aliases?.includes(typed ?? ''));
  // Errors carry the name as typed: `start-run: ...` from `npm run start-run`, `run: ...` from the bin.
  const label = spec ? (typed ?? spec.name) : PROGRAM;
  try {
    if (!typed && argv.length === 0) {
      io.err(program.helpInformation());
      return 2;
    }
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here; a usage error from the program (an unknown command) too.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
      const text = err.message.replace(/^error: /, '').replace(/\.$/, '');
      const hint = err.code === 'commander.help' ? '' : `. Usage: ${PROGRAM} <command> [options] (--help lists them)`;
      io.err(`${PROGRAM}: ${text.charAt(0).toUpperCase()}${text.slice(1)}${hint}\n`);
      return 2;
    }
    const describe = spec?.describeError ?? describeCliError;
    io.err(`${label}: ${describe(err)}\n`);
    return err instanceof ConfigError ? 2 : (spec?.failureCode ?? 2);
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}

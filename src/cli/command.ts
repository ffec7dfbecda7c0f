/**
 * What every command of `durable-codex-agents` is: a name, a commander declaration of its arguments and options
 * (help and unknown-flag errors are generated from it) and an action that resolves to the exit code. Commands are
 * listed in ./commands; ./main builds the program from that list and owns the one error handler.
 */
import { Command, CommanderError } from 'commander';
import type { z } from 'zod';
import { ConfigError } from '../shared/errors';

export const PROGRAM = 'durable-codex-agents';

/** What commander parsed: the positional arguments as typed and the options by their camelCase names. */
export interface ParsedCommandLine {
  args: string[];
  options: Record<string, unknown>;
}

export interface CliCommand {
  /** `durable-codex-agents <name>`. */
  name: string;
  /** Other names, e.g. `start-run` for `run` (the npm script's name); errors are prefixed with the name typed. */
  aliases?: readonly string[];
  /** One line for the program's help. */
  summary: string;
  /** Declares arguments and options on the command commander made for it (and may add help text). */
  declare(cmd: Command): void;
  /** Runs the command; resolves to its exit code (0 ok, 1 the run or check failed). */
  action(parsed: ParsedCommandLine): Promise<number>;
  /** Exit code for an error that is not the user's (default 2); doctor and the local servers say 1. */
  failureCode?: number;
  /** How an error reads after `<command>: ` (default: describeCliError). */
  describeError?(err: unknown): string;
}

/** A commander usage error (unknown flag, missing value, too many arguments) as one line that says where help is. */
export class UsageError extends ConfigError {}

/** What a command line needs to be parsed: the command without its action. */
export type CommandLine = Pick<CliCommand, 'name' | 'aliases' | 'summary' | 'declare'>;

/** The commander command for a CliCommand, without its action; parse errors throw (never exit the process). */
export function commandFor(spec: CommandLine): Command {
  const cmd = new Command(spec.name).description(spec.summary);
  if (spec.aliases?.length) cmd.aliases(spec.aliases);
  spec.declare(cmd);
  return cmd
    .exitOverride((err) => {
      throw usageError(cmd, err);
    })
    .configureOutput({ outputError: () => undefined });
}

/** `Usage: durable-codex-agents cancel [options] <workflowId>`. */
export function usageLine(cmd: Command): string {
  return `Usage: ${PROGRAM} ${cmd.name()} ${cmd.usage()}`;
}

function usageError(cmd: Command, err: CommanderError): CommanderError | UsageError {
  // Help and version are exits, not errors: main turns them into exit 0.
  if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help' || err.code === 'commander.version') {
    return err;
  }
  const text = err.message.replace(/^error: /, '').replace(/\.$/, '');
  return new UsageError(`${text.charAt(0).toUpperCase()}${text.slice(1)}. ${usageLine(cmd)} (--help lists them)`, {
    cause: err,
  });
}

/** Parses one command's argv alone (no program, no action): for tests and for `parseXArgs` helpers. */
export function parseCommandLine(spec: CommandLine, argv: readonly string[]): ParsedCommandLine {
  const cmd = commandFor(spec).configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  let parsed: ParsedCommandLine | undefined;
  // Commander calls the action with (...declared arguments, options, command); `this` is the command.
  cmd.action(function (this: Command) {
    parsed = { args: [...this.args], options: this.opts() };
  });
  try {
    cmd.parse([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) throw new UsageError(usageLine(cmd), { cause: err });
    throw err;
  }
  if (!parsed) throw new UsageError(usageLine(cmd));
  return parsed;
}

/** A string option as commander left it (undefined when absent). */
export function stringOption(options: Record<string, unknown>, name: string): string | undefined {
  const v = options[name];
  return typeof v === 'string' ? v : undefined;
}

/** A boolean flag as commander left it (false when absent). */
export function flag(options: Record<string, unknown>, name: string): boolean {
  return options[name] === true;
}

/** A CLI error as one line: a ConfigError's message as it is, anything else with its name. */
export function describeCliError(err: unknown): string {
  if (err instanceof ConfigError) return err.message;
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** Validates what commander parsed against a command's schema; the first problem, with the usage line, as a ConfigError. */
export function validArgs<T>(spec: CommandLine, schema: z.ZodType<T>, raw: unknown): T {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  throw new ConfigError(`${r.error.issues[0]?.message ?? 'invalid arguments'}. ${usageLine(commandFor(spec))}`);
}

/** The one line for a workflow id the namespace does not know (a typo, or another server or namespace). */
export function unknownWorkflow(workflowId: string, namespace: string, address: string, cause: unknown): ConfigError {
  return new ConfigError(`No workflow "${workflowId}" in namespace ${namespace} at ${address}`, { cause });
}

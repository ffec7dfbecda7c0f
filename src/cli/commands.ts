/**
 * Every command of `durable-codex-agents`, in the order help lists them. To add one, write a module that exports a
 * `CliCommand` (see ./command: name, summary, `declare(cmd)` for its options, `action` resolving to the exit code)
 * and add it here; an npm script alias (`"x": "tsx src/cli/main.ts x"`) is optional.
 */
import type { CliCommand } from './command';
import { approveCommand } from './approve';
import { cancelCommand } from './cancel';
import { demoCommand } from './demo';
import { doctorCommand } from './doctor';
import { mcpServerCommand } from './mcp-server';
import { ensureTemporalCommand } from './ensure-temporal';
import { reportCommand } from './report';
import { reviewCommand } from './review';
import { runCommand } from './run';
import { scriptedModelCommand } from './scripted-model';
import { teamsCommand } from './teams';
import { temporalCommand } from './temporal';
import { workerCommand } from './worker';

export const COMMANDS: readonly CliCommand[] = [
  runCommand,
  workerCommand,
  demoCommand,
  reviewCommand,
  approveCommand,
  cancelCommand,
  reportCommand,
  doctorCommand,
  mcpServerCommand,
  teamsCommand,
  temporalCommand,
  scriptedModelCommand,
  ensureTemporalCommand,
];

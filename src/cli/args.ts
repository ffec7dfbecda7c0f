/** `run`'s command line (commander declares it, zod checks it: one clear line on error), task files, workspaces. */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { flag, parseCommandLine, stringOption, type CommandLine } from './command';
import { ConfigError } from '../shared/errors';
import { parseDuration } from '../shared/team';

export const WORKFLOW_KINDS = ['multi', 'single'] as const;
export type WorkflowKind = (typeof WORKFLOW_KINDS)[number];
/** `--workflow` is an alias of `--team` for the built-in teams it used to name. */
export const TEAM_OF_WORKFLOW: Record<WorkflowKind, string> = { multi: 'cookbook', single: 'single' };
export const DEFAULT_TASK_FILE = path.join(__dirname, '..', '..', 'tasks', 'bug-busters.md');

export const StartRunOptionsSchema = z.object({
  /** Undefined: the default task (Bug Busters), or the cookbook's prompt for the single team. */
  task: z.string().min(1).optional(),
  /** A team file or the name of a built-in team (teams/NAME.yaml). */
  team: z.string().min(1),
  workflow: z.enum(WORKFLOW_KINDS).optional(),
  workspace: z.string().min(1).optional(),
  detach: z.boolean(),
  json: z.boolean(),
  approval: z.enum(['never', 'on-request']),
  approvalTimeoutMs: z.number().int().positive().optional(),
  id: z
    .string()
    .regex(/^[\w.@:-]+$/, 'may contain letters, digits and . _ @ : - only')
    .optional(),
  /** People in the loop (docs/people-in-the-loop.md). */
  review: z.array(z.string().regex(/^[a-z][a-z0-9_]*$/, 'role ids must match [a-z][a-z0-9_]*')).optional(),
  reviewTimeoutMs: z.number().int().positive().optional(),
  onReviewTimeout: z.enum(['fail', 'approve']).optional(),
  maxTokens: z.number().int().positive('must be a positive integer').optional(),
  maxTurns: z.number().int().positive('must be a positive integer').optional(),
  budgetWait: z.boolean(),
  /** A run on an existing repository (src/cli/repo.ts checks it before the run starts). */
  repo: z.string().min(1).optional(),
  base: z.string().min(1).optional(),
  branch: z.string().min(1).optional(),
  pushTo: z.string().min(1).optional(),
});
export type StartRunOptions = z.infer<typeof StartRunOptionsSchema>;

/** `run`'s arguments and options; the help commander prints is generated from these lines. */
export function declareRunOptions(cmd: Command): void {
  cmd
    .option(
      '-t, --task <file>',
      'the task list (default: tasks/bug-busters.md; for the single team, the cookbook prompt)',
    )
    .option('--team <file|name>', 'a team file or a built-in team, teams/NAME.yaml (default: cookbook)')
    .option('-w, --workflow <multi|single>', 'alias of --team cookbook|single')
    .option('--workspace <dir>', 'where the files go (inside WORKSPACE_ROOT, default runs/)')
    .option('--id <id>', 'the workflow id (default: generated)')
    .option('--detach', 'start it and return; follow it in the Web UI or with report')
    .option('--json', 'JSON lines on stdout: started, progress, finished')
    .option('--review <roles>', 'comma-separated role ids whose files wait for a person (see review)')
    .option('--review-timeout <duration>', 'how long a review may wait, e.g. 24h')
    .option('--on-review-timeout <fail|approve>', 'what a review that waited too long does')
    .option('--max-tokens <n>', 'a token budget for the whole run')
    .option('--max-turns <n>', 'at most N model turns per role')
    .option('--budget-wait', 'a spent budget waits for `review --raise-budget` instead of failing the run')
    .option('--approval <never|on-request>', 'Codex asks a person before commands and patches (see approve)', 'never')
    .option('--approval-timeout <duration>', 'how long an approval may wait, e.g. 10m')
    .option('--repo <path|url>', 'work on this git repository: clone it at --base, commit to --branch')
    .option('--base <branch>', 'with --repo: the branch to start from (default: its default branch)')
    .option('--branch <name>', 'with --repo: the branch the run works on (default: runs/<workflow id>)')
    .option('--push-to <remote>', "with --repo: push the run's branch here (default: the repository itself)");
}

export const RUN_COMMAND_LINE: CommandLine = {
  name: 'run',
  aliases: ['start-run'],
  summary: 'start a team run, show its progress until it ends, write its report',
  declare: declareRunOptions,
};

/** Parses `run`'s command line, as the CLI does. */
export function parseStartRunArgs(argv: string[]): StartRunOptions {
  return startRunOptions(parseCommandLine(RUN_COMMAND_LINE, argv).options);
}

/** Checks what commander parsed for `run`; every refusal is one line naming the flag. */
export function startRunOptions(values: Record<string, unknown>): StartRunOptions {
  const str = (name: string) => stringOption(values, name);
  const workflow = str('workflow');
  if (str('team') !== undefined && workflow !== undefined) throw new ConfigError('Give --team or --workflow, not both');
  for (const name of ['base', 'branch', 'pushTo'] as const) {
    if (str(name) !== undefined && str('repo') === undefined) {
      throw new ConfigError(`--${FLAG_OF[name] ?? name} needs --repo (the repository the run works on)`);
    }
  }
  const alias = (WORKFLOW_KINDS as readonly string[]).includes(workflow ?? '')
    ? TEAM_OF_WORKFLOW[workflow as WorkflowKind]
    : undefined;
  const parsed = StartRunOptionsSchema.safeParse({
    task: str('task'),
    team: alias ?? str('team') ?? 'cookbook',
    workflow,
    workspace: str('workspace'),
    detach: flag(values, 'detach'),
    json: flag(values, 'json'),
    id: str('id'),
    review: str('review')
      ?.split(',')
      .map((r) => r.trim())
      .filter(Boolean),
    reviewTimeoutMs: durationArg('review-timeout', str('reviewTimeout')),
    onReviewTimeout: str('onReviewTimeout'),
    maxTokens: numberArg(str('maxTokens')),
    maxTurns: numberArg(str('maxTurns')),
    budgetWait: flag(values, 'budgetWait'),
    approval: str('approval') ?? 'never',
    approvalTimeoutMs: durationArg('approval-timeout', str('approvalTimeout')),
    repo: str('repo'),
    base: str('base'),
    branch: str('branch'),
    pushTo: str('pushTo'),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = FLAG_OF[String(issue?.path[0])] ?? issue?.path.join('.') ?? 'arguments';
    const detail =
      field === 'workflow'
        ? `unknown workflow "${workflow}" (use multi or single)`
        : field === 'approval'
          ? `"${str('approval')}" (use never or on-request)`
          : issue?.message;
    throw new ConfigError(`Invalid --${field}: ${detail}`);
  }
  return parsed.data;
}

const FLAG_OF: Record<string, string> = {
  reviewTimeoutMs: 'review-timeout',
  onReviewTimeout: 'on-review-timeout',
  maxTokens: 'max-tokens',
  maxTurns: 'max-turns',
  pushTo: 'push-to',
};

/** A number flag; NaN (not a number) fails the schema with the flag's name. */
const numberArg = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));

/** `10m`, `90s`, `24h`: a duration flag in milliseconds; a bad one is a user error. */
function durationArg(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) throw new ConfigError(`Invalid --${name}: "${text}" (e.g. 90s, 10m, 24h)`);
  return ms;
}

/** Reads a task list; missing, unreadable, empty or oversized files are user errors. */
export async function readTaskFile(file: string): Promise<string> {
  let size: number;
  try {
    const s = await stat(file);
    if (!s.isFile()) throw new ConfigError(`Task file ${file} is not a file`);
    size = s.size;
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`Task file ${file} not found`, { cause: err });
  }
  if (size > 64 * 1024) throw new ConfigError(`Task file ${file} is too large (${size} bytes; the limit is 64 KiB)`);
  const text = await readFile(file, 'utf8');
  if (text.includes('\u0000')) throw new ConfigError(`Task file ${file} is not a text file`);
  if (text.trim().length === 0) throw new ConfigError(`Task file ${file} is empty`);
  return text;
}

/** A user-chosen workspace must lie inside the workspace root (the worker checks again). */
export function checkWorkspace(root: string, requested: string | undefined): string | undefined {
  if (requested === undefined) return undefined;
  const abs = path.resolve(requested);
  const rel = path.relative(root, abs);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new ConfigError(`Workspace ${abs} is outside the allowed root ${root} (set WORKSPACE_ROOT to change it)`);
  }
  return abs;
}

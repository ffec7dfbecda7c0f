/**
 * The one CLI, `durable-codex-agents <command>`, without a server: the program lists every command, help works per
 * command, unknown commands and flags are one line and exit 2, each command parses a representative command line,
 * the one error handler prefixes errors with the command and picks the exit code; the bin works from another
 * directory.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseStartRunArgs } from '../src/cli/args';
import { parseCommandLine, type CliCommand } from '../src/cli/command';
import { COMMANDS } from '../src/cli/commands';
import { parseApproveArgs } from '../src/cli/approve';
import { parseCancelArgs } from '../src/cli/cancel';
import { demoCommand } from '../src/cli/demo';
import { doctorCommand } from '../src/cli/doctor';
import { main } from '../src/cli/main';
import { parseReportArgs } from '../src/cli/report';
import { parseReviewArgs } from '../src/cli/review';
import { scriptedModelCommand, scriptedModelOptions } from '../src/cli/scripted-model';
import { teamsCommand } from '../src/cli/teams';
import { devServerArgs, temporalCommand } from '../src/cli/temporal';
import { ConfigError } from '../src/shared/errors';

const ROOT = path.join(__dirname, '..');
const NAMES = [
  'run',
  'worker',
  'demo',
  'review',
  'approve',
  'cancel',
  'report',
  'doctor',
  'mcp-server',
  'teams',
  'temporal',
  'scripted-model',
  'ensure-temporal',
];

/** Runs the program in this process, with what it writes captured. */
async function cli(argv: string[], commands: readonly CliCommand[] = COMMANDS) {
  let out = '';
  let err = '';
  const code = await main(argv, commands, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

describe('durable-codex-agents', () => {
  it('lists every command in its help', async () => {
    const r = await cli(['--help']);
    assert.equal(r.code, 0);
    for (const name of NAMES) assert.match(r.out, new RegExp(`^  ${name}\\b`, 'm'), name);
    assert.deepEqual(
      COMMANDS.map((c) => c.name),
      NAMES,
    );
  });

  it('prints its help on stderr and exits 2 without a command', async () => {
    const r = await cli([]);
    assert.equal(r.code, 2);
    assert.match(r.err, /^Usage: durable-codex-agents <command>/);
  });

  it('has help for each command, with its options', async () => {
    for (const name of [...NAMES, 'start-run']) {
      const r = await cli([name, '--help']);
      assert.equal(r.code, 0, name);
      const shown = name === 'start-run' ? 'run' : name;
      assert.match(r.out, new RegExp(`^Usage: durable-codex-agents ${shown}\\b`), name);
    }
    assert.match((await cli(['run', '--help'])).out, /--team <file\|name>[\s\S]*--max-tokens <n>/);
    assert.match((await cli(['help', 'cancel'])).out, /--no-wait/);
  });

  it('refuses an unknown command and an unknown flag in one line, exit 2', async () => {
    const unknown = await cli(['nope']);
    assert.equal(unknown.code, 2);
    assert.equal(
      unknown.err,
      "durable-codex-agents: Unknown command 'nope'. Usage: durable-codex-agents <command> [options] (--help lists them)\n",
    );
    for (const name of [...NAMES, 'start-run']) {
      const r = await cli([name, 'wf-1', '--bogus']);
      assert.equal(r.code, 2, name);
      assert.equal(r.err.split('\n').length, 2, `${name}: one line: ${r.err}`);
      assert.match(r.err, new RegExp(`^${name}: (Unknown option '--bogus'|Too many arguments)`), name);
    }
    const missing = await cli(['report']);
    assert.equal(
      missing.err,
      "report: Missing required argument 'workflowId'. Usage: durable-codex-agents report [options] <workflowId> (--help lists them)\n",
    );
  });
});

describe('each command parses its command line', () => {
  it('run (alias start-run)', () => {
    const o = parseStartRunArgs(['--team', 'single', '--task', 't.md', '--id', 'r-1', '--json', '--max-turns', '3']);
    assert.equal(o.team, 'single');
    assert.equal(o.task, 't.md');
    assert.equal(o.id, 'r-1');
    assert.equal(o.json, true);
    assert.equal(o.maxTurns, 3);
    assert.equal(o.detach, false);
    assert.equal(parseStartRunArgs(['-w', 'single']).team, 'single');
    assert.throws(() => parseStartRunArgs(['--team', 'x', '--workflow', 'single']), /Give --team or --workflow/);
  });

  it('worker, doctor and ensure-temporal take no arguments (doctor: --json)', () => {
    assert.deepEqual(parseCommandLine(doctorCommand, ['--json']).options, { json: true });
    for (const c of COMMANDS.filter((x) => x.name === 'worker' || x.name === 'ensure-temporal')) {
      assert.throws(() => parseCommandLine(c, ['x']), /Too many arguments/, c.name);
    }
  });

  it('demo', () => {
    const { options } = parseCommandLine(demoCommand, ['--team', 'single', '--exit']);
    assert.deepEqual(options, { team: 'single', exit: true });
  });

  it('review, approve, cancel, report', () => {
    assert.deepEqual(parseReviewArgs(['wf', '--approve', '--role', 'designer']), {
      workflowId: 'wf',
      json: false,
      role: 'designer',
      approve: true,
      changes: undefined,
      raiseTokens: undefined,
      raiseTurns: undefined,
    });
    assert.deepEqual(parseApproveArgs(['wf', '--all'], 'me@h').decision, {
      ids: [],
      all: true,
      decision: 'approve',
      by: 'me@h',
    });
    assert.deepEqual(parseCancelArgs(['wf', '-r', 'why', '--no-wait']), {
      workflowId: 'wf',
      reason: 'why',
      wait: false,
    });
    assert.deepEqual(parseReportArgs(['wf', '--run-id', 'r1', '-o', 'out', '--json']), {
      workflowId: 'wf',
      runId: 'r1',
      out: 'out',
      json: true,
    });
  });

  it('teams', () => {
    assert.deepEqual(parseCommandLine(teamsCommand, ['a.yaml', 'single', '--json']), {
      args: ['a.yaml', 'single'],
      options: { json: true },
    });
  });

  it('temporal', () => {
    const a = devServerArgs(parseCommandLine(temporalCommand, ['--port', '7300', '--headless']), {});
    assert.equal(a.port, 7300);
    assert.equal(a.headless, true);
    assert.equal(devServerArgs(parseCommandLine(temporalCommand, []), { TEMPORAL_DEV_PORT: '7400' }).port, 7400);
    assert.throws(
      () => devServerArgs(parseCommandLine(temporalCommand, ['--headless', '--ui-port', '1']), {}),
      /--headless and --ui-port exclude each other/,
    );
  });

  it('scripted-model', () => {
    const o = scriptedModelOptions(parseCommandLine(scriptedModelCommand, ['-p', '0', '--agent-latency', '50', '-q']));
    assert.deepEqual(o, { port: 0, host: '127.0.0.1', agentMs: 50, codexMs: 0, quiet: true, apiKey: undefined });
    assert.throws(
      () => scriptedModelOptions(parseCommandLine(scriptedModelCommand, ['--port', 'http'])),
      (e: unknown) => e instanceof ConfigError && /Invalid port/.test(e.message),
    );
  });
});

describe('the one error handler and the registration point', () => {
  const fake = (action: CliCommand['action'], more: Partial<CliCommand> = {}): CliCommand => ({
    name: 'added',
    summary: 'a command added with one entry',
    declare: (cmd) => cmd.option('--port <port>', 'a port'),
    action,
    ...more,
  });

  it('runs a command added to the list, with its options, and returns its exit code', async () => {
    let seen: unknown;
    const cmd = fake(async (parsed) => {
      seen = parsed;
      return 1;
    });
    const r = await cli(['added', '--port', '9'], [...COMMANDS, cmd]);
    assert.equal(r.code, 1);
    assert.deepEqual(seen, { args: [], options: { port: '9' } });
    assert.match((await cli(['--help'], [...COMMANDS, cmd])).out, /added \[options\] +a command added/);
  });

  it('prints `<command>: <message>`: exit 2 for a ConfigError, the failure code for anything else', async () => {
    const bad = await cli(['added'], [fake(() => Promise.reject(new ConfigError('no such run')))]);
    assert.deepEqual(bad, { code: 2, out: '', err: 'added: no such run\n' });
    const broken = await cli(['added'], [fake(() => Promise.reject(new TypeError('boom')), { failureCode: 1 })]);
    assert.deepEqual(broken, { code: 1, out: '', err: 'added: TypeError: boom\n' });
    const plain = await cli(['added'], [fake(() => Promise.reject(new Error('down')))]);
    assert.equal(plain.code, 2);
  });
});

describe('bin/durable-codex-agents.js', () => {
  it('runs from another directory (as after npm link)', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'durable-codex-agents.js'), 'teams', '--json'], {
      cwd: tmpdir(),
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const teams = JSON.parse(r.stdout) as { name: string; roles: unknown[] }[];
    assert.ok(teams.some((t) => t.name === 'cookbook' && t.roles.length === 5));
  });
});

/**
 * Bad input gets a clear error, and nothing is started or written where it should not be:
 * - start-run (`src/cli/main.ts start-run`, run as a child process): malformed, empty or missing task files, invalid options,
 *   a workspace outside the allowed root, an unreachable Temporal -> exit code 2 and one line on stderr;
 * - workflows started directly with bad input -> a ConfigError / WorkspaceError at once, no workspace, no model call;
 * - a model whose tool call names a directory or files outside the workspace -> the model is told, Codex's sandbox
 *   refuses the write, nothing lands outside, and the run still completes.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { readHistory } from '../src/report/history';
import { startLocalStack, type LocalStack } from '../src/runtime/local-stack';
import { codexPrompt } from '../src/scripted-model';
import { COOKBOOK_TEAM } from '../src/shared/builtin-teams';
import type { RunResult } from '../src/shared/types';
import { findFreePort } from '../src/temporal/dev-server';
import {
  responseJson,
  startModelProxy,
  startProxiedWorker,
  type ModelProxy,
  type ProxiedWorker,
} from './helpers/model-proxy';

const REPO = path.resolve(__dirname, '..');
const TSX = pathToFileURL(require.resolve('tsx')).href;

let stack: LocalStack;
let proxy: ModelProxy;
let worker: ProxiedWorker;
let cwd: string;

before(async () => {
  stack = await startLocalStack({ inProcessWorker: false });
  proxy = await startModelProxy(stack.scripted.baseUrl);
  worker = await startProxiedWorker(stack, proxy, { taskQueue: stack.taskQueue });
  cwd = await mkdtemp(path.join(tmpdir(), 'dca-bad-input-'));
});
after(async () => {
  await worker?.stop();
  await proxy?.close();
  await stack?.stop();
  if (cwd) await rm(cwd, { recursive: true, force: true });
});

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `node --import tsx src/cli/main.ts <command> ...args` from an empty directory, so anything it writes would show there. */
function cli(command: 'start-run' | 'worker', args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', TSX, path.join(REPO, 'src', 'cli', 'main.ts'), command, ...args],
      {
        cwd,
        env: {
          ...process.env,
          TEMPORAL_ADDRESS: stack.address,
          TEMPORAL_NAMESPACE: stack.namespace,
          TASK_QUEUE: stack.taskQueue,
          WORKSPACE_ROOT: path.join(cwd, 'runs'),
          OPENAI_API_KEY: '',
          ...env,
        },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function workflowCount(): Promise<number> {
  let n = 0;
  for await (const _ of stack.client.workflow.list()) n += 1;
  return n;
}

describe('start-run refuses bad input with exit code 2 and one line, starting nothing', () => {
  it('task files, options, workspace, unreachable Temporal', async () => {
    await writeFile(path.join(cwd, 'empty.md'), '  \n\n');
    await writeFile(path.join(cwd, 'binary.md'), Buffer.from([0x23, 0x20, 0x00, 0x01, 0x02]));
    await writeFile(path.join(cwd, 'huge.md'), 'x'.repeat(70 * 1024));
    const closedPort = await findFreePort();
    const before = await workflowCount();
    const cases: { name: string; args: string[]; env?: NodeJS.ProcessEnv; stderr: RegExp }[] = [
      { name: 'missing task file', args: ['--task', 'nope.md'], stderr: /^start-run: Task file nope\.md not found$/ },
      { name: 'empty task file', args: ['--task', 'empty.md'], stderr: /^start-run: Task file empty\.md is empty$/ },
      { name: 'binary task file', args: ['--task', 'binary.md'], stderr: /is not a text file$/ },
      {
        name: 'oversized task file',
        args: ['--task', 'huge.md'],
        stderr: /is too large \(71680 bytes; the limit is 64 KiB\)$/,
      },
      {
        name: 'unknown workflow',
        args: ['--workflow', 'triple'],
        stderr: /Invalid --workflow: unknown workflow "triple"/,
      },
      { name: 'unknown flag', args: ['--bogus'], stderr: /Unknown option '--bogus'/ },
      { name: 'bad id', args: ['--id', 'no spaces/allowed'], stderr: /Invalid --id: may contain letters/ },
      {
        name: 'workspace outside the root',
        args: ['--workspace', '/etc'],
        stderr: /^start-run: Workspace \/etc is outside the allowed root .*runs \(set WORKSPACE_ROOT to change it\)$/,
      },
      {
        name: 'unreachable Temporal',
        args: [],
        env: { TEMPORAL_ADDRESS: `127.0.0.1:${closedPort}` },
        stderr: new RegExp(
          `^start-run: Cannot reach Temporal at 127\\.0\\.0\\.1:${closedPort}: .*(refused|ECONNREFUSED)`,
        ),
      },
    ];
    const results = await Promise.all(cases.map((c) => cli('start-run', c.args, c.env)));
    cases.forEach((c, i) => {
      const r = results[i]!;
      assert.equal(r.code, 2, `${c.name}: exit code (stderr: ${r.stderr})`);
      const lines = r.stderr.trimEnd().split('\n');
      assert.match(lines[0] ?? '', c.stderr, c.name);
      // One line, plus the usage line for option errors; never a stack trace.
      assert.ok(lines.length === 1 || (lines.length === 2 && /^Usage:/.test(lines[1] ?? '')), `${c.name}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /^\s+at /m, `${c.name}: no stack trace`);
    });
    assert.equal(await workflowCount(), before, 'no workflow was started');
    assert.deepEqual(readdirSync(cwd).sort(), ['binary.md', 'empty.md', 'huge.md'], 'nothing was written');
  });

  it('the worker, too, says in one line that Temporal is unreachable', async () => {
    const closedPort = await findFreePort();
    const r = await cli('worker', [], {
      TEMPORAL_ADDRESS: `127.0.0.1:${closedPort}`,
      SCRIPTED_MODEL_URL: stack.scripted.baseUrl,
    });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr.trim(), new RegExp(`^worker: Cannot reach Temporal at 127\\.0\\.0\\.1:${closedPort}: .*$`));
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  });
});

/** The cookbook's roles with the Project Manager waiting for the Tester: a cycle through the whole team. */
function cyclicRoles() {
  return COOKBOOK_TEAM.roles.map((r) => (r.id === 'project_manager' ? { ...r, after: ['tester'] } : r));
}

describe('start-run refuses a bad team file with exit code 2 and one line, starting nothing', () => {
  it('cycles, unknown or duplicate ids, escaping or shared paths, empty instructions, unknown teams', async () => {
    const dir = path.join(cwd, 'bad-teams');
    await mkdir(dir, { recursive: true });
    const base = [
      'name: t',
      'roles:',
      '  - id: analyst',
      '    instructions: Classify.',
      '    deliverables:',
      '      - path: changes/classified.md',
      '  - id: writer',
      '    after: [analyst]',
      '    instructions: Write.',
      '    deliverables:',
      '      - path: notes/notes.md',
      '',
    ].join('\n');
    const files: Record<string, string> = {
      'unknown.yaml': base.replace('after: [analyst]', 'after: [foo]'),
      'cycle.yaml': base.replace('  - id: analyst\n', '  - id: analyst\n    after: [writer]\n'),
      'duplicate.yaml': base.replace('id: writer', 'id: analyst'),
      'escape.yaml': base.replace('notes/notes.md', '../../etc/notes.md'),
      'shared.yaml': base.replace('notes/notes.md', 'changes/classified.md'),
      'empty.yaml': base.replace('instructions: Write.', 'instructions: ""'),
      'broken.yaml': base.replace('after: [analyst]', 'after: [analyst'),
    };
    for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
    const before = await workflowCount();
    const f = (name: string) => `bad-teams/${name}`;
    const cases: { args: string[]; stderr: string | RegExp }[] = [
      {
        args: ['--team', f('unknown.yaml')],
        stderr: `bad-teams/unknown.yaml:8: roles[1].after[0]: unknown role "foo"`,
      },
      {
        args: ['--team', f('cycle.yaml')],
        stderr: 'bad-teams/cycle.yaml:4: roles[0].after: cycle of waits: analyst waits for writer waits for analyst',
      },
      {
        args: ['--team', f('duplicate.yaml')],
        stderr: 'bad-teams/duplicate.yaml:7: roles[1].id: duplicate role id "analyst"',
      },
      {
        args: ['--team', f('escape.yaml')],
        stderr:
          'bad-teams/escape.yaml:11: roles[1].deliverables[0].path: path "../../etc/notes.md" escapes the workspace',
      },
      {
        args: ['--team', f('shared.yaml')],
        stderr:
          'bad-teams/shared.yaml:11: roles[1].deliverables[0].path: path "changes/classified.md" is already a deliverable of role "analyst"',
      },
      { args: ['--team', f('empty.yaml')], stderr: 'bad-teams/empty.yaml:9: roles[1].instructions: must not be empty' },
      { args: ['--team', f('broken.yaml')], stderr: /^bad-teams\/broken\.yaml:9: invalid YAML: / },
      { args: ['--team', f('missing.yaml')], stderr: 'Team file bad-teams/missing.yaml not found' },
      {
        args: ['--team', 'nope'],
        stderr: 'Unknown team "nope" (built-in teams: change, cookbook, single; or give a file)',
      },
    ];
    const results = await Promise.all(cases.map((c) => cli('start-run', c.args)));
    cases.forEach((c, i) => {
      const r = results[i]!;
      assert.equal(r.code, 2, `${c.args.join(' ')}: exit code (stderr: ${r.stderr})`);
      const line = r.stderr.trimEnd();
      assert.equal(line.split('\n').length, 1, `one line: ${r.stderr}`);
      if (typeof c.stderr === 'string') assert.equal(line, `start-run: ${c.stderr}`);
      else assert.match(line.replace(/^start-run: /, ''), c.stderr);
    });
    assert.equal(await workflowCount(), before, 'no workflow was started');
  });
});

async function failedWith(h: WorkflowHandle): Promise<ApplicationFailure> {
  const err = await h.result().then(
    () => assert.fail('expected the run to fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof WorkflowFailedError, String(err));
  let cause: unknown = err.cause;
  while (cause && !(cause instanceof ApplicationFailure)) cause = (cause as Error).cause;
  assert.ok(cause instanceof ApplicationFailure, String(err.cause));
  return cause;
}

describe('workflows started directly with bad input fail at once', () => {
  const start = (type: string, args: unknown[], id: string) =>
    stack.client.workflow.start(type, { taskQueue: stack.taskQueue, workflowId: `${id}-${Date.now()}`, args });

  it('empty or missing task list, invalid options: ConfigError before any activity', async () => {
    const cases: { type: string; args: unknown[]; message: RegExp }[] = [
      { type: 'multiAgentWorkflow', args: [{ taskList: '  ' }], message: /taskList must be a non-empty string/ },
      { type: 'multiAgentWorkflow', args: [], message: /expected an object with a taskList/ },
      { type: 'multiAgentWorkflow', args: [{ taskList: 42 }], message: /taskList must be a non-empty string/ },
      {
        type: 'multiAgentWorkflow',
        args: [{ taskList: 'x', sandbox: 'yolo' }],
        message: /sandbox must be one of read-only, workspace-write, danger-full-access/,
      },
      {
        type: 'multiAgentWorkflow',
        args: [{ taskList: 'x', tuning: { heartbeatTimeoutMs: -5 } }],
        message: /tuning\.heartbeatTimeoutMs must be an integer/,
      },
      { type: 'singleAgentWorkflow', args: [{ prompt: '' }], message: /prompt must be a non-empty string/ },
      {
        type: 'singleAgentWorkflow',
        args: [{ maxTurnsPerAgent: 0 }],
        message: /maxTurnsPerAgent must be an integer from 1/,
      },
      { type: 'teamWorkflow', args: [{ team: COOKBOOK_TEAM, task: ' ' }], message: /task must be a non-empty string/ },
      {
        type: 'teamWorkflow',
        args: [{ team: COOKBOOK_TEAM, task: 'x', maxConcurrentRoles: 0 }],
        message: /maxConcurrentRoles must be an integer from 1 to 100/,
      },
      {
        type: 'teamWorkflow',
        // A team started from the Web UI or another client is checked like a team file: here, a cycle.
        args: [{ task: 'x', team: { ...COOKBOOK_TEAM, roles: cyclicRoles() } }],
        message: /^Invalid input: team: roles\[0\]\.after: cycle of waits: project_manager waits for tester/,
      },
    ];
    const handles = await Promise.all(cases.map((c, i) => start(c.type, c.args, `bad-input-${i}`)));
    for (const [i, h] of handles.entries()) {
      const f = await failedWith(h);
      assert.equal(f.type, 'ConfigError', `case ${i}`);
      assert.equal(f.nonRetryable, true);
      assert.match(f.message, cases[i]!.message);
      const history = readHistory(await h.fetchHistory());
      assert.equal(history.activities.length, 0, `case ${i}: no activity ran`);
    }
    // The root holds the worker's own dot files (its host id); a run's workspace would be a directory named for it.
    const entries = existsSync(stack.workspaceRoot) ? readdirSync(stack.workspaceRoot) : [];
    assert.deepEqual(
      entries.filter((n) => !n.startsWith('.')),
      [],
      'no workspace',
    );
  });

  it('a workspace outside the allowed root: WorkspaceError, no directory, no model call', async () => {
    const outside = path.join(stack.dir, 'outside-the-root');
    const h = await start('singleAgentWorkflow', [{ workspace: outside }], 'bad-workspace');
    const f = await failedWith(h);
    assert.equal(f.type, 'WorkspaceError');
    assert.match(f.message, /is outside the allowed root/);
    assert.equal(existsSync(outside), false);
    assert.equal(proxy.requests.filter((r) => r.run === h.workflowId).length, 0);
  });
});

describe('a model naming places outside the workspace', () => {
  it('is told when its Codex call sets cwd "../..", and Codex cannot write "../../escape.html"', async (t) => {
    const workflowId = `bad-model-cwd-${Date.now()}`;
    const escape = '../../escape.html';
    // The Game Developer's first turn asks Codex to work two levels up and to write a file there.
    proxy.answer = (req) => {
      if (req.run !== workflowId || req.kind !== 'agent' || req.role !== 'game_developer') return undefined;
      if ((req.body.input as unknown[]).length !== 1) return undefined;
      const prompt = codexPrompt({
        roleTitle: 'Game Developer',
        taskList: 'Design brief: a tiny game.',
        files: [
          { path: escape, required: true, purpose: 'outside' },
          { path: 'index.html', required: true, purpose: 'the game' },
        ],
      });
      const args = { prompt, cwd: '../..', 'approval-policy': 'never', sandbox: 'workspace-write' };
      return {
        body: responseJson([
          {
            type: 'function_call',
            id: 'fc_evil',
            call_id: 'call_evil',
            name: 'codex',
            arguments: JSON.stringify(args),
          },
        ]),
      };
    };
    try {
      const h = await stack.client.workflow.start('singleAgentWorkflow', {
        taskQueue: stack.taskQueue,
        workflowId,
        args: [{ tuning: { retryInitialIntervalMs: 200 } }],
      });
      const result = (await h.result()) as RunResult;
      const ws = result.workspace;
      assert.ok(existsSync(path.join(ws, 'index.html')), 'the game was still built');
      assert.equal(existsSync(path.resolve(ws, escape)), false, 'nothing was written outside the workspace');
      assert.equal(existsSync(path.resolve(ws, '../..', 'index.html')), false);

      const history = readHistory(await h.fetchHistory());
      // The model was told: its next turn's input carries the error as the tool output.
      const turn2 = history.activities.find((a) => a.summary === 'Game Developer: model turn 2');
      const told = JSON.stringify((turn2?.input as { input?: unknown } | undefined)?.input ?? '');
      assert.match(told, /Error: cwd \\"\.\.\/\.\.\\" is outside the workspace/);
      // Codex always ran in the workspace itself.
      for (const a of history.activities.filter((x) => x.type === 'codexCall')) {
        assert.equal((a.input as { cwd?: string }).cwd, ws);
      }
      // The model then asked Codex for ../../escape.html without cwd: Codex's sandbox refused the patch.
      const outputs = proxy.requests
        .filter((r) => r.run === workflowId && r.kind === 'codex')
        .flatMap((r) => (r.body.input as { type?: string; output?: unknown }[]) ?? [])
        .filter((i) => i.type === 'custom_tool_call_output')
        .map((i) => JSON.stringify(i.output));
      const refusal = outputs.find((o) => /rejected|outside|not permitted|denied/i.test(o) && !/Success/.test(o));
      assert.ok(refusal, `Codex refused the patch outside the workspace: ${outputs.join(' | ')}`);
      t.diagnostic(`Codex said: ${refusal}`);
    } finally {
      proxy.answer = undefined;
    }
  });
});

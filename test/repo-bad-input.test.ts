/**
 * `start-run --repo` refuses a repository it cannot work on before anything starts: exit code 2, one line, nothing
 * pushed (every repository's refs are compared before and after). The refusals go through the CLI's main() in this
 * process (the same front door the bin calls; a spawned CLI costs seconds each on a loaded machine); the warning case
 * runs the CLI as a child process. The CLI is pointed at a closed port: each refusal
 * must come from the repository checks, which run before Temporal is contacted; a repository that passes them gets
 * as far as "Cannot reach Temporal". Uncommitted changes in a local repository are a warning, not a refusal.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { main } from '../src/cli/main';
import { runRequest, type TeamToolDeps } from '../src/mcp-server/team-tools';
import { findFreePort } from '../src/temporal/dev-server';
import { waitFor } from './helpers/crash';

const ROOT = path.resolve(__dirname, '..');
const TSX = pathToFileURL(require.resolve('tsx')).href;
let dir: string;
let daemon: ChildProcess | undefined;
let closedPort: number;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'dca-repo-bad-'));
  closedPort = await findFreePort();
});
after(async () => {
  if (daemon?.pid) {
    try {
      process.kill(-daemon.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  await rm(dir, { recursive: true, force: true });
});

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

function startRun(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', TSX, path.join(ROOT, 'src/cli/main.ts'), 'start-run', ...args], {
      cwd: dir,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: `127.0.0.1:${closedPort}`,
        WORKSPACE_ROOT: path.join(dir, 'runs'),
        OPENAI_API_KEY: '',
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `start-run ...args` through the CLI's main() with TEMPORAL_ADDRESS at a closed port: its exit code and output. */
async function startRunHere(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const saved = { address: process.env.TEMPORAL_ADDRESS, root: process.env.WORKSPACE_ROOT };
  process.env.TEMPORAL_ADDRESS = `127.0.0.1:${closedPort}`;
  process.env.WORKSPACE_ROOT = path.join(dir, 'runs');
  try {
    const code = await main(['start-run', ...args], undefined, {
      out: (t) => (stdout += t),
      err: (t) => (stderr += t),
    });
    return { code, stdout, stderr };
  } finally {
    for (const [k, v] of [
      ['TEMPORAL_ADDRESS', saved.address],
      ['WORKSPACE_ROOT', saved.root],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** Every ref of every repository in the test, to prove nothing was pushed. */
const refsOf = (repos: string[]) => repos.map((r) => git(r, 'for-each-ref', '--format=%(refname) %(objectname)'));

describe('start-run --repo refuses what it cannot work on, before anything starts', () => {
  it('exit 2 and one line for each refusal; a warning for uncommitted changes', async () => {
    const repo = path.join(dir, 'project');
    execFileSync('git', ['init', '-q', '-b', 'main', repo]);
    await writeFile(path.join(repo, 'index.js'), 'module.exports = 1;\n');
    git(repo, 'add', '-A');
    git(repo, '-c', 'user.name=U', '-c', 'user.email=u@x', 'commit', '-q', '-m', 'first');
    git(repo, 'branch', 'taken');
    const plain = path.join(dir, 'plain');
    await mkdir(plain);
    // A read-only remote: a git daemon that serves fetches but not pushes (no receive-pack).
    const served = path.join(dir, 'served');
    await mkdir(served);
    execFileSync('git', ['clone', '-q', '--bare', repo, path.join(served, 'ro.git')]);
    const port = await findFreePort();
    daemon = spawn(
      'git',
      [
        'daemon',
        '--reuseaddr',
        '--export-all',
        `--base-path=${served}`,
        '--listen=127.0.0.1',
        `--port=${port}`,
        served,
      ],
      { detached: true, stdio: 'ignore' },
    );
    const readOnly = `git://127.0.0.1:${port}/ro.git`;
    await waitFor(
      'git daemon',
      () => {
        try {
          execFileSync('git', ['ls-remote', readOnly], { stdio: 'ignore' });
          return true;
        } catch {
          return undefined;
        }
      },
      10_000,
      100,
    );
    const unreachable = `git://127.0.0.1:${closedPort}/nothing.git`;
    const repos = [repo, path.join(served, 'ro.git')];
    const refsBefore = refsOf(repos);

    const cases: { name: string; args: string[]; stderr: RegExp }[] = [
      { name: 'not a git repository', args: ['--repo', plain], stderr: /^start-run: Not a git repository: .*plain$/ },
      {
        name: 'missing path',
        args: ['--repo', path.join(dir, 'nope')],
        stderr: /^start-run: Repository .*nope not found$/,
      },
      {
        name: 'unknown base branch',
        args: ['--repo', repo, '--base', 'develop'],
        stderr: /^start-run: Unknown base branch "develop" in .*project \(branches: main, taken\)$/,
      },
      {
        name: 'branch already on the remote',
        args: ['--repo', repo, '--branch', 'taken'],
        stderr: /^start-run: Branch taken already exists on .*project: choose another --branch/,
      },
      {
        name: 'unreachable repository',
        args: ['--repo', unreachable],
        stderr: new RegExp(
          `^start-run: Repository git://127\\.0\\.0\\.1:${closedPort}/nothing\\.git is unreachable: \\S`,
        ),
      },
      {
        name: 'unreachable push remote',
        args: ['--repo', repo, '--push-to', unreachable],
        stderr: /^start-run: Remote git:\/\/.*nothing\.git is unreachable: \S/,
      },
      {
        name: 'read-only push remote',
        args: ['--repo', repo, '--push-to', readOnly],
        stderr: new RegExp(`^start-run: Remote git://127\\.0\\.0\\.1:${port}/ro\\.git does not accept pushes: \\S`),
      },
      { name: '--base without --repo', args: ['--base', 'main'], stderr: /^start-run: --base needs --repo/ },
      { name: 'bad branch name', args: ['--repo', repo, '--branch', 'a..b'], stderr: /Invalid --branch: "a\.\.b"/ },
    ];
    for (const c of cases) {
      const r = await startRunHere(c.args);
      assert.equal(r.code, 2, `${c.name}: exit code (stderr: ${r.stderr})`);
      const lines = r.stderr.trimEnd().split('\n');
      assert.match(lines[0] ?? '', c.stderr, c.name);
      assert.ok(lines.length === 1 || (lines.length === 2 && /^Usage:/.test(lines[1] ?? '')), `${c.name}: ${r.stderr}`);
      assert.equal(r.stdout, '', `${c.name}: nothing started`);
    }

    // Uncommitted changes: said once, then the run would start (here it stops at the closed Temporal port).
    await writeFile(path.join(repo, 'index.js'), 'module.exports = 2;\n');
    const dirty = await startRun(['--repo', repo, '--id', 'dirty-run']);
    const lines = dirty.stderr.trimEnd().split('\n');
    assert.equal(dirty.code, 2, dirty.stderr);
    assert.match(
      lines[0] ?? '',
      /^Warning: .*project has uncommitted changes; the run starts from the committed main \([0-9a-f]{12}\), without them$/,
    );
    assert.match(lines[1] ?? '', /^start-run: Cannot reach Temporal at 127\.0\.0\.1:/);
    assert.deepEqual(refsOf(repos), refsBefore, 'nothing was pushed anywhere');
  });

  it('run_team (MCP) takes the same repository fields, with the same checks', async () => {
    const repo = path.join(dir, 'mcp-project');
    execFileSync('git', ['init', '-q', '-b', 'trunk', repo]);
    await writeFile(path.join(repo, 'a.py'), 'x = 1\n');
    git(repo, 'add', '-A');
    git(repo, '-c', 'user.name=U', '-c', 'user.email=u@x', 'commit', '-q', '-m', 'first');
    const warnings: string[] = [];
    const deps = {
      taskQueue: 'q',
      hostQueue: 'q-host',
      settings: { workspaceRoot: path.join(dir, 'runs') },
      log: { info: () => undefined, warn: (m: string) => warnings.push(m) },
      cwd: dir,
    } as unknown as TeamToolDeps;
    const task = '# T\nAdd `clamp`.\nTest command: python3 -m unittest -q\n';
    const req = await runRequest({ team: 'change', task, repo: 'mcp-project' }, deps);
    assert.equal(req.kind, 'team');
    const input = req.input as import('../src/shared/types').TeamRunInput;
    assert.deepEqual(input.repo, {
      source: repo,
      base: 'trunk',
      baseCommit: git(repo, 'rev-parse', 'trunk'),
      branch: `runs/${req.workflowId}`,
    });
    assert.equal(input.team.roles.find((r) => r.verify)?.verify?.command, 'python3 -m unittest -q');
    await assert.rejects(
      runRequest({ team: 'change', task, repo: 'mcp-project', base: 'nope' }, deps),
      /^ArgumentError: repo: Unknown base branch "nope"/,
    );
    await assert.rejects(
      runRequest({ team: 'change', task, branch: 'x' }, deps),
      /^ArgumentError: repo: base, branch and pushTo need repo/,
    );
    assert.deepEqual(warnings, []);
  });
});

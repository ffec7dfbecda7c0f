/**
 * The change team on a real open-source project (idna 3.20, its sdist from PyPI, with its own unittest suite), end to
 * end on real parts (Temporal dev server, the real Codex binary, the namespaces sandbox, the scripted model), started
 * with the CLI as a user would: `start-run --repo <local clone> --team change`. The branch gets one commit per
 * finished step (author = the role), the reviewer sends one change back and approves the second round, the
 * repository's own tests pass in the verification round, and the base branch and the working tree are untouched.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startLocalStack, type LocalStack } from '../src/runtime/local-stack';
import { git, IDNA_TEST_COMMAND, idnaRepo } from './helpers/idna-repo';

const ROOT = path.resolve(__dirname, '..');

let stack: LocalStack;
let dir: string;

before(async () => {
  stack = await startLocalStack();
  dir = await mkdtemp(path.join(tmpdir(), 'dca-change-'));
});
after(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function startRun(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'start-run', ...args],
      {
        cwd: ROOT,
        env: { ...stack.workerEnv(), TASK_QUEUE: stack.taskQueue },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the change team on a real project (idna from PyPI)', () => {
  it('plans, implements and tests in parallel, revises after review, passes the project tests, leaves main alone', async () => {
    const { repo, task } = await idnaRepo(dir);
    const base = git(repo, 'rev-parse', 'main');
    const treeBefore = git(repo, 'ls-files', '-s');
    const id = `e2e-change-${Date.now()}`;
    const r = await startRun(['--repo', repo, '--team', 'change', '--task', task, '--id', id]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);

    const branch = `runs/${id}`;
    // One commit per finished step, authored by its role: the review's revision and second round are steps too.
    const authors = git(repo, 'log', '--reverse', '--format=%an', `${base}..${branch}`).split('\n');
    assert.deepEqual(authors.slice(0, 1), ['Planner']);
    assert.deepEqual([...authors.slice(1, 3)].sort(), ['Implementer', 'Test Writer']);
    assert.deepEqual(authors.slice(3), ['Reviewer', 'Implementer', 'Reviewer']);

    const changed = git(repo, 'diff', '--name-only', base, branch).split('\n').sort();
    assert.deepEqual(changed, ['README.md', 'idna/clamp.py', 'tests/test_clamp.py']);
    const clamp = git(repo, 'show', `${branch}:idna/clamp.py`);
    assert.match(clamp, /def clamp\(value, low, high\):/);
    assert.match(clamp, /raise ValueError/, "the reviewer's change landed");
    assert.match(git(repo, 'show', `${branch}:README.md`), /- `clamp\(value, low, high\)` \(in `idna\/clamp\.py`\)/);

    // The project's own tests, in a clean checkout of the branch (not the run's workspace).
    const check = path.join(dir, 'check');
    git(dir, 'clone', '-q', '--branch', branch, repo, check);
    const out = execFileSync('python3', IDNA_TEST_COMMAND.split(' ').slice(1), {
      cwd: check,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    assert.equal(out, '');

    // The base is byte-identical: its ref, its tree, the working tree.
    assert.equal(git(repo, 'rev-parse', 'main'), base);
    assert.equal(git(repo, 'ls-files', '-s'), treeBefore);
    assert.equal(git(repo, 'status', '--porcelain'), '');

    // start-run said where the work is and how to open a pull request; it lists the changed files only.
    assert.match(
      r.stdout,
      /Run completed\. Changed files in \S+:\n {2}README\.md \(\d+ bytes\)\n {2}idna\/clamp\.py \(\d+ bytes\)\n {2}tests\/test_clamp\.py \(\d+ bytes\)\n/,
    );
    assert.match(
      r.stdout,
      new RegExp(`Branch ${branch.replace(/[/]/g, '\\/')}: ${base.slice(0, 12)}\\.\\.[0-9a-f]{12}`),
    );
    assert.match(
      r.stdout,
      /Pull request: gh pr create --base main --head runs\/e2e-change-\d+ --body-file \S+PULL_REQUEST\.md/,
    );

    const report = await readFile(r.stdout.match(/Report: (\S+REPORT\.md)/)?.[1] ?? '', 'utf8');
    assert.match(
      report,
      /## Changes against main\n\nBase [0-9a-f]{12}, head [0-9a-f]{12}: 3 file\(s\), \+\d+ -0\. Clone of the base \(shallow\): \d+\.\d s\./,
    );
    assert.match(report, /round 1: passed/);
    assert.match(report, /idna\/clamp\.py \| \+\d+ -0/);
  });
});

/**
 * Git-backed workspaces with the real git binary: a run's repository and its claimed branch, one commit per step
 * (author = the role) pushed to the remote, a host move that clones the last pushed commit on a clean checkout, and
 * bad remotes (an existing branch of another run, unreachable, read-only behind a real `git daemon`) refused in one
 * line, not retried.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import {
  createGitWorkspace,
  createGitWorkspaceActivities,
  defaultRemote,
  gateThenCommit,
} from '../src/activities/git-workspace';
import { createWorkspaceActivities } from '../src/activities/workspace';
import { ConfigError, WorkspaceError, WorkspaceLostError } from '../src/shared/errors';
import { findFreePort } from '../src/temporal/dev-server';
import { waitFor } from './helpers/crash';

let dir: string;
const daemons: ChildProcess[] = [];
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'dca-git-'));
});
after(async () => {
  for (const d of daemons) {
    try {
      process.kill(-(d.pid ?? 0), 'SIGKILL');
    } catch {
      // gone
    }
  }
  await rm(dir, { recursive: true, force: true });
});

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
const hostA = { host: 'host-a', hostQueue: 'q-host-host-a' };
const file = (p: string) => ({ path: p, size: 3, sha256: 'ab'.repeat(32) });

describe('a run workspace is a git repository with one pushed commit per step', () => {
  it('creates the branch on the default bare remote, commits each step as its role, keeps reports out', async () => {
    const root = path.join(dir, 'one');
    const ws = createGitWorkspace({ workspaceRoot: root, ...hostA });
    const p = await ws.prepare({ workflowId: 'wf-1', runId: 'run-1' });
    assert.equal(p.workspace, path.join(root, 'wf-1'));
    assert.equal(p.branch, 'runs/wf-1');
    assert.equal(p.remote, defaultRemote(root));
    assert.equal(p.host, 'host-a');
    assert.equal(p.commits, 1);
    assert.equal(git(p.workspace, 'branch', '--show-current'), 'runs/wf-1');

    await writeFile(path.join(p.workspace, 'REQUIREMENTS.md'), 'req');
    await writeFile(path.join(p.workspace, 'REPORT.md'), 'report');
    const input = { workspace: p.workspace, workflowId: 'wf-1', runId: 'run-1', branch: p.branch };
    const c1 = await ws.commitStep({
      ...input,
      role: 'project_manager',
      title: 'Project Manager',
      files: [file('REQUIREMENTS.md')],
    });
    await mkdir(path.join(p.workspace, 'design'));
    await writeFile(path.join(p.workspace, 'design', 'design_spec.md'), 'spec');
    const c2 = await ws.commitStep({
      ...input,
      role: 'designer',
      title: 'Designer',
      files: [file('design/design_spec.md')],
    });
    assert.equal(c2.commits, 3);
    assert.equal(c2.host, 'host-a');
    // A retried commit (its answer lost) commits nothing twice.
    const again = await ws.commitStep({
      ...input,
      role: 'designer',
      title: 'Designer',
      files: [file('design/design_spec.md')],
    });
    assert.equal(again.commit, c2.commit);

    const remote = defaultRemote(root);
    assert.equal(git(remote, 'rev-parse', 'runs/wf-1'), c2.commit, 'pushed before the step counts as finished');
    const log = git(remote, 'log', '--format=%an <%ae>|%s', 'runs/wf-1').split('\n');
    assert.deepEqual(log, [
      'Designer <designer@agents.local>|Designer: design/design_spec.md',
      'Project Manager <project_manager@agents.local>|Project Manager: REQUIREMENTS.md',
      'durable-codex-agents <run@agents.local>|Run wf-1 started',
    ]);
    const body = git(remote, 'log', '-1', '--format=%B', c1.commit);
    assert.match(body, new RegExp(`REQUIREMENTS.md  3 bytes  sha256:${'ab'.repeat(32)}`));
    assert.match(body, /^Host: host-a$/m);
    assert.match(body, /^Run-Id: run-1$/m);
    assert.deepEqual(git(remote, 'ls-tree', '-r', '--name-only', 'runs/wf-1').split('\n'), [
      'REQUIREMENTS.md',
      'design/design_spec.md',
    ]);
  });

  it('workers starting runs at the same moment on one disk all find the default remote whole', async () => {
    const root = path.join(dir, 'race');
    // One instance per worker process, as each worker has its own; started a few milliseconds apart.
    const runs = Array.from({ length: 8 }, (_, i) =>
      new Promise<void>((r) => setTimeout(r, i % 4)).then(() =>
        createGitWorkspace({ workspaceRoot: root, ...hostA }).prepare({ workflowId: `wf-r${i}`, runId: `run-r${i}` }),
      ),
    );
    const placed = await Promise.all(runs);
    assert.equal(placed.length, 8);
    const heads = git(defaultRemote(root), 'for-each-ref', '--format=%(refname)', 'refs/heads/runs/');
    assert.equal(heads.split('\n').length, 8, 'every run pushed its branch');
    assert.deepEqual(
      (await readdir(root)).filter((f) => f.endsWith('.tmp')),
      [],
      'no half-made remote left beside it',
    );
  });

  it('a parallel step commits only its own paths', async () => {
    const root = path.join(dir, 'parallel');
    const ws = createGitWorkspace({ workspaceRoot: root, ...hostA });
    const p = await ws.prepare({ workflowId: 'wf-p', runId: 'run-p' });
    await mkdir(path.join(p.workspace, 'frontend'));
    await mkdir(path.join(p.workspace, 'backend'));
    await writeFile(path.join(p.workspace, 'frontend', 'index.html'), '<p>');
    await writeFile(path.join(p.workspace, 'backend', 'half.js'), '//');
    const input = { workspace: p.workspace, workflowId: 'wf-p', runId: 'run-p', branch: p.branch };
    const [fe] = await Promise.all([
      ws.commitStep({
        ...input,
        role: 'frontend',
        title: 'Frontend Developer',
        files: [],
        paths: ['frontend', 'nope'],
      }),
      ws.commitStep({ ...input, role: 'tester', title: 'Tester', files: [], paths: ['tests'] }),
    ]);
    assert.ok(fe.commits >= 2);
    assert.equal(git(p.workspace, 'ls-tree', '-r', '--name-only', 'HEAD'), 'frontend/index.html');
  });

  it("a commit retried after its git was killed holding the index lock commits; a live git's lock is left alone", async () => {
    const root = path.join(dir, 'locks');
    const ws = createGitWorkspace({ workspaceRoot: root, ...hostA });
    const p = await ws.prepare({ workflowId: 'wf-l', runId: 'run-l' });
    const lock = path.join(p.workspace, '.git', 'index.lock');
    const input = { workspace: p.workspace, workflowId: 'wf-l', runId: 'run-l', branch: p.branch };
    // A live git in the workspace (it waits on its stdin) holds the lock: its lock is not ours to take.
    const live = spawn('git', ['hash-object', '--stdin'], { cwd: p.workspace, stdio: ['pipe', 'ignore', 'ignore'] });
    await waitFor('the live git', () => (live.pid && existsSync(`/proc/${live.pid}`)) || undefined, 5_000);
    await writeFile(lock, '');
    await writeFile(path.join(p.workspace, 'REQUIREMENTS.md'), 'req');
    await assert.rejects(
      ws.commitStep({ ...input, role: 'project_manager', title: 'Project Manager', files: [] }),
      /index\.lock': File exists/,
    );
    assert.equal(existsSync(lock), true, "the live git's lock is kept");
    live.kill('SIGKILL');
    await new Promise((r) => live.once('exit', r));
    // Its git died holding the lock (as when the worker is SIGKILLed with its process group): the retry commits.
    const c = await ws.commitStep({ ...input, role: 'project_manager', title: 'Project Manager', files: [] });
    assert.equal(existsSync(lock), false);
    assert.equal(c.commits, 2);
    assert.equal(git(p.workspace, 'fsck', '--no-progress'), '');
  });

  it('a host move clones the last pushed commit on a clean checkout; partial files are gone', async () => {
    const remote = path.join(dir, 'shared.git');
    execFileSync('git', ['init', '--bare', '-q', remote]);
    const a = createGitWorkspace({ workspaceRoot: path.join(dir, 'disk-a'), remote, ...hostA });
    const b = createGitWorkspace({ workspaceRoot: path.join(dir, 'disk-b'), remote, host: 'host-b', hostQueue: 'q-b' });
    const p = await a.prepare({ workflowId: 'wf-m', runId: 'run-m' });
    await writeFile(path.join(p.workspace, 'done.md'), 'done');
    const input = { workspace: p.workspace, workflowId: 'wf-m', runId: 'run-m', branch: p.branch };
    const c = await a.commitStep({ ...input, role: 'project_manager', title: 'Project Manager', files: [] });
    await writeFile(path.join(p.workspace, 'partial.md'), 'half');
    const moved = await b.prepare({ workflowId: 'wf-m', runId: 'run-m', fromCommit: c.commit, lostHost: 'host-a' });
    assert.equal(moved.host, 'host-b');
    assert.equal(moved.commit, c.commit);
    assert.equal(await readFile(path.join(moved.workspace, 'done.md'), 'utf8'), 'done');
    assert.equal(existsSync(path.join(moved.workspace, 'partial.md')), false);

    // The lost host had pushed a commit the workflow never recorded: the step done again goes on top, not forced.
    await a.commitStep({ ...input, role: 'designer', title: 'Designer', files: [] });
    await writeFile(path.join(moved.workspace, 'spec.md'), 'spec');
    const redo = await b.commitStep({
      ...input,
      workspace: moved.workspace,
      role: 'designer',
      title: 'Designer',
      files: [],
    });
    assert.equal(git(remote, 'rev-parse', 'runs/wf-m'), redo.commit);
    assert.equal(redo.commits, 4);
    await rm(moved.workspace, { recursive: true, force: true });
    await assert.rejects(
      b.commitStep({ ...input, workspace: moved.workspace, role: 'tester', title: 'Tester', files: [] }),
      WorkspaceLostError,
    );
  });
});

describe("a step's gate commits and pushes the step once it passed (issue 22: one activity, not two)", () => {
  it('a shut gate commits nothing; the gate that passes pushes the commit, its deliverables among its own paths', async () => {
    const root = path.join(dir, 'gate');
    const ws = createGitWorkspace({ workspaceRoot: root, ...hostA });
    const gateAndCommit = gateThenCommit(
      (i) => new MockActivityEnvironment().run(createWorkspaceActivities({ workspaceRoot: root }).checkDeliverables, i),
      (i) => ws.commitStep(i),
    );
    const p = await ws.prepare({ workflowId: 'wf-g', runId: 'run-g' });
    const commit = { workflowId: 'wf-g', runId: 'run-g', branch: p.branch, role: 'frontend', title: 'Frontend' };
    const gate = { workspace: p.workspace, gate: 'Frontend', required: ['index.html'], optional: [] };
    // A sibling still working: only the step's own paths (Codex reported none here), its deliverables added.
    const own = { ...gate, commit: { ...commit, paths: [] } };
    await writeFile(path.join(p.workspace, 'half.js'), '//');

    const shut = await gateAndCommit(own);
    assert.deepEqual([shut.missing, shut.commit], [['index.html'], undefined]);
    assert.equal(git(defaultRemote(root), 'rev-list', '--count', p.branch), '1', 'nothing committed');

    await writeFile(path.join(p.workspace, 'index.html'), '<p>');
    const passed = await gateAndCommit(own);
    assert.deepEqual(passed.missing, []);
    assert.equal(passed.commit?.commits, 2);
    assert.equal(git(defaultRemote(root), 'rev-parse', p.branch), passed.commit?.commit, 'pushed before it answers');
    assert.equal(git(p.workspace, 'ls-tree', '-r', '--name-only', 'HEAD'), 'index.html', "the sibling's file left out");
    assert.match(git(p.workspace, 'log', '-1', '--format=%B'), /^index\.html {2}3 bytes {2}sha256:/m);
    // Retried after a lost answer: gated again, committed nothing twice.
    assert.equal((await gateAndCommit(own)).commit?.commit, passed.commit?.commit);
    // Without `commit` it is the plain gate.
    assert.equal((await gateAndCommit(gate)).commit, undefined);
  });
});

describe('bad remotes fail the first step with one clear line', () => {
  it('never overwrites a branch another run made; the same run retrying its first step adopts it', async () => {
    const remote = path.join(dir, 'taken.git');
    execFileSync('git', ['init', '--bare', '-q', remote]);
    const first = createGitWorkspace({ workspaceRoot: path.join(dir, 'taken-a'), remote, ...hostA });
    const p = await first.prepare({ workflowId: 'wf-t', runId: 'run-1' });
    const again = await first.prepare({ workflowId: 'wf-t', runId: 'run-1' });
    assert.equal(again.commit, p.commit);
    const other = createGitWorkspace({ workspaceRoot: path.join(dir, 'taken-b'), remote, ...hostA });
    await assert.rejects(other.prepare({ workflowId: 'wf-t', runId: 'run-2' }), (err: unknown) => {
      assert.ok(err instanceof WorkspaceError);
      assert.match(err.message, /already has branch runs\/wf-t from another run .*not overwriting it/);
      assert.doesNotMatch(err.message, /\n/);
      return true;
    });
    assert.equal(git(remote, 'rev-parse', 'runs/wf-t'), p.commit, 'the branch is untouched');
  });

  it('a first step killed before its first commit is taken up again; an empty repository not of this run is refused', async () => {
    const root = path.join(dir, 'killed-prepare');
    const ws = createGitWorkspace({ workspaceRoot: root, ...hostA });
    // Killed right after `git init` (before the run's marker), and after the marker and the remote.
    const justInit = path.join(root, 'wf-k1');
    await mkdir(justInit, { recursive: true });
    git(justInit, 'init', '-q', '-b', 'runs/wf-k1');
    await writeFile(path.join(justInit, 'notes.txt'), 'x');
    const p1 = await ws.prepare({ workflowId: 'wf-k1', runId: 'run-k1' });
    assert.equal(p1.commits, 1);
    assert.equal(git(defaultRemote(root), 'rev-parse', 'runs/wf-k1'), p1.commit, 'the first commit pushed');
    assert.match(git(justInit, 'log', '-1', '--format=%B'), /Run-Id: run-k1/);
    const marked = path.join(root, 'wf-k2');
    await mkdir(marked, { recursive: true });
    git(marked, 'init', '-q', '-b', 'runs/wf-k2');
    git(marked, 'remote', 'add', 'origin', defaultRemote(root));
    await writeFile(path.join(marked, '.git', 'durable-codex-agents-run'), 'run-k2\n');
    assert.equal((await ws.prepare({ workflowId: 'wf-k2', runId: 'run-k2' })).commits, 1);

    // Another run's marker, or a directory the user named holding their own empty repository: not ours to redo.
    const others = path.join(root, 'wf-k3');
    await mkdir(others, { recursive: true });
    git(others, 'init', '-q', '-b', 'runs/wf-k3');
    await writeFile(path.join(others, '.git', 'durable-codex-agents-run'), 'run-other\n');
    const users = path.join(root, 'mine');
    await mkdir(users, { recursive: true });
    git(users, 'init', '-q');
    for (const [input, where] of [
      [{ workflowId: 'wf-k3', runId: 'run-k3' }, others],
      [{ workflowId: 'wf-k4', runId: 'run-k4', requested: 'mine' }, users],
    ] as const) {
      await assert.rejects(ws.prepare(input), (err: unknown) => {
        assert.ok(err instanceof WorkspaceError);
        assert.equal(err.message, `Workspace ${where} is already a git repository of another run`);
        return true;
      });
      assert.ok(existsSync(path.join(where, '.git')), 'left as it was');
    }
  });

  it('an unreachable remote is a ConfigError in one line, non-retryable at the activity boundary', async () => {
    const port = await findFreePort();
    for (const remote of [path.join(dir, 'no-such.git'), `git://127.0.0.1:${port}/x.git`]) {
      const acts = createGitWorkspaceActivities({ workspaceRoot: path.join(dir, 'unreach'), remote, ...hostA });
      await assert.rejects(
        new MockActivityEnvironment().run(acts.prepareWorkspace, { workflowId: 'wf-u', runId: 'r' }),
        (err: unknown) => {
          assert.ok(err instanceof ApplicationFailure, String(err));
          assert.equal(err.type, 'ConfigError');
          assert.equal(err.nonRetryable, true);
          assert.ok(err.cause instanceof ConfigError);
          assert.match(
            err.message,
            new RegExp(`^Workspace remote ${remote.replace(/[.]/g, '\\.')} is unreachable: \\S`),
          );
          assert.doesNotMatch(err.message, /\n/);
          return true;
        },
      );
    }
  });

  it('a read-only remote (git daemon without receive-pack) refuses the first push in one line', async () => {
    const base = path.join(dir, 'daemon');
    await mkdir(base);
    execFileSync('git', ['init', '--bare', '-q', path.join(base, 'ro.git')]);
    const port = await findFreePort();
    const d = spawn(
      'git',
      ['daemon', '--reuseaddr', '--export-all', `--base-path=${base}`, '--listen=127.0.0.1', `--port=${port}`, base],
      { detached: true, stdio: 'ignore' },
    );
    daemons.push(d);
    const remote = `git://127.0.0.1:${port}/ro.git`;
    await waitFor(
      'git daemon',
      () => {
        try {
          execFileSync('git', ['ls-remote', remote], { stdio: 'ignore' });
          return true;
        } catch {
          return undefined;
        }
      },
      10_000,
      100,
    );
    const ws = createGitWorkspace({ workspaceRoot: path.join(dir, 'ro-disk'), remote, ...hostA });
    await assert.rejects(ws.prepare({ workflowId: 'wf-ro', runId: 'r' }), (err: unknown) => {
      assert.ok(err instanceof ConfigError, String(err));
      assert.match(
        err.message,
        new RegExp(`^Workspace remote git://127\\.0\\.0\\.1:${port}/ro\\.git refused the push of runs/wf-ro: \\S`),
      );
      assert.doesNotMatch(err.message, /\n/);
      return true;
    });
    assert.equal(git(path.join(base, 'ro.git'), 'branch', '--list'), '', 'nothing was written');
  });
});

/**
 * Runs on an existing repository, with the real git binary: the workspace is a shallow clone of the base commit on the
 * run's branch, each step's commit (author = the role) is pushed to the repository (or `pushTo`), the base branch is
 * never touched, a host move clones the base again and fetches only the run's commits, and a branch someone else
 * made is never taken over.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createGitWorkspace } from '../src/activities/git-workspace';
import { WorkspaceError } from '../src/shared/errors';
import type { RepoSpec } from '../src/shared/placement';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'dca-repo-ws-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
const hostA = { host: 'host-a', hostQueue: 'q-host-host-a' };
const hostB = { host: 'host-b', hostQueue: 'q-host-host-b' };

/** A user's repository: three commits on main, and a checked-out working tree with uncommitted edits. */
async function userRepo(name: string): Promise<{ repo: string; base: string }> {
  const repo = path.join(dir, name);
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
  for (const [i, text] of ['one', 'two', 'three'].entries()) {
    await writeFile(path.join(repo, 'lib.js'), `module.exports = '${text}';\n`);
    git(repo, 'add', '-A');
    git(repo, '-c', 'user.name=U', '-c', 'user.email=u@x', 'commit', '-q', '-m', `c${i}`);
  }
  await writeFile(path.join(repo, 'lib.js'), 'uncommitted\n');
  return { repo, base: git(repo, 'rev-parse', 'main') };
}

describe('a run on an existing repository', () => {
  it('clones the base shallowly, pushes one commit per step to the run branch, leaves the base alone', async () => {
    const { repo, base } = await userRepo('user');
    const spec: RepoSpec = { source: repo, base: 'main', baseCommit: base, branch: 'agents/fix' };
    const ws = createGitWorkspace({ workspaceRoot: path.join(dir, 'root-a'), ...hostA });
    const p = await ws.prepare({ workflowId: 'wf-r1', runId: 'run-r1', repo: spec });
    assert.equal(p.branch, 'agents/fix');
    assert.equal(p.commit, base);
    assert.equal(p.baseCommit, base);
    assert.equal(p.commits, 1);
    assert.ok(typeof p.cloneMs === 'number' && p.cloneMs >= 0);
    assert.equal(git(p.workspace, 'rev-list', '--count', 'HEAD'), '1', 'a shallow clone: one commit deep');
    assert.equal(await readFile(path.join(p.workspace, 'lib.js'), 'utf8'), "module.exports = 'three';\n");
    assert.equal(git(repo, 'branch', '--list', 'agents/fix'), '', 'nothing pushed before a step finished');

    await writeFile(path.join(p.workspace, 'lib.js'), "module.exports = 'four';\n");
    const input = { workspace: p.workspace, workflowId: 'wf-r1', runId: 'run-r1', branch: p.branch, repo: spec };
    const c1 = await ws.commitStep({ ...input, role: 'implementer', title: 'Implementer', files: [] });
    assert.equal(c1.commits, 2);
    assert.equal(git(repo, 'rev-parse', 'agents/fix'), c1.commit, 'pushed to the repository itself');
    assert.equal(git(repo, 'log', '-1', '--format=%an <%ae>', 'agents/fix'), 'Implementer <implementer@agents.local>');
    assert.equal(git(repo, 'rev-parse', 'main'), base, 'the base branch is untouched');
    assert.equal(await readFile(path.join(repo, 'lib.js'), 'utf8'), 'uncommitted\n', 'the working tree too');

    // Host B takes the run over at the last pushed commit: base cloned again, the run's commits fetched on top.
    const b = createGitWorkspace({ workspaceRoot: path.join(dir, 'root-b'), ...hostB });
    const moved = await b.prepare({ workflowId: 'wf-r1', runId: 'run-r1', repo: spec, fromCommit: c1.commit });
    assert.equal(moved.commit, c1.commit);
    assert.equal(moved.commits, 2);
    assert.equal(await readFile(path.join(moved.workspace, 'lib.js'), 'utf8'), "module.exports = 'four';\n");
    await writeFile(path.join(moved.workspace, 'test.js'), 'ok\n');
    const c2 = await b.commitStep({
      ...input,
      workspace: moved.workspace,
      role: 'test_writer',
      title: 'Test Writer',
      files: [],
    });
    assert.equal(c2.commits, 3);
    assert.equal(git(repo, 'rev-list', '--count', `${base}..agents/fix`), '2');
    assert.equal(git(repo, 'rev-parse', 'main'), base);

    // A move before any step finished starts again from the base.
    const fresh = await b.prepare({
      workflowId: 'wf-r2',
      runId: 'run-r2',
      repo: { ...spec, branch: 'agents/two' },
      fromCommit: base,
    });
    assert.equal(fresh.commit, base);
  });

  it('pushes to pushTo when given, and never takes over a branch it did not make', async () => {
    const { repo, base } = await userRepo('user2');
    const fork = path.join(dir, 'fork.git');
    execFileSync('git', ['clone', '-q', '--bare', repo, fork]);
    const spec: RepoSpec = { source: repo, base: 'main', baseCommit: base, branch: 'agents/x', pushTo: fork };
    const ws = createGitWorkspace({ workspaceRoot: path.join(dir, 'root-c'), ...hostA });
    const p = await ws.prepare({ workflowId: 'wf-p', runId: 'run-p', repo: spec });
    await writeFile(path.join(p.workspace, 'README.md'), 'hi\n');
    const c = await ws.commitStep({
      workspace: p.workspace,
      workflowId: 'wf-p',
      runId: 'run-p',
      branch: p.branch,
      repo: spec,
      role: 'planner',
      title: 'Planner',
      files: [],
    });
    assert.equal(git(fork, 'rev-parse', 'agents/x'), c.commit);
    assert.equal(git(repo, 'branch', '--list', 'agents/x'), '', 'the source got nothing');

    // Someone's own branch of the same name: a new run refuses it, naming the branch.
    git(repo, 'branch', 'agents/mine', 'main~1');
    await assert.rejects(
      ws.prepare({ workflowId: 'wf-q', runId: 'run-q', repo: { ...spec, pushTo: undefined, branch: 'agents/mine' } }),
      (err: unknown) => err instanceof WorkspaceError && /already has branch agents\/mine/.test(err.message),
    );
    assert.equal(git(repo, 'rev-parse', 'agents/mine'), git(repo, 'rev-parse', 'main~1'));
  });
});

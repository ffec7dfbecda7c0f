/** Workspace confinement, deliverable gates and start-run input validation: bad input is refused clearly. */
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createWorkspaceActivities, resolveWorkspace } from '../src/activities/workspace';
import { checkWorkspace, parseStartRunArgs, readTaskFile } from '../src/cli/args';
import { ConfigError } from '../src/shared/errors';
import { projectName } from '../src/shared/naming';
import type { GateResult } from '../src/shared/types';

let root: string;
before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'dca-ws-'));
});
after(() => rm(root, { recursive: true, force: true }));

describe('workspace activities', () => {
  it('creates <root>/<workflowId> and refuses paths outside the root', async () => {
    const acts = createWorkspaceActivities({ workspaceRoot: root });
    const dir = await new MockActivityEnvironment().run(acts.createWorkspace, { workflowId: 'wf-1' });
    assert.equal(dir, path.join(root, 'wf-1'));
    assert.throws(
      () => resolveWorkspace(root, { workflowId: 'wf', requested: '../elsewhere' }),
      /outside the allowed root/,
    );
    assert.throws(() => resolveWorkspace(root, { workflowId: 'wf', requested: '/etc' }), /outside the allowed root/);
    assert.throws(() => resolveWorkspace(root, { workflowId: '../x' }), /cannot name a directory/);
    assert.equal(resolveWorkspace(root, { workflowId: 'wf', requested: 'mine' }), path.join(root, 'mine'));
  });

  it('gates on required files, records sizes and hashes, treats empty files as missing', async () => {
    const ws = path.join(root, 'gate');
    await mkdir(path.join(ws, 'design'), { recursive: true });
    await writeFile(path.join(ws, 'REQUIREMENTS.md'), 'req');
    await writeFile(path.join(ws, 'TEST.md'), '');
    await writeFile(path.join(ws, 'design', 'wireframe.md'), 'wire');
    const acts = createWorkspaceActivities({ workspaceRoot: root });
    const res: GateResult = await new MockActivityEnvironment().run(acts.checkDeliverables, {
      workspace: ws,
      gate: 'PM',
      required: ['REQUIREMENTS.md', 'TEST.md', 'AGENT_TASKS.md'],
      optional: ['design/wireframe.md', 'design/none.md'],
    });
    assert.deepEqual(res.missing, ['TEST.md', 'AGENT_TASKS.md']);
    assert.deepEqual(
      res.present.map((f) => [f.path, f.size]),
      [
        ['REQUIREMENTS.md', 3],
        ['design/wireframe.md', 4],
      ],
    );
    assert.match(res.present[0]?.sha256 ?? '', /^[0-9a-f]{64}$/);
  });

  it('refuses deliverable paths that escape the workspace, even through a symlink', async () => {
    const ws = path.join(root, 'escape');
    await mkdir(ws, { recursive: true });
    await symlink(tmpdir(), path.join(ws, 'link'));
    const acts = createWorkspaceActivities({ workspaceRoot: root });
    for (const bad of ['../outside.md', '/etc/passwd', 'link/x.md']) {
      await assert.rejects(
        new MockActivityEnvironment().run(acts.checkDeliverables, {
          workspace: ws,
          gate: 'g',
          required: [bad],
          optional: [],
        }),
        (err: unknown) => err instanceof ApplicationFailure && err.type === 'WorkspaceError' && err.nonRetryable,
      );
    }
  });
});

describe('start-run arguments', () => {
  it('accepts the documented options and rejects unknown ones with usage', () => {
    const o = parseStartRunArgs(['--task', 'x.md', '--workflow', 'single', '--detach']);
    assert.equal(o.task, 'x.md');
    assert.equal(o.workflow, 'single');
    assert.equal(o.detach, true);
    assert.throws(() => parseStartRunArgs(['--workflow', 'triple']), /unknown workflow "triple"/);
    assert.throws(
      () => parseStartRunArgs(['--bogus']),
      (e: unknown) => e instanceof ConfigError && /Usage/.test(e.message),
    );
    assert.throws(() => parseStartRunArgs(['--id', 'a/b']), /Invalid --id/);
  });

  it('reads task files and refuses missing, empty and binary ones', async () => {
    const empty = path.join(root, 'empty.md');
    const blank = path.join(root, 'blank.md');
    const bin = path.join(root, 'bin.md');
    await writeFile(empty, '');
    await writeFile(blank, '  \n\n ');
    await writeFile(bin, Buffer.from([0x41, 0, 0x42]));
    await assert.rejects(readTaskFile(path.join(root, 'nope.md')), /not found/);
    await assert.rejects(readTaskFile(empty), /is empty/);
    await assert.rejects(readTaskFile(blank), /is empty/);
    await assert.rejects(readTaskFile(bin), /not a text file/);
    await assert.rejects(readTaskFile(root), /not a file/);
    assert.match(await readTaskFile(path.join(__dirname, '..', 'tasks', 'bug-busters.md')), /Bug Busters/);
  });

  it('keeps a requested workspace inside the root', () => {
    assert.throws(() => checkWorkspace(root, '/tmp/elsewhere-dca'), /outside the allowed root/);
    assert.equal(checkWorkspace(root, path.join(root, 'a')), path.join(root, 'a'));
    assert.equal(checkWorkspace(root, undefined), undefined);
  });

  it('names projects from task lists', () => {
    assert.equal(projectName('- Single-screen game called "Bug Busters".'), 'Bug Busters');
    assert.equal(projectName('Goal: Build a small timer\n- x'), 'Build a small timer');
    assert.equal(projectName('# Todo app\nstuff'), 'Todo app');
  });
});

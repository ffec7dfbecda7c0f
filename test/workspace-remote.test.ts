/**
 * Bad workspace remotes through the whole stack (real Temporal, real worker): an unreachable WORKSPACE_REMOTE and a
 * remote that already has the run's branch from another run fail the run's first step, once, with one clear line;
 * no model is called and the other run's branch is untouched.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readHistory } from '../src/report/history';
import { startLocalStack, type LocalStack } from '../src/runtime/local-stack';
import { describeFailure, startRun } from '../src/runtime/runs';

let dir: string;
const stacks: LocalStack[] = [];
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'dca-remote-'));
});
after(async () => {
  for (const s of stacks) await s.stop();
  await rm(dir, { recursive: true, force: true });
});

async function failedRun(remote: string, workflowId: string) {
  const stack = await startLocalStack({ env: { WORKSPACE_REMOTE: remote } });
  stacks.push(stack);
  const handle = await startRun(stack.client, { kind: 'single', input: {}, workflowId, taskQueue: stack.taskQueue });
  const error = await handle.result().then(
    () => 'completed',
    (err: unknown) => describeFailure(err),
  );
  const history = readHistory(await handle.fetchHistory());
  return { error, history, stack };
}

describe('a bad workspace remote fails the first step with one line, not retried', { timeout: 120_000 }, () => {
  it('an unreachable remote', async () => {
    const remote = path.join(dir, 'no-such-remote.git');
    const { error, history, stack } = await failedRun(remote, `remote-unreachable-${Date.now()}`);
    assert.match(error, new RegExp(`ConfigError: Workspace remote ${remote.replace(/[.]/g, '\\.')} is unreachable: `));
    assert.doesNotMatch(error, /\n/);
    assert.deepEqual(
      history.activities.map((a) => [a.type, a.attempt, a.status]),
      [['prepareWorkspace', 1, 'failed']],
    );
    assert.equal(stack.scripted.stats().requests.length, 0, 'no model was called');
  });

  it('a remote that already has the branch from another run is never overwritten', async () => {
    const remote = path.join(dir, 'taken.git');
    const workflowId = `remote-taken-${Date.now()}`;
    const seed = path.join(dir, 'other-run');
    execFileSync('git', ['init', '--bare', '-q', remote]);
    execFileSync('git', ['init', '-q', '-b', `runs/${workflowId}`, seed]);
    await writeFile(path.join(seed, 'theirs.md'), 'another run');
    const g = (...args: string[]) =>
      execFileSync('git', ['-C', seed, '-c', 'user.name=x', '-c', 'user.email=x@y', ...args], { encoding: 'utf8' });
    g('add', '-A');
    g('commit', '-qm', 'another run');
    g('push', '-q', remote, `HEAD:refs/heads/runs/${workflowId}`);
    const before = execFileSync('git', ['-C', remote, 'rev-parse', `runs/${workflowId}`], { encoding: 'utf8' });

    const { error, history } = await failedRun(remote, workflowId);
    assert.match(
      error,
      new RegExp(`WorkspaceError: Workspace remote .* already has branch runs/${workflowId} from another run`),
    );
    assert.deepEqual(
      history.activities.map((a) => [a.type, a.attempt]),
      [['prepareWorkspace', 1]],
    );
    assert.equal(
      execFileSync('git', ['-C', remote, 'rev-parse', `runs/${workflowId}`], { encoding: 'utf8' }),
      before,
      "the other run's branch is untouched",
    );
  });
});

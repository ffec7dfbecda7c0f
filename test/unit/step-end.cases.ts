/**
 * A step's end on its host (patch `step-end-folded`, issue 22), with mocked activities: the gate that passes commits
 * and pushes the step in the same activity (no commitStep activity of its own), a gate that does not pass commits
 * nothing, and a step counts as finished only once that commit answered: the roles after it start only then, and a
 * commit that fails is retried with its gate, or fails the step, as a commitStep activity's failure did.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import type { StepEndInput } from '../../src/shared/placement';
import { pmThenDev, role, team, until, type FakeRun } from './helpers/fakes';
import { completed, failure, Harness, SUITE_TIMEOUT_MS } from './helpers/harness';

let h: Harness;
before(async () => {
  h = await Harness.shared();
});

const twoRoles = pmThenDev();

/** The gate activities of a role (gates name their role by title), with what they asked and answered. */
const gatesOf = (fake: FakeRun, title: string) =>
  fake.of('checkDeliverables').filter((c) => (c.input as StepEndInput).gate === title);

describe("a step's end on its host: gate, commit and push in one activity", { timeout: SUITE_TIMEOUT_MS }, () => {
  it('the gate that passes commits the step; the next role starts only once that commit answered', async () => {
    const { handle, fake } = await h.start('step-end', twoRoles);
    const result = await completed(handle);

    for (const [id, title] of [
      ['pm', 'Pm'],
      ['dev', 'Dev'],
    ] as const) {
      const commits = fake.of('commitStep', id);
      assert.equal(commits.length, 1, `${id}: one commit`);
      assert.equal(commits[0]?.inGate, true, `${id}: made by its gate, not by an activity of its own`);
      const gates = gatesOf(fake, title);
      assert.equal(gates.length, 1, `${id}: one gate`);
      assert.equal((gates[0]?.input as StepEndInput).commit?.role, id, `${id}: the gate is asked to commit the step`);
      assert.ok((commits[0]?.seq ?? 0) > (gates[0]?.seq ?? 0) && (commits[0]?.endSeq ?? 0) < (gates[0]?.endSeq ?? 0));
    }
    const pmGateEnd = gatesOf(fake, 'Pm')[0]?.endSeq ?? Infinity;
    const devStart = fake.of('modelTurn', 'dev')[0]?.seq ?? -1;
    assert.ok(devStart > pmGateEnd, "dev starts after pm's commit is pushed, not before");
    assert.deepEqual(
      result.state.steps.map((s) => [s.role, s.status, s.commit]),
      [
        ['pm', 'done', 'c1'],
        ['dev', 'done', 'c2'],
      ],
    );
  });

  it('a gate that does not pass commits nothing; the gate of the re-ask that passes commits once', async () => {
    // dev's first Codex call forgets game.js; the re-ask writes it.
    const { handle, fake } = await h.start(
      'step-end-reask',
      twoRoles,
      {},
      { writes: (r, n) => (r === 'pm' ? ['REQUIREMENTS.md'] : n === 1 ? ['index.html'] : ['game.js']) },
    );
    const result = await completed(handle);
    const gates = gatesOf(fake, 'Dev');
    assert.equal(gates.length, 2);
    const commits = fake.of('commitStep', 'dev');
    assert.equal(commits.length, 1, 'only the passing gate committed');
    assert.ok((commits[0]?.seq ?? 0) > (gates[1]?.seq ?? Infinity), 'inside the second gate');
    assert.equal(result.state.steps.find((s) => s.role === 'dev')?.commit, 'c2');
  });

  it('a sibling still working: the commit takes only the step own paths', async () => {
    const parallel = team({
      name: 'par',
      roles: [role('a', ['a.txt']), role('b', ['b.txt'])],
    });
    const { handle, fake } = await h.start(
      'step-end-paths',
      parallel,
      {},
      {
        // b's Codex call waits until a's step is committed: a commits while b is running.
        before: async (name, input, run) => {
          if (name === 'codexCall' && (input as { role: string }).role === 'b') {
            await until("a's commit", () => run.of('commitStep', 'a').some((c) => c.endSeq !== undefined));
          }
        },
      },
    );
    await completed(handle);
    const commitOf = (id: string) => (fake.of('commitStep', id)[0]?.input as { paths?: string[] } | undefined)?.paths;
    assert.deepEqual(commitOf('a'), ['a.txt'], "a's commit leaves b's half-written files out");
    assert.equal(commitOf('b'), undefined, 'nothing else running: everything');
  });

  it('the commit failing: a transient fault retries gate and commit, the next role waiting for them', async () => {
    let failed = 0;
    const { handle, fake } = await h.start(
      'step-end-retry',
      twoRoles,
      {},
      {
        before: (name, input) => {
          if (name === 'commitStep' && (input as { role: string }).role === 'pm' && failed++ === 0) {
            throw ApplicationFailure.create({ type: 'DiskFullError', message: 'the disk is full (ENOSPC)' });
          }
        },
      },
    );
    const result = await completed(handle);
    const gates = gatesOf(fake, 'Pm');
    assert.equal(gates.length, 2, 'the gate activity ran again with its commit');
    assert.equal(fake.of('commitStep', 'pm').length, 2);
    assert.ok((fake.of('modelTurn', 'dev')[0]?.seq ?? -1) > (gates[1]?.endSeq ?? Infinity), 'dev waited');
    assert.equal(result.state.steps[0]?.commit, 'c1');
  });

  it('the commit refused for good (remote unreachable): the step fails with one line, the next role never starts', async () => {
    const { handle, fake } = await h.start(
      'step-end-refused',
      twoRoles,
      {},
      {
        before: (name, input) => {
          if (name === 'commitStep' && (input as { role: string }).role === 'pm') {
            throw ApplicationFailure.create({
              type: 'ConfigError',
              message: 'Workspace remote ssh://git.example/runs.git is unreachable: Could not resolve hostname',
              nonRetryable: true,
            });
          }
        },
      },
    );
    const err = await failure(handle);
    assert.equal(err.type, 'ConfigError');
    assert.equal(fake.of('modelTurn', 'dev').length, 0, 'dev never started');
    const state = await h.progress(handle);
    assert.equal(state.steps[0]?.status, 'failed', 'pm is not counted finished without its commit');
    assert.equal(state.steps[0]?.commit, undefined);
  });
});

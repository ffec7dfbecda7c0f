/**
 * DAG scheduling with mocked activities: a role starts only once its `after` roles passed their gates; roles whose
 * `after` roles are done run concurrently (up to maxConcurrentRoles); a failing role fails the run; bad input fails
 * before anything runs; a transient activity failure is retried.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { role, team, until, type CallRecord, type FakeRun } from './helpers/fakes';
import { completed, failure, Harness, SUITE_TIMEOUT_MS } from './helpers/harness';

let h: Harness;
before(async () => {
  h = await Harness.shared();
});

/** The cookbook's shape: pm → designer → (frontend ∥ backend) → tester. */
const cookbook = team({
  name: 'cookbook-like',
  roles: [
    role('pm', ['REQUIREMENTS.md', 'TEST.md']),
    role('designer', ['design/design_spec.md'], { after: ['pm'] }),
    role('frontend', ['frontend/index.html'], { after: ['designer'] }),
    role('backend', ['backend/server.js'], { after: ['designer'] }),
    role('tester', ['tests/TEST_PLAN.md'], { after: ['frontend', 'backend'] }),
  ],
});

/** The seq at which `role`'s gate last passed (its last checkDeliverables call ended). */
const gatePassed = (fake: FakeRun, id: string): number => {
  const gates = fake.of('checkDeliverables', undefined).filter((c) => (c.input as { gate: string }).gate === title(id));
  const last = gates[gates.length - 1];
  assert.ok(last?.endSeq, `${id} had a gate`);
  return last.endSeq;
};
const title = (id: string) => cookbook.roles.find((r) => r.id === id)?.title ?? id;
const firstStart = (fake: FakeRun, id: string): number => {
  const first = fake.of('modelTurn', id)[0];
  assert.ok(first, `${id} ran`);
  return first.seq;
};
const overlap = (a: CallRecord, b: CallRecord) => a.seq < (b.endSeq ?? Infinity) && b.seq < (a.endSeq ?? Infinity);

describe('DAG scheduling', { timeout: SUITE_TIMEOUT_MS }, () => {
  it('starts each role once its after-roles passed their gates; parallel branches overlap', async () => {
    // Frontend's and backend's Codex calls each wait until the other has started: sequential branches would not.
    const started = new Set<string>();
    const { handle, fake } = await h.start(
      'dag',
      cookbook,
      {},
      {
        before: async (name, input) => {
          if (name !== 'codexCall') return;
          const r = (input as { role: string }).role;
          started.add(r);
          if (r === 'frontend') await until('backend Codex call', () => started.has('backend'));
          if (r === 'backend') await until('frontend Codex call', () => started.has('frontend'));
        },
      },
    );
    const result = await completed(handle);

    assert.equal(result.state.status, 'completed');
    assert.deepEqual(
      result.state.steps.map((s) => [s.role, s.status]),
      cookbook.roles.map((r) => [r.id, 'done']),
    );
    const order = fake.startOrder();
    assert.deepEqual([order[0], order[1], order[4]], ['pm', 'designer', 'tester']);
    assert.deepEqual(order.slice(2, 4).sort(), ['backend', 'frontend']);
    assert.ok(firstStart(fake, 'designer') > gatePassed(fake, 'pm'), 'designer waits for the pm gate');
    for (const branch of ['frontend', 'backend']) {
      assert.ok(firstStart(fake, branch) > gatePassed(fake, 'designer'), `${branch} waits for the designer gate`);
    }
    const tester = firstStart(fake, 'tester');
    assert.ok(tester > gatePassed(fake, 'frontend') && tester > gatePassed(fake, 'backend'), 'tester waits for both');
    const [fe] = fake.of('codexCall', 'frontend');
    const [be] = fake.of('codexCall', 'backend');
    assert.ok(fe && be && overlap(fe, be), 'frontend and backend Codex calls ran at the same time');
    // Every role ran once: one Codex call and one gate each, and the final listing has every deliverable.
    for (const r of cookbook.roles) assert.equal(fake.of('codexCall', r.id).length, 1, r.id);
    assert.deepEqual(
      result.files.map((f) => f.path),
      cookbook.roles.flatMap((r) => r.deliverables.map((d) => d.path)).sort(),
    );
  });

  it('maxConcurrentRoles 1 runs the branches one after the other, in team order', async () => {
    const { handle, fake } = await h.start('dag-seq', cookbook, { maxConcurrentRoles: 1 });
    await completed(handle);
    assert.deepEqual(fake.startOrder(), ['pm', 'designer', 'frontend', 'backend', 'tester']);
    assert.ok(firstStart(fake, 'backend') > gatePassed(fake, 'frontend'), 'backend waits for frontend');
  });

  it('a later role is briefed with the files of the roles before it', async () => {
    const { handle, fake } = await h.start('dag-brief', cookbook);
    await completed(handle);
    const [brief] = fake.inputs<{ input: { content: string }[] }>('modelTurn', 'tester')[0]?.input ?? [];
    for (const f of ['REQUIREMENTS.md', 'design/design_spec.md', 'frontend/index.html', 'backend/server.js']) {
      assert.match(brief?.content ?? '', new RegExp(f.replace('.', '\\.')), `tester's brief names ${f}`);
    }
  });

  it('a role that fails for good fails the run, and the roles after it never start', async () => {
    const { handle, fake } = await h.start(
      'dag-fail',
      cookbook,
      {},
      {
        before: (name, input) => {
          if (name === 'modelTurn' && (input as { role: string }).role === 'designer') {
            throw ApplicationFailure.create({ type: 'ModelRequestError', message: 'bad key', nonRetryable: true });
          }
        },
      },
    );
    const err = await failure(handle);
    assert.equal(err.type, 'ModelRequestError');
    assert.deepEqual(err.chain, ['ActivityFailure', 'ApplicationFailure']);
    assert.match(err.message, /bad key/);
    assert.equal(fake.of('modelTurn', 'designer').length, 1, 'a non-retryable failure is not retried');
    assert.deepEqual(fake.startOrder(), ['pm', 'designer']);
    const state = await h.progress(handle);
    assert.equal(state.status, 'failed');
    assert.deepEqual(
      state.steps.map((s) => s.status),
      ['done', 'failed', 'waiting', 'waiting', 'waiting'],
    );
  });

  it('a transient activity failure is retried and the run goes on', async () => {
    let failures = 0;
    const { handle, fake } = await h.start(
      'dag-retry',
      team({ name: 'one', roles: [role('solo', ['a.md'])] }),
      {},
      {
        before: (name) => {
          if (name === 'codexCall' && failures++ < 2) {
            throw ApplicationFailure.create({ type: 'TransientServiceError', message: 'Codex overloaded' });
          }
        },
      },
    );
    const result = await completed(handle);
    assert.equal(result.state.status, 'completed');
    assert.equal(fake.of('codexCall', 'solo').length, 3, 'two failed attempts, then success');
    assert.equal(fake.of('modelTurn', 'solo').length, 2, 'the model turn is not redone for a retried Codex call');
  });

  it('a team with a cycle fails with a ConfigError before any activity runs', async () => {
    const cyclic = { ...cookbook, roles: cookbook.roles.map((r) => (r.id === 'pm' ? { ...r, after: ['tester'] } : r)) };
    const { handle, fake } = await h.start('dag-cycle', cyclic);
    const err = await failure(handle);
    assert.equal(err.type, 'ConfigError');
    assert.match(err.message, /cycle/i);
    assert.equal(fake.calls.length, 0);
  });
});

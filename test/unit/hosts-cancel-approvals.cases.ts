/**
 * Host moves, cancel and Codex approvals with mocked activities:
 *  - a lost host (WorkspaceLostError from its activity, or nobody taking its queue's task before the
 *    schedule-to-start timeout) makes the run prepare a workspace again from the last pushed commit and go on there;
 *    the step in flight starts again, finished steps are not redone;
 *  - cancelling a run stops the Codex call in flight (the run ends only once it stopped) and nothing runs after it;
 *  - Codex approvals: the call's `requestApproval` Update waits in the run state until a person's `approve` Update
 *    decides it; the decision comes back to the call; unanswered ones are withdrawn or time out.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import {
  approveUpdate,
  requestApprovalUpdate,
  type ApprovalRecord,
  type ApprovalRequest,
} from '../../src/shared/people';
import type { PrepareWorkspaceInput } from '../../src/shared/placement';
import { progressQuery } from '../../src/shared/progress';
import type { CodexCallInput, RunState } from '../../src/shared/types';
import { DEFAULT_HEARTBEAT_TIMEOUT_MS } from '../../src/workflows/activities';
import { blockUntilCancelled, role, team, until, type FakeRun } from './helpers/fakes';
import { completed, failure, Harness, SUITE_TIMEOUT_MS } from './helpers/harness';
import { MAX_MOVES_WITHOUT_PROGRESS } from '../../src/workflows/affinity';

let h: Harness;
before(async () => {
  h = await Harness.shared();
});

const twoRoles = team({
  name: 'two',
  roles: [role('pm', ['REQUIREMENTS.md']), role('dev', ['index.html'], { after: ['pm'] })],
});

/** What must hold after a move from host1 to host2 once pm finished: pm not redone, dev done on host2. */
function assertMovedAfterPm(fake: FakeRun, state: RunState, files: string[]): void {
  const prepared = fake.inputs<PrepareWorkspaceInput>('prepareWorkspace');
  assert.deepEqual(
    prepared.map((p) => [p.fromCommit, p.lostHost]),
    [
      [undefined, undefined],
      ['c1', 'host1'],
    ],
    'the new host clones the commit of the finished step',
  );
  assert.equal(fake.of('modelTurn', 'pm').length, 2, "pm's model turns are not redone");
  assert.equal(fake.of('codexCall', 'pm').length, 1, "pm's Codex call is not redone");
  assert.equal(fake.of('commitStep', 'pm').length, 1);
  const devCalls = fake.inputs<CodexCallInput>('codexCall', 'dev');
  assert.equal(devCalls.at(-1)?.cwd, `/fake/${fake.workflowId}/host2`, 'dev finished on the new host');
  assert.deepEqual(
    state.hostMoves?.map((m) => [m.from, m.to, m.commit]),
    [['host1', 'host2', 'c1']],
  );
  assert.equal(state.host, 'host2');
  const dev = state.steps.find((s) => s.role === 'dev');
  assert.equal(dev?.status, 'done');
  assert.equal(dev?.restarts, 1);
  assert.equal(dev?.host, 'host2');
  assert.deepEqual(files, ['REQUIREMENTS.md', 'index.html'], "the new host has pm's files from the commit");
}

describe('host moves', { timeout: SUITE_TIMEOUT_MS }, () => {
  it('WorkspaceLostError on the host: prepare again from the last commit, redo only the step in flight', async () => {
    const { handle, fake } = await h.start(
      'move-lost',
      twoRoles,
      {},
      {
        before: (name, input) => {
          const i = input as CodexCallInput;
          if (name === 'codexCall' && i.role === 'dev' && i.cwd.endsWith('/host1')) {
            // As the host's activities report it (src/activities/index.ts hostActivities).
            throw ApplicationFailure.create({
              type: 'WorkspaceLostError',
              message: `Workspace ${i.cwd} does not exist on host host1`,
              nonRetryable: true,
            });
          }
        },
      },
    );
    const result = await completed(handle);
    assertMovedAfterPm(
      fake,
      result.state,
      result.files.map((f) => f.path),
    );
    assert.equal(fake.inputs<CodexCallInput>('codexCall', 'dev').length, 2, 'one lost call, one on the new host');
  });

  it("schedule-to-start timeout on the host's queue: the run moves to a new host and goes on", async () => {
    const host1Queue = `host1-${randomUUID()}`;
    let host1Gone!: () => void;
    const gone = new Promise<void>((resolve) => (host1Gone = resolve));
    // The test server does not skip time for a task nobody polls: a short real timeout.
    const { handle, fake } = await h.start(
      'move-s2s',
      twoRoles,
      { tuning: { hostScheduleToStartMs: 1_000 } },
      {
        hostQueue: (n) => (n === 1 ? host1Queue : h.taskQueue),
        // dev starts only once host1's worker is gone, so dev's first host call waits on a queue nobody polls.
        before: async (name, input) => {
          if (name === 'modelTurn' && (input as { role: string }).role === 'dev') await gone;
        },
      },
    );
    let stopHost1!: () => void;
    const host1 = h.hostWorker(host1Queue, new Promise<void>((resolve) => (stopHost1 = resolve)));
    await h.waitState(handle, "pm's commit", (s) => s.steps[0]?.commit !== undefined);
    stopHost1();
    await host1;
    host1Gone();

    const result = await completed(handle);
    assertMovedAfterPm(
      fake,
      result.state,
      result.files.map((f) => f.path),
    );
    assert.ok(
      fake.of('codexCall', 'pm').every((c) => c.taskQueue === host1Queue),
      "pm's Codex call ran on host1's queue",
    );
    assert.deepEqual(
      fake.of('codexCall', 'dev').map((c) => c.taskQueue),
      [h.taskQueue],
      "dev's call on host1 was never taken; it ran once, on the new host",
    );
    assert.match(result.state.hostMoves?.[0]?.reason ?? '', /timed out/);
  });
});

describe('host loss noticed in seconds by default', { timeout: SUITE_TIMEOUT_MS }, () => {
  it('every activity of a run without tuning has the 5 s heartbeat timeout', async () => {
    const { handle, fake } = await h.start('default-heartbeat', twoRoles);
    await completed(handle);
    const names = new Set(fake.calls.map((c) => c.name));
    for (const name of ['modelTurn', 'codexCall', 'checkDeliverables', 'prepareWorkspace', 'commitStep'] as const) {
      assert.ok(names.has(name), `${name} ran`);
    }
    assert.deepEqual(
      fake.calls.filter((c) => c.heartbeatTimeoutMs !== DEFAULT_HEARTBEAT_TIMEOUT_MS).map((c) => c.name),
      [],
      'no activity waits 30 s for a dead worker',
    );
  });
});

describe('a run that cannot settle on a host', { timeout: SUITE_TIMEOUT_MS }, () => {
  it('its workspace is missing wherever its tasks go (two disks, one host id): the run fails, bounded', async () => {
    // As a worker on another disk serving the same host queue reports it (src/activities/index.ts hostActivities).
    const { handle, fake } = await h.start(
      'move-loop',
      twoRoles,
      {},
      {
        before: (name, input) => {
          const i = input as CodexCallInput;
          if (name === 'codexCall' && i.role === 'dev') {
            throw ApplicationFailure.create({
              type: 'WorkspaceLostError',
              message: `Workspace ${i.cwd} does not exist on host ${i.cwd.split('/').pop()} (disk disk-other)`,
              nonRetryable: true,
            });
          }
        },
      },
    );
    const err = await failure(handle);
    assert.equal(err.type, 'HostMoveLoopError');
    assert.equal(err.nonRetryable, true);
    assert.match(err.message, /moved between hosts 3 times \(host1 → host2 → host3 → host4\)/);
    assert.match(err.message, /no step finished in the last 3 moves/);
    assert.match(err.message, /workspace is on disk disk-host4, a worker on disk disk-other took its task/);
    assert.match(err.message, /WORKER_HOST_ID/);
    assert.equal(
      fake.of('prepareWorkspace').length,
      1 + MAX_MOVES_WITHOUT_PROGRESS,
      'the first placement, then the bounded moves; no more',
    );
    assert.equal(fake.of('codexCall', 'pm').length, 1, 'the finished step is not redone');
    const state = await handle.query(progressQuery);
    assert.equal(state.status, 'failed');
    assert.equal(state.error, err.message);
  });
});

describe('a run pinned to a host', { timeout: SUITE_TIMEOUT_MS }, () => {
  it('hostQueue in the input (a run started by an MCP server): the workspace is prepared on that queue', async () => {
    const pinned = `pinned-${randomUUID()}`;
    const { handle, fake } = await h.start('pinned', twoRoles, { hostQueue: pinned }, { hostQueue: () => pinned });
    await h.hostWorker(pinned, completed(handle));
    const result = await completed(handle);
    assert.deepEqual(
      fake.of('prepareWorkspace').map((c) => c.taskQueue),
      [pinned],
      'the first step ran on the pinned host, not on the shared queue',
    );
    assert.ok(
      fake.of('codexCall').every((c) => c.taskQueue === pinned),
      'every Codex call followed the workspace',
    );
    assert.ok(
      fake.of('modelTurn').every((c) => c.taskQueue === h.taskQueue),
      'model turns stay on the shared queue',
    );
    assert.equal(result.state.host, 'host1');
  });
});

describe('cancel', { timeout: SUITE_TIMEOUT_MS }, () => {
  it('stops the Codex call in flight, ends the run as cancelled, and runs nothing after', async () => {
    let stoppedAt: number | undefined;
    const { handle, fake } = await h.start(
      'cancel',
      twoRoles,
      {},
      {
        before: async (name, input) => {
          if (name === 'codexCall' && (input as CodexCallInput).role === 'dev') {
            await blockUntilCancelled(() => (stoppedAt = Date.now()));
          }
        },
      },
    );
    await h.waitState(handle, "dev's Codex call", () => fake.of('codexCall', 'dev').length > 0);
    const callsBefore = fake.calls.length;
    await handle.cancel();
    const err = await handle.result().then(
      () => assert.fail('a cancelled run has no result'),
      (e: unknown) => e,
    );
    const endedAt = Date.now();
    assert.ok(err instanceof WorkflowFailedError);
    assert.ok(err.cause instanceof CancelledFailure, `cancelled, not ${String(err.cause)}`);
    assert.ok(stoppedAt !== undefined && stoppedAt <= endedAt, 'the Codex call stopped before the run ended');
    assert.equal(fake.calls.length, callsBefore, 'no gate, commit or listing after the cancel');
    const state = await h.progress(handle);
    assert.equal(state.status, 'cancelled');
    assert.deepEqual(
      state.steps.map((s) => [s.role, s.status]),
      [
        ['pm', 'done'],
        ['dev', 'cancelled'],
      ],
    );
  });
});

describe('Codex approvals', { timeout: SUITE_TIMEOUT_MS }, () => {
  /** A Codex call that asks for an approval, as the real activity does, and waits for its decision. */
  const asking = (decisions: ApprovalRecord[], opts: { wait: boolean } = { wait: true }) => {
    return async (name: string, input: unknown, run: FakeRun) => {
      const call = input as CodexCallInput;
      if (name !== 'codexCall' || call.role !== 'dev') return;
      const wf = h.env.client.workflow.getHandle(run.workflowId);
      const req: ApprovalRequest = {
        role: 'dev',
        label: call.label,
        kind: 'exec',
        command: ['npm', 'install'],
        cwd: call.cwd,
        key: `${call.label}/npm-install`,
      };
      const ticket = await wf.executeUpdate(requestApprovalUpdate, { args: [req] });
      // A retried call sends the same key and gets the same approval, not a second one.
      const again = await wf.executeUpdate(requestApprovalUpdate, { args: [req] });
      assert.equal(again.id, ticket.id);
      if (!opts.wait) return;
      for (;;) {
        const state = await wf.query<RunState>('progress');
        const decided = state.approvals?.decided.find((d) => d.id === ticket.id);
        if (decided) return void decisions.push(decided);
        await new Promise((r) => setTimeout(r, 25));
      }
    };
  };

  it('a Codex call waits for the approve Update and gets the decision', async () => {
    const seen: ApprovalRecord[] = [];
    const { handle, fake } = await h.start(
      'approve',
      twoRoles,
      { approvals: { policy: 'on-request' } },
      {
        before: asking(seen),
      },
    );
    const waiting = await h.waitState(handle, 'a pending approval', (s) => (s.approvals?.pending.length ?? 0) > 0);
    assert.deepEqual(
      waiting.approvals?.pending.map((p) => [p.id, p.role, p.kind, p.command]),
      [['a1', 'dev', 'exec', ['npm', 'install']]],
    );
    assert.equal(fake.inputs<CodexCallInput>('codexCall', 'dev')[0]?.approvalPolicy, 'on-request');

    const refused = await handle
      .executeUpdate(approveUpdate, { args: [{ ids: ['a1'], decision: 'deny', by: 'ann' }] })
      .catch((e: unknown) => e);
    assert.ok(refused instanceof WorkflowUpdateFailedError);
    assert.match(refused.cause?.message ?? '', /a denial needs a reason/);
    const records = await handle.executeUpdate(approveUpdate, {
      args: [{ ids: ['a1'], decision: 'approve', by: 'ann' }],
    });
    assert.deepEqual(
      records.map((r) => [r.id, r.decision, r.by]),
      [['a1', 'approved', 'ann']],
    );
    // The call polls in real time: let it see the decision before the result lets the server skip time.
    await until('the call to see the decision', () => seen.length > 0);
    const result = await completed(handle);
    assert.deepEqual(
      seen.map((d) => [d.id, d.decision, d.by]),
      [['a1', 'approved', 'ann']],
      'the call got the decision',
    );
    assert.deepEqual(result.state.approvals?.pending, []);
  });

  it('a denial carries its reason back to the call', async () => {
    const seen: ApprovalRecord[] = [];
    const { handle } = await h.start(
      'deny',
      twoRoles,
      { approvals: { policy: 'on-request' } },
      {
        before: asking(seen),
      },
    );
    await h.waitState(handle, 'a pending approval', (s) => (s.approvals?.pending.length ?? 0) > 0);
    await handle.executeUpdate(approveUpdate, {
      args: [{ ids: [], all: true, decision: 'deny', reason: 'no network installs', by: 'bob' }],
    });
    await until('the call to see the decision', () => seen.length > 0);
    await completed(handle);
    assert.deepEqual(
      seen.map((d) => [d.decision, d.reason, d.by]),
      [['denied', 'no network installs', 'bob']],
    );
  });

  it('an approval nobody answers times out as denied', async () => {
    const seen: ApprovalRecord[] = [];
    // Real time (the call polls meanwhile): a two-second approval timeout.
    const { handle } = await h.start(
      'approval-timeout',
      twoRoles,
      {
        approvals: { policy: 'on-request', timeoutMs: 2_000 },
      },
      { before: asking(seen) },
    );
    await until('the call to see the timeout', () => seen.length > 0);
    const result = await completed(handle);
    assert.deepEqual(
      seen.map((d) => [d.decision, d.by]),
      [['timed-out', 'timeout']],
    );
    assert.match(seen[0]?.reason ?? '', /Nobody answered this approval within 2 s/);
    assert.equal(result.state.status, 'completed');
  });

  it('an approval the call stopped waiting for is withdrawn when the call ends', async () => {
    const { handle } = await h.start(
      'approval-withdrawn',
      twoRoles,
      { approvals: { policy: 'on-request' } },
      {
        before: asking([], { wait: false }),
      },
    );
    const result = await completed(handle);
    assert.deepEqual(
      result.state.approvals?.decided.map((d) => [d.id, d.decision, d.by]),
      [['a1', 'withdrawn', 'workflow']],
    );
  });
});

/**
 * The error tree (src/shared/errors.ts): every class in it, failure types equal to the class names recorded histories
 * know, retryability derived from the classes, structured fields as failure details, cause chains kept.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { toApplicationFailure as activityFailure, typedFailures } from '../src/activities/failures';
import {
  AgentSystemError,
  ApprovalRejected,
  BudgetExceededError,
  ConfigError,
  FailureTypes,
  GitCommandError,
  HostMoved,
  MissingDeliverablesError,
  ReviewTimeoutError,
  RpcError,
  toApplicationFailure,
  TransientServiceError,
  VerificationFailedError,
  workflowFailure,
} from '../src/shared/errors';

void describe('error tree', () => {
  void it('keeps the failure type names histories were recorded with', () => {
    assert.deepEqual(FailureTypes, {
      config: 'ConfigError',
      modelRequest: 'ModelRequestError',
      codexFatal: 'CodexFatalError',
      workspace: 'WorkspaceError',
      workspaceLost: 'WorkspaceLostError',
      verificationFailed: 'VerificationFailedError',
      transient: 'TransientServiceError',
      codexThreadLost: 'CodexThreadLostError',
      modelBehaviour: 'ModelBehaviourError',
      missingDeliverables: 'MissingDeliverablesError',
      budgetExceeded: 'BudgetExceededError',
      reviewTimeout: 'ReviewTimeoutError',
      approvalRejected: 'ApprovalRejected',
      codexTurnFailed: 'CodexTurnFailedError',
      rpc: 'RpcError',
      git: 'GitCommandError',
      hostMoved: 'HostMoved',
      hostMoveLoop: 'HostMoveLoopError',
      diskFull: 'DiskFullError',
      readOnlyDisk: 'ReadOnlyDiskError',
      reviewRoundsExhausted: 'ReviewRoundsExhaustedError',
    });
  });

  void it('leaves every activity as a failure that says whether to retry: the worker-wide interceptor', async () => {
    // Retry policies no longer list the types that must not be retried: the worker's interceptor decides, for every
    // activity, from the class (a ConfigError is final, a TransientServiceError retried).
    const execute = typedFailures({} as Parameters<typeof typedFailures>[0]).inbound?.execute;
    assert.ok(execute);
    const thrown = async (err: unknown) => {
      try {
        await execute({ args: [], headers: {} }, () => Promise.reject(err));
      } catch (e) {
        return e;
      }
      assert.fail('the interceptor swallowed the error');
    };
    for (const [err, final] of [
      [new ConfigError('bad'), true],
      [new TransientServiceError('busy'), false],
      [new HostMoved(), false],
    ] as const) {
      const failure = await thrown(err);
      assert.ok(failure instanceof ApplicationFailure, err.name);
      assert.equal(failure.type, err.name);
      assert.equal(failure.nonRetryable, final, err.name);
      assert.equal(failure.cause, err, 'the typed error stays in the chain');
    }
    const plain = new Error('not ours');
    assert.equal(await thrown(plain), plain, 'errors that are not ours are left to the SDK');
    assert.equal(await execute({ args: [], headers: {} }, () => Promise.resolve(7)), 7);
  });

  void it('puts every class under AgentSystemError, named after itself, with a fault', () => {
    const samples: AgentSystemError[] = [
      new ConfigError('bad'),
      new RpcError(-32601, 'no such method'),
      new GitCommandError(['push', 'origin'], 'fatal: no remote\n', 128, false),
      new HostMoved(),
      new MissingDeliverablesError('no files', 'designer', ['design/design_spec.md']),
      new ApprovalRejected('no such approval'),
    ];
    for (const err of samples) {
      assert.ok(err instanceof AgentSystemError && err instanceof Error);
      assert.equal(err.name, err.constructor.name);
      assert.ok(['user', 'model', 'service', 'host', 'limit'].includes(err.fault), err.name);
    }
    assert.equal(new HostMoved().fault, 'host');
    assert.equal(new BudgetExceededError('spent', {}).fault, 'limit');
  });

  void it('keeps structured fields', () => {
    const git = new GitCommandError(['push', 'origin', 'run/x'], 'To origin\nerror: failed to push\n', 1, false);
    assert.deepEqual([git.args, git.exitCode, git.timedOut], [['push', 'origin', 'run/x'], 1, false]);
    assert.equal(git.message, 'git push failed: failed to push');
    assert.equal(new GitCommandError(['fetch'], '', null, true).message, 'git fetch failed: timed out');
    assert.equal(new RpcError(-32603, 'boom').code, -32603);
    const missing = new MissingDeliverablesError('m', 'tester', ['tests/test.sh']);
    assert.deepEqual([missing.role, missing.missing], ['tester', ['tests/test.sh']]);
  });

  void it('converts to ApplicationFailures with the class name, the details and the cause chain', () => {
    const root = new Error('socket hang up');
    const transient = new TransientServiceError('model unreachable', 1500, { cause: root });
    const f = activityFailure(transient);
    assert.ok(f instanceof ApplicationFailure);
    assert.equal(f.type, 'TransientServiceError');
    assert.equal(f.nonRetryable, false);
    assert.equal(f.nextRetryDelay, 1500);
    assert.equal(f.cause, transient);
    assert.equal(transient.cause, root);

    const cases: [AgentSystemError, unknown[] | undefined][] = [
      [new MissingDeliverablesError('m', 'designer', ['a.md']), [{ role: 'designer', missing: ['a.md'] }]],
      [
        new VerificationFailedError('v', 'tester', 'bash tests/test.sh', 1, 3),
        [{ role: 'tester', command: 'bash tests/test.sh', exitCode: 1, rounds: 3 }],
      ],
      [new ReviewTimeoutError('r', 'designer', 2), [{ role: 'designer', round: 2 }]],
      [
        new BudgetExceededError('b', { what: 'tokens', limit: 10, used: 12 }),
        [{ what: 'tokens', limit: 10, used: 12 }],
      ],
      [new ConfigError('Invalid input: task'), undefined],
    ];
    for (const [err, details] of cases) {
      const failure = toApplicationFailure(err);
      assert.equal(failure.type, err.name);
      assert.equal(failure.message, err.message);
      assert.equal(failure.nonRetryable, true, err.name);
      assert.deepEqual(failure.details ?? undefined, details, err.name);
      assert.equal(failure.cause, err);
    }
  });

  void it('fails a workflow with the error as the failure itself, keeping its own cause', () => {
    const f = workflowFailure(new MissingDeliverablesError('m', 'designer', ['a.md']));
    assert.deepEqual(
      [f.type, f.nonRetryable, f.details, f.cause],
      ['MissingDeliverablesError', true, [{ role: 'designer', missing: ['a.md'] }], undefined],
    );
    const root = new Error('disk full');
    assert.equal(workflowFailure(new ConfigError('bad', { cause: root })).cause, root);
  });

  void it('leaves foreign errors and Temporal failures as they are', () => {
    const plain = new Error('x');
    assert.equal(activityFailure(plain), plain);
    const already = ApplicationFailure.create({ type: 'Other', message: 'y' });
    assert.equal(activityFailure(already), already);
  });
});

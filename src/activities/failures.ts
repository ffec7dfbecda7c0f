/** Converts our typed errors into Temporal failures at the activity boundary, keeping the cause chain. */
import type { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { AgentSystemError, TransientServiceError, toApplicationFailure as typedFailure } from '../shared/errors';

/** Temporal sees the error's class name as the failure type; the typed error stays in the cause chain. */
export function toApplicationFailure(err: unknown): unknown {
  if (err instanceof ApplicationFailure || err instanceof CancelledFailure) return err;
  if (!(err instanceof AgentSystemError)) return err;
  return typedFailure(err);
}

/** Wraps an activity so every typed error leaves it as an ApplicationFailure. */
export function withFailureConversion<A extends unknown[], R>(
  fn: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  return async (...args: A) => {
    try {
      return await fn(...args);
    } catch (err) {
      throw toApplicationFailure(err);
    }
  };
}

/**
 * The same conversion around every activity a worker runs, whatever it was registered as: a typed error that must
 * not be retried leaves as a non-retryable failure from the worker itself, so activities are scheduled without
 * listing those types in their retry policy (a list that was 0.4 KB of history on every activity).
 */
export const typedFailures: ActivityInterceptorsFactory = () => ({
  inbound: {
    async execute(input, next) {
      try {
        return await next(input);
      } catch (err) {
        throw toApplicationFailure(err);
      }
    },
  },
});

/**
 * What an activity whose cancellation signal fired leaves with. A cancellation Temporal asked for (the run was
 * cancelled; also a pause or reset, which the SDK reports as such) ends it as cancelled: the signal's
 * CancelledFailure. Any other reason (the worker shutting down, the activity timed out or gone) fails it retryably:
 * the server records "cancelled" only for a requested cancel, and another worker should take the work on.
 */
export function stoppedActivityError(ctx: Context, what: string): unknown {
  const reason: unknown = ctx.cancellationSignal.reason;
  const d = ctx.cancellationDetails;
  if (!d || d.cancelRequested || d.paused || d.reset) return reason;
  const why = d.workerShutdown ? 'the worker is shutting down' : d.timedOut ? 'it timed out' : 'it is no longer known';
  return new TransientServiceError(`${what} stopped: ${why}`, undefined, { cause: reason });
}

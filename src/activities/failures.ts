/** Converts our typed errors into Temporal failures at the activity boundary, keeping the cause chain. */
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { AgentSystemError, TransientServiceError } from '../shared/errors';

/** Temporal sees the error's class name as the failure type; the typed error stays in the cause chain. */
export function toApplicationFailure(err: unknown): unknown {
  if (err instanceof ApplicationFailure || err instanceof CancelledFailure) return err;
  if (!(err instanceof AgentSystemError)) return err;
  const retryAfter = err instanceof TransientServiceError ? err.retryAfterMs : undefined;
  return ApplicationFailure.create({
    type: err.name,
    message: err.message,
    nonRetryable: err.nonRetryable,
    cause: err,
    nextRetryDelay: retryAfter,
  });
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

/** Converts our typed errors into Temporal failures at the activity boundary, keeping the cause chain. */
import { ApplicationFailure } from '@temporalio/common';
import { AgentSystemError, TransientServiceError } from '../shared/errors';

export function toApplicationFailure(err: unknown): unknown {
  if (err instanceof ApplicationFailure) return err;
  if (!(err instanceof AgentSystemError)) return err;
  const retryAfter = err instanceof TransientServiceError ? err.retryAfterMs : undefined;
  return ApplicationFailure.create({
    type: err.name,
    message: err.message,
    nonRetryable: err.nonRetryable,
    cause: err.cause instanceof Error ? err.cause : undefined,
    nextRetryDelay: retryAfter !== undefined ? retryAfter : undefined,
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

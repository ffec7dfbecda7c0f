/**
 * Turns Codex failures into the pipeline's typed errors, and those into Temporal failures at the activity edge.
 * Codex reports model/API failures as tool results with `isError: true` and a message (measured with 0.153.4 and
 * its own retries set to 0): HTTP 500 -> "We're currently experiencing high demand...", 429 -> "exceeded retry
 * limit, last status: 429 Too Many Requests", other statuses -> "unexpected status 503 Service Unavailable: ...",
 * a 400 -> the response body itself (`{"error":{...}}`), a cut stream -> "stream disconnected before completion".
 */
import { McpError, ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { AgentSystemError, CodexFatalError, CodexThreadLostError, TransientServiceError } from '../../shared/errors';

const FATAL_PATTERNS: RegExp[] = [
  /Missing environment variable/i,
  /Failed to (load|parse) (Codex )?configuration/i,
  /invalid_request_error|invalid_api_key|Incorrect API key/i,
  /insufficient_quota|Quota exceeded/i,
  /context window|context_length_exceeded/i,
  /model .* does not exist|model_not_found/i,
];

const TRANSIENT_PATTERNS: RegExp[] = [
  /\b429\b|Too Many Requests|rate limit/i,
  /high demand/i,
  /stream disconnected|stream closed|idle timeout/i,
  /timed? ?out|timeout/i,
  /error sending request|connection (refused|reset|closed)|network/i,
  /overloaded|temporarily unavailable|try again/i,
];

/** Classifies the text of an `isError` tool result. Unrecognised failures are retryable (bounded by Temporal). */
export function classifyCodexError(text: string, threadId?: string): AgentSystemError {
  const where = threadId ? ` (thread ${threadId})` : '';
  if (/Session not found for thread_id/i.test(text)) return new CodexThreadLostError(text);

  const status = /unexpected status (\d{3})/i.exec(text)?.[1];
  if (status) {
    const code = Number(status);
    if (code === 408 || code === 409 || code === 429 || code >= 500) {
      return new TransientServiceError(`Codex's model request failed with HTTP ${code}${where}: ${text}`);
    }
    const hint = code === 401 || code === 403 ? ' Check OPENAI_API_KEY and OPENAI_BASE_URL.' : '';
    return new CodexFatalError(`Codex's model request was rejected with HTTP ${code}${where}: ${text}.${hint}`);
  }
  const apiError = jsonErrorMessage(text);
  if (apiError !== undefined) {
    return new CodexFatalError(`Codex's model request was rejected${where}: ${apiError}`);
  }
  if (FATAL_PATTERNS.some((p) => p.test(text))) return new CodexFatalError(`Codex failed${where}: ${text}`);
  if (TRANSIENT_PATTERNS.some((p) => p.test(text))) {
    return new TransientServiceError(`Codex hit a transient failure${where}: ${text}`);
  }
  return new TransientServiceError(`Codex failed${where} (unclassified, retried): ${text}`);
}

/** A 400 comes back as the raw API body: `{"error":{"message":...}}`. */
function jsonErrorMessage(text: string): string | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return undefined;
  try {
    const body = JSON.parse(trimmed) as { error?: { message?: unknown } | string };
    if (body.error === undefined) return undefined;
    if (typeof body.error === 'string') return body.error;
    return typeof body.error.message === 'string' ? body.error.message : trimmed;
  } catch {
    return undefined;
  }
}

/** Errors of the MCP transport itself: the process died, the call timed out. */
export function classifyTransportError(err: unknown, context: { timeoutMs: number; pid?: number; stderr: string[] }) {
  if (err instanceof AgentSystemError) return err;
  const tail = context.stderr.length ? ` Last Codex stderr: ${context.stderr.slice(-3).join(' | ')}` : '';
  if (err instanceof McpError && err.code === ErrorCode.ConnectionClosed) {
    return new TransientServiceError(
      `The Codex process${context.pid ? ` (pid ${context.pid})` : ''} exited during the call; it restarts on the next call.${tail}`,
      undefined,
      { cause: err },
    );
  }
  if (err instanceof McpError && err.code === ErrorCode.RequestTimeout) {
    return new TransientServiceError(
      `The Codex call timed out after ${Math.round(context.timeoutMs / 1000)} s`,
      undefined,
      {
        cause: err,
      },
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  return new TransientServiceError(`The Codex call failed: ${message}.${tail}`, undefined, { cause: err });
}

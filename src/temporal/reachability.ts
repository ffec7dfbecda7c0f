/** Is there a Temporal server at an address? A TCP probe first (fails fast), then a real gRPC call. */
import { Connection, type ConnectionOptions } from '@temporalio/client';
import { splitHostPort, tcpConnectError } from './net';

export const DEFAULT_TEMPORAL_ADDRESS = 'localhost:7233';

/** True when a Temporal frontend answers at `target` (an address, or full options with TLS / API key). */
export async function isTemporalReachable(target: string | ConnectionOptions, timeoutMs = 2000): Promise<boolean> {
  return (await temporalUnreachableReason(target, { timeoutMs })) === undefined;
}

/**
 * Why Temporal at `target` cannot be used, as one line, or undefined when it answered (and, if `namespace` is
 * given, knows that namespace).
 */
export async function temporalUnreachableReason(
  target: string | ConnectionOptions,
  { timeoutMs = 2000, namespace }: { timeoutMs?: number; namespace?: string } = {},
): Promise<string | undefined> {
  const options: ConnectionOptions = typeof target === 'string' ? { address: target } : target;
  const { host, port } = splitHostPort(options.address ?? DEFAULT_TEMPORAL_ADDRESS);
  // gRPC waits out its whole deadline on a closed port; a plain connect says "refused" at once.
  const tcpError = await tcpConnectError(host, port, timeoutMs);
  if (tcpError) return errorChainText(tcpError);
  // No retry interceptor: a probe must answer within its deadline, not back off and try again.
  const connection = Connection.lazy({ ...options, connectTimeout: timeoutMs, interceptors: [] });
  try {
    await connection.ensureConnected();
    if (namespace !== undefined) {
      await connection.withDeadline(Date.now() + timeoutMs, () =>
        connection.workflowService.describeNamespace({ namespace }),
      );
    }
    return undefined;
  } catch (err) {
    return errorChainText(err);
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/** "outer: inner: root" on one line, without repeating a message a wrapper already quoted. */
export function errorChainText(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 8; depth++) {
    const message = (e instanceof Error ? e.message : String(e)).split('\n')[0]?.trim() ?? '';
    if (message && !parts.some((p) => p.includes(message))) parts.push(message);
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join(': ') || 'unknown error';
}

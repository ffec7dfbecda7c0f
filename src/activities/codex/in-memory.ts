/**
 * A transport with no process behind it, for tests: each call is answered by a function that may send events and
 * approval requests through the handlers first, as a real transport would.
 */
import type { CallHandlers, CodexCallResult, CodexToolOptions, CodexToolRequest, CodexTransport } from './transport';

export type InMemoryReply = (
  request: CodexToolRequest,
  handlers: CallHandlers,
  options: CodexToolOptions,
) => CodexCallResult | Promise<CodexCallResult>;

export class InMemoryTransport implements CodexTransport {
  readonly pid = undefined;
  readonly lastPid = undefined;
  /** Every request, in order. */
  readonly requests: CodexToolRequest[] = [];
  closed = false;

  constructor(
    private readonly reply: InMemoryReply,
    readonly name: CodexTransport['name'] = 'mcp',
  ) {}

  async call(request: CodexToolRequest, handlers: CallHandlers, options: CodexToolOptions): Promise<CodexCallResult> {
    if (this.closed) throw new Error('InMemoryTransport is closed');
    this.requests.push(request);
    options.signal?.throwIfAborted();
    return this.reply(request, handlers, options);
  }
  stderrTail(): string[] {
    return [];
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

/** `codex mcp-server` behind the seam: the tool result read as the transport-neutral call result. */
import type { CallHandlers, CodexCallResult, CodexToolOptions, CodexToolRequest, CodexTransport } from '../transport';
import type { CodexServer } from './server';

export class McpTransport implements CodexTransport {
  readonly name = 'mcp' as const;
  constructor(readonly server: CodexServer) {}

  async call(request: CodexToolRequest, handlers: CallHandlers, options: CodexToolOptions): Promise<CodexCallResult> {
    const result = await this.server.callTool(request, handlers, options);
    const structured = (result.structuredContent ?? {}) as { threadId?: unknown; content?: unknown };
    const text =
      typeof structured.content === 'string'
        ? structured.content
        : (result.content ?? []).map((c) => (c.type === 'text' ? c.text : '')).join('\n');
    const threadId = typeof structured.threadId === 'string' ? structured.threadId : undefined;
    return { isError: result.isError === true, text, threadId };
  }
  get pid() {
    return this.server.pid;
  }
  get lastPid() {
    return this.server.lastPid;
  }
  stderrTail() {
    return this.server.stderrTail();
  }
  close() {
    return this.server.close();
  }
}

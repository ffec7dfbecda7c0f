/**
 * How the Codex activity reaches Codex. Two transports, the same calls: `mcp` runs `codex mcp-server` (0.153.4, the
 * seed's interface; threads die with their process) and `app-server` runs `codex app-server` (the current Codex;
 * a thread's rollout lets a new process resume it). Everything above (heartbeats, tokens, approvals, policies,
 * report) sees the same `codex` / `codex-reply` requests, the same events and the same results.
 */
import type { Logger } from '@temporalio/common';
import type { CodexTransportName, Settings } from '../../config/settings';
import { AppServerTransport } from './app-server/transport';
import { CodexServer, type CallHandlers, type CodexToolOptions, type CodexToolRequest } from './server';

export interface CodexCallResult {
  isError: boolean;
  text: string;
  threadId?: string;
  /** app-server only: the thread was not loaded in this process and was resumed from its rollout. */
  resumed?: boolean;
}

export interface CodexTransport {
  readonly name: CodexTransportName;
  call(request: CodexToolRequest, handlers: CallHandlers, options: CodexToolOptions): Promise<CodexCallResult>;
  /** The pid of the running codex process, if one is running. */
  readonly pid: number | undefined;
  /** The pid of the latest codex process, even after it exited. */
  readonly lastPid: number | undefined;
  stderrTail(): string[];
  close(): Promise<void>;
}

/** `codex mcp-server` behind the transport interface. */
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

export function createCodexTransport(settings: Settings, logger?: Logger): CodexTransport {
  return settings.codex.transport === 'app-server'
    ? new AppServerTransport({ settings, logger })
    : new McpTransport(new CodexServer({ settings, logger }));
}

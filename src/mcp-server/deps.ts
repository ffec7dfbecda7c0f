/** The types of `createMcpServer`'s dependencies (described in ./server.ts); here so tool modules import no cycle. */
import type { Client } from '@temporalio/client';
import type { Settings } from '../config/settings';
import type { CodexSessionLimits } from '../shared/codex-session';

/** Everything goes to stderr. */
export interface McpLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface McpServerDeps {
  client: Client;
  namespace: string;
  taskQueue: string;
  hostQueue: string;
  settings: Settings;
  log: McpLog;
  cwd: string;
  sessions: CodexSessionLimits;
  webUiBase?: string;
  /** The client shares the in-process worker's native connection: a new session's start can be eager. */
  eagerStart?: boolean;
}

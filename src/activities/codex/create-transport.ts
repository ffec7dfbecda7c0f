/** The worker's Codex transport, picked by `CODEX_TRANSPORT` (settings.codex.transport). */
import type { Logger } from '@temporalio/common';
import type { Settings } from '../../config/settings';
import { AppServerTransport } from './app-server/transport';
import { CodexServer } from './mcp/server';
import { McpTransport } from './mcp/transport';
import type { CodexTransport } from './transport';

export function createCodexTransport(settings: Settings, logger?: Logger): CodexTransport {
  return settings.codex.transport === 'app-server'
    ? new AppServerTransport({ settings, logger })
    : new McpTransport(new CodexServer({ settings, logger }));
}

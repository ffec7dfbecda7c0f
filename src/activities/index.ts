/** All activities of the worker, built from its settings by one factory. */
import type { Settings } from '../config/settings';
import { createCodexActivities } from './codex/call';
import type { CodexTransport } from './codex/transport';
import { createModelActivities } from './model-turn';
import { createWorkspaceActivities } from './workspace';

export interface ActivityDeps {
  settings: Settings;
  /** Shared Codex transport (mcp-server or app-server) of this worker; created lazily when omitted. */
  codexTransport?: CodexTransport;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createModelActivities({ settings: deps.settings }),
    ...createCodexActivities({ settings: deps.settings, transport: deps.codexTransport }),
    ...createWorkspaceActivities({ workspaceRoot: deps.settings.workspaceRoot }),
  };
}

export type Activities = ReturnType<typeof createActivities>;

/** All activities of the worker, built from its settings by one factory. */
import type { Settings } from '../config/settings';
import { createCodexActivities } from './codex/call';
import type { CodexServer } from './codex/server';
import { createModelActivities } from './model-turn';
import { createVerifyActivities } from './verify';
import { createWorkspaceActivities } from './workspace';

export interface ActivityDeps {
  settings: Settings;
  /** Shared Codex MCP server of this worker; created lazily when omitted. */
  codexServer?: CodexServer;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createModelActivities({ settings: deps.settings }),
    ...createCodexActivities({ settings: deps.settings, server: deps.codexServer }),
    ...createWorkspaceActivities({ workspaceRoot: deps.settings.workspaceRoot }),
    ...createVerifyActivities({ sandbox: deps.settings.verifySandbox }),
  };
}

export type Activities = ReturnType<typeof createActivities>;

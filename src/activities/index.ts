/** All activities of the worker, built from its settings by one factory. */
import { existsSync } from 'node:fs';
import type { Settings } from '../config/settings';
import { assertWritable } from '../runtime/disk';
import { hostIdentity, hostQueueName, type HostIdentity } from '../runtime/host';
import { WorkspaceLostError } from '../shared/errors';
import { createCodexActivities } from './codex/call';
import type { CodexTransport } from './codex/transport';
import { withFailureConversion } from './failures';
import { createGitWorkspaceActivities, gateThenCommit } from './git-workspace';
import { settingsStore } from './conversation-store';
import { createModelActivities } from './model-turn';
import { createVerifyActivities, verifyThenList } from './verify';
import { createWorkspaceActivities } from './workspace';

export interface ActivityDeps {
  settings: Settings;
  /** Shared Codex transport (mcp-server or app-server) of this worker; created lazily when omitted. */
  codexTransport?: CodexTransport;
  /** This worker's host and its own task queue; derived from the settings when omitted. */
  host?: { host: string; disk?: string; hostQueue: string };
}

export function createActivities(deps: ActivityDeps) {
  const { settings } = deps;
  const { host, disk, hostQueue } = deps.host ?? defaultHost(settings);
  const files = createWorkspaceActivities({ workspaceRoot: settings.workspaceRoot });
  const conversations = settingsStore(settings);
  const checks = createVerifyActivities({ sandbox: settings.verifySandbox });
  const gitWorkspace = createGitWorkspaceActivities({
    workspaceRoot: settings.workspaceRoot,
    remote: settings.workspaceRemote,
    host,
    disk,
    hostQueue,
  });
  return {
    // One store (and one cache of its blobs) for the conversations model turns write and Codex calls may read.
    ...createModelActivities({ settings, store: conversations }),
    ...createCodexActivities({ settings, transport: deps.codexTransport, store: conversations }),
    ...files,
    ...gitWorkspace,
    // A step's gate commits and pushes the step when it passed, if the workflow asks (`commit`, ../workflows/affinity.ts).
    checkDeliverables: withFailureConversion(gateThenCommit(files.checkDeliverables, gitWorkspace.commitStep)),
    // The last role's passing checks list the workspace, if the workflow asks (`list`, ../workflows/verify.ts).
    runVerification: withFailureConversion(verifyThenList(checks.runVerification, files.listWorkspace)),
  };
}

export type Activities = ReturnType<typeof createActivities>;

/** This worker's host (WORKER_HOST_ID, else its disk's id), its disk, and its own queue. */
export function defaultHost(settings: Settings): HostIdentity & { hostQueue: string } {
  const id = hostIdentity(settings.hostId, settings.workspaceRoot);
  return { ...id, hostQueue: hostQueueName(settings.taskQueue, id.host) };
}

/**
 * The activities a host serves on its own queue: those that touch the workspace. A workspace missing here (the
 * host lost its disk) is a WorkspaceLostError, which makes the workflow move the run instead of failing it.
 */
export function hostActivities(all: Activities, host: string) {
  const present = (workspace: string) => {
    if (!existsSync(workspace)) throw new WorkspaceLostError(`Workspace ${workspace} does not exist on host ${host}`);
  };
  return {
    codexCall: withFailureConversion(async (input: Parameters<Activities['codexCall']>[0]) => {
      present(input.cwd);
      await assertWritable(input.cwd, `Codex call of ${input.role}`);
      return all.codexCall(input);
    }),
    checkDeliverables: withFailureConversion(async (input: Parameters<Activities['checkDeliverables']>[0]) => {
      present(input.workspace);
      return all.checkDeliverables(input);
    }),
    diffWorkspace: withFailureConversion(async (input: Parameters<Activities['diffWorkspace']>[0]) => {
      present(input.workspace);
      return all.diffWorkspace(input);
    }),
    listWorkspace: withFailureConversion(async (workspace: string, base?: string) => {
      present(workspace);
      return all.listWorkspace(workspace, base);
    }),
    runVerification: withFailureConversion(async (input: Parameters<Activities['runVerification']>[0]) => {
      present(input.workspace);
      await assertWritable(input.workspace, 'Verification');
      return all.runVerification(input);
    }),
    commitStep: all.commitStep,
    /** A run pinned to this host (`hostQueue` in its input) is prepared here rather than on the shared queue. */
    prepareWorkspace: all.prepareWorkspace,
  };
}

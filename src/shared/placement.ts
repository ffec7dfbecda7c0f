/**
 * Payloads of run placement: which worker host holds a run's workspace (a git repository on branch
 * `runs/<workflowId>`), and the step commits pushed to the run's remote so another host can take the run over.
 */
import type { FileRecord } from './types';

export const runBranch = (workflowId: string): string => `runs/${workflowId}`;

export interface PrepareWorkspaceInput {
  workflowId: string;
  /** The workflow's first run id: every commit of the run carries it, so a branch of another run is recognised. */
  runId: string;
  /** A directory the user asked for; must be inside the allowed root. */
  requested?: string;
  /** Host move: clone the remote branch at this commit (the run's last pushed step) on a clean checkout. */
  fromCommit?: string;
  /** The host the run is moving away from (for logs and the Web UI). */
  lostHost?: string;
}

/** Where a run lives: the worker host that holds its workspace, and the git branch and remote behind it. */
export interface WorkspacePlacement {
  workspace: string;
  host: string;
  /** The id of the disk that holds the workspace (absent in runs placed before disks had ids). */
  disk?: string;
  /** The host's own task queue: every activity that touches the workspace goes there. */
  hostQueue: string;
  branch: string;
  /** The remote as the workers reach it; secrets in a URL are masked. */
  remote: string;
  /** The commit the workspace is checked out at. */
  commit: string;
  /** Commits on the branch up to `commit`: orders commits made by parallel steps. */
  commits: number;
}

export interface CommitStepInput {
  workspace: string;
  workflowId: string;
  runId: string;
  branch: string;
  role: string;
  title: string;
  /** The step's deliverables, named with their hashes in the commit message. */
  files: FileRecord[];
  /** Stage only these paths (a parallel step must not commit its sibling's half-written files); default all. */
  paths?: string[];
}

export interface StepCommit {
  commit: string;
  commits: number;
  host: string;
  branch: string;
}

/**
 * Payloads of run placement: which worker host holds a run's workspace (a git repository on branch
 * `runs/<workflowId>`), and the step commits pushed to the run's remote so another host can take the run over.
 */
import type { FileRecord, GateInput, GateResult, RepoSpec } from './types';

export type { RepoSpec } from './types';

export const runBranch = (workflowId: string): string => `runs/${workflowId}`;

/** The branch a run works on: its repository's `branch`, else `runs/<workflowId>`. */
export const branchOf = (workflowId: string, repo?: Pick<RepoSpec, 'branch'>): string =>
  repo?.branch ?? runBranch(workflowId);

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
  /** A run on an existing repository: clone it at its base instead of starting from an empty root commit. */
  repo?: RepoSpec;
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
  /** A run on an existing repository: the base commit its diffs are against, and how long the clone took. */
  baseCommit?: string;
  cloneMs?: number;
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
  /** A run on an existing repository: its branch goes to this remote (the worker's WORKSPACE_REMOTE otherwise). */
  repo?: RepoSpec;
}

export interface StepCommit {
  commit: string;
  commits: number;
  host: string;
  branch: string;
}

/**
 * A step's end on its host in one activity (`checkDeliverables` with `commit`, patch `step-end-folded`): the gate, then,
 * only when it passed, the step's commit pushed to the remote. `paths` gets the deliverables present added.
 */
export interface StepEndInput extends GateInput {
  commit?: Omit<CommitStepInput, 'workspace' | 'files'>;
}

/** The gate's result, and the step's commit when the gate passed and a commit was asked for. */
export interface StepEndResult extends GateResult {
  commit?: StepCommit;
}

/** Between a gate's own summary and its commit's, in the summary of a gate that commits its step (the report cuts there). */
export const GATE_THEN_COMMIT = ', then ';

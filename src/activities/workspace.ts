/**
 * Workspace activities: create a run's directory, check deliverables for the gates, list the results.
 * Every path is confined to the workspace; a path that escapes it is refused, not followed.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, realpath, stat } from 'node:fs/promises';
import { THREADS_DIR } from './codex/app-server/rollouts';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import type { ApplicationFailure } from '@temporalio/common';
import { toApplicationFailure, WorkspaceError } from '../shared/errors';
import { unmatchedGlobs } from '../shared/glob';
import type {
  CreateWorkspaceInput,
  FileRecord,
  GateInput,
  GateResult,
  WorkspaceDiff,
  WorkspaceDiffInput,
} from '../shared/types';
import { changedPaths, workspaceDiff } from './workspace-diff';

export interface WorkspaceDeps {
  /** Workspaces must live under this directory. */
  workspaceRoot: string;
}

function workspaceFailure(message: string): ApplicationFailure {
  return toApplicationFailure(new WorkspaceError(message));
}

export function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Resolves the workspace for a run: the requested directory (inside the root) or `<root>/<workflowId>`. */
export function resolveWorkspace(root: string, input: CreateWorkspaceInput): string {
  const absRoot = path.resolve(root);
  if (!/^[\w.@:-]+$/.test(input.workflowId)) {
    throw workspaceFailure(`Workflow id "${input.workflowId}" cannot name a directory`);
  }
  const target = input.requested ? path.resolve(absRoot, input.requested) : path.join(absRoot, input.workflowId);
  if (!isInside(absRoot, target) || target === absRoot) {
    throw workspaceFailure(`Workspace ${target} is outside the allowed root ${absRoot}`);
  }
  return target;
}

/** Resolves a workspace-relative path, refusing anything (including symlinks) that leads outside. */
async function confined(workspace: string, relative: string): Promise<string> {
  if (path.isAbsolute(relative)) throw workspaceFailure(`Deliverable path ${relative} must be relative`);
  const full = path.resolve(workspace, relative);
  if (!isInside(workspace, full)) throw workspaceFailure(`Deliverable path ${relative} escapes the workspace`);
  // Follow symlinks on the longest existing prefix: a link inside the workspace must not lead out of it.
  let existing = full;
  for (;;) {
    try {
      const real = await realpath(existing);
      if (!isInside(await realpath(workspace), real)) {
        throw workspaceFailure(`Deliverable path ${relative} links outside the workspace`);
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || existing === workspace) throw err;
      existing = path.dirname(existing);
    }
  }
  return full;
}

async function fileRecord(workspace: string, relative: string): Promise<FileRecord | undefined> {
  const full = await confined(workspace, relative);
  try {
    const s = await stat(full);
    if (!s.isFile()) return undefined;
    const data = await readFile(full);
    return { path: relative, size: s.size, sha256: createHash('sha256').update(data).digest('hex') };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

// `.codex-threads`: app-server rollouts kept with the workspace for resuming threads (durable state, not work).
const IGNORED_DIRS = new Set(['node_modules', '.git', THREADS_DIR]);
const REPORT_FILES = new Set(['run.json', 'REPORT.md', 'timeline.svg']);

export function createWorkspaceActivities(deps: WorkspaceDeps) {
  return {
    async createWorkspace(input: CreateWorkspaceInput): Promise<string> {
      const dir = resolveWorkspace(deps.workspaceRoot, input);
      await mkdir(dir, { recursive: true });
      Context.current().log.info('workspace ready', { workspace: dir });
      return dir;
    },

    /** A gate: which expected files exist (with size and hash), which are missing. Empty files count as missing. */
    async checkDeliverables(input: GateInput): Promise<GateResult> {
      const present: FileRecord[] = [];
      const missing: string[] = [];
      for (const p of input.required) {
        const rec = await fileRecord(input.workspace, p);
        if (rec && rec.size > 0) present.push(rec);
        else missing.push(p);
      }
      for (const p of input.optional) {
        const rec = await fileRecord(input.workspace, p);
        if (rec) present.push(rec);
      }
      // `changes`/`tests` globs: at least one path under each differs from the base (docs/teams.md).
      const unchanged = input.changed?.length
        ? unmatchedGlobs(input.changed, await changedPaths(input.workspace, input.base))
        : undefined;
      Context.current().log.info('gate checked', { gate: input.gate, present: present.length, missing, unchanged });
      return { gate: input.gate, present, missing, ...(unchanged ? { unchanged } : {}) };
    },

    /** The workspace's changes against the base: a diff stat for the briefs, the diff itself for reviewers. */
    async diffWorkspace(input: WorkspaceDiffInput): Promise<WorkspaceDiff> {
      return workspaceDiff(input);
    },

    /**
     * Every file the run produced (for the result and the report), skipping dependencies and the report itself. A
     * run on a repository (`base`) lists the files it changed, not the whole repository.
     */
    async listWorkspace(workspace: string, base?: string): Promise<FileRecord[]> {
      const out: FileRecord[] = [];
      if (base) {
        for (const p of await changedPaths(workspace, base)) {
          const rec = await fileRecord(workspace, p);
          if (rec) out.push(rec);
        }
        return out;
      }
      async function walk(rel: string): Promise<void> {
        const entries = await readdir(path.join(workspace, rel), { withFileTypes: true });
        for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
          const child = rel ? `${rel}/${e.name}` : e.name;
          if (e.isDirectory() && !IGNORED_DIRS.has(e.name)) await walk(child);
          else if (e.isFile() && !(rel === '' && REPORT_FILES.has(e.name))) {
            const rec = await fileRecord(workspace, child);
            if (rec) out.push(rec);
          }
        }
      }
      await walk('');
      return out;
    },
  };
}

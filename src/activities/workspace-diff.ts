/**
 * What a run changed in its workspace, relative to a base commit (the repository's base, or the branch's first
 * commit): the changed paths for `changes`/`tests` gates, a `--numstat` diff stat for the briefs and the report, and
 * the diff itself for reviewers. Uncommitted work counts (a step's gate runs before its commit); the run's own report
 * files and ignored files do not.
 */
import { THREADS_DIR } from './codex/app-server/rollouts';
import { git } from './git';

/** Codex's thread rollouts travel with the workspace but are not the run's work. */
const NOT_WORK = ['--', '.', `:(exclude)${THREADS_DIR}`];
import type { DiffStatLine, WorkspaceDiff, WorkspaceDiffInput } from '../shared/types';

/** The base: the given commit, else the branch's first commit. */
async function baseOf(workspace: string, base: string | undefined): Promise<string> {
  if (base) return base;
  const roots = (await git(['rev-list', '--max-parents=0', 'HEAD'], { cwd: workspace })).stdout.trim().split('\n');
  return roots[roots.length - 1] ?? 'HEAD';
}

/**
 * Untracked files enter the index as intent-to-add, so `git diff <base>` shows them as new: the index is the
 * workspace's own (its next commit stages everything anyway).
 */
async function withUntracked(workspace: string): Promise<void> {
  await git(['add', '-A', '--intent-to-add', '--', '.'], { cwd: workspace });
}

export async function changedPaths(workspace: string, base: string | undefined): Promise<string[]> {
  await withUntracked(workspace);
  const { stdout } = await git(['diff', '--name-only', '--no-renames', await baseOf(workspace, base), ...NOT_WORK], {
    cwd: workspace,
  });
  return stdout.split('\n').filter(Boolean);
}

export async function workspaceDiff(input: WorkspaceDiffInput): Promise<WorkspaceDiff> {
  const { workspace } = input;
  const base = await baseOf(workspace, input.base);
  await withUntracked(workspace);
  const numstat = (await git(['diff', '--numstat', '--no-renames', base, ...NOT_WORK], { cwd: workspace })).stdout;
  const stat: DiffStatLine[] = numstat
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [added = '-', removed = '-', ...rest] = line.split('\t');
      return {
        path: rest.join('\t'),
        added: added === '-' ? -1 : Number(added),
        removed: removed === '-' ? -1 : Number(removed),
      };
    });
  if (!input.maxDiffChars) return { base, stat };
  const full = (await git(['diff', '--no-renames', '--no-color', base, ...NOT_WORK], { cwd: workspace })).stdout;
  const truncated = full.length > input.maxDiffChars;
  return {
    base,
    stat,
    diff: truncated ? full.slice(0, input.maxDiffChars) : full,
    ...(truncated ? { truncated } : {}),
  };
}

/**
 * Git's lock files left by a git process that died holding them (its worker SIGKILLed with its process group, or git
 * killed at its timeout): `index.lock` and the ref locks of a commit. Git refuses every later command in that
 * repository ("Unable to create '.../index.lock': File exists"), so the step's retry could never commit. A lock is
 * stale when no git process works in the repository: on Linux, no live `git` process has its working directory
 * there; elsewhere, when the lock is older than any git command of ours may run (their timeout kills them).
 */
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import path from 'node:path';

/** Longer than any git command of the workspace activities may run (./git.ts kills them at their timeout). */
const LOCK_MAX_AGE_MS = 11 * 60_000;

/** Pids of live `git` processes whose working directory is `dir` or inside it; undefined without /proc. */
function gitProcessesIn(dir: string): number[] | undefined {
  if (!existsSync('/proc/self/cwd')) return undefined;
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (!readFileSync(`/proc/${name}/comm`, 'utf8').startsWith('git')) continue;
      const cwd = readlinkSync(`/proc/${name}/cwd`);
      if (cwd === dir || cwd.startsWith(`${dir}${path.sep}`)) found.push(Number(name));
    } catch {
      // gone while we looked, or not ours to read
    }
  }
  return found;
}

/**
 * Removes the lock files of a dead git process from the repository at `dir` (its index, HEAD and `branch`); returns
 * the ones removed. Callers hold the repository (serialised per workspace), so no git of theirs runs there.
 */
export async function clearStaleGitLocks(dir: string, branch: string): Promise<string[]> {
  const candidates = ['index.lock', 'HEAD.lock', `refs/heads/${branch}.lock`].map((p) => path.join(dir, '.git', p));
  const present = candidates.filter((p) => existsSync(p));
  if (present.length === 0) return [];
  const live = gitProcessesIn(path.resolve(dir));
  if (live && live.length > 0) return [];
  const removed: string[] = [];
  for (const lock of present) {
    if (!live) {
      const age = Date.now() - (await stat(lock).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age < LOCK_MAX_AGE_MS) continue;
    }
    await rm(lock, { force: true });
    removed.push(lock);
  }
  return removed;
}

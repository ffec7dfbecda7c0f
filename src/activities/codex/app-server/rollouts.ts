/**
 * A thread's rollout (`$CODEX_HOME/sessions/YYYY/MM/DD/rollout-<time>-<threadId>.jsonl`) is what `thread/resume`
 * reads. A copy lives in the run's workspace (`.codex-threads/`, not a deliverable) so that it is durable with
 * the workspace: a worker on another host restores it into its own CODEX_HOME before resuming.
 */
import fs from 'node:fs';
import path from 'node:path';

export const THREADS_DIR = '.codex-threads';

/** The rollout file of a thread under a CODEX_HOME, if any. */
export function findRollout(home: string, threadId: string): string | undefined {
  const root = path.join(home, 'sessions');
  if (!fs.existsSync(root)) return undefined;
  const suffix = `-${threadId}.jsonl`;
  for (const entry of fs.readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && entry.name.startsWith('rollout-') && entry.name.endsWith(suffix)) {
      return path.join(entry.parentPath, entry.name);
    }
  }
  return undefined;
}

/**
 * Copies the thread's rollout into the workspace; returns the copy's path (none when Codex wrote none).
 * Codex records a failed turn's error text, which may echo the key (an endpoint's 401 body): `secret` is cut out
 * of the rollout first, in place (Codex appends to it; the file keeps its inode).
 */
export function saveRollout(home: string, threadId: string, workspace: string, secret?: string): string | undefined {
  const source = findRollout(home, threadId);
  if (!source) return undefined;
  if (secret) {
    const text = fs.readFileSync(source, 'utf8');
    if (text.includes(secret)) fs.writeFileSync(source, text.split(secret).join('[redacted]'));
  }
  const dir = path.join(workspace, THREADS_DIR);
  fs.mkdirSync(dir, { recursive: true });
  const target = path.join(dir, path.basename(source));
  fs.copyFileSync(source, target);
  return target;
}

/** Puts the workspace's copy back under CODEX_HOME when this host has no rollout of the thread. */
export function restoreRollout(home: string, threadId: string, workspace: string): boolean {
  if (findRollout(home, threadId)) return false;
  const dir = path.join(workspace, THREADS_DIR);
  const name = fs.existsSync(dir) ? fs.readdirSync(dir).find((f) => f.endsWith(`-${threadId}.jsonl`)) : undefined;
  if (!name) return false;
  // rollout-2026-12-02T18-04-05-<id>.jsonl lives under sessions/2026/12/02/.
  const [, y = '1970', m = '01', d = '01'] = /^rollout-(\d{4})-(\d{2})-(\d{2})/.exec(name) ?? [];
  const target = path.join(home, 'sessions', y, m, d, name);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.copyFileSync(path.join(dir, name), target);
  return true;
}

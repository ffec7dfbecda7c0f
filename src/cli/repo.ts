/**
 * `run --repo PATH|URL [--base BRANCH] [--branch NAME] [--push-to REMOTE]`: the repository a run changes, checked
 * before anything starts. Every refusal is one line (a ConfigError, exit 2) and nothing is pushed: the write check is
 * a `git push --dry-run` of a throwaway commit. Uncommitted changes in a local repository are a warning: the run
 * clones the committed state of the base.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { displayRemote, git } from '../activities/git-workspace';
import { ConfigError, GitCommandError, gitReason } from '../shared/errors';
import type { RepoSpec } from '../shared/placement';

export interface RepoArgs {
  repo: string;
  base?: string;
  branch?: string;
  pushTo?: string;
}

export interface CheckedRepo {
  spec: RepoSpec;
  /** Said on stderr before the run starts (uncommitted changes that the run does not see). */
  warnings: string[];
}

/** Bound on one question to a remote (ls-remote, a dry-run push). */
const REMOTE_TIMEOUT_MS = 20_000;

const reason = (err: unknown): string =>
  err instanceof GitCommandError ? (err.timedOut ? 'no answer in 20 s' : gitReason(err.stderr)) : String(err);

/** URLs git understands: scheme://, scp-like user@host:path, file://. */
const isUrl = (s: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(s) || /^[\w.-]+@[\w.-]+:/.test(s);

/** A branch name git accepts (`git check-ref-format --branch`), checked without a repository. */
async function checkBranchName(flag: string, name: string): Promise<void> {
  await git(['check-ref-format', '--branch', name]).catch(() => {
    throw new ConfigError(`Invalid --${flag}: "${name}" is not a valid branch name`);
  });
}

/** The branches of a remote and the branch its HEAD names (its default branch). */
async function remoteHeads(remote: string): Promise<{ heads: Map<string, string>; head?: string }> {
  const { stdout } = await git(['ls-remote', '--symref', remote, 'HEAD', 'refs/heads/*'], {
    timeoutMs: REMOTE_TIMEOUT_MS,
  });
  const heads = new Map<string, string>();
  let head: string | undefined;
  for (const line of stdout.split('\n')) {
    const sym = /^ref: refs\/heads\/(\S+)\s+HEAD$/.exec(line);
    if (sym) head = sym[1];
    const ref = /^([0-9a-f]{40,64})\s+refs\/heads\/(\S+)$/.exec(line);
    if (ref?.[1] && ref[2]) heads.set(ref[2], ref[1]);
  }
  return { heads, head };
}

/** Checks `--repo` and its companions; `workflowId` names the default branch `runs/<workflowId>`. */
export async function checkRepo(args: RepoArgs, workflowId: string): Promise<CheckedRepo> {
  const warnings: string[] = [];
  let source = args.repo;
  let local: string | undefined;
  if (!isUrl(source)) {
    const abs = path.resolve(source);
    if (!existsSync(abs)) throw new ConfigError(`Repository ${abs} not found`);
    const top = await git(['rev-parse', '--show-toplevel'], { cwd: abs }).then(
      (r) => r.stdout.trim(),
      () =>
        git(['rev-parse', '--is-bare-repository'], { cwd: abs }).then(
          (r) => (r.stdout.trim() === 'true' ? abs : undefined),
          () => undefined,
        ),
    );
    if (!top) throw new ConfigError(`Not a git repository: ${abs}`);
    source = top;
    local = top;
  }
  const shown = displayRemote(source);
  let remote: Awaited<ReturnType<typeof remoteHeads>>;
  try {
    remote = await remoteHeads(source);
  } catch (err) {
    throw new ConfigError(`Repository ${shown} is unreachable: ${reason(err)}`, { cause: err });
  }
  if (remote.heads.size === 0) throw new ConfigError(`Repository ${shown} has no branches (nothing to start from)`);
  const base = args.base ?? remote.head;
  if (!base) throw new ConfigError(`Repository ${shown} names no default branch: give --base`);
  const baseCommit = remote.heads.get(base);
  if (!baseCommit) {
    const known = [...remote.heads.keys()].slice(0, 8).join(', ');
    throw new ConfigError(`Unknown base branch "${base}" in ${shown} (branches: ${known})`);
  }
  const branch = args.branch ?? `runs/${workflowId}`;
  await checkBranchName('branch', branch);
  if (branch === base)
    throw new ConfigError(`Invalid --branch: "${branch}" is the base branch; the base is never changed`);

  let pushTo = source;
  if (args.pushTo !== undefined) {
    pushTo = isUrl(args.pushTo) ? args.pushTo : path.resolve(args.pushTo);
  }
  const target = displayRemote(pushTo);
  let pushHeads: Map<string, string>;
  try {
    pushHeads = pushTo === source ? remote.heads : (await remoteHeads(pushTo)).heads;
  } catch (err) {
    throw new ConfigError(`Remote ${target} is unreachable: ${reason(err)}`, { cause: err });
  }
  if (pushHeads.has(branch)) {
    throw new ConfigError(
      `Branch ${branch} already exists on ${target}: choose another --branch (it is never overwritten)`,
    );
  }
  await checkWritable(pushTo, branch);

  if (local) {
    const status = await git(['status', '--porcelain', '--untracked-files=no'], { cwd: local }).catch(() => undefined);
    if (status && status.stdout.trim() !== '') {
      warnings.push(
        `Warning: ${local} has uncommitted changes; the run starts from the committed ${base} (${baseCommit.slice(0, 12)}), without them`,
      );
    }
  }
  return {
    spec: { source, base, baseCommit, branch, ...(pushTo !== source ? { pushTo } : {}) },
    warnings,
  };
}

/** A dry-run push of a throwaway commit to the run's branch: the remote must accept a push, and gets nothing. */
async function checkWritable(remote: string, branch: string): Promise<void> {
  const scratch = await mkdtemp(path.join(tmpdir(), 'dca-push-check-'));
  try {
    await git(['init', '-q', scratch]);
    await git(
      ['-c', 'user.name=check', '-c', 'user.email=check@agents.local', 'commit', '-q', '--allow-empty', '-m', 'check'],
      {
        cwd: scratch,
      },
    );
    await git(['push', '--dry-run', '-q', remote, `HEAD:refs/heads/${branch}`], {
      cwd: scratch,
      timeoutMs: REMOTE_TIMEOUT_MS,
    });
  } catch (err) {
    throw new ConfigError(`Remote ${displayRemote(remote)} does not accept pushes: ${reason(err)}`, { cause: err });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

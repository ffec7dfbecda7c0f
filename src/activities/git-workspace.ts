/**
 * Git-backed workspaces, with the real `git` binary: a run's workspace is a repository on branch `runs/<workflowId>`,
 * every finished step is a commit (author = the role) pushed to the run's remote before the step counts as finished,
 * and a host that takes a run over clones the remote at the last pushed commit. A root commit, pushed at creation,
 * claims the branch: a branch of another run is never overwritten, and a remote that cannot be reached or written
 * fails the run's first step with one line. Pushes are never forced.
 *
 * A run on an existing repository (`repo`, start-run `--repo`) starts from a shallow clone of its base commit instead of
 * a root commit; its branch goes to the repository's remote (or `pushTo`), created by the first step's push, and a
 * host move clones the base again and fetches the branch on top of it (only the run's own commits travel).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, GitCommandError, gitReason, WorkspaceError, WorkspaceLostError } from '../shared/errors';
import { git } from './git';
import { clearStaleGitLocks } from './git-locks';
import type {
  CommitStepInput,
  PrepareWorkspaceInput,
  RepoSpec,
  StepCommit,
  StepEndInput,
  StepEndResult,
  WorkspacePlacement,
} from '../shared/placement';
import type { GateInput, GateResult } from '../shared/types';
import { branchOf } from '../shared/placement';
import { Context } from '@temporalio/activity';
import { classifyDiskFaults, diskFault } from '../runtime/disk';
import { withFailureConversion } from './failures';
import { resolveWorkspace } from './workspace';

export { git } from './git';

export interface GitWorkspaceDeps {
  workspaceRoot: string;
  /** Any git URL the workers can reach; default a bare repository `<workspaceRoot>/.remote.git`. */
  remote?: string;
  host: string;
  /** The id of the disk under workspaceRoot (a placement names it, so a host-queue collision can name both disks). */
  disk?: string;
  hostQueue: string;
  /** Bound on one git command talking to the remote. */
  remoteTimeoutMs?: number;
}

export const defaultRemote = (workspaceRoot: string) => path.join(path.resolve(workspaceRoot), '.remote.git');

/** In `.git`: the run id of the prepare that created the repository (read only while it has no commit). */
const RUN_MARKER = 'durable-codex-agents-run';

/** Files the run writes for people, not steps: kept out of the step commits. */
const EXCLUDED = [
  '/run.json',
  '/REPORT.md',
  '/timeline.svg',
  '/PULL_REQUEST.md',
  'node_modules/',
  // What running a repository's tests leaves behind (verification rounds run before owners' fixes are committed).
  '__pycache__/',
  '.pytest_cache/',
];

/** The remote as it may be shown: credentials in a URL are masked. */
export const displayRemote = (remote: string) => remote.replace(/\/\/[^/@]*@/, '//***@');

const out = async (args: string[], cwd: string) => (await git(args, { cwd })).stdout.trim();

/** The paths staged for the next commit (at most 8 named). */
async function stagedPaths(dir: string): Promise<string[]> {
  const names = (await out(['diff', '--cached', '--name-only'], dir)).split('\n').filter(Boolean);
  return names.length > 8 ? [...names.slice(0, 8), `and ${names.length - 8} more`] : names;
}

/** Clears the locks a killed git left in the repository at `dir`, saying so in the activity's log. */
async function unlock(dir: string, branch: string): Promise<void> {
  const removed = await clearStaleGitLocks(dir, branch);
  if (removed.length === 0) return;
  let log: { warn: (m: string, a: Record<string, unknown>) => void } | undefined;
  try {
    log = Context.current().log;
  } catch {
    // not in an activity (tests, tools): nothing to log to
  }
  log?.warn('removed the lock files of a git process that died holding them', { removed });
}

/** Runs callers one after another per key: parallel steps of a run share one repository (and its index.lock). */
const queues = new Map<string, Promise<unknown>>();
async function serialised<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const prev = queues.get(key) ?? Promise.resolve();
  const next = prev.then(fn, fn);
  const settled = next.catch(() => undefined);
  queues.set(key, settled);
  try {
    return await next;
  } finally {
    if (queues.get(key) === settled) queues.delete(key);
  }
}

/** Bound on cloning a repository's base (a large repository takes a while even shallow). */
const CLONE_TIMEOUT_MS = 10 * 60_000;

export function createGitWorkspace(deps: GitWorkspaceDeps) {
  const root = path.resolve(deps.workspaceRoot);
  const workerRemote = deps.remote ?? defaultRemote(root);
  const remoteTimeoutMs = deps.remoteTimeoutMs ?? 20_000;
  /** The remote a run's branch goes to: its repository's (or `pushTo`), else the worker's WORKSPACE_REMOTE. */
  const remoteOf = (repo: RepoSpec | undefined) => (repo ? (repo.pushTo ?? repo.source) : workerRemote);

  const remoteFailure = (remote: string, what: string, err: unknown) => {
    const shown = displayRemote(remote);
    const full = diskFault(err, `Workspace remote ${shown} ${what}`, shown);
    if (full) return full;
    const why =
      err instanceof GitCommandError
        ? err.timedOut
          ? `no answer in ${remoteTimeoutMs} ms`
          : gitReason(err.stderr)
        : String(err);
    return new ConfigError(`Workspace remote ${displayRemote(remote)} ${what}: ${why}`, { cause: err });
  };

  /**
   * The default bare remote, created whole: made beside its path and renamed into place, so another worker on this
   * disk starting a run at the same moment never finds a half-made repository (it failed that run as unreachable).
   */
  async function ensureDefaultRemote(remote: string): Promise<void> {
    if (existsSync(remote)) return;
    const tmp = `${remote}.${randomBytes(6).toString('hex')}.tmp`;
    await mkdir(path.dirname(remote), { recursive: true });
    await git(['init', '--bare', '-q', tmp]);
    try {
      await rename(tmp, remote);
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      if (!existsSync(remote)) throw err; // else another worker made it first
    }
  }

  /** The remote's tip of `branch`, undefined when it has none. Unreachable remote: ConfigError. */
  async function remoteTip(remote: string, branch: string): Promise<string | undefined> {
    if (deps.remote === undefined && remote === workerRemote) await ensureDefaultRemote(remote);
    try {
      const { stdout } = await git(['ls-remote', '--heads', remote, `refs/heads/${branch}`], {
        timeoutMs: remoteTimeoutMs,
      });
      return stdout.trim().split(/\s+/)[0] || undefined;
    } catch (err) {
      throw remoteFailure(remote, 'is unreachable', err);
    }
  }

  async function fetchBranch(dir: string, remote: string, branch: string): Promise<string> {
    try {
      await git(['fetch', '-q', remote, `refs/heads/${branch}`], { cwd: dir, timeoutMs: remoteTimeoutMs });
    } catch (err) {
      throw remoteFailure(remote, 'is unreachable', err);
    }
    return out(['rev-parse', 'FETCH_HEAD'], dir);
  }

  async function push(dir: string, remote: string, branch: string): Promise<void> {
    await git(['push', '-q', remote, `HEAD:refs/heads/${branch}`], { cwd: dir, timeoutMs: remoteTimeoutMs });
  }

  async function initRepo(dir: string, branch: string, remote: string, runId?: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    await git(['init', '-q', '-b', branch], { cwd: dir });
    // Whose repository this is before it has a commit: a prepare killed before its first commit is taken up again.
    if (runId) await writeFile(path.join(dir, '.git', RUN_MARKER), `${runId}\n`);
    // A named remote lets a user push the branch on from the workspace itself.
    await git(['remote', 'add', 'origin', remote], { cwd: dir });
    await writeFile(path.join(dir, '.git', 'info', 'exclude'), `${EXCLUDED.join('\n')}\n`);
  }

  /**
   * A repository without a commit at the run's workspace is what this run's own prepare leaves when killed before its
   * first commit: its marker names the run; in the run's default directory (named by its workflow id, which no
   * other live run has) a repository with no marker and no commit is one killed before it wrote the marker. In a
   * directory the user named, an empty repository without our marker is the user's.
   */
  async function diedBeforeFirstCommit(dir: string, input: PrepareWorkspaceInput): Promise<boolean> {
    const marker = await readFile(path.join(dir, '.git', RUN_MARKER), 'utf8').catch(() => undefined);
    if (marker !== undefined) return marker.trim() === input.runId;
    return input.requested === undefined;
  }

  const trailers = (input: { workflowId: string; runId: string }, step: string) =>
    [`Workflow-Id: ${input.workflowId}`, `Run-Id: ${input.runId}`, `Step: ${step}`, `Host: ${deps.host}`].join('\n');

  async function commit(
    dir: string,
    author: { name: string; email: string },
    subject: string,
    body: string[],
    trailer: string,
  ): Promise<void> {
    const message = [subject, ...(body.length ? [body.join('\n')] : []), trailer].flatMap((p) => ['-m', p]);
    await git(
      [
        '-c',
        `user.name=${author.name}`,
        '-c',
        `user.email=${author.email}`,
        'commit',
        '-q',
        '--allow-empty',
        ...message,
      ],
      {
        cwd: dir,
        env: {
          GIT_COMMITTER_NAME: `durable-codex-agents on ${deps.host}`,
          GIT_COMMITTER_EMAIL: `worker@${deps.host.replace(/[^\w.-]/g, '-')}.agents.local`,
        },
      },
    );
  }

  async function placement(dir: string, branch: string, remote: string, repo?: RepoSpec): Promise<WorkspacePlacement> {
    // A repository's clone is shallow: its commits are counted from the base (the base itself counts as 1).
    const [commitSha, count] = await Promise.all([
      out(['rev-parse', 'HEAD'], dir),
      repo
        ? out(['rev-list', '--count', `${repo.baseCommit}..HEAD`], dir).then((n) => String(Number(n) + 1))
        : out(['rev-list', '--count', 'HEAD'], dir),
    ]);
    return {
      workspace: dir,
      host: deps.host,
      ...(deps.disk && { disk: deps.disk }),
      hostQueue: deps.hostQueue,
      branch,
      remote: displayRemote(remote),
      commit: commitSha,
      commits: Number(count),
      ...(repo ? { baseCommit: repo.baseCommit } : {}),
    };
  }

  async function resetTo(dir: string, branch: string, remote: string, commitSha: string): Promise<void> {
    try {
      await git(['reset', '-q', '--hard', commitSha], { cwd: dir });
    } catch (err) {
      throw new WorkspaceError(`Commit ${commitSha} is not on branch ${branch} of ${displayRemote(remote)}`, {
        cause: err,
      });
    }
  }

  /** A clean checkout of the remote branch at `commit`: whatever was in the directory before is gone. */
  async function cloneAt(dir: string, branch: string, remote: string, commitSha: string): Promise<void> {
    await rm(dir, { recursive: true, force: true });
    await initRepo(dir, branch, remote);
    await fetchBranch(dir, remote, branch);
    await resetTo(dir, branch, remote, commitSha);
  }

  /**
   * A clean shallow clone of the repository's base commit on the run's branch. The base is fetched by commit (one
   * commit deep); a server that refuses a commit id is asked for the base branch, whole, instead.
   */
  async function cloneBase(dir: string, branch: string, repo: RepoSpec): Promise<void> {
    await rm(dir, { recursive: true, force: true });
    await initRepo(dir, branch, remoteOf(repo));
    const fetch = (args: string[]) => git(['fetch', '-q', ...args], { cwd: dir, timeoutMs: CLONE_TIMEOUT_MS });
    try {
      await fetch(['--depth=1', repo.source, repo.baseCommit]).catch(() =>
        fetch([repo.source, `refs/heads/${repo.base}`]),
      );
    } catch (err) {
      throw remoteFailure(repo.source, `could not be cloned at ${repo.base}`, err);
    }
    try {
      await git(['reset', '-q', '--hard', repo.baseCommit], { cwd: dir });
    } catch (err) {
      throw new WorkspaceError(
        `Base commit ${repo.baseCommit} of ${repo.base} is gone from ${displayRemote(repo.source)}`,
        {
          cause: err,
        },
      );
    }
  }

  /** The commits on top of the base, all made by this run (a branch of anyone else is never taken over). */
  async function ownsBranch(dir: string, repo: RepoSpec, tip: string, runId: string): Promise<boolean> {
    const onBase = await git(['merge-base', '--is-ancestor', repo.baseCommit, tip], { cwd: dir }).then(
      () => true,
      () => false,
    );
    if (!onBase) return false;
    const commits = (await out(['rev-list', `${repo.baseCommit}..${tip}`], dir)).split('\n').filter(Boolean);
    for (const c of commits) if (!(await ownedBy(dir, c, runId))) return false;
    return commits.length > 0;
  }

  /** `prepare` for a run on an existing repository (see the module comment). */
  async function prepareRepo(input: PrepareWorkspaceInput, dir: string, repo: RepoSpec): Promise<WorkspacePlacement> {
    const branch = branchOf(input.workflowId, repo);
    const remote = remoteOf(repo);
    const tip = await remoteTip(remote, branch);
    const started = Date.now();
    await cloneBase(dir, branch, repo);
    const cloneMs = Date.now() - started;
    const wanted = input.fromCommit && input.fromCommit !== repo.baseCommit ? input.fromCommit : undefined;
    if (tip) {
      const fetched = await fetchBranch(dir, remote, branch);
      if (!(await ownsBranch(dir, repo, fetched, input.runId))) {
        throw new WorkspaceError(
          `Remote ${displayRemote(remote)} already has branch ${branch} with commits not made by this run; ` +
            'not overwriting it: choose another --branch',
        );
      }
      await resetTo(dir, branch, remote, wanted ?? fetched);
    } else if (wanted) {
      throw new WorkspaceError(`Branch ${branch} is gone from ${displayRemote(remote)}: the run cannot move`);
    }
    return { ...(await placement(dir, branch, remote, repo)), cloneMs };
  }

  const messageLines = async (dir: string, ref: string) =>
    (await out(['log', '--format=%B', '-1', ref], dir)).split('\n');
  const ownedBy = async (dir: string, ref: string, runId: string) =>
    (await messageLines(dir, ref)).includes(`Run-Id: ${runId}`);

  return {
    remote: displayRemote(workerRemote),

    /**
     * Creates the run's repository and claims its branch on the remote (a root commit), or, with `fromCommit`,
     * takes the run over on this host: a clean clone of the branch at that commit.
     */
    async prepare(input: PrepareWorkspaceInput): Promise<WorkspacePlacement> {
      const dir = resolveWorkspace(root, input);
      const branch = branchOf(input.workflowId, input.repo);
      const remote = workerRemote;
      const shown = displayRemote(remote);
      if (input.repo) {
        const repo = input.repo;
        return serialised(dir, () => prepareRepo(input, dir, repo));
      }
      return serialised(dir, async () => {
        const tip = await remoteTip(remote, branch);
        if (input.fromCommit) {
          if (!tip) throw new WorkspaceError(`Branch ${branch} is gone from ${shown}: the run cannot move`);
          await cloneAt(dir, branch, remote, input.fromCommit);
          return placement(dir, branch, remote);
        }
        if (tip) {
          // Ours only when its root commit names this run (a retried first step); never another run's.
          const probe = existsSync(path.join(dir, '.git')) ? dir : undefined;
          if (!probe) await initRepo(dir, branch, remote);
          await fetchBranch(dir, remote, branch);
          const rootCommit = (await out(['rev-list', '--max-parents=0', 'FETCH_HEAD'], dir)).split('\n')[0] ?? '';
          if (!(await ownedBy(dir, rootCommit, input.runId))) {
            throw new WorkspaceError(
              `Workspace remote ${shown} already has branch ${branch} from another run (root commit ` +
                `${rootCommit.slice(0, 12)}); not overwriting it: use another workflow id or remove that branch`,
            );
          }
          await cloneAt(dir, branch, remote, tip);
          return placement(dir, branch, remote);
        }
        const head = existsSync(path.join(dir, '.git'))
          ? await out(['rev-parse', '-q', '--verify', 'HEAD'], dir).catch(() => '')
          : undefined;
        if (head === '' && (await diedBeforeFirstCommit(dir, input))) {
          // This prepare was killed between `git init` and its first commit: nothing was committed, start over.
          await rm(path.join(dir, '.git'), { recursive: true, force: true });
        } else if (head !== undefined && (!head || !(await ownedBy(dir, 'HEAD', input.runId)))) {
          throw new WorkspaceError(`Workspace ${dir} is already a git repository of another run`);
        }
        if (!existsSync(path.join(dir, '.git'))) {
          await initRepo(dir, branch, remote, input.runId);
          await git(['add', '-A'], { cwd: dir });
          await commit(
            dir,
            { name: 'durable-codex-agents', email: 'run@agents.local' },
            `Run ${input.workflowId} started`,
            [],
            trailers(input, 'start'),
          );
        }
        try {
          await push(dir, remote, branch);
        } catch (err) {
          if (await remoteTip(remote, branch)) {
            throw new WorkspaceError(`Workspace remote ${shown} got branch ${branch} from another run meanwhile`);
          }
          throw remoteFailure(remote, `refused the push of ${branch}`, err);
        }
        return placement(dir, branch, remote);
      });
    },

    /** Commits a finished step (author = the role) and pushes it; a retry after a lost answer commits nothing twice. */
    async commitStep(input: CommitStepInput): Promise<StepCommit> {
      const dir = input.workspace;
      if (!existsSync(path.join(dir, '.git'))) {
        throw new WorkspaceLostError(`Workspace ${dir} does not exist on host ${deps.host}`);
      }
      const remote = remoteOf(input.repo);
      return serialised(dir, async () => {
        await unlock(dir, input.branch);
        const paths = input.paths?.filter((p) => existsSync(path.join(dir, p)));
        if (!paths) await git(['add', '-A'], { cwd: dir });
        else if (paths.length) await git(['add', '-A', '--', ...paths], { cwd: dir });
        const staged = await git(['diff', '--cached', '--quiet'], { cwd: dir }).then(
          () => false,
          () => true,
        );
        const author = { name: input.title, email: `${input.role}@agents.local` };
        // A step on a repository names what it changed; others name their deliverables.
        const named = input.repo && !input.files.length ? await stagedPaths(dir) : input.files.map((f) => f.path);
        const subject = `${input.title}: ${named.join(', ') || 'step finished'}`;
        const body = input.files.map((f) => `${f.path}  ${f.size} bytes  sha256:${f.sha256}`);
        // Nothing staged: this step's commit may already be there (a retry after a lost answer); its message says.
        const head = staged ? [] : await messageLines(dir, 'HEAD');
        const already = !staged && head.includes(`Step: ${input.role}`) && head.includes(`Run-Id: ${input.runId}`);
        if (!already) await commit(dir, author, subject, body, trailers(input, input.role));
        try {
          await push(dir, remote, input.branch);
        } catch (err) {
          // The remote moved on: a commit pushed by this run's lost host whose step was not recorded as finished.
          // The step was done again here; its commit goes on top (never forced). Anyone else's commit: refuse.
          const tip = await fetchBranch(dir, remote, input.branch).catch(() => undefined);
          if (!tip || !(await ownedBy(dir, tip, input.runId))) {
            throw remoteFailure(remote, `refused the push of ${input.branch}`, err);
          }
          await git(['reset', '-q', '--soft', tip], { cwd: dir });
          await commit(dir, author, subject, body, trailers(input, input.role));
          try {
            await push(dir, remote, input.branch);
          } catch (again) {
            throw remoteFailure(remote, `refused the push of ${input.branch}`, again);
          }
        }
        const p = await placement(dir, input.branch, remote, input.repo);
        return { commit: p.commit, commits: p.commits, host: deps.host, branch: input.branch };
      });
    },
  };
}

export type GitWorkspace = ReturnType<typeof createGitWorkspace>;

/** The activities over a git workspace: they heartbeat while git works, and leave with typed failures. */
export function createGitWorkspaceActivities(deps: GitWorkspaceDeps) {
  const ws = createGitWorkspace(deps);
  const beating =
    <A, R>(fn: (a: A) => Promise<R>) =>
    async (a: A): Promise<R> => {
      const ctx = Context.current();
      const timer = setInterval(() => ctx.heartbeat(), 1_000);
      try {
        return await fn(a);
      } finally {
        clearInterval(timer);
      }
    };
  return {
    /** The run's first step (shared queue): this worker's host becomes the run's host. */
    prepareWorkspace: withFailureConversion(
      beating(async (input: PrepareWorkspaceInput) => {
        const where = input.requested ?? `the workspace of ${input.workflowId}`;
        // A full or read-only disk is said as such (DiskFullError is retried), not as a failed git command.
        const p = await classifyDiskFaults(`Workspace ${where}`, where, () => ws.prepare(input));
        Context.current().log.info(input.fromCommit ? 'run moved to this host' : 'workspace ready', {
          workspace: p.workspace,
          branch: p.branch,
          commit: p.commit,
          lostHost: input.lostHost,
        });
        return p;
      }),
    ),
    /** After a step's gate passed (host queue): its commit, pushed. */
    commitStep: withFailureConversion(
      beating((input: CommitStepInput) =>
        classifyDiskFaults(`Commit of step ${input.role}`, input.workspace, () => ws.commitStep(input)),
      ),
    ),
  };
}

/**
 * The gate activity of a step on its host: the gate, then, when it passed and `commit` is asked for, the step's commit
 * pushed (one activity and one workflow task where there were two). The step counts as finished only on the answer,
 * so only once its commit is on the remote; a retry gates again and commits nothing twice (`commitStep`).
 */
export function gateThenCommit(
  gate: (input: GateInput) => Promise<GateResult>,
  commitStep: (input: CommitStepInput) => Promise<StepCommit>,
): (input: StepEndInput) => Promise<StepEndResult> {
  return async ({ commit, ...input }) => {
    const result = await gate(input);
    if (!commit || result.missing.length > 0 || (result.unchanged?.length ?? 0) > 0) return result;
    // A sibling still working: only this step's own paths, its deliverables among them.
    const paths = commit.paths && [...new Set([...commit.paths, ...result.present.map((f) => f.path)])];
    const done = await commitStep({ ...commit, workspace: input.workspace, files: result.present, paths });
    return { ...result, commit: done };
  };
}

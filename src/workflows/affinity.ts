/**
 * Run affinity across worker hosts (Temporal's worker-specific task queue pattern). The worker that takes the run's
 * first step (prepareWorkspace, on the shared queue) holds the workspace, a git repository; every activity that
 * touches it then goes to that host's own queue with a short schedule-to-start timeout. Model turns stay on the shared
 * queue. A finished step is committed and pushed to the run's remote before it counts as finished.
 *
 * When the host stops answering (schedule-to-start timeout on its queue, heartbeats gone, or its workspace gone), the
 * run moves: any worker clones the remote at the last pushed commit and becomes the host. Finished steps stay
 * finished; a step that was in flight starts again on the clean checkout (its partial files are gone with the host).
 */
import {
  ApplicationFailure,
  TimeoutFailure,
  patched,
  proxyActivities,
  workflowInfo,
  type ActivityFunctionWithOptions,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { FailureTypes, HostMoveLoopError, HostMoved, workflowFailure } from '../shared/errors';
import {
  GATE_THEN_COMMIT,
  type CommitStepInput,
  type RepoSpec,
  type StepCommit,
  type WorkspacePlacement,
} from '../shared/placement';
import type { ActivityTuning, GateInput, GateResult, HostMove, RunState, StepState } from '../shared/types';
import { DEFAULT_HEARTBEAT_TIMEOUT_MS, type ActivityProxies } from './activities';
import { hostPlaced, stepCommitted, stepOf, stepRestarted } from './run-state';

/** The patch that turned on host affinity: runs started before it replay on the shared queue as they ran. */
export const HOST_AFFINITY_PATCH = 'host-affinity-git-workspace';
export const DEFAULT_HOST_SCHEDULE_TO_START_MS = 5_000;
/** Bound on how often one step starts again because its host was lost. */
const MAX_STEP_RESTARTS = 5;
/** Moves in a row with no step committed in between; one more fails the run (HostMoveLoopError) instead. */
export const MAX_MOVES_WITHOUT_PROGRESS = 3;
/** The patch that bounds moves without progress: runs that looped before it replay as they ran. */
export const HOST_MOVE_BOUND_PATCH = 'host-move-bound';
/**
 * The patch that folded a step's commit into its gate (issue 22): one activity and one workflow task fewer per step.
 * Steps of runs recorded before it (a gate, then a commit) replay as they ran.
 */
export const STEP_END_PATCH = 'step-end-folded';

/** True when a failure says the host is gone rather than that the work failed. */
export function isHostLoss(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof TimeoutFailure && (e.timeoutType === 'SCHEDULE_TO_START' || e.timeoutType === 'HEARTBEAT')) {
      return true;
    }
    if (e instanceof ApplicationFailure && e.type === FailureTypes.workspaceLost) return true;
  }
  return false;
}

/** Why the host is taken as lost: the failure's message, and the lost workspace's own line when it said one. */
function hostLossReason(err: unknown): string {
  const outer = err instanceof Error ? err.message : String(err);
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof ApplicationFailure && e.type === FailureTypes.workspaceLost && e.message !== outer) {
      return `${outer}: ${e.message}`;
    }
  }
  return outer;
}

const short = (sha: string) => sha.slice(0, 10);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Fn = (...args: any[]) => Promise<any>;
/** Checks a step's gate (`summary` names it in the Web UI); on the host it also commits the step (runStep). */
export type StepGate = (input: GateInput, summary: string) => Promise<GateResult>;

export class RunHost {
  private epoch = 0;
  private moving: Promise<void> | undefined;
  private last: { commit: string; commits: number };
  /** Moves since the last step committed, and the commit count at the last move. */
  private idle = { moves: 0, commits: -1 };
  readonly moves: HostMove[] = [];

  private constructor(
    private placement: WorkspacePlacement,
    private readonly acts: ActivityProxies,
    private readonly git: ReturnType<typeof gitProxies>,
    private readonly state: RunState,
    private readonly input: { workflowId: string; runId: string; requested?: string; repo?: RepoSpec },
    private readonly scheduleToStartMs: number,
  ) {
    this.last = { commit: placement.commit, commits: placement.commits };
    this.show();
  }

  /** The run's first step: the worker that takes it becomes the run's host. */
  static async open(
    acts: ActivityProxies,
    state: RunState,
    o: { requested?: string; tuning?: ActivityTuning; hostQueue?: string; repo?: RepoSpec },
  ): Promise<RunHost> {
    const { workflowId, firstExecutionRunId: runId } = workflowInfo();
    const git = gitProxies(acts, o.tuning);
    // A run pinned to a host (started by an MCP server) is prepared there; a later host move may go anywhere.
    const placement = await git.prepareWorkspace.executeWithOptions(
      {
        ...git.options,
        ...(o.hostQueue ? { taskQueue: o.hostQueue } : {}),
        summary: o.repo
          ? `Clone ${o.repo.base} (${short(o.repo.baseCommit)}) into the workspace`
          : 'Create workspace (git repository, branch pushed to the remote)',
      },
      [{ workflowId, runId, requested: o.requested, ...(o.repo ? { repo: o.repo } : {}) }],
    );
    const s2s = o.tuning?.hostScheduleToStartMs ?? DEFAULT_HOST_SCHEDULE_TO_START_MS;
    const input = { workflowId, runId, requested: o.requested, ...(o.repo ? { repo: o.repo } : {}) };
    return new RunHost(placement, acts, git, state, input, s2s);
  }

  get workspace(): string {
    return this.placement.workspace;
  }

  /**
   * One role's step on the run's host: `attempt` gets a context whose workspace activities go to the host; when its
   * gate has passed, the step is committed and pushed, by the gate's own activity (STEP_END_PATCH), else (no gate, a
   * run from before the patch, or a gate answered by a worker from before it) by a commitStep activity. The step
   * counts as finished only once the push answered. A lost host makes the step start again on the new host.
   */
  async runStep<C extends { workspace: string; acts: ActivityProxies; stepGate?: StepGate }>(
    ctx: C,
    role: string,
    attempt: (ctx: C) => Promise<string>,
  ): Promise<string> {
    const step = stepOf(this.state, role);
    for (let restarts = 0; ; restarts++) {
      const epoch = this.epoch;
      const workspace = this.placement.workspace;
      const acts = this.proxiesFor(epoch);
      let committed: StepCommit | undefined;
      const stepGate: StepGate = async (gate, summary) => {
        if (!patched(STEP_END_PATCH)) {
          return acts.checkDeliverables.executeWithOptions({ ...this.acts.fileOptions, summary }, [gate]);
        }
        const result = await this.call(
          this.acts.checkDeliverables,
          epoch,
          { ...this.git.options, summary: `${summary}${GATE_THEN_COMMIT}${this.commitSummary(step)}` },
          [{ ...gate, commit: this.commitRequest(step) }],
        );
        committed = result.commit;
        return result;
      };
      try {
        const text = await attempt({ ...ctx, workspace, acts, stepGate });
        const done: StepCommit =
          committed ??
          (await this.call(this.git.commitStep, epoch, { ...this.git.options, summary: this.commitSummary(step) }, [
            { ...this.commitRequest(step), workspace, files: step.files },
          ]));
        if (done.commits > this.last.commits) this.last = { commit: done.commit, commits: done.commits };
        stepCommitted(this.state, step, done);
        return text;
      } catch (err) {
        if (!(err instanceof HostMoved)) throw err;
        if (restarts >= MAX_STEP_RESTARTS) throw this.loopFailure(`step ${role} started ${restarts + 1} times`);
        stepRestarted(this.state, step, restarts + 1);
      }
    }
  }

  /** What a step's commit is asked to do, but its workspace and files (its gate's deliverables). */
  private commitRequest(step: StepState): Omit<CommitStepInput, 'workspace' | 'files'> {
    const othersRunning = this.state.steps.some((s) => s.role !== step.role && s.status === 'running');
    return {
      workflowId: this.input.workflowId,
      runId: this.input.runId,
      branch: this.placement.branch,
      role: step.role,
      title: step.title,
      // A sibling still working must not have its half-written files committed under this role.
      paths: othersRunning ? ownPaths(step) : undefined,
      ...(this.input.repo ? { repo: this.input.repo } : {}),
    };
  }

  private commitSummary(step: StepState): string {
    return `Commit: ${step.title} → ${this.placement.branch} (host ${this.placement.host})`;
  }

  /** The base commit of a run on an existing repository (diffs are against it). */
  get baseCommit(): string | undefined {
    return this.input.repo?.baseCommit;
  }

  /** A workspace activity outside the steps (the final listing): on the host, following the run if it moves. */
  async onHost<R>(fn: (acts: ActivityProxies, workspace: string) => Promise<R>): Promise<R> {
    for (let moves = 0; ; moves++) {
      try {
        return await fn(this.proxiesFor(this.epoch), this.placement.workspace);
      } catch (err) {
        if (!(err instanceof HostMoved)) throw err;
        if (moves >= MAX_STEP_RESTARTS) throw this.loopFailure(`the final listing moved ${moves + 1} times`);
      }
    }
  }

  private proxiesFor(epoch: number): ActivityProxies {
    const route = <T extends Fn>(fn: ActivityFunctionWithOptions<T>, base: ActivityOptions) =>
      Object.assign((...args: Parameters<T>) => this.call(fn, epoch, base, args), {
        executeWithOptions: (options: ActivityOptions, args: Parameters<T>) => this.call(fn, epoch, options, args),
      }) as unknown as ActivityFunctionWithOptions<T>;
    const a = this.acts;
    return {
      ...a,
      codexCall: route(a.codexCall, a.codexOptions),
      checkDeliverables: route(a.checkDeliverables, a.fileOptions),
      listWorkspace: route(a.listWorkspace, a.fileOptions),
      diffWorkspace: route(a.diffWorkspace, a.fileOptions),
      runVerification: route(a.runVerification, a.verifyOptions),
    };
  }

  /** Runs a workspace activity on the host; a lost host moves the run and ends the caller's attempt. */
  private async call<T extends Fn>(
    fn: ActivityFunctionWithOptions<T>,
    epoch: number,
    options: ActivityOptions,
    args: Parameters<T>,
  ): Promise<Awaited<ReturnType<T>>> {
    if (epoch !== this.epoch) throw new HostMoved();
    try {
      const result = await fn.executeWithOptions(
        {
          ...options,
          taskQueue: this.placement.hostQueue,
          scheduleToStartTimeout: this.scheduleToStartMs,
        },
        args,
      );
      if (epoch !== this.epoch) throw new HostMoved();
      return result;
    } catch (err) {
      if (err instanceof HostMoved) throw err;
      if (isHostLoss(err)) {
        await this.move(epoch, hostLossReason(err));
        throw new HostMoved();
      }
      if (epoch !== this.epoch) throw new HostMoved();
      throw err;
    }
  }

  /** Moves the run once per lost host, however many steps notice it. */
  private async move(seenEpoch: number, reason: string): Promise<void> {
    while (this.moving) await this.moving;
    if (seenEpoch !== this.epoch) return;
    this.moving = this.moveNow(reason).finally(() => (this.moving = undefined));
    await this.moving;
  }

  private async moveNow(reason: string): Promise<void> {
    const from = this.placement.host;
    const at = Date.now();
    const { commit, commits } = this.last;
    const idleMoves = commits === this.idle.commits ? this.idle.moves + 1 : 1;
    if (idleMoves > MAX_MOVES_WITHOUT_PROGRESS && patched(HOST_MOVE_BOUND_PATCH)) {
      throw this.loopFailure(`no step finished in the last ${idleMoves - 1} moves`, reason);
    }
    this.idle = { moves: idleMoves, commits };
    const placement = await this.git.prepareWorkspace.executeWithOptions(
      { ...this.git.options, summary: `Move run from lost host ${from}: clone ${short(commit)}` },
      [{ ...this.input, fromCommit: commit, lostHost: from }],
    );
    this.placement = placement;
    this.epoch += 1;
    this.moves.push({ from, to: placement.host, at, commit, reason });
    this.show();
  }

  /**
   * The run's end when it keeps moving: one line naming the hosts, the disks when a host's own queue took the run
   * to another disk (two workers, one host id), and what to do.
   */
  private loopFailure(what: string, reason = this.moves.at(-1)?.reason ?? ''): ApplicationFailure {
    const hosts = [this.moves[0]?.from ?? this.placement.host, ...this.moves.map((m) => m.to)];
    const seenDisk = /\(disk ([\w.-]+)\)/.exec(reason)?.[1];
    const placedDisk = this.placement.disk;
    const sameHost = this.moves.length > 0 && this.moves.every((m) => m.from === m.to);
    const cause =
      seenDisk && placedDisk && seenDisk !== placedDisk
        ? `host queue ${this.placement.hostQueue} is served from two disks: the workspace is on disk ${placedDisk}, ` +
          `a worker on disk ${seenDisk} took its task; give each host its own WORKER_HOST_ID (or unset it)`
        : sameHost
          ? `host ${this.placement.host} lost the workspace each time: two workers on different disks likely share ` +
            'that host id; give each host its own WORKER_HOST_ID (or unset it)'
          : `last: ${reason}`;
    return workflowFailure(
      new HostMoveLoopError(
        `The run moved between hosts ${this.moves.length} times (${hosts.join(' → ')}) and ${what}: ${cause}`,
        hosts,
      ),
    );
  }

  private show(): void {
    hostPlaced(this.state, this.placement, this.moves);
  }
}

function gitProxies(acts: ActivityProxies, t: ActivityTuning = {}) {
  // Git talks to the remote: heartbeats (the activity beats while git works) detect a dead worker in seconds.
  const options: ActivityOptions = {
    ...acts.fileOptions,
    heartbeatTimeout: t.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS,
  };
  const p = proxyActivities<Activities>(options);
  return { options, prepareWorkspace: p.prepareWorkspace, commitStep: p.commitStep };
}

/** What a step wrote: its deliverables and the files its Codex calls reported changing. */
function ownPaths(step: StepState): string[] {
  const paths = [...step.files.map((f) => f.path), ...step.codexCalls.flatMap((c) => c.filesChanged)];
  return [...new Set(paths)];
}

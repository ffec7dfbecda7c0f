/**
 * Crash harness: runs the pipeline's worker as a child process in its own process group (`src/cli/main.ts worker`, or
 * crash-worker.ts, the same worker warmed up in standby so a replacement polls at once), SIGKILLs the group (worker
 * and its `codex mcp-server` child) at chosen points, starts a new worker, and checks afterwards, from the scripted
 * model's request log and the workflow history, that no model call or Codex call whose activity had completed ran
 * again. Shared by the durability tests and `npm run chaos`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as timer } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import type { ActivityRecord, WorkflowRecord } from '../../src/report/history';
import { readHistory } from '../../src/report/history';
import type { LocalStack } from '../../src/runtime/local-stack';
import { describeFailure, startRun } from '../../src/runtime/runs';
import { bundleWorkflows } from '../../src/runtime/workflow-bundle';
import type { RequestLogEntry, ScriptedStats } from '../../src/scripted-model';
import { COOKBOOK_TEAM, SINGLE_TEAM } from '../../src/shared/builtin-teams';
import { requiredPaths } from '../../src/shared/team';
import type { ActivityTuning, MultiAgentInput, RunResult, RunState } from '../../src/shared/types';
import { progressQuery } from '../../src/shared/progress';

const REPO = path.resolve(__dirname, '..', '..');

/**
 * Short enough that a dead worker's activity is retried within seconds. The host never dies here (only its worker):
 * a replacement slow to start on a loaded machine must not look like a lost host, which moves the run and does its
 * unfinished step again (the default host schedule-to-start timeout is 5 s).
 */
export const CRASH_TUNING: ActivityTuning = {
  heartbeatTimeoutMs: 3_000,
  retryInitialIntervalMs: 200,
  retryMaximumIntervalMs: 1_000,
  hostScheduleToStartMs: 30_000,
};

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/**
 * Waits for `exited`, at most `ms`. The grace timer is cleared once it is no longer needed: a pending one would hold
 * the test's process open for the whole grace.
 */
export async function exitedWithin(exited: Promise<unknown>, ms: number): Promise<void> {
  const grace = new AbortController();
  await Promise.race([exited, timer(ms, undefined, { signal: grace.signal }).catch(() => undefined)]);
  grace.abort();
}

export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 60_000,
  everyMs = 25,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

// ---- processes ----

interface ProcInfo {
  pid: number;
  comm: string;
  ppid: number;
  pgrp: number;
}

/** Every live process on the machine (Linux /proc). */
export function listProcesses(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // "pid (comm) state ppid pgrp ...": comm may contain spaces and parentheses.
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const [state, ppid, pgrp] = stat.slice(close + 2).split(' ');
      if (state === 'Z') continue;
      out.push({ pid: Number(name), comm, ppid: Number(ppid), pgrp: Number(pgrp) });
    } catch {
      // gone while we looked
    }
  }
  return out;
}

/** Live processes whose command line contains `marker`, or whose working directory is inside `marker` (a path). */
export function processesWith(marker: string): string[] {
  const found: string[] = [];
  for (const p of listProcesses()) {
    try {
      const cmdline = readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      let cwd = '';
      try {
        cwd = readlinkSync(`/proc/${p.pid}/cwd`);
      } catch {
        // not ours to read, or gone
      }
      if (cmdline.includes(marker) || (marker.startsWith('/') && cwd.startsWith(marker))) {
        found.push(`${p.pid} (${cwd}): ${cmdline}`);
      }
    } catch {
      // gone while we looked
    }
  }
  return found;
}

export const processGroup = (pgid: number) => listProcesses().filter((p) => p.pgrp === pgid);
export const codexChildren = (parentPid: number) =>
  listProcesses().filter((p) => p.ppid === parentPid && /codex/.test(p.comm));
export const isAlive = (pid: number) => listProcesses().some((p) => p.pid === pid);

export interface KillReport {
  workerPid: number;
  /** The worker's codex children at the kill: all gone afterwards. */
  codexPids: number[];
}

/** How WorkerProcess starts a worker's command line. */
export type Launcher = (command: string, args: string[]) => [string, string[]];

/**
 * A launcher for a second host on this machine (root only): the worker in its own mount namespace, `disk` bind-mounted
 * at `root`. `exec` keeps one pid from unshare to node: the process group a kill targets is the worker's.
 */
export const onOwnDisk =
  (disk: string, root: string): Launcher =>
  (command, args) => [
    'unshare',
    [
      '-m',
      '--propagation',
      'private',
      'sh',
      '-c',
      'mount --bind "$1" "$2" && shift 2 && exec "$@"',
      'sh',
      disk,
      root,
      command,
      ...args,
    ],
  ];

/**
 * One worker child process in its own process group, output to a log file. `entry: 'standby'` runs
 * test/helpers/crash-worker.ts, which warms up and polls only after `go()`; `entry: 'worker'` runs `src/cli/main.ts worker`.
 */
export class WorkerProcess {
  readonly child: ChildProcess;
  /** Warmed up (standby) or polling (worker). */
  readonly warm: Promise<void>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private output = '';

  constructor(
    env: NodeJS.ProcessEnv,
    readonly logFile: string,
    readonly entry: 'standby' | 'worker' = 'standby',
    /** Wraps the node command line, e.g. to run the worker in its own mount namespace (a host with its own disk). */
    launcher: Launcher = (command, args) => [command, args],
  ) {
    const script =
      entry === 'standby'
        ? [path.join(__dirname, 'crash-worker.ts')]
        : [path.join(REPO, 'src', 'cli', 'main.ts'), 'worker'];
    const [command, args] = launcher(process.execPath, ['--import', 'tsx', ...script]);
    this.child = spawn(command, args, {
      cwd: REPO,
      env,
      detached: true,
      stdio: [entry === 'standby' ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    const log = createWriteStream(logFile, { flags: 'a' });
    const onData = (d: Buffer) => {
      log.write(d);
      if (this.output.length < 1_000_000) this.output += d.toString('utf8');
    };
    this.child.stdout?.on('data', onData);
    this.child.stderr?.on('data', onData);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    this.child.once('close', () => log.end());
    this.warm = this.waitForLine(entry === 'standby' ? /Worker warm/ : /Worker ready/);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  text(): string {
    return this.output;
  }

  /** Standby only: start polling. */
  async go(): Promise<void> {
    await this.warm;
    if (this.entry !== 'standby') return;
    this.child.stdin?.write('go\n');
    await this.waitForLine(/Worker ready/);
  }

  private waitForLine(line: RegExp): Promise<void> {
    // The wait ends when the worker exits too: a poll left running would keep the test process alive for its minute.
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    void this.exited.then((e) => (exit = e));
    const p = waitFor(
      `worker output ${line}`,
      () => line.test(this.output) || exit !== undefined || undefined,
      60_000,
      10,
    ).then(() => {
      if (!line.test(this.output)) {
        throw new Error(`worker exited (${JSON.stringify(exit)}) before ${line}:\n${this.output.slice(-3000)}`);
      }
    });
    p.catch(() => undefined);
    return p;
  }

  /**
   * SIGKILL to the whole group (worker and its codex child); resolves when none of them is left.
   * With `workerOnly`, only the worker process is killed, as an OOM killer would: its children are left to fend
   * for themselves (the caller checks they do not linger).
   */
  async kill(o: { workerOnly?: boolean } = {}): Promise<KillReport> {
    const codexPids = codexChildren(this.pid).map((p) => p.pid);
    try {
      process.kill(o.workerOnly ? this.pid : -this.pid, 'SIGKILL');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
    await this.exited;
    if (!o.workerOnly) {
      await waitFor(
        'the worker process group to be gone',
        () => processGroup(this.pid).length === 0 || undefined,
        10_000,
      );
    }
    return { workerPid: this.pid, codexPids };
  }

  /** Graceful stop (SIGTERM), then SIGKILL of whatever is left of the group. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      try {
        process.kill(this.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      await exitedWithin(this.exited, 10_000);
    }
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // nothing left
    }
    await this.exited;
  }
}

export interface WorkerFleetOptions {
  /** Extra environment for every worker (e.g. CODEX_CALL_TIMEOUT_MS). */
  env?: NodeJS.ProcessEnv;
  /** 'standby' (default): the next worker warms up while the current one works. */
  entry?: 'standby' | 'worker';
  /** With 'standby': warm up no next worker (a fleet whose worker is never killed). */
  noSpare?: boolean;
}

/**
 * Successive worker processes joining one local stack: one polls at a time, each with its own log and CODEX_HOME.
 * In standby mode the next one is always warming up, so a replacement polls within ~100 ms of a kill.
 */
export class WorkerFleet {
  private n = 0;
  private bundlePath: string | undefined;
  private standby: WorkerProcess | undefined;
  current: WorkerProcess | undefined;
  readonly all: WorkerProcess[] = [];

  constructor(
    private readonly stack: LocalStack,
    private readonly options: WorkerFleetOptions = {},
  ) {}

  /** Makes a worker poll (the standby if there is one) and warms up the next standby. */
  async start(): Promise<WorkerProcess> {
    const entry = this.options.entry ?? 'standby';
    if (entry === 'standby' && !this.bundlePath) {
      this.bundlePath = path.join(this.stack.dir, 'workflow-bundle.js');
      writeFileSync(this.bundlePath, (await bundleWorkflows()).code);
    }
    const w = this.standby ?? this.spawn(entry);
    this.standby = undefined;
    await w.go();
    this.current = w;
    if (entry === 'standby' && !this.options.noSpare) this.standby = this.spawn(entry);
    return w;
  }

  private spawn(entry: 'standby' | 'worker'): WorkerProcess {
    this.n += 1;
    const env = {
      ...this.stack.workerEnv(),
      CODEX_HOME: path.join(this.stack.dir, `codex-home-${this.n}`),
      ...(this.bundlePath ? { WORKFLOW_BUNDLE_PATH: this.bundlePath } : {}),
      ...this.options.env,
    };
    const w = new WorkerProcess(env, path.join(this.stack.dir, `worker-${this.n}.log`), entry);
    this.all.push(w);
    return w;
  }

  async kill(o: { workerOnly?: boolean } = {}): Promise<KillReport> {
    const w = this.current;
    if (!w) throw new Error('no worker to kill');
    this.current = undefined;
    return w.kill(o);
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.all.map((w) => w.stop()));
    this.current = undefined;
    this.standby = undefined;
  }

  logs(): string {
    return this.all.map((w) => w.text()).join('\n');
  }
}

// ---- kill points ----

export interface Observation {
  stats: ScriptedStats;
  /** Only the requests of this run. */
  requests: RequestLogEntry[];
  progress?: RunState;
  history?: WorkflowRecord;
}

export interface KillPoint {
  name: string;
  /** What the point means, for reports. */
  description: string;
  /** Which observations the predicate needs besides the request log. */
  needs?: { progress?: boolean; history?: boolean };
  when(o: Observation): boolean;
  options?: KillOptions;
}

/** A point `ms` after it is first polled (that is, after the previous worker became ready): for chaos runs. */
export function afterMs(ms: number): KillPoint {
  let armedAt: number | undefined;
  return {
    name: `+${ms}ms`,
    description: `${ms} ms after the worker became ready`,
    when: () => Date.now() - (armedAt ??= Date.now()) >= ms,
  };
}

/**
 * A point inside an activity that takes milliseconds: the fleet's workers hold the first attempt of the first activity
 * of `type` (env CRASH_HOLD, CRASH_HOLD_DIR: see ./crash-worker.ts) until `releaseHold`; the point is that hold.
 */
export function holdPoint(dir: string, type: string, name: string, description: string): KillPoint {
  return { name, description, when: () => existsSync(path.join(dir, `${type}.held`)) };
}

/** Lets a held activity go on (after a server restart; a killed worker's hold needs no release). */
export function releaseHold(dir: string, type: string): void {
  writeFileSync(path.join(dir, `${type}.release`), '');
}

/**
 * The environment that makes a fleet's workers hold these activity types once (see holdPoint); `type:text` holds the
 * first whose input contains the text (e.g. `commitStep:"role":"frontend"`).
 */
export const holdEnv = (dir: string, holds: string[]) => ({ CRASH_HOLD_DIR: dir, CRASH_HOLD: holds.join(',') });

export const inFlight = (o: Observation, kind: 'agent' | 'codex', role?: string) =>
  o.requests.filter((r) => r.durationMs === null && r.kind === kind && (role === undefined || r.role === role));

/** The codex request in flight for `role` comes right after one whose answer matched `answered`. */
export function codexInFlightAfter(o: Observation, role: string, answered: RegExp): boolean {
  const mine = o.requests.filter((r) => r.kind === 'codex' && r.role === role);
  const last = mine[mine.length - 1];
  const prev = mine[mine.length - 2];
  return last?.durationMs === null && prev?.completed === true && answered.test(prev.answer ?? '');
}

export const stepStatus = (o: Observation, role: string) => o.progress?.steps.find((s) => s.role === role);

export async function observe(
  stack: LocalStack,
  handle: WorkflowHandle,
  runId: string,
  needs: KillPoint['needs'] = {},
) {
  const stats = stack.scripted.stats();
  const o: Observation = { stats, requests: stats.requests.filter((r) => r.run === runId) };
  if (needs.progress) o.progress = await handle.query(progressQuery).catch(() => undefined);
  if (needs.history) o.history = readHistory(await handle.fetchHistory());
  return o;
}

export interface KillRecord {
  point: string;
  at: number;
  /** Requests of the run in flight at the kill: `kind role turn`. */
  inFlight: string[];
  codexPids: number[];
  /** From the kill until the replacement worker was ready. */
  restartMs: number;
}

export interface KillOptions {
  timeoutMs?: number;
  /**
   * After the kill, tell the server to forget the dead worker's sticky queue (ResetStickyTaskQueue, what an
   * operator does after losing a worker). Without it the next workflow task waits out the sticky schedule-to-start
   * timeout (10 s) before going to the normal queue. Default true.
   */
  resetSticky?: boolean;
  /** Kill the replacement worker too, as soon as it is ready, and start a third one. */
  killReplacement?: boolean;
}

/** Waits until the point is seen; undefined when cancelled first. Returns what was in flight then. */
export async function waitForPoint(
  stack: LocalStack,
  handle: WorkflowHandle,
  point: KillPoint,
  o: { timeoutMs?: number; cancelled?: () => boolean } = {},
): Promise<string[] | undefined> {
  const everyMs = point.needs?.history || point.needs?.progress ? 40 : 15;
  const reached = await waitFor(
    `kill point ${point.name}`,
    async () => {
      if (o.cancelled?.()) return 'cancelled';
      const seen = await observe(stack, handle, handle.workflowId, point.needs);
      return point.when(seen) ? seen : undefined;
    },
    o.timeoutMs ?? 60_000,
    everyMs,
  );
  if (reached === 'cancelled') return undefined;
  return reached.requests.filter((r) => r.durationMs === null).map((r) => `${r.kind} ${r.role ?? '?'} ${r.turn}`);
}

/** Waits for the point, kills the worker (process group) there, starts a new one. */
export async function killAt(
  stack: LocalStack,
  fleet: WorkerFleet,
  handle: WorkflowHandle,
  point: KillPoint,
  o: KillOptions = point.options ?? {},
  cancelled: () => boolean = () => false,
): Promise<KillRecord | undefined> {
  const runId = handle.workflowId;
  const flying = await waitForPoint(stack, handle, point, { timeoutMs: o.timeoutMs, cancelled });
  if (!flying) return undefined;
  const at = Date.now();
  const report = await fleet.kill();
  if (o.resetSticky ?? true) await resetSticky(stack, runId);
  await fleet.start();
  if (o.killReplacement) {
    await fleet.kill();
    if (o.resetSticky ?? true) await resetSticky(stack, runId);
    await fleet.start();
  }
  return { point: point.name, at, inFlight: flying, codexPids: report.codexPids, restartMs: Date.now() - at };
}

export async function resetSticky(stack: LocalStack, workflowId: string): Promise<void> {
  await stack.client.workflowService.resetStickyTaskQueue({
    namespace: stack.namespace,
    execution: { workflowId },
  });
}

// ---- checks ----

export interface RedoReport {
  /** Requests answered again after the activity they belonged to had completed: must be empty. */
  redone: { entry: RequestLogEntry; activity: string; repeats: number }[];
  /** Requests repeated while their activity was still open (in flight at a kill): allowed, bounded by kills. */
  inFlightRepeats: { entry: RequestLogEntry; activity: string; repeats: number; killsInWindow: number }[];
  /** Repeats beyond one per kill inside the activity's window: must be empty. */
  excessive: { entry: RequestLogEntry; activity: string; repeats: number; killsInWindow: number }[];
}

const KIND_OF: Record<string, 'agent' | 'codex'> = { modelTurn: 'agent', codexCall: 'codex' };

function activityOf(h: WorkflowRecord, e: RequestLogEntry): ActivityRecord | undefined {
  const t = Date.parse(e.startedAt);
  return h.activities.find((a) => {
    const input = a.input as { role?: string } | undefined;
    return (
      KIND_OF[a.type] === e.kind &&
      input?.role === e.role &&
      a.scheduledAt <= t + 5 &&
      (a.endedAt === undefined || t <= a.endedAt)
    );
  });
}

/**
 * Groups the run's completed requests by fingerprint; a repeat is a redo when its first answer belonged to an
 * activity that had completed (recorded in history) before the repeat started.
 */
export function checkRedo(
  stats: ScriptedStats,
  history: WorkflowRecord,
  runId: string,
  killTimes: number[],
): RedoReport {
  const report: RedoReport = { redone: [], inFlightRepeats: [], excessive: [] };
  const groups = new Map<string, RequestLogEntry[]>();
  for (const e of stats.requests) {
    if (e.run !== runId || !e.completed) continue;
    groups.set(e.fingerprint, [...(groups.get(e.fingerprint) ?? []), e]);
  }
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    const first = group[0] as RequestLogEntry;
    const act = activityOf(history, first);
    const label = act ? `${act.type} ${act.summary ?? act.activityId}` : `? (${first.kind} ${first.role})`;
    const repeats = group.length - 1;
    const redoneAfterClose =
      !act || act.endedAt === undefined || group.slice(1).some((e) => Date.parse(e.startedAt) > (act.endedAt ?? 0));
    if (redoneAfterClose) {
      report.redone.push({ entry: first, activity: label, repeats });
      continue;
    }
    const killsInWindow = killTimes.filter((k) => k >= act.scheduledAt && k <= (act.endedAt ?? Infinity)).length;
    const item = { entry: first, activity: label, repeats, killsInWindow };
    report.inFlightRepeats.push(item);
    if (repeats > killsInWindow) report.excessive.push(item);
  }
  return report;
}

export function describeRedo(r: RedoReport): string {
  const line = (x: { entry: RequestLogEntry; activity: string; repeats: number }) =>
    `  #${x.entry.seq} ${x.entry.kind} ${x.entry.role} turn ${x.entry.turn} (${x.entry.answer}) in ${x.activity}: ${x.repeats} repeat(s)`;
  return [
    `redone after completion: ${r.redone.length}`,
    ...r.redone.map(line),
    `repeated while in flight: ${r.inFlightRepeats.length}`,
    ...r.inFlightRepeats.map(line),
  ].join('\n');
}

// ---- a run with kills ----

export interface CrashRunOptions {
  workflowId: string;
  /** Default: the stack's task queue. The fleet's workers must poll it (env TASK_QUEUE). */
  taskQueue?: string;
  input: MultiAgentInput;
  points: KillPoint[];
  /** Bound on the whole run after the last kill. */
  resultTimeoutMs?: number;
}

export interface CrashRunOutcome {
  workflowId: string;
  ok: boolean;
  result?: RunResult;
  error?: string;
  kills: KillRecord[];
  /** Points not reached because the run ended first. */
  missed: string[];
  history: WorkflowRecord;
  redo: RedoReport;
  /** Required deliverables of every role that are not on disk. */
  missingFiles: string[];
  durationMs: number;
}

/** Starts a multi-agent run on the fleet, kills the worker at each point in turn, and checks the outcome. */
export async function runWithKills(
  stack: LocalStack,
  fleet: WorkerFleet,
  o: CrashRunOptions,
): Promise<CrashRunOutcome> {
  const started = Date.now();
  if (!fleet.current) await fleet.start();
  const handle = await startRun(stack.client, {
    kind: 'multi',
    input: o.input,
    workflowId: o.workflowId,
    taskQueue: o.taskQueue ?? stack.taskQueue,
  });
  const kills: KillRecord[] = [];
  const missed: string[] = [];
  let ended = false;
  void handle.result().then(
    () => (ended = true),
    () => (ended = true),
  );
  for (const [i, point] of o.points.entries()) {
    const kill = await killAt(stack, fleet, handle, point, point.options, () => ended);
    if (!kill) {
      missed.push(...o.points.slice(i).map((p) => p.name));
      break;
    }
    kills.push(kill);
  }
  const outcome = await outcomeOf(
    stack,
    handle,
    kills.map((k) => k.at),
    o.resultTimeoutMs,
  );
  return { ...outcome, kills, missed, durationMs: Date.now() - started };
}

/** Waits for the run's end, then checks it: deliverables on disk, and no call redone after its activity completed. */
export async function outcomeOf(
  stack: LocalStack,
  handle: WorkflowHandle,
  disruptedAt: number[],
  resultTimeoutMs = 120_000,
): Promise<Omit<CrashRunOutcome, 'kills' | 'missed' | 'durationMs'>> {
  let result: RunResult | undefined;
  let error: string | undefined;
  try {
    result = await withTimeout(handle.result() as Promise<RunResult>, resultTimeoutMs, 'the run to end');
  } catch (err) {
    error = describeFailure(err);
  }
  const history = readHistory(await handle.fetchHistory());
  const redo = checkRedo(stack.scripted.stats(), history, handle.workflowId, disruptedAt);
  const roles = (result?.state.team === 'single' ? SINGLE_TEAM : COOKBOOK_TEAM).roles;
  const missingFiles = result
    ? roles.flatMap((r) => requiredPaths(r)).filter((p) => !existsSync(path.join(result.workspace, p)))
    : [];
  return { workflowId: handle.workflowId, ok: result !== undefined, result, error, history, redo, missingFiles };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]);
}

/** One line per activity: offsets (ms) from the run's start, attempts, last failure. For diagnosing slow runs. */
export function timeline(h: WorkflowRecord): string {
  const t0 = h.startedAt ?? 0;
  return h.activities
    .map((a) => {
      const at = (t?: number) => (t === undefined ? '-' : String(t - t0));
      const failure = a.lastFailure ? `  last failure: ${a.lastFailure.slice(0, 80)}` : '';
      return `${at(a.scheduledAt).padStart(6)} ${at(a.startedAt).padStart(6)} ${at(a.endedAt).padStart(6)}  ${a.type} ${a.summary ?? ''} #${a.attempt}${failure}`;
    })
    .join('\n');
}

/** The activities open (scheduled, not yet closed) at a moment: what a kill then interrupted. */
export function openAt(h: WorkflowRecord, at: number): ActivityRecord[] {
  return h.activities.filter((a) => a.scheduledAt <= at && (a.endedAt === undefined || a.endedAt > at));
}

/** Activity proxies with a timeout and retry policy per kind of work. */
import { ActivityCancellationType, proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ApprovalOptions } from '../shared/people';
import type { ActivityTuning } from '../shared/types';

export interface ActivityProxies {
  modelTurn: ReturnType<typeof proxyActivities<Activities>>['modelTurn'];
  codexCall: ReturnType<typeof proxyActivities<Activities>>['codexCall'];
  createWorkspace: ReturnType<typeof proxyActivities<Activities>>['createWorkspace'];
  checkDeliverables: ReturnType<typeof proxyActivities<Activities>>['checkDeliverables'];
  listWorkspace: ReturnType<typeof proxyActivities<Activities>>['listWorkspace'];
  diffWorkspace: ReturnType<typeof proxyActivities<Activities>>['diffWorkspace'];
  runVerification: ReturnType<typeof proxyActivities<Activities>>['runVerification'];
  modelOptions: ActivityOptions;
  codexOptions: ActivityOptions;
  fileOptions: ActivityOptions;
  /** Its start-to-close timeout is set per round from the role's `verify.timeout`. */
  verifyOptions: ActivityOptions;
}

/**
 * A worker that stops heartbeating this long is presumed dead: its activity is retried, and a workspace activity's
 * retry, not picked up on the lost host's queue within the host schedule-to-start timeout, moves the run (./affinity.ts).
 * Every activity heartbeats at least every 2 s (model turns, Codex calls and git every second), and the worker sends
 * heartbeats at most every second, so 5 s is two to five missed beats: a host lost is noticed in about 10 s (5 s here,
 * the retry interval, the host schedule-to-start timeout), while a live host would have to stall its event loop for
 * 5 s to be taken for dead. It was 30 s, which made a host loss take 41 s (BENCHMARKS.md).
 */
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 5_000;

/**
 * The first retry waits 1 s (it was 2 s): a lost host's activity is retried, on its dead queue, this long after its
 * heartbeat timeout, before the host schedule-to-start timeout moves the run. One more attempt (7, was 6) keeps the
 * window a transient failure may last at about a minute (1 + 2 + 4 + 8 + 16 + 32 s).
 */
export const DEFAULT_RETRY_INITIAL_INTERVAL_MS = 1_000;
export const DEFAULT_MAXIMUM_ATTEMPTS = 7;

/** Beyond a verification round's own timeout: the sandbox's start and the stop of what it started. */
export const VERIFY_TIMEOUT_MARGIN_MS = 60_000;

export function activityProxies(t: ActivityTuning = {}, approvals?: ApprovalOptions): ActivityProxies {
  const retry = {
    initialInterval: t.retryInitialIntervalMs ?? DEFAULT_RETRY_INITIAL_INTERVAL_MS,
    backoffCoefficient: 2,
    maximumInterval: t.retryMaximumIntervalMs ?? 60_000,
    maximumAttempts: t.maximumAttempts ?? DEFAULT_MAXIMUM_ATTEMPTS,
  };
  const heartbeatTimeout = t.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS;
  // A cancelled run ends only once its model turns and Codex calls really stopped (request aborted, Codex turn
  // interrupted, its commands killed), not when the cancellation is merely requested.
  const cancellationType = ActivityCancellationType.WAIT_CANCELLATION_COMPLETED;
  const modelOptions: ActivityOptions = {
    startToCloseTimeout: t.modelTurnTimeoutMs ?? 10 * 60_000,
    heartbeatTimeout,
    retry,
    cancellationType,
  };
  const codexCallTimeout = t.codexCallTimeoutMs ?? 30 * 60_000;
  const codexOptions: ActivityOptions = {
    // A call may wait for people to answer Codex's approvals (heartbeating): their timeout, else a day, on top.
    startToCloseTimeout:
      approvals?.policy === 'on-request'
        ? codexCallTimeout + (approvals.timeoutMs ?? 24 * 3_600_000)
        : codexCallTimeout,
    heartbeatTimeout,
    retry,
    cancellationType,
  };
  const fileOptions: ActivityOptions = {
    startToCloseTimeout: 60_000,
    // These take milliseconds; without a heartbeat timeout a host that dies mid-call would cost the whole minute.
    heartbeatTimeout,
    retry: { ...retry, maximumAttempts: 3 },
  };
  // A failing check is a result; only the sandbox's own trouble (it did not start, no result) is retried.
  const verifyOptions: ActivityOptions = {
    startToCloseTimeout: 120_000 + VERIFY_TIMEOUT_MARGIN_MS,
    heartbeatTimeout,
    retry: { ...retry, maximumAttempts: 3 },
  };
  const model = proxyActivities<Activities>(modelOptions);
  const codex = proxyActivities<Activities>(codexOptions);
  const files = proxyActivities<Activities>(fileOptions);
  return {
    modelTurn: model.modelTurn,
    codexCall: codex.codexCall,
    createWorkspace: files.createWorkspace,
    checkDeliverables: files.checkDeliverables,
    listWorkspace: files.listWorkspace,
    diffWorkspace: files.diffWorkspace,
    runVerification: proxyActivities<Activities>(verifyOptions).runVerification,
    modelOptions,
    codexOptions,
    fileOptions,
    verifyOptions,
  };
}

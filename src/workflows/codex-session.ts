/**
 * A durable Codex session, what the MCP server's `codex` and `codex-reply` tools talk to. The first turn comes in the
 * session's input (so its start can be eager), each later one as the `codexTurn` Update; each runs as one `codexCall`
 * activity on the host queue of the MCP server that took the call, and the Update returns when the (possibly
 * retried) turn finished, so a worker crash only delays the client's answer.
 * Turns run one at a time, in arrival order. The session ends after an idle time; every `turnsPerRun` turns it
 * continues as new, carrying only the thread mapping and the last prompts (at most 20, 16 KB in all), so its history
 * and its payloads stay bounded.
 */
import {
  ActivityFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  currentUpdateInfo,
  log,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  DEFAULT_HEARTBEAT_TIMEOUT_MS,
  DEFAULT_MAXIMUM_ATTEMPTS,
  DEFAULT_RETRY_INITIAL_INTERVAL_MS,
} from './activities';
import {
  approveUpdate,
  requestApprovalUpdate,
  type ApprovalDecisionInput,
  type ApprovalRecord,
  type PendingApproval,
} from '../shared/people';
import {
  codexSessionStatusQuery,
  sessionProgressQuery,
  codexTurnUpdate,
  SESSION_PROMPTS_KEPT,
  turnActivityId,
  turnFailureText,
  turnRequestProblem,
  type CodexSessionInput,
  type CodexTurnRequest,
  type CodexTurnResult,
} from '../shared/codex-session';
import { ApprovalRejected, CodexTurnFailedError, workflowFailure } from '../shared/errors';
import { recentPrompts } from '../shared/thread-book';
import type { ActivityTuning, CodexCallInput } from '../shared/types';

export interface CodexSessionEnd {
  sessionId: string;
  codexThreadId?: string;
  turns: number;
  reason: 'idle';
}

const PROMPT_SUMMARY_MAX = 80;
const TURN_ACTIVITY_ID_PATCH = 'codex-turn-activity-id';

export async function codexSessionWorkflow(input: CodexSessionInput): Promise<CodexSessionEnd> {
  const { sessionId, settings, limits } = input;
  const carried = input.carried ?? { prompts: [], turns: 0 };
  let codexThreadId = carried.codexThreadId;
  const prompts = [...carried.prompts];
  let turns = carried.turns;
  let turnsThisRun = 0;
  let running = false;
  // Turns go one at a time, in arrival order: a ticket each.
  let issued = 0;
  let served = 0;
  const options = turnOptions(
    limits.tuning,
    settings.approvalPolicy === 'never' ? undefined : (limits.approvalTimeoutMs ?? 24 * 3_600_000),
  );
  const { codexCall } = proxyActivities<Activities>(options);

  const approvals = installSessionApprovals(limits.approvalTimeoutMs);
  setHandler(codexSessionStatusQuery, () => ({
    sessionId,
    codexThreadId,
    turns,
    running,
    settings,
    approvals: { pending: approvals.pending, decided: approvals.decided },
  }));

  /** One turn, after the turns before it; `turnKey` (the Update's id, or the first turn's) names its activity. */
  const runTurn = async (req: CodexTurnRequest, turnKey: string | undefined): Promise<CodexTurnResult> => {
    const ticket = issued++;
    await condition(() => !running && served === ticket);
    running = true;
    served++;
    const turn = ++turns;
    turnsThisRun++;
    const started = Date.now();
    const call: CodexCallInput = {
      runId: workflowInfo().workflowId,
      role: 'codex',
      label: `Codex turn ${turn}`,
      tool: codexThreadId ? 'codex-reply' : 'codex',
      prompt: req.prompt,
      ...(codexThreadId && { threadId: codexThreadId, threadHistory: [...prompts] }),
      cwd: settings.cwd,
      approvalPolicy: settings.approvalPolicy,
      sandbox: settings.sandbox,
      ...(settings.model && { model: settings.model }),
      ...(settings.config && { config: settings.config }),
      ...(settings.profile && { profile: settings.profile }),
      ...(settings.baseInstructions && { baseInstructions: settings.baseInstructions }),
    };
    try {
      const out = await codexCall.executeWithOptions(
        {
          ...options,
          taskQueue: req.hostQueue,
          summary: `Codex turn ${turn}: ${summarise(req.prompt)}`,
          // The MCP server answers its client from the history event that completes this activity.
          ...(turnKey && patched(TURN_ACTIVITY_ID_PATCH) && { activityId: turnActivityId(turnKey, turn) }),
        },
        [call],
      );
      const continuedFrom = out.continuedFromThreadId;
      codexThreadId = out.threadId;
      prompts.push(req.prompt);
      // Kept for a continuation of a lost thread, carried by every turn and into the next run: bounded in count and
      // in size (a client may paste a whole file into a prompt; 20 of those would outgrow a payload).
      prompts.splice(0, prompts.length, ...recentPrompts(prompts.slice(-SESSION_PROMPTS_KEPT)));
      return {
        threadId: sessionId,
        content: out.content,
        codexThreadId: out.threadId,
        ...(continuedFrom && { continuedFromCodexThreadId: continuedFrom }),
        turn,
        durationMs: Date.now() - started,
      };
    } catch (err) {
      log.warn('Codex turn failed', { turn, error: String(err) });
      throw workflowFailure(
        new CodexTurnFailedError(turnFailureText(err instanceof ActivityFailure ? err.cause : err), { cause: err }),
      );
    } finally {
      // What the turn asked and nobody answered waits on nothing now.
      for (const p of approvals.pending.filter((a) => a.label === call.label)) {
        approvals.decide(p, {
          decision: 'withdrawn',
          reason: 'The Codex turn that asked ended first.',
          by: 'workflow',
        });
      }
      running = false;
    }
  };

  setHandler(codexTurnUpdate, (req: CodexTurnRequest) => runTurn(req, currentUpdateInfo()?.id), {
    validator: (req: CodexTurnRequest) => {
      const problem = turnRequestProblem(req);
      if (problem) throw new Error(problem);
    },
  });

  if (input.firstTurn) {
    const { turnId, ...first } = input.firstTurn;
    // Its client reads the result, or the failure, from the turn's activity in history (src/mcp-server/turn-watch.ts).
    void runTurn(first, turnId).catch(() => undefined);
  }
  for (;;) {
    const seen = turns;
    const active = await condition(() => running || turns !== seen, limits.idleTimeoutMs);
    if (!active) break;
    await condition(() => !running);
    if (turnsThisRun >= limits.turnsPerRun) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof codexSessionWorkflow>({
        sessionId,
        settings,
        limits,
        carried: { codexThreadId, prompts, turns },
      });
    }
  }
  await condition(allHandlersFinished);
  return { sessionId, codexThreadId, turns, reason: 'idle' };
}

type SessionApprovals = { pending: PendingApproval[]; decided: ApprovalRecord[] } & {
  decide(p: PendingApproval, d: Pick<ApprovalRecord, 'decision' | 'reason' | 'by'>): ApprovalRecord;
};

/**
 * Codex's approval requests, as runs record them (src/workflows/approvals.ts): the Codex call activity sends each as
 * `requestApproval` and reads the decision from the `progress` query; the MCP server elicits it from its client and
 * answers with `approve`. Both are in history; a retried turn asking the same again gets the recorded decision.
 */
function installSessionApprovals(timeoutMs: number | undefined): SessionApprovals {
  let next = 1;
  const state: SessionApprovals = {
    pending: [],
    decided: [],
    decide(p, d) {
      state.pending = state.pending.filter((x) => x.id !== p.id);
      const done: ApprovalRecord = { ...p, ...d, at: Date.now() };
      if (done.reason === undefined) delete done.reason;
      state.decided.push(done);
      return done;
    },
  };
  setHandler(sessionProgressQuery, () => ({ approvals: { pending: state.pending, decided: state.decided } }));
  setHandler(
    requestApprovalUpdate,
    (req) => {
      const decided = state.decided.find((d) => d.key === req.key);
      if (decided) return { id: decided.id, decided };
      const waiting = state.pending.find((p) => p.key === req.key);
      if (waiting) return { id: waiting.id };
      const pending: PendingApproval = { ...req, id: `a${next++}`, since: Date.now() };
      state.pending.push(pending);
      if (timeoutMs !== undefined) {
        void condition(() => !state.pending.includes(pending), timeoutMs).then((answered) => {
          if (!answered && state.pending.includes(pending)) {
            state.decide(pending, {
              decision: 'timed-out',
              reason: `Nobody answered this approval within ${Math.round(timeoutMs / 1000)} s; it was denied.`,
              by: 'timeout',
            });
          }
        });
      }
      return { id: pending.id };
    },
    {
      validator: (req) => {
        if (req?.kind !== 'exec' && req?.kind !== 'patch') throw new Error('kind: exec or patch');
        if (typeof req.key !== 'string' || req.key === '') throw new Error('key: required');
      },
    },
  );
  setHandler(
    approveUpdate,
    (input: ApprovalDecisionInput) =>
      input.ids.map((id) => {
        const p = state.pending.find((x) => x.id === id);
        if (!p) throw workflowFailure(new ApprovalRejected(`no pending approval ${id}`));
        const decision = input.decision === 'deny' ? 'denied' : input.forSession ? 'approved_for_session' : 'approved';
        return state.decide(p, {
          decision,
          reason: input.decision === 'deny' ? input.reason : undefined,
          by: input.by,
        });
      }),
    {
      validator: (input: ApprovalDecisionInput) => {
        if (input?.decision !== 'approve' && input?.decision !== 'deny') throw new Error('decision: approve or deny');
        if (!Array.isArray(input.ids) || input.ids.length === 0) throw new Error('ids: at least one');
        if (typeof input.by !== 'string' || input.by === '') throw new Error('by: required');
      },
    },
  );
  return state;
}

/** `approvalWaitMs`: a turn that may wait for approvals gets their timeout (else a day) on top of its own. */
function turnOptions(t: ActivityTuning = {}, approvalWaitMs?: number): ActivityOptions {
  return {
    startToCloseTimeout: (t.codexCallTimeoutMs ?? 30 * 60_000) + (approvalWaitMs ?? 0),
    // The run's defaults: a worker lost mid-turn is noticed in seconds (./activities.ts says why these values).
    heartbeatTimeout: t.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS,
    // Nobody serving the host queue must not hang the client forever.
    scheduleToStartTimeout: t.hostScheduleToStartMs ?? 5 * 60_000,
    retry: {
      initialInterval: t.retryInitialIntervalMs ?? DEFAULT_RETRY_INITIAL_INTERVAL_MS,
      backoffCoefficient: 2,
      maximumInterval: t.retryMaximumIntervalMs ?? 60_000,
      maximumAttempts: t.maximumAttempts ?? DEFAULT_MAXIMUM_ATTEMPTS,
    },
  };
}

function summarise(prompt: string): string {
  const line = prompt.trim().split('\n')[0] ?? '';
  return line.length > PROMPT_SUMMARY_MAX ? `${line.slice(0, PROMPT_SUMMARY_MAX - 1)}…` : line;
}

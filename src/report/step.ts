/** One role's step in the report, from the activities it ran: model turns, Codex calls and gates. */
import type { TeamRole } from '../shared/team';
import { GATE_THEN_COMMIT } from '../shared/placement';
import { ZERO_USAGE, type TokenUsage } from '../shared/types';
import { hostOfQueue } from '../runtime/host';
import { stepCommitOf, type ActivityRecord, type WorkflowRecord } from './history';
import {
  CodexCallInputSchema,
  CodexCallResultSchema,
  GateResultSchema,
  ModelTurnInputSchema,
  ModelTurnResultSchema,
  parseOr,
  StepCommitSchema,
  userMessages,
} from './payloads';
import type {
  ReportCodexCall,
  ReportGate,
  ReportModelTurn,
  ReportRetry,
  ReportSpan,
  ReportStep,
  ReportStepStatus,
  ReportVerification,
  SpanKind,
} from './model';
import { z } from 'zod';

const VerifyInputSchema = z.looseObject({ round: z.number(), command: z.string() });
const VerifyResultSchema = z.looseObject({
  passed: z.boolean(),
  exitCode: z.number().nullable(),
  timedOut: z.boolean(),
  durationMs: z.number(),
  outputTail: z.string(),
  problem: z.string().optional(),
});

function verification(a: ActivityRecord, title: string): ReportVerification | undefined {
  const input = parseOr(VerifyInputSchema, a.input);
  if (!input) return undefined;
  const out = parseOr(VerifyResultSchema, a.result);
  return {
    ...toSpan(a, 'verify', a.summary ?? `${title}: verification round ${input.round}`),
    kind: 'verify',
    round: input.round,
    command: input.command,
    passed: out?.passed,
    exitCode: out?.exitCode,
    timedOut: out?.timedOut,
    durationMs: out?.durationMs,
    problem: out?.problem,
    outputTail: out && !out.passed ? out.outputTail : undefined,
  };
}

export function toSpan(a: ActivityRecord, kind: SpanKind, label: string): ReportSpan {
  return {
    activityId: a.activityId,
    kind,
    label,
    scheduledAt: a.scheduledAt,
    startedAt: a.startedAt,
    endedAt: a.endedAt,
    attempts: a.attempt,
    status: a.status,
    retryReason: a.attempt > 1 ? (a.lastFailure ?? 'not recorded') : undefined,
    failure: a.failure,
  };
}

function modelTurn(a: ActivityRecord, title: string): ReportModelTurn | undefined {
  const input = parseOr(ModelTurnInputSchema, a.input);
  if (!input) return undefined;
  const out = parseOr(ModelTurnResultSchema, a.result);
  return {
    ...toSpan(a, 'model', a.summary ?? `${title}: model turn ${input.turn}`),
    kind: 'model',
    turn: input.turn,
    model: out?.model,
    usage: out?.usage ?? { ...ZERO_USAGE },
    codexCallsRequested: out?.codexCalls.length ?? 0,
    finalText: out?.finalText,
  };
}

function codexCall(a: ActivityRecord): ReportCodexCall | undefined {
  const input = parseOr(CodexCallInputSchema, a.input);
  if (!input) return undefined;
  const out = parseOr(CodexCallResultSchema, a.result);
  return {
    ...toSpan(a, 'codex', a.summary ?? input.label),
    kind: 'codex',
    tool: input.tool,
    prompt: input.prompt,
    threadId: out?.threadId ?? input.threadId,
    requestedThreadId: input.tool === 'codex-reply' ? input.threadId : undefined,
    continuedFromThreadId: out?.continuedFromThreadId,
    transport: out?.transport,
    resumedThread: out?.resumedThread,
    filesChanged: out?.filesChanged ?? [],
    usage: out?.usage ?? { ...ZERO_USAGE },
    commandsRun: out?.commandsRun,
    events: out?.events,
  };
}

function gate(a: ActivityRecord, title: string, n: number): ReportGate {
  const out = parseOr(GateResultSchema, a.result);
  return {
    // A gate that commits its step once it passed says so in its summary too: the gate line names the gate only.
    ...toSpan(a, 'gate', a.summary?.split(GATE_THEN_COMMIT)[0] ?? `${title}: gate ${n}`),
    kind: 'gate',
    present: out?.present ?? [],
    missing: out?.missing ?? [],
  };
}

/** What the report needs to know of a role. */
export type ReportRoleSpec = Pick<TeamRole, 'id' | 'title' | 'deliverables'>;

export function buildStep(spec: ReportRoleSpec, all: ActivityRecord[], rec: WorkflowRecord): ReportStep {
  const role = spec.id;
  // The step's commit comes after its gate: the gate, not the commit, says whether the step finished.
  const committed = parseOr(
    StepCommitSchema,
    [...all]
      .reverse()
      .map(stepCommitOf)
      .find((c) => c !== undefined)?.result,
  );
  const acts = all.filter((a) => a.type !== 'commitStep');
  const host = committed?.host ?? hostOfQueue([...acts].reverse().find((a) => a.type === 'codexCall')?.taskQueue);
  const turns: ReportModelTurn[] = [];
  const calls: ReportCodexCall[] = [];
  const gates: ReportGate[] = [];
  const rounds: ReportVerification[] = [];
  const prompts: string[] = [];
  let instructions: string | undefined;
  for (const a of acts) {
    if (a.type === 'modelTurn') {
      const t = modelTurn(a, spec.title);
      if (t) turns.push(t);
      const input = parseOr(ModelTurnInputSchema, a.input);
      instructions ??= input?.instructions;
      for (const m of userMessages(input?.input ?? [])) if (!prompts.includes(m)) prompts.push(m);
    } else if (a.type === 'codexCall') {
      const c = codexCall(a);
      if (c) calls.push(c);
    } else if (a.type === 'checkDeliverables') {
      gates.push(gate(a, spec.title, gates.length + 1));
    } else if (a.type === 'runVerification') {
      const v = verification(a, spec.title);
      if (v) rounds.push(v);
    }
  }
  const last = acts.at(-1);
  const lastGate = gates.at(-1);
  const lastWork = [...acts].reverse().find((a) => a.type !== 'runVerification');
  const workAfterLastGate = lastWork !== undefined && lastWork.activityId !== lastGate?.activityId;
  const startedAt = acts.length ? Math.min(...acts.map((a) => a.scheduledAt)) : undefined;
  const allEnded = acts.length > 0 && acts.every((a) => a.endedAt !== undefined);
  const endedAt = allEnded ? Math.max(...acts.map((a) => a.endedAt ?? 0)) : undefined;
  const { status, error } = stepStatus(spec.title, spec.deliverables.length > 0, acts, turns, lastGate, rec);
  return {
    role,
    title: spec.title,
    status,
    startedAt,
    endedAt,
    durationMs: startedAt !== undefined && endedAt !== undefined ? endedAt - startedAt : undefined,
    attempts: acts.length ? gates.length + (workAfterLastGate ? 1 : 0) : 0,
    instructions,
    prompts,
    modelTurns: turns,
    codexCalls: calls,
    gates,
    verification: rounds,
    files: lastGate?.present ?? [],
    missing: lastGate?.missing ?? [],
    retries: retriesOf([...turns, ...calls, ...gates], gates, last?.activityId),
    modelUsage: sumUsage(turns.map((t) => t.usage)),
    codexUsage: sumUsage(calls.map((c) => c.usage)),
    finalText: [...turns].reverse().find((t) => t.finalText !== undefined)?.finalText,
    error,
    host,
    commit: committed?.commit,
  };
}

function stepStatus(
  title: string,
  hasDeliverables: boolean,
  acts: ActivityRecord[],
  turns: ReportModelTurn[],
  lastGate: ReportGate | undefined,
  rec: WorkflowRecord,
): { status: ReportStepStatus; error?: string } {
  if (acts.length === 0) return { status: 'waiting' };
  const last = acts.at(-1);
  const lastTurn = turns.at(-1);
  const finished = hasDeliverables
    ? lastGate !== undefined && lastGate.missing.length === 0 && last?.activityId === lastGate.activityId
    : last?.type === 'modelTurn' && last.status === 'completed' && lastTurn?.codexCallsRequested === 0;
  if (finished || rec.status === 'completed') return { status: 'done' };
  const failed = acts.find((a) => a.status === 'failed' || a.status === 'timed-out');
  if (failed) return { status: 'failed', error: failed.failure ?? `${failed.type} ${failed.status}` };
  if (rec.status === 'cancelled') {
    const cut = acts.find((a) => a.status === 'cancelled');
    return { status: 'cancelled', error: cut ? `cancelled during ${cut.summary ?? cut.type}` : 'cancelled' };
  }
  if (rec.status === 'running') return { status: 'running' };
  if (rec.status === 'failed' && rec.failure?.includes(title)) return { status: 'failed', error: rec.failure };
  return {
    status: 'stopped',
    error: `stopped when the workflow ${rec.status === 'failed' ? 'failed' : `was ${rec.status}`}`,
  };
}

function retriesOf(spans: ReportSpan[], gates: ReportGate[], lastActivityId: string | undefined): ReportRetry[] {
  const out: ReportRetry[] = spans
    .filter((s) => s.attempts > 1)
    .sort((a, b) => a.scheduledAt - b.scheduledAt)
    .map((s) => ({ label: s.label, kind: 'activity', attempts: s.attempts, reason: s.retryReason ?? 'not recorded' }));
  gates.forEach((g, i) => {
    if (g.missing.length > 0 && g.activityId !== lastActivityId) {
      out.push({ label: g.label, kind: 'deliverables', attempts: i + 2, reason: `missing ${g.missing.join(', ')}` });
    }
  });
  return out;
}

export function sumUsage(list: TokenUsage[]): TokenUsage {
  return list.reduce(
    (a, u) => ({
      input: a.input + u.input,
      output: a.output + u.output,
      reasoning: a.reasoning + u.reasoning,
      total: a.total + u.total,
    }),
    { ...ZERO_USAGE },
  );
}

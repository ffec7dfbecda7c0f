/**
 * One agent's step: a loop of model turns (activities) and the Codex calls the model asks for (activities),
 * then the gate on its deliverables. A missing deliverable is asked again from the agent, a bounded number of times.
 */
import { patched } from '@temporalio/workflow';
import { missingDeliverablesMessage, unchangedPathsMessage } from '../shared/prompts';
import type { TeamRole } from '../shared/team';
import { MissingDeliverablesError, workflowFailure } from '../shared/errors';
import { recentPrompts, ThreadBook } from '../shared/thread-book';
import type {
  ApprovalPolicy,
  CodexCallInput,
  CodexToolCall,
  ConversationItem,
  FileRecord,
  GateInput,
  ModelOverrides,
  RunState,
  SandboxMode,
  StepState,
} from '../shared/types';
import type { ActivityProxies } from './activities';
import type { RunHost, StepGate } from './affinity';
import { withdrawApprovals } from './approvals';
import type { Budget } from './budget';
import {
  codexCallDone,
  codexCallRefused,
  codexCallStarted,
  deliverablesAskedAgain,
  gateChecked,
  stepAnswered,
  stepDone,
  stepEnded,
  stepFailed,
  stepOf,
  stepStarted,
  turnCallsDone,
  turnDone,
  turnStarted,
} from './run-state';

export interface AgentContext {
  runId: string;
  state: RunState;
  workspace: string;
  acts: ActivityProxies;
  models?: ModelOverrides;
  sandbox: SandboxMode;
  /** `on-request`: Codex's approval requests wait for a person (./approvals.ts). */
  approvalPolicy?: ApprovalPolicy;
  maxTurns: number;
  maxDeliverableRetries: number;
  /** The run's host (host affinity, git workspace); absent in runs started before it (they replay as they ran). */
  host?: RunHost;
  /** Each role's conversation and threads, by role id: a verification bug report continues them. */
  sessions?: Map<string, AgentSession>;
  /** The run's token and turn budgets (./budget.ts): checked before every model turn and Codex call. */
  budget?: Budget;
  /** A step on the run's host (./affinity.ts): its gate, which commits and pushes the step once it passes. */
  stepGate?: StepGate;
  /** The run's final file listing when the last role's passing checks brought it (./verify.ts). */
  finalListing?: { files?: FileRecord[] };
}

export const userMessage = (text: string): ConversationItem => ({ type: 'message', role: 'user', content: text });

/**
 * A role's conversation and Codex threads, kept after its step so a bug report can continue them. A stored session
 * (`head` set after its first turn) keeps its conversation in the conversation store: `conversation` then holds only
 * the items added since `head`, which the next model turn carries and stores. Sessions of runs from before the
 * `conversation-store` patch keep the whole conversation here and in every turn's input, as they ran.
 */
export interface AgentSession {
  conversation: ConversationItem[];
  threads: ThreadBook;
  stored?: { head?: string };
}

/** A new session: stored, unless this run started before the conversation store (its history replays as it ran). */
function newSession(conversation: ConversationItem[]): AgentSession {
  const session: AgentSession = { conversation, threads: new ThreadBook() };
  if (patched(CONVERSATION_STORE_PATCH)) session.stored = {};
  return session;
}

export const CONVERSATION_STORE_PATCH = 'conversation-store';

/** Runs a role to completion and returns its final answer. Throws MissingDeliverablesError when the gate stays shut. */
export async function runAgent(ctx: AgentContext, spec: TeamRole, firstMessage: string): Promise<string> {
  // Host affinity (./affinity.ts): on the run's host, committed and pushed once its gate passed, restarted on a new host.
  if (ctx.host) return ctx.host.runStep(ctx, spec.id, (onHost) => runAgentOnce(onHost, spec, firstMessage));
  return runAgentOnce(ctx, spec, firstMessage);
}

async function runAgentOnce(ctx: AgentContext, spec: TeamRole, firstMessage: string): Promise<string> {
  const step = stepOf(ctx.state, spec.id);
  const session = newSession([userMessage(firstMessage)]);
  ctx.sessions?.set(spec.id, session);
  return untilGateOpens(ctx, spec, step, session, undefined);
}

/**
 * Sends a finished role one more message (a verification bug report) on its own conversation and Codex threads, and
 * checks its gate again. A role with no session yet (none recorded) starts one with the message.
 */
export async function continueAgent(
  ctx: AgentContext,
  spec: TeamRole,
  message: string,
  label: string,
): Promise<string> {
  // A fix is a finished step too: on the run's host, committed and pushed once the gate passed again.
  if (ctx.host) return ctx.host.runStep(ctx, spec.id, (onHost) => continueAgentOnce(onHost, spec, message, label));
  return continueAgentOnce(ctx, spec, message, label);
}

async function continueAgentOnce(ctx: AgentContext, spec: TeamRole, message: string, label: string): Promise<string> {
  const step = stepOf(ctx.state, spec.id);
  let session = ctx.sessions?.get(spec.id);
  if (!session) {
    session = newSession([]);
    ctx.sessions?.set(spec.id, session);
  }
  session.conversation.push(userMessage(message));
  return untilGateOpens(ctx, spec, step, session, label);
}

/**
 * Converses until the role's required deliverables exist, asking again for missing ones a bounded number of times.
 * `continued` labels a fix or a revision of a step that already ran; undefined starts the step at attempt 1.
 */
async function untilGateOpens(
  ctx: AgentContext,
  spec: TeamRole,
  step: StepState,
  session: AgentSession,
  continued: string | undefined,
): Promise<string> {
  const role = spec.id;
  const { conversation } = session;
  stepStarted(ctx.state, step, continued === undefined);
  const required = spec.deliverables.filter((d) => d.required).map((d) => d.path);
  const optional = spec.deliverables.filter((d) => !d.required).map((d) => d.path);
  // `changes`/`tests` globs (runs on a repository): paths that must differ from the base (docs/teams.md).
  const changed = [spec.changes ?? [], spec.tests ?? []].filter((g) => g.length > 0);
  const changeGate = changed.length ? { changed, base: ctx.host?.baseCommit } : {};
  let label = continued ?? `attempt ${step.attempts}`;
  let asked = 0;
  try {
    for (;;) {
      stepAnswered(step, await converse(ctx, spec, step, session));
      if (spec.deliverables.length === 0 && changed.length === 0) break;
      const gateInput: GateInput = { workspace: ctx.workspace, gate: spec.title, required, optional, ...changeGate };
      const summary = `Gate: ${spec.title} deliverables (${label})`;
      const gate = ctx.stepGate
        ? await ctx.stepGate(gateInput, summary)
        : await ctx.acts.checkDeliverables.executeWithOptions({ ...ctx.acts.fileOptions, summary }, [gateInput]);
      gateChecked(step, gate);
      const unchanged = gate.unchanged ?? [];
      if (gate.missing.length === 0 && unchanged.length === 0) break;
      if (asked >= ctx.maxDeliverableRetries) {
        const what = [...gate.missing, ...unchanged.map((g) => `a change under ${g}`)].join(', ');
        const message = `${spec.title} did not produce ${what} after ${step.attempts} attempts`;
        throw workflowFailure(new MissingDeliverablesError(message, role, [...gate.missing, ...unchanged]));
      }
      asked += 1;
      label = `attempt ${deliverablesAskedAgain(ctx.state, step)}`;
      conversation.push(
        userMessage(gate.missing.length ? missingDeliverablesMessage(gate.missing) : unchangedPathsMessage(unchanged)),
      );
    }
    stepDone(step);
    return step.finalText ?? '';
  } catch (err) {
    stepFailed(step, err);
    throw err;
  } finally {
    stepEnded(ctx.state, step);
  }
}

/** Model turns until the model answers without tool calls (or the turn bound is reached). */
async function converse(
  ctx: AgentContext,
  spec: TeamRole,
  step: StepState,
  session: AgentSession,
): Promise<string | undefined> {
  const { conversation, threads, stored } = session;
  const override = ctx.models?.perRole?.[step.role];
  for (let i = 0; i < ctx.maxTurns; i++) {
    await ctx.budget?.beforeModelTurn(step);
    const turn = turnStarted(step);
    const out = await ctx.acts.modelTurn.executeWithOptions(
      { ...ctx.acts.modelOptions, summary: `${spec.title}: model turn ${turn}` },
      [
        {
          runId: ctx.runId,
          role: step.role,
          turn,
          instructions: spec.instructions,
          // Stored: the conversation's head and the items since; else the whole conversation, as before the store.
          input: [...conversation],
          ...(stored ? { conversation: { head: stored.head } } : {}),
          tools: spec.tools,
          // The run's per-role override, then the team file's, then the run's model for every agent.
          model: override?.model ?? spec.model ?? ctx.models?.model,
          reasoningEffort: override?.reasoningEffort ?? spec.reasoning_effort,
        },
      ],
    );
    turnDone(ctx.state, step, out);
    if (stored && out.conversation) {
      stored.head = out.conversation.head;
      conversation.length = 0;
    } else {
      conversation.push(...out.items);
    }
    if (out.codexCalls.length === 0) return out.finalText;
    // Calls the model made in one turn run concurrently, as they would in the Agents SDK.
    const outputs = await Promise.all(out.codexCalls.map((call) => runCodexCall(ctx, step, call, threads, stored)));
    conversation.push(...outputs);
    turnCallsDone(ctx.state);
  }
  return undefined;
}

async function runCodexCall(
  ctx: AgentContext,
  step: StepState,
  call: CodexToolCall,
  threads: ThreadBook,
  /**
   * A stored session: the thread's earlier prompts are read from its conversation if the thread was lost (runs since
   * the `codex-history-stored` patch), else only the newest of them go in the input (see `recentPrompts`).
   */
  stored: AgentSession['stored'],
): Promise<ConversationItem> {
  const output = (text: string): ConversationItem => ({
    type: 'function_call_output',
    call_id: call.callId,
    output: text,
  });
  if (call.error) return output(`Error: ${call.error}`);
  const threadId = call.threadId ? threads.resolve(call.threadId) : undefined;
  const record = codexCallStarted(ctx.state, step, call, threadId);
  const { label } = record;
  if (call.tool === 'codex-reply' && (threadId === undefined || !threads.known(threadId))) {
    codexCallRefused(record, `Unknown threadId ${call.threadId ?? ''}`);
    return output(`Error: unknown threadId "${call.threadId ?? ''}". Start a new session with the codex tool.`);
  }
  await ctx.budget?.beforeCodexCall(step);
  const result = await ctx.acts.codexCall
    .executeWithOptions({ ...ctx.acts.codexOptions, summary: label }, [
      {
        runId: ctx.runId,
        role: step.role,
        label,
        tool: call.tool,
        prompt: call.prompt,
        threadId,
        cwd: ctx.workspace,
        approvalPolicy: ctx.approvalPolicy ?? 'never',
        sandbox: ctx.sandbox,
        ...(threadId && threadHistoryFields(threads.history(threadId), stored)),
      },
    ])
    // Approvals it asked for that nobody answered wait for nothing now (./approvals.ts); none in runs without them.
    .finally(() => withdrawApprovals(ctx.state, label));
  threads.record(result.threadId, threadId, result.continuedFromThreadId, call.prompt);
  codexCallDone(step, record, result);
  return output(JSON.stringify({ threadId: result.threadId, content: result.content }));
}

export const CODEX_HISTORY_STORED_PATCH = 'codex-history-stored';

/**
 * What a call on a known thread carries for the case the thread was lost: the head of the role's stored conversation
 * (the activity reads the prompts there; nothing grows with the thread), or before that patch the newest prompts,
 * or in runs from before the conversation store all of them.
 */
function threadHistoryFields(
  prompts: string[],
  stored: AgentSession['stored'],
): Pick<CodexCallInput, 'threadHistory' | 'conversation'> {
  if (!stored) return { threadHistory: prompts };
  // A known thread was started by a call of an earlier turn, so the conversation has a head.
  if (stored.head !== undefined && patched(CODEX_HISTORY_STORED_PATCH)) return { conversation: { head: stored.head } };
  return { threadHistory: recentPrompts(prompts) };
}

export const filesSoFar = (state: RunState): FileRecord[] => state.steps.flatMap((s) => s.files);

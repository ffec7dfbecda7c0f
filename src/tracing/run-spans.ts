/**
 * A run as OpenAI Traces items: one trace per workflow run (group: the workflow id), an `agent` span per role, a
 * `generation` span per model turn, a `function` span per Codex call (with `custom` children for the commands it ran
 * and the files it changed), a `handoff` per DAG edge a role waited on, and `custom` spans for verification rounds,
 * reviews and approvals. A Codex session of the MCP server (`codex` / `codex-reply`) is a trace too: one per session
 * workflow run, its turns' `function` spans at the top. Every id follows from the run and the step
 * (./openai-items.ts), never from the attempt. Prompts, instructions and answers go in only with content capture.
 */
import type { ModelTurnInput, ModelTurnOutput, CodexCallInput, CodexCallOutput, RunState } from '../shared/types';
import type { VerifyInput, VerifyResult } from '../shared/types';
import { CODEX_SESSION_WORKFLOW_PREFIX } from '../shared/codex-session';
import type { TraceTeam } from '../shared/trace-sinks';
import {
  isoOf,
  sanitizeSpanData,
  spanIdOf,
  traceIdOf,
  type IngestItem,
  type SpanData,
  type SpanItem,
  type TraceItem,
} from './openai-items';

export interface RunRef {
  workflowId: string;
  runId: string;
  workflowType: string;
}

/** One completed activity attempt. */
export interface ActivityRef extends RunRef {
  activityId: string;
  startedAt: number;
  endedAt: number;
}

export const CODEX_SERVER_NAME = 'codex';

function span(
  run: RunRef,
  key: string,
  parentKey: string | null,
  times: { startedAt: number; endedAt: number },
  data: SpanData,
  error: string | undefined = undefined,
): SpanItem {
  const traceId = traceIdOf(run.workflowId, run.runId);
  return {
    object: 'trace.span',
    id: spanIdOf(traceId, key),
    trace_id: traceId,
    parent_id: parentKey === null ? null : spanIdOf(traceId, parentKey),
    started_at: isoOf(times.startedAt),
    ended_at: isoOf(Math.max(times.startedAt, times.endedAt)),
    span_data: sanitizeSpanData(data),
    error: error === undefined ? null : { message: error, data: null },
  };
}

const agentKey = (role: string) => `agent:${role}`;
const activityKey = (a: ActivityRef) => `activity:${a.activityId}`;

export function traceItem(run: RunRef, team: TraceTeam): TraceItem {
  return {
    object: 'trace',
    id: traceIdOf(run.workflowId, run.runId),
    workflow_name: `${run.workflowType} (${team.name})`,
    group_id: run.workflowId,
    metadata: { workflow_id: run.workflowId, run_id: run.runId, team: team.name },
  };
}

export function modelTurnSpan(a: ActivityRef, input: ModelTurnInput, out: ModelTurnOutput, content: boolean): SpanItem {
  return span(a, activityKey(a), agentKey(input.role), a, {
    type: 'generation',
    model: out.model,
    model_config: {
      turn: input.turn,
      response_id: out.responseId,
      tools: [...input.tools],
      ...(input.reasoningEffort ? { reasoning_effort: input.reasoningEffort } : {}),
    },
    usage: {
      input_tokens: out.usage.input,
      output_tokens: out.usage.output,
      details: { reasoning_tokens: out.usage.reasoning, total_tokens: out.usage.total },
    },
    ...(content && {
      input: [{ role: 'system', content: input.instructions }, ...input.input],
      output: out.items,
    }),
  });
}

/** `parentKey`: the role's agent span in a run; null in a Codex session, whose turns are its top-level spans. */
export function codexCallSpans(
  a: ActivityRef,
  input: CodexCallInput,
  out: CodexCallOutput,
  content: boolean,
  parentKey: string | null = agentKey(input.role),
): SpanItem[] {
  const key = activityKey(a);
  const args = {
    ...(input.threadId ? { threadId: input.threadId } : {}),
    sandbox: input.sandbox,
    'approval-policy': input.approvalPolicy,
    ...(content ? { prompt: input.prompt } : {}),
  };
  const result = {
    threadId: out.threadId,
    files_changed: out.filesChanged.length,
    commands_run: out.commandsRun,
    ...(content ? { content: out.content } : {}),
  };
  const call = span(a, key, parentKey, a, {
    type: 'function',
    name: input.tool,
    input: JSON.stringify(args),
    output: JSON.stringify(result),
    mcp_data: JSON.stringify({ server: CODEX_SERVER_NAME, transport: out.transport ?? 'mcp', label: input.label }),
  });
  const children: SpanItem[] = [
    span(a, `${key}:commands`, key, a, {
      type: 'custom',
      name: 'codex.commands',
      data: { count: out.commandsRun, events: out.events },
    }),
    ...out.filesChanged.map((path) =>
      span(a, `${key}:file:${path}`, key, a, { type: 'custom', name: 'codex.file_changed', data: { path } }),
    ),
  ];
  return [call, ...children];
}

/**
 * The trace of a Codex session's workflow run (the MCP server's `codex` / `codex-reply`), grouped by the session's
 * workflow id, so the runs a long session continues as new into group together. Sent with every turn: the same id
 * each time, so the exporter sends it once, and a turn's span never arrives without its trace.
 */
export function sessionTraceItem(run: RunRef): TraceItem {
  const threadId = run.workflowId.startsWith(CODEX_SESSION_WORKFLOW_PREFIX)
    ? run.workflowId.slice(CODEX_SESSION_WORKFLOW_PREFIX.length)
    : run.workflowId;
  return {
    object: 'trace',
    id: traceIdOf(run.workflowId, run.runId),
    workflow_name: `${run.workflowType} (Codex session)`,
    group_id: run.workflowId,
    metadata: { workflow_id: run.workflowId, run_id: run.runId, thread_id: threadId },
  };
}

/** One turn of a Codex session: the session's trace and the turn's Codex call at its top level. */
export function sessionTurnItems(
  a: ActivityRef,
  input: CodexCallInput,
  out: CodexCallOutput,
  content: boolean,
): IngestItem[] {
  return [sessionTraceItem(a), ...codexCallSpans(a, input, out, content, null)];
}

export function verificationSpan(a: ActivityRef, input: VerifyInput, out: VerifyResult): SpanItem {
  return span(
    a,
    activityKey(a),
    agentKey(input.role),
    a,
    {
      type: 'custom',
      name: 'verification',
      data: {
        round: input.round,
        command: input.command,
        passed: out.passed,
        exit_code: out.exitCode,
        timed_out: out.timedOut,
        duration_ms: out.durationMs,
      },
    },
    out.passed ? undefined : (out.problem ?? `exit code ${String(out.exitCode)}`),
  );
}

/** What only the workflow knows, sent once when the run ends: roles, handoffs, reviews, approvals. */
export function runEndItems(run: RunRef, team: TraceTeam, state: RunState): IngestItem[] {
  const items: IngestItem[] = [traceItem(run, team)];
  const end = state.endedAt ?? state.startedAt;
  const titleOf = (id: string) => team.roles.find((r) => r.id === id)?.title ?? id;
  for (const step of state.steps) {
    if (step.startedAt === undefined) continue;
    const role = team.roles.find((r) => r.id === step.role);
    const failed = step.status === 'failed' || step.status === 'cancelled';
    items.push(
      span(
        run,
        agentKey(step.role),
        null,
        { startedAt: step.startedAt, endedAt: step.endedAt ?? end },
        {
          type: 'agent',
          name: step.title,
          handoffs: team.roles.filter((r) => r.after.includes(step.role)).map((r) => r.title),
          tools: role?.tools ?? [],
          output_type: 'str',
        },
        failed ? (step.error ?? step.status) : undefined,
      ),
    );
    for (const from of role?.after ?? []) {
      items.push(
        span(
          run,
          `handoff:${from}>${step.role}`,
          agentKey(from),
          { startedAt: step.startedAt, endedAt: step.startedAt },
          { type: 'handoff', from_agent: titleOf(from), to_agent: step.title },
        ),
      );
    }
  }
  for (const [i, r] of (state.reviews?.decided ?? []).entries()) {
    items.push(
      span(
        run,
        `review:${r.role}:${r.round}:${i}`,
        agentKey(r.role),
        { startedAt: r.at, endedAt: r.at },
        {
          type: 'custom',
          name: 'review',
          data: { role: r.role, round: r.round, decision: r.decision, by: r.by },
        },
      ),
    );
  }
  for (const a of state.approvals?.decided ?? []) {
    items.push(
      span(
        run,
        `approval:${a.id}`,
        agentKey(a.role),
        { startedAt: a.since, endedAt: a.at },
        {
          type: 'custom',
          name: 'approval',
          data: { role: a.role, label: a.label, kind: a.kind, decision: a.decision, by: a.by },
        },
      ),
    );
  }
  return items;
}

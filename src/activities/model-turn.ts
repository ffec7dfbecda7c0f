/**
 * The model-turn activity: one call to a Responses endpoint (OpenAI or the scripted model).
 * The SDK never retries (`maxRetries: 0`): Temporal owns retries, so failures are classified here.
 */
import { Context, heartbeat } from '@temporalio/activity';
import OpenAI from 'openai';
import { z } from 'zod';
import type { Settings } from '../config/settings';
import { ConfigError, ModelRequestError, TransientServiceError } from '../shared/errors';
import { isReasoningModel } from '../shared/models';
import type { AgentTool, ReasoningEffort } from '../shared/roles';
import type {
  CodexToolCall,
  CodexToolName,
  ConversationItem,
  ModelTurnInput,
  ModelTurnOutput,
  TokenUsage,
} from '../shared/types';
import { settingsStore, type ConversationStore } from './conversation-store';
import { stoppedActivityError, withFailureConversion } from './failures';

const CodexArgsSchema = z.object({
  prompt: z.string().min(1),
  'approval-policy': z.string().optional(),
  sandbox: z.string().optional(),
  cwd: z.string().optional(),
});
const CodexReplyArgsSchema = z.object({ prompt: z.string().min(1), threadId: z.string().min(1) });

/** Function tools that mirror the Codex MCP tools the agents may call. */
export const CODEX_FUNCTION_TOOLS = {
  codex: {
    type: 'function',
    name: 'codex',
    description:
      'Start a Codex session that edits files in the workspace. Returns {threadId, content}. ' +
      'Always pass "approval-policy": "never" and "sandbox": "workspace-write".',
    strict: false,
    parameters: {
      type: 'object',
      properties: {
        prompt: { type: 'string', description: 'The task for Codex, with exact file names.' },
        'approval-policy': { type: 'string', enum: ['never', 'on-request'] },
        sandbox: { type: 'string', enum: ['read-only', 'workspace-write'] },
      },
      required: ['prompt'],
      additionalProperties: false,
    },
  },
  'codex-reply': {
    type: 'function',
    name: 'codex-reply',
    description: 'Continue an existing Codex session. Returns {threadId, content}.',
    strict: false,
    parameters: {
      type: 'object',
      properties: {
        threadId: { type: 'string', description: 'threadId returned by an earlier codex call' },
        prompt: { type: 'string' },
      },
      required: ['threadId', 'prompt'],
      additionalProperties: false,
    },
  },
} as const;

function toolsFor(tools: readonly AgentTool[]): OpenAI.Responses.Tool[] {
  return tools.map((t): OpenAI.Responses.Tool =>
    t === 'web_search' ? { type: 'web_search' } : (CODEX_FUNCTION_TOOLS[t] as unknown as OpenAI.Responses.Tool),
  );
}

/**
 * The request for one turn. We never let the API store anything (`store: false`, which users with zero data
 * retention need), so a reasoning model's reasoning items come back to it only as `encrypted_content`, which the API
 * returns only when asked for. Non-reasoning models refuse `reasoning` settings.
 */
export function responseRequest(
  input: ModelTurnInput,
  model: string,
): OpenAI.Responses.ResponseCreateParamsNonStreaming {
  const reasoning = isReasoningModel(model);
  const effort: ReasoningEffort | undefined = input.reasoningEffort;
  return {
    model,
    instructions: input.instructions,
    input: resolvableInput(input.input, reasoning) as unknown as OpenAI.Responses.ResponseInput,
    tools: toolsFor(input.tools),
    store: false,
    ...(reasoning ? { include: ['reasoning.encrypted_content'] } : {}),
    ...(reasoning && effort ? { reasoning: { effort } } : {}),
  };
}

/**
 * The conversation as the API can resolve it under `store: false`: reasoning items pass back intact and in order
 * when they carry `encrypted_content`. One without it (an endpoint that ignored `include`, or a turn recorded
 * before we asked for it) can only be dropped; the items it produced then lose their ids, which would otherwise
 * tie them to the missing reasoning item. A non-reasoning model gets no reasoning items at all.
 */
export function resolvableInput(items: readonly ConversationItem[], reasoningModel: boolean): ConversationItem[] {
  const out: ConversationItem[] = [];
  let orphaned = false;
  for (const item of items) {
    if (item.type === 'reasoning') {
      const usable = reasoningModel && typeof item.encrypted_content === 'string' && item.encrypted_content !== '';
      orphaned = !usable;
      if (usable) out.push(item);
      continue;
    }
    if (isInputFromUs(item)) orphaned = false;
    if (orphaned && typeof item.id === 'string') {
      const { id: _id, ...rest } = item;
      out.push(rest as ConversationItem);
    } else {
      out.push(item);
    }
  }
  return out;
}

/** Items we add to the conversation (user messages, tool outputs) end the run of items a reasoning item produced. */
const isInputFromUs = (item: ConversationItem): boolean =>
  (item.type === 'message' && item.role === 'user') || item.type === 'function_call_output';

/** The header the scripted model puts on every answer. */
export const SCRIPTED_HEADER = 'x-scripted-model';

export interface ModelActivityDeps {
  settings: Settings;
  /** Injected by tests; the default is an OpenAI client built from settings. */
  client?: OpenAI;
  /** Injected by tests; the default is the store the settings name (./conversation-store.ts). */
  store?: ConversationStore;
}

export function createModelActivities(deps: ModelActivityDeps) {
  const { model: ms } = deps.settings;
  const client =
    deps.client ??
    new OpenAI({
      apiKey: ms.apiKey,
      baseURL: ms.baseUrl,
      maxRetries: 0,
      timeout: ms.requestTimeoutMs,
    });
  const { settings } = deps;
  const store = deps.store ?? settingsStore(settings);

  async function modelTurn(input: ModelTurnInput): Promise<ModelTurnOutput> {
    const ctx = Context.current();
    const model = input.model ?? ms.defaultModel;
    const started = Date.now();
    // Keep the activity visibly alive while the model thinks, well within the heartbeat timeout (a short one
    // must not kill a slow but live turn); start-to-close bounds a hung call.
    const beat = setInterval(() => heartbeat({ waitingMs: Date.now() - started }), heartbeatEveryMs(ctx.info));
    ctx.log.info('model turn started', { role: input.role, turn: input.turn, model });
    try {
      // A stored conversation (runs since the `conversation-store` patch): history holds its head, the store the rest.
      const stored = input.conversation;
      const earlier = stored ? await store.read(stored.head) : [];
      const request = stored ? { ...input, input: [...earlier, ...input.input] } : input;
      const { data: response, response: http } = await client.responses
        .create(responseRequest(request, model), {
          signal: ctx.cancellationSignal,
          headers: { 'x-dca-kind': 'agent', 'x-dca-role': input.role, 'x-dca-run': input.runId },
        })
        .withResponse();
      // The endpoint says whether it is the scripted model; the run is labelled from that, not from our settings.
      let output = parseResponse(response, Date.now() - started, http.headers.get(SCRIPTED_HEADER) === 'true');
      if (stored) {
        const head = await store.append(stored.head, [...input.input, ...output.items]);
        const items = earlier.length + input.input.length + output.items.length;
        output = { ...output, items: [], conversation: { head, items } };
      }
      ctx.log.info('model turn finished', {
        role: input.role,
        turn: input.turn,
        durationMs: output.durationMs,
        codexCalls: output.codexCalls.length,
        tokens: output.usage.total,
      });
      return output;
    } catch (err) {
      // Cancelled (the run, a timeout, the worker stopping): the request was aborted. A cancelled run needs the
      // CancelledFailure, for Temporal to record the activity as cancelled rather than failed (and retry it).
      if (ctx.cancellationSignal.aborted) {
        ctx.log.info('model turn cancelled', { role: input.role, turn: input.turn, waitedMs: Date.now() - started });
        throw stoppedActivityError(ctx, 'Model turn');
      }
      // An endpoint may echo the key in an error body; the error chain goes to history and logs.
      throw redactSecret(classifyModelError(err), ms.apiKey);
    } finally {
      clearInterval(beat);
    }
  }

  return { modelTurn: withFailureConversion(modelTurn) };
}

/**
 * A third of the heartbeat timeout, at most 1 s: a cancellation reaches an activity only in the answer to a
 * heartbeat (the worker sends them at most every `maxHeartbeatThrottleInterval`), so a cancelled run aborts its
 * model call within about a second or two.
 */
export function heartbeatEveryMs(info: { heartbeatTimeoutMs?: number }): number {
  const timeout = info.heartbeatTimeoutMs;
  return timeout ? Math.max(100, Math.min(1_000, Math.floor(timeout / 3))) : 1_000;
}

export function parseResponse(
  response: OpenAI.Responses.Response,
  durationMs: number,
  scripted: boolean,
): ModelTurnOutput {
  const items = response.output as unknown as ConversationItem[];
  const codexCalls: CodexToolCall[] = [];
  const texts: string[] = [];
  for (const item of response.output) {
    if (item.type === 'function_call') codexCalls.push(parseToolCall(item.call_id, item.name, item.arguments));
    if (item.type === 'message') {
      for (const part of item.content) if (part.type === 'output_text') texts.push(part.text);
    }
  }
  const u = response.usage;
  const usage: TokenUsage = {
    input: u?.input_tokens ?? 0,
    output: u?.output_tokens ?? 0,
    reasoning: u?.output_tokens_details?.reasoning_tokens ?? 0,
    total: u?.total_tokens ?? 0,
  };
  return {
    responseId: response.id,
    model: response.model,
    items,
    codexCalls,
    finalText: codexCalls.length === 0 ? texts.join('\n').trim() : undefined,
    usage,
    scripted,
    durationMs,
  };
}

/** Validates a tool call; an invalid one is returned with `error` so the model is told, not the run failed. */
export function parseToolCall(callId: string, name: string, rawArgs: string): CodexToolCall {
  const base = { callId, prompt: '' };
  const invalid = (tool: CodexToolName, error: string): CodexToolCall => ({ ...base, tool, error, arguments: rawArgs });
  if (name !== 'codex' && name !== 'codex-reply') {
    return invalid('codex', `Unknown tool "${name}". Use codex or codex-reply.`);
  }
  let json: unknown;
  try {
    json = JSON.parse(rawArgs);
  } catch {
    return invalid(name, 'Arguments are not valid JSON.');
  }
  if (name === 'codex') {
    const parsed = CodexArgsSchema.safeParse(json);
    if (!parsed.success) return invalid(name, `Invalid codex arguments: ${parsed.error.message}`);
    const cwd = parsed.data.cwd;
    if (cwd !== undefined && !isInsideWorkspace(cwd)) {
      return invalid(name, `cwd "${cwd}" is outside the workspace; omit cwd, Codex runs in the workspace.`);
    }
    return { ...base, tool: name, prompt: parsed.data.prompt };
  }
  const parsed = CodexReplyArgsSchema.safeParse(json);
  if (!parsed.success) return invalid(name, `Invalid codex-reply arguments: ${parsed.error.message}`);
  return { ...base, tool: name, prompt: parsed.data.prompt, threadId: parsed.data.threadId };
}

/** Codex always runs in the workspace root; a model may only name it relatively. */
function isInsideWorkspace(cwd: string): boolean {
  if (cwd.startsWith('/') || /^[A-Za-z]:[\\/]/.test(cwd)) return false;
  const parts = cwd.split(/[\\/]+/).filter((p) => p !== '' && p !== '.');
  let depth = 0;
  for (const p of parts) {
    depth += p === '..' ? -1 : 1;
    if (depth < 0) return false;
  }
  return true;
}

/** Replaces `secret` in the messages and stacks of an error and its causes, in place. */
export function redactSecret<E>(err: E, secret: string | undefined): E {
  if (!secret) return err;
  const redact = (text: string) => text.split(secret).join('[redacted]');
  const seen = new Set<unknown>();
  // Some errors (DOMException) only have a `message` getter: an own property shadows it.
  const set = (e: Error, key: 'message' | 'stack', value: string) => {
    try {
      Object.defineProperty(e, key, { value, writable: true, configurable: true });
    } catch {
      // frozen: nothing we can do, and nothing of ours put the key there
    }
  };
  for (let e: unknown = err; e instanceof Error && !seen.has(e); e = e.cause) {
    seen.add(e);
    if (e.message.includes(secret)) set(e, 'message', redact(e.message));
    if (e.stack?.includes(secret)) set(e, 'stack', redact(e.stack));
  }
  return err;
}

const RETRYABLE_STATUS = new Set([408, 409, 429]);

/** Maps SDK errors to our failure classes. The message never includes the key. */
export function classifyModelError(err: unknown): unknown {
  if (err instanceof OpenAI.APIUserAbortError) return err;
  if (err instanceof OpenAI.APIConnectionError) {
    return new TransientServiceError(`Model endpoint unreachable or timed out: ${err.message}`, undefined, {
      cause: err,
    });
  }
  if (err instanceof OpenAI.APIError) {
    const status = err.status;
    const detail = err.message;
    if (status === undefined) {
      // A stream or body that broke off mid-way.
      return new TransientServiceError(`Model response broke off: ${detail}`, undefined, { cause: err });
    }
    if (RETRYABLE_STATUS.has(status) || status >= 500) {
      return new TransientServiceError(`Model endpoint answered ${status}: ${detail}`, retryAfterMs(err.headers), {
        cause: err,
      });
    }
    if (status === 401) {
      return new ModelRequestError(
        'The model endpoint rejected the API key (401). Check OPENAI_API_KEY (and OPENAI_BASE_URL).',
        status,
        { cause: err },
      );
    }
    if (status === 403) {
      return new ModelRequestError(`The model endpoint refused access (403): ${detail}`, status, { cause: err });
    }
    if (status === 404) {
      return new ModelRequestError(`Model or endpoint not found (404): ${detail}`, status, { cause: err });
    }
    return new ModelRequestError(`The model endpoint rejected the request (${status}): ${detail}`, status, {
      cause: err,
    });
  }
  if (
    err instanceof SyntaxError ||
    (err instanceof Error && /terminated|socket|ECONNRESET|premature/i.test(err.message))
  ) {
    return new TransientServiceError(`Model response broke off: ${err.message}`, undefined, { cause: err });
  }
  if (err instanceof OpenAI.OpenAIError) return new ConfigError(`Model client error: ${err.message}`, { cause: err });
  return err;
}

function retryAfterMs(headers: Headers | undefined): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get('retry-after-ms');
  if (ms && Number.isFinite(Number(ms))) return Number(ms);
  const s = headers.get('retry-after');
  if (!s) return undefined;
  if (Number.isFinite(Number(s))) return Number(s) * 1000;
  const date = Date.parse(s);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

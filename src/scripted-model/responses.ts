/**
 * Responses API objects and their SSE stream, shaped like the real API's so the `openai` package and Codex
 * accept them unchanged. The answer follows from the input alone (the same input gives the same items, text and
 * call ids, so a repeated call keeps its fingerprint); response and item ids are unique per response, as the real
 * API's are: a reasoning-pairing rule keyed on ids must never mistake one answer's items for another's.
 */
import crypto from 'node:crypto';
import { sealReasoning } from './rules';
import { estimateTokens, sha256 } from './text';

/** What a script decides to answer, before ids and usage are added. */
export type Draft =
  | { type: 'message'; text: string }
  | { type: 'function_call'; name: string; arguments: string }
  | { type: 'custom_tool_call'; name: string; input: string }
  | { type: 'web_search_call'; query: string };

export type OutputItem = Record<string, unknown> & { type: string; id: string };

export interface Usage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export interface ResponseObject extends Record<string, unknown> {
  id: string;
  object: 'response';
  status: 'completed' | 'in_progress';
  model: string;
  output: OutputItem[];
  usage: Usage | null;
}

export interface BuildInput {
  /** The request fingerprint: call ids derive from it. */
  seed: string;
  /** Never the same twice (see responseNonce): response and item ids derive from it. */
  nonce: string;
  model: string;
  drafts: readonly Draft[];
  /** The request body: echoed fields and the input token estimate come from it. */
  request: Record<string, unknown>;
  createdAt: number;
  /** Set for reasoning models: the answer starts with a reasoning item, as the real API's do. */
  reasoning?: { effort: string; includeEncrypted: boolean };
}

const REASONING_TOKENS: Record<string, number> = { none: 0, minimal: 16, low: 48, medium: 160, high: 480, xhigh: 960 };

const shortHash = (seed: string, n: number): string => sha256(`${seed}:${n}`).slice(0, 32);

/**
 * A fresh nonce per response: a random prefix per process and a counter, so ids never repeat within a scripted
 * model's life and are unlikely to meet those of another process.
 */
export function responseNonces(): () => string {
  const processNonce = crypto.randomBytes(8).toString('hex');
  let count = 0;
  return () => `${processNonce}:${++count}`;
}

export function buildResponse(b: BuildInput): ResponseObject {
  const output = b.drafts.map((d, i) => toItem(d, b.seed, b.nonce, i));
  if (b.reasoning) output.unshift(reasoningItem(b.seed, b.nonce, b.reasoning.includeEncrypted));
  const effort = b.reasoning?.effort;
  const reasoning = effort ? (REASONING_TOKENS[effort] ?? 0) : 0;
  const inputTokens = estimateTokens(JSON.stringify([b.request.instructions ?? '', b.request.input, b.request.tools]));
  const outputTokens = reasoning + b.drafts.reduce((n, d) => n + estimateTokens(draftText(d)), 0);
  return {
    id: `resp_${shortHash(b.nonce, -1)}`,
    object: 'response',
    created_at: Math.floor(b.createdAt / 1000),
    status: 'completed',
    background: false,
    error: null,
    incomplete_details: null,
    instructions: b.request.instructions ?? null,
    max_output_tokens: null,
    model: b.model,
    output,
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: effort ?? null, summary: null },
    store: b.request.store !== false,
    temperature: 1,
    text: echoedText(b.request.text),
    tool_choice: 'auto',
    tools: Array.isArray(b.request.tools) ? b.request.tools : [],
    top_p: 1,
    truncation: 'disabled',
    usage: {
      input_tokens: inputTokens,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: outputTokens,
      output_tokens_details: { reasoning_tokens: reasoning },
      total_tokens: inputTokens + outputTokens,
    },
    user: null,
    metadata: {},
  };
}

/** `text` as the API echoes it: the request's format (json_schema with its name and schema) and verbosity. */
function echoedText(text: unknown): { format: unknown; verbosity: unknown } {
  const t = typeof text === 'object' && text !== null ? (text as Record<string, unknown>) : {};
  return { format: t.format ?? { type: 'text' }, verbosity: t.verbosity ?? 'medium' };
}

/**
 * A reasoning item: no summary (none was asked for), `encrypted_content` only when the request included it. Under
 * `store: false` it can only be sent back with that content.
 */
function reasoningItem(seed: string, nonce: string, includeEncrypted: boolean): OutputItem {
  const id = `rs_${shortHash(nonce, -2)}`;
  return {
    id,
    type: 'reasoning',
    summary: [],
    ...(includeEncrypted ? { encrypted_content: sealReasoning(id, `scripted reasoning ${seed.slice(0, 12)}`) } : {}),
  };
}

function draftText(d: Draft): string {
  if (d.type === 'message') return d.text;
  if (d.type === 'web_search_call') return d.query;
  if (d.type === 'function_call') return d.name + d.arguments;
  return d.name + d.input;
}

function toItem(d: Draft, seed: string, nonce: string, i: number): OutputItem {
  const h = shortHash(nonce, i);
  // Call ids follow the input, so the fingerprint of the next request (which carries them) is stable too.
  const callId = `call_${shortHash(seed, i).slice(0, 24)}`;
  switch (d.type) {
    case 'message':
      return {
        id: `msg_${h}`,
        type: 'message',
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text: d.text, annotations: [], logprobs: [] }],
      };
    case 'function_call':
      return {
        id: `fc_${h}`,
        type: 'function_call',
        status: 'completed',
        call_id: callId,
        name: d.name,
        arguments: d.arguments,
      };
    case 'web_search_call':
      return {
        id: `ws_${h}`,
        type: 'web_search_call',
        status: 'completed',
        action: { type: 'search', query: d.query },
      };
    case 'custom_tool_call':
      return {
        id: `ctc_${h}`,
        type: 'custom_tool_call',
        status: 'completed',
        call_id: callId,
        name: d.name,
        input: d.input,
      };
  }
}

/** The text the final assistant message carries, if any (the SDK's `output_text`). */
export function outputText(r: ResponseObject): string {
  return r.output
    .filter((i) => i.type === 'message')
    .flatMap((i) => (i.content as { text: string }[]).map((c) => c.text))
    .join('');
}

export interface SseEvent {
  type: string;
  [key: string]: unknown;
}

/**
 * The event sequence of a streamed response: created, in_progress, per item added / deltas / done, completed.
 * `complete: false` stops before `response.completed`, as a broken stream would.
 */
export function streamEvents(r: ResponseObject, complete = true): SseEvent[] {
  const events: SseEvent[] = [];
  const pending = { ...r, status: 'in_progress' as const, output: [], usage: null };
  events.push({ type: 'response.created', response: pending }, { type: 'response.in_progress', response: pending });
  r.output.forEach((item, output_index) => {
    const base = { item_id: item.id, output_index };
    if (item.type === 'message') {
      const text = (item.content as { text: string }[])[0]?.text ?? '';
      const part = { type: 'output_text', text: '', annotations: [], logprobs: [] };
      events.push({
        type: 'response.output_item.added',
        output_index,
        item: { ...item, status: 'in_progress', content: [] },
      });
      events.push({ type: 'response.content_part.added', ...base, content_index: 0, part });
      for (const delta of chunks(text)) {
        events.push({ type: 'response.output_text.delta', ...base, content_index: 0, delta, logprobs: [] });
      }
      events.push({ type: 'response.output_text.done', ...base, content_index: 0, text, logprobs: [] });
      events.push({ type: 'response.content_part.done', ...base, content_index: 0, part: { ...part, text } });
    } else if (item.type === 'function_call') {
      const args = String(item.arguments);
      events.push({
        type: 'response.output_item.added',
        output_index,
        item: { ...item, status: 'in_progress', arguments: '' },
      });
      for (const delta of chunks(args)) events.push({ type: 'response.function_call_arguments.delta', ...base, delta });
      events.push({ type: 'response.function_call_arguments.done', ...base, name: item.name, arguments: args });
    } else {
      events.push({ type: 'response.output_item.added', output_index, item: { ...item, status: 'in_progress' } });
    }
    events.push({ type: 'response.output_item.done', output_index, item });
  });
  if (complete) events.push({ type: 'response.completed', response: r });
  return events.map((e, sequence_number) => ({ ...e, sequence_number }));
}

export const sseFrame = (e: SseEvent): string => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;

function chunks(text: string, size = 48): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/** An error body in the API's shape. */
export function errorBody(status: number, message: string): { error: Record<string, unknown> } {
  const type =
    status === 429
      ? 'rate_limit_exceeded'
      : status === 401
        ? 'invalid_api_key'
        : status >= 500
          ? 'server_error'
          : 'invalid_request_error';
  return { error: { message, type, param: null, code: type } };
}

/**
 * The items of the OpenAI Traces ingest API (`POST {base}/traces/ingest`, `OpenAI-Beta: traces=v1`), as the Agents
 * SDK's exporters send them (openai-agents-js `packages/agents-openai/src/openaiTracingExporter.ts`, openai-agents-python
 * `src/agents/tracing/processors.py` BackendSpanExporter): trace objects and span objects, the field limits and the
 * usage shape the ingest accepts. Ids are not random as the SDK's are: they follow from the workflow run and the step,
 * so whatever emits an item twice (a retried activity, a new worker) emits the same id.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';

export const MAX_FIELD_BYTES = 100_000;
export const TRUNCATION_SUFFIX = '... [truncated]';

const isoTime = z.iso.datetime({ offset: true });

export const TraceItemSchema = z.strictObject({
  object: z.literal('trace'),
  id: z.string().regex(/^trace_[0-9a-f]{32}$/),
  workflow_name: z.string().min(1),
  group_id: z.string().min(1).nullable(),
  metadata: z.record(z.string(), z.unknown()).nullable(),
});
export type TraceItem = z.infer<typeof TraceItemSchema>;

const Json = z.record(z.string(), z.unknown());
export const SpanDataSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('agent'),
    name: z.string().min(1),
    handoffs: z.array(z.string()).optional(),
    tools: z.array(z.string()).optional(),
    output_type: z.string().optional(),
  }),
  z.strictObject({
    type: z.literal('generation'),
    input: z.array(Json).optional(),
    output: z.array(Json).optional(),
    model: z.string().optional(),
    model_config: Json.optional(),
    usage: z.strictObject({ input_tokens: z.number(), output_tokens: z.number(), details: Json.optional() }).optional(),
  }),
  z.strictObject({ type: z.literal('response'), response_id: z.string().optional() }),
  z.strictObject({
    type: z.literal('function'),
    name: z.string().min(1),
    input: z.string(),
    output: z.string(),
    mcp_data: z.string().optional(),
  }),
  z.strictObject({ type: z.literal('handoff'), from_agent: z.string().optional(), to_agent: z.string().optional() }),
  z.strictObject({ type: z.literal('custom'), name: z.string().min(1), data: Json }),
]);
export type SpanData = z.infer<typeof SpanDataSchema>;

export const SpanItemSchema = z.strictObject({
  object: z.literal('trace.span'),
  id: z.string().regex(/^span_[0-9a-f]{24}$/),
  trace_id: z.string().regex(/^trace_[0-9a-f]{32}$/),
  parent_id: z
    .string()
    .regex(/^span_[0-9a-f]{24}$/)
    .nullable(),
  started_at: isoTime,
  ended_at: isoTime,
  span_data: SpanDataSchema,
  error: z.strictObject({ message: z.string(), data: Json.nullable().optional() }).nullable(),
});
export type SpanItem = z.infer<typeof SpanItemSchema>;

export type IngestItem = TraceItem | SpanItem;
export const IngestItemSchema = z.union([TraceItemSchema, SpanItemSchema]);
export const IngestBodySchema = z.strictObject({ data: z.array(IngestItemSchema) });

const hex = (text: string) => createHash('sha256').update(text).digest('hex');

/** One trace per workflow run (a continue-as-new starts a new trace in the same group, the workflow id). */
export function traceIdOf(workflowId: string, runId: string): string {
  return `trace_${hex(`${workflowId}\n${runId}`).slice(0, 32)}`;
}

/** A span's id from its trace and what it stands for (`agent:designer`, `activity:7`, ...). */
export function spanIdOf(traceId: string, key: string): string {
  return `span_${hex(`${traceId}\n${key}`).slice(0, 24)}`;
}

export const isoOf = (ms: number) => new Date(ms).toISOString();

const jsonBytes = (value: unknown): number => {
  const text = JSON.stringify(value);
  return text === undefined ? 0 : Buffer.byteLength(text, 'utf8');
};

/** A string cut to fit `maxBytes` of JSON, ending with the exporters' suffix. */
function truncateString(value: string, maxBytes: number): string {
  if (jsonBytes(value) <= maxBytes) return value;
  let chars = Math.max(0, Math.floor((value.length * (maxBytes - jsonBytes(TRUNCATION_SUFFIX))) / jsonBytes(value)));
  let cut = value.slice(0, chars) + TRUNCATION_SUFFIX;
  while (jsonBytes(cut) > maxBytes && chars > 0) {
    chars = Math.max(0, chars - Math.max(1, Math.ceil(chars * 0.05)));
    cut = value.slice(0, chars) + TRUNCATION_SUFFIX;
  }
  return cut;
}

/**
 * A value cut to `maxBytes` of JSON the way the exporters do: strings keep their head plus the suffix; in arrays and
 * objects the largest child is cut first (dropped when nothing of it fits).
 */
export function truncateToLimit(value: unknown, maxBytes = MAX_FIELD_BYTES): unknown {
  if (jsonBytes(value) <= maxBytes) return value;
  if (typeof value === 'string') return truncateString(value, maxBytes);
  if (value === null || typeof value !== 'object') return null;
  const entries: [string, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [String(i), v])
    : Object.entries(value as Record<string, unknown>);
  const rebuild = () => (Array.isArray(value) ? entries.map(([, v]) => v) : Object.fromEntries(entries));
  let size = jsonBytes(rebuild());
  while (entries.length > 0 && size > maxBytes) {
    let largest = 0;
    let largestSize = -1;
    entries.forEach(([, v], i) => {
      const s = jsonBytes(v);
      if (s > largestSize) [largest, largestSize] = [i, s];
    });
    const budget = maxBytes - (size - largestSize);
    const child = entries[largest]![1];
    const cut = budget > 0 ? truncateToLimit(child, budget) : undefined;
    if (cut === undefined || cut === child || jsonBytes(cut) >= largestSize) entries.splice(largest, 1);
    else entries[largest] = [entries[largest]![0], cut];
    size = jsonBytes(rebuild());
  }
  return rebuild();
}

/**
 * What the ingest accepts: `input`/`output` at most 100,000 bytes of JSON each; a generation's usage with only
 * `input_tokens`/`output_tokens` at the top, everything else under `details` (dropped without both counts).
 */
export function sanitizeSpanData(data: SpanData): SpanData {
  const out: Record<string, unknown> = { ...data };
  for (const field of ['input', 'output'] as const) {
    if (field in out) out[field] = truncateToLimit(out[field]);
  }
  if (data.type === 'generation' && data.usage) {
    const { input_tokens, output_tokens, details, ...rest } = data.usage as Record<string, unknown>;
    if (typeof input_tokens !== 'number' || typeof output_tokens !== 'number') delete out.usage;
    else {
      const merged = { ...(details as Record<string, unknown> | undefined), ...rest };
      out.usage = { input_tokens, output_tokens, ...(Object.keys(merged).length ? { details: merged } : {}) };
    }
  }
  return out as SpanData;
}

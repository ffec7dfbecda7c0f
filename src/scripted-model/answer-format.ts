/**
 * What a request says about the form of its answer, applied to what a script drafted, as the real API does:
 *   `tool_choice` (https://platform.openai.com/docs/api-reference/responses/create#responses-create-tool_choice):
 *     "none"                         -> no tool call, a message instead
 *     "required"                     -> at least one tool call, never a plain message
 *     {type: "function"|"custom", name} -> a call of exactly that tool
 *     {type: "allowed_tools", mode, tools} -> calls only of those tools (and one of them if mode is "required")
 *   `text.format` (https://platform.openai.com/docs/guides/structured-outputs):
 *     json_schema                    -> the message is JSON that validates against `format.schema`
 *     json_object                    -> the message is a JSON object
 * A call the script did not plan (a forced tool) gets arguments that validate against the tool's `parameters`.
 */
import { valueForSchema, type ValueHints } from './json-schema-value';
import type { Draft } from './responses';
import { isRecord } from './text';

type Tool = Record<string, unknown>;

/** `name` is the project's name (titles and names in generated values); texts come from what the script drafted. */
export function shapeAnswer(drafts: readonly Draft[], body: Record<string, unknown>, name: string): Draft[] {
  const tools = Array.isArray(body.tools) ? body.tools.filter(isRecord) : [];
  const h: ValueHints = { name, text: drafts.map(draftHint).find((t) => t !== undefined) ?? '' };
  const shaped = withToolChoice(drafts, body.tool_choice, tools, h);
  const format = isRecord(body.text) && isRecord(body.text.format) ? body.text.format : undefined;
  if (format?.type !== 'json_schema' && format?.type !== 'json_object') return shaped;
  return shaped.map((d) =>
    d.type === 'message'
      ? {
          type: 'message',
          text: JSON.stringify(
            format.type === 'json_schema' ? valueForSchema(format.schema, { ...h, text: d.text }) : { answer: d.text },
          ),
        }
      : d,
  );
}

const isCall = (d: Draft): boolean => d.type !== 'message';

function withToolChoice(drafts: readonly Draft[], choice: unknown, tools: readonly Tool[], h: ValueHints): Draft[] {
  if (choice === 'none') {
    const kept = drafts.filter((d) => !isCall(d));
    if (kept.length > 0) return kept;
    const planned = drafts.map((d) => (d.type === 'web_search_call' ? 'web_search' : 'name' in d ? d.name : ''));
    const text = `Scripted model: tool_choice is "none", so I answer without calling ${planned.join(', ')}.`;
    return [{ type: 'message', text }];
  }
  if (choice === 'required') {
    if (drafts.some(isCall)) return drafts.filter(isCall);
    const first = tools.find((t) => t.type === 'function' || t.type === 'custom') ?? tools[0];
    return first ? [callOf(first, h)] : [...drafts];
  }
  if (!isRecord(choice)) return [...drafts];
  if ((choice.type === 'function' || choice.type === 'custom') && typeof choice.name === 'string') {
    const planned = drafts.filter((d) => 'name' in d && d.name === choice.name);
    if (planned.length > 0) return planned;
    const tool = tools.find((t) => t.name === choice.name) ?? { type: choice.type, name: choice.name };
    return [callOf(tool, h)];
  }
  if (choice.type === 'allowed_tools' && Array.isArray(choice.tools)) {
    const allowed = choice.tools.filter(isRecord);
    const isAllowed = (d: Draft) =>
      d.type === 'message' ||
      allowed.some((a) =>
        d.type === 'web_search_call' ? String(a.type).startsWith('web_search') : 'name' in d && a.name === d.name,
      );
    const kept = drafts.filter(isAllowed);
    if (choice.mode === 'required' && !kept.some(isCall)) {
      const first = allowed[0];
      const tool = first && tools.find((t) => t.name === first.name && t.type === first.type);
      return tool ? [callOf(tool, h)] : kept;
    }
    return kept.length > 0 ? kept : [{ type: 'message', text: h.text }];
  }
  return [...drafts];
}

/** A call of `tool` the script did not plan: arguments from its parameters schema, input from the answer's text. */
function callOf(tool: Tool, h: ValueHints): Draft {
  const name = typeof tool.name === 'string' ? tool.name : '';
  if (tool.type === 'custom') return { type: 'custom_tool_call', name, input: h.text };
  if (typeof tool.type === 'string' && tool.type.startsWith('web_search')) {
    return { type: 'web_search_call', query: h.name };
  }
  const parameters = isRecord(tool.parameters) ? tool.parameters : { type: 'object', properties: {} };
  return { type: 'function_call', name, arguments: JSON.stringify(valueForSchema(parameters, h)) };
}

/** Text a draft carries that a field such as `prompt` or `summary` can reuse. */
function draftHint(d: Draft): string | undefined {
  if (d.type === 'message') return d.text;
  if (d.type !== 'function_call') return undefined;
  try {
    const args: unknown = JSON.parse(d.arguments);
    return isRecord(args) && typeof args.prompt === 'string' ? args.prompt : undefined;
  } catch {
    return undefined;
  }
}

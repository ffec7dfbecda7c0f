/**
 * The Responses API's checks of the request's own parameters (not of its input items): ranges, enumerations, tools,
 * `tool_choice`, `text.format`, `metadata`, and which parameters go together. The allowed values follow the official
 * SDK's request type, openai-python 3.60 `types/responses/response_create_params.py` (the venv of
 * test/fixtures/cookbook/requirements.txt; openai-node's `src/resources/responses/responses.ts` has the same);
 * messages, codes and params are the API's own as its users report them (cited beside each rule).
 */
import type { CatalogModel } from './models';
import { isRecord } from './text';

export interface ApiError {
  status: number;
  message: string;
  type: 'invalid_request_error' | 'not_found_error';
  param: string | null;
  code: string | null;
}

export const invalid = (message: string, param: string | null = null, code: string | null = null): ApiError => ({
  status: 400,
  message,
  type: 'invalid_request_error',
  param,
  code,
});

/** The API lists allowed values as `'a', 'b', and 'c'` (two: `'a' and 'b'`). */
export function supportedValues(values: readonly string[]): string {
  const quoted = values.map((v) => `'${v}'`);
  if (quoted.length <= 2) return quoted.join(' and ');
  return `${quoted.slice(0, -1).join(', ')}, and ${quoted[quoted.length - 1] ?? ''}`;
}

export const invalidValue = (value: unknown, values: readonly string[], param: string): ApiError =>
  invalid(
    `Invalid value: '${String(value)}'. Supported values are: ${supportedValues(values)}.`,
    param,
    'invalid_value',
  );

const missing = (param: string): ApiError =>
  invalid(`Missing required parameter: '${param}'.`, param, 'missing_required_parameter');

/** `service_tier` (openai-python `types/responses/service_tier.py`). */
export const SERVICE_TIERS = ['auto', 'default', 'flex', 'scale', 'priority', 'fast', 'ultrafast'];
const TRUNCATIONS = ['auto', 'disabled'];
/** `reasoning.summary` (openai-python `types/shared_params/reasoning.py`). */
const SUMMARIES = ['auto', 'concise', 'detailed'];
const TEXT_FORMATS = ['text', 'json_schema', 'json_object'];
/** Function and custom tool names, and json_schema format names (the API's pattern, and at most 64 characters). */
const NAME_PATTERN = /^[a-zA-Z0-9_-]+$/;
const MAX_NAME_LENGTH = 64;
/** `metadata`: 16 pairs, keys up to 64 characters, string values up to 512 (the SDK's `Metadata` doc). */
const MAX_METADATA_KEYS = 16;
const MAX_METADATA_KEY_LENGTH = 64;
const MAX_METADATA_VALUE_LENGTH = 512;
/** The smallest `max_output_tokens` the API takes. */
export const MIN_OUTPUT_TOKENS = 16;
/** `tool_choice: {type}` for a hosted tool (openai-python `tool_choice_types_param.py` and its siblings). */
const HOSTED_TOOL_CHOICES = new Set([
  'file_search',
  'web_search_preview',
  'web_search_preview_2025_03_11',
  'computer',
  'computer_use_preview',
  'computer_use',
  'image_generation',
  'code_interpreter',
  'apply_patch',
  'shell',
  'programmatic_tool_calling',
]);

const typeName = (v: unknown): string =>
  v === null
    ? 'null'
    : Array.isArray(v)
      ? 'an array'
      : typeof v === 'number'
        ? Number.isInteger(v)
          ? 'an integer'
          : 'a decimal'
        : typeof v === 'object'
          ? 'an object'
          : `a ${typeof v}`;

const invalidType = (param: string, expected: string, value: unknown): ApiError =>
  invalid(
    `Invalid type for '${param}': expected ${expected}, but got ${typeName(value)} instead.`,
    param,
    'invalid_type',
  );

const tooLong = (param: string, max: number, length: number): ApiError =>
  invalid(
    `Invalid '${param}': string too long. Expected a string with maximum length ${max}, but got a string with length ${length} instead.`,
    param,
    'string_above_max_length',
  );

const present = (v: unknown): boolean => v !== undefined && v !== null;

/**
 * Checks the parameters of a request for `model`, in the API's order of concern: types and ranges, then what the
 * model supports, then what refers to what (tools, tool_choice). Returns the first error, or null.
 */
export function checkParameters(body: Record<string, unknown>, model: CatalogModel): ApiError | null {
  return (
    checkSampling(body, model) ??
    checkMaxOutputTokens(body.max_output_tokens) ??
    checkMetadata(body.metadata) ??
    checkEnum(body.service_tier, SERVICE_TIERS, 'service_tier') ??
    checkEnum(body.truncation, TRUNCATIONS, 'truncation') ??
    checkEnum(isRecord(body.reasoning) ? body.reasoning.summary : undefined, SUMMARIES, 'reasoning.summary') ??
    checkTextFormat(body.text) ??
    checkTools(body.tools) ??
    checkToolChoice(body.tool_choice, body.tools) ??
    checkTogether(body)
  );
}

/**
 * `temperature` in [0, 2], `top_p` in [0, 1]. Reasoning models refuse both ("Unsupported parameter: 'temperature' is
 * not supported with this model.", param set, code null: OpenHands/software-agent-sdk#1837 quotes the API), except
 * with `reasoning.effort: "none"` (the models that allow it sample like chat models) and at their default 1, which
 * the API lets through (community.openai.com/t/temperature-in-gpt-5-models/1337133).
 */
function checkSampling(body: Record<string, unknown>, model: CatalogModel): ApiError | null {
  for (const [param, max] of [
    ['temperature', 2],
    ['top_p', 1],
  ] as const) {
    const v = body[param];
    if (!present(v)) continue;
    if (typeof v !== 'number') return invalidType(param, 'a decimal', v);
    if (v > max) {
      return invalid(
        `Invalid '${param}': decimal above maximum value. Expected a value <= ${max}, but got ${v} instead.`,
        param,
        'decimal_above_max_value',
      );
    }
    if (v < 0) {
      return invalid(
        `Invalid '${param}': decimal below minimum value. Expected a value >= 0, but got ${v} instead.`,
        param,
        'decimal_below_min_value',
      );
    }
    const effort = isRecord(body.reasoning) ? body.reasoning.effort : undefined;
    if (model.reasoning && effort !== 'none' && v !== 1) {
      return invalid(`Unsupported parameter: '${param}' is not supported with this model.`, param, null);
    }
  }
  return null;
}

/** At least 16 ("Invalid 'max_output_tokens': integer below minimum value...": vectorize-io/hindsight#58). */
function checkMaxOutputTokens(v: unknown): ApiError | null {
  if (!present(v)) return null;
  if (typeof v !== 'number' || !Number.isInteger(v)) return invalidType('max_output_tokens', 'an integer', v);
  if (v < MIN_OUTPUT_TOKENS) {
    return invalid(
      `Invalid 'max_output_tokens': integer below minimum value. Expected a value >= ${MIN_OUTPUT_TOKENS}, but got ${v} instead.`,
      'max_output_tokens',
      'integer_below_min_value',
    );
  }
  return null;
}

/** 16 string pairs ("too many properties", code object_above_max_properties: BerriAI/litellm#4257 quotes the API). */
function checkMetadata(v: unknown): ApiError | null {
  if (!present(v)) return null;
  if (!isRecord(v) || Array.isArray(v)) return invalidType('metadata', 'an object', v);
  const keys = Object.keys(v);
  if (keys.length > MAX_METADATA_KEYS) {
    return invalid(
      `Invalid 'metadata': too many properties. Expected an object with at most ${MAX_METADATA_KEYS} properties, but got an object with ${keys.length} properties instead.`,
      'metadata',
      'object_above_max_properties',
    );
  }
  for (const key of keys) {
    if (key.length > MAX_METADATA_KEY_LENGTH) return tooLong('metadata', MAX_METADATA_KEY_LENGTH, key.length);
    const value = v[key];
    if (typeof value !== 'string') return invalidType(`metadata.${key}`, 'a string', value);
    if (value.length > MAX_METADATA_VALUE_LENGTH) {
      return tooLong(`metadata.${key}`, MAX_METADATA_VALUE_LENGTH, value.length);
    }
  }
  return null;
}

function checkEnum(v: unknown, values: readonly string[], param: string): ApiError | null {
  if (!present(v)) return null;
  return typeof v === 'string' && values.includes(v) ? null : invalidValue(v, values, param);
}

/** `text.format`: text, json_object, or json_schema with a `name` (the API's pattern) and a `schema`. */
function checkTextFormat(text: unknown): ApiError | null {
  if (!present(text)) return null;
  if (!isRecord(text)) return invalidType('text', 'an object', text);
  const format = text.format;
  if (!present(format)) return null;
  if (!isRecord(format)) return invalidType('text.format', 'an object', format);
  if (!present(format.type)) return missing('text.format.type');
  if (typeof format.type !== 'string' || !TEXT_FORMATS.includes(format.type)) {
    return invalidValue(format.type, TEXT_FORMATS, 'text.format.type');
  }
  if (format.type !== 'json_schema') return null;
  if (!present(format.name)) return missing('text.format.name');
  const nameError = checkName(format.name, 'text.format.name');
  if (nameError) return nameError;
  if (!present(format.schema)) return missing('text.format.schema');
  if (!isRecord(format.schema)) return invalidType('text.format.schema', 'an object', format.schema);
  return null;
}

/**
 * A function or custom tool's name: "Invalid 'tools[0].name': string does not match pattern. Expected a string that
 * matches the pattern '^[a-zA-Z0-9_-]+$'." (code invalid_value: openai/openai-dotnet#441, openai/codex#8694).
 */
function checkName(name: unknown, param: string): ApiError | null {
  if (typeof name !== 'string') return invalidType(param, 'a string', name);
  if (name.length > MAX_NAME_LENGTH) return tooLong(param, MAX_NAME_LENGTH, name.length);
  if (!NAME_PATTERN.test(name)) {
    return invalid(
      `Invalid '${param}': string does not match pattern. Expected a string that matches the pattern '${NAME_PATTERN.source}'.`,
      param,
      'invalid_value',
    );
  }
  return null;
}

/** Named tools (function, custom): valid names, each once. The tool types themselves are checked in rules.ts. */
function checkTools(tools: unknown): ApiError | null {
  if (!Array.isArray(tools)) return null;
  const seen = new Set<string>();
  for (const [i, tool] of tools.entries()) {
    if (!isRecord(tool) || (tool.type !== 'function' && tool.type !== 'custom')) continue;
    if (!present(tool.name)) return missing(`tools[${i}].name`);
    const error = checkName(tool.name, `tools[${i}].name`);
    if (error) return error;
    const name = tool.name as string;
    // The API's wording for this one could not be checked offline; its status, type and param are the API's.
    if (seen.has(name)) return invalid(`Duplicate tool name: '${name}'. Tool names must be unique.`, 'tools');
    seen.add(name);
  }
  return null;
}

/** A `tool_choice` that names a function or custom tool needs that tool among `tools`. */
function checkToolChoice(choice: unknown, tools: unknown): ApiError | null {
  if (!present(choice)) return null;
  if (typeof choice === 'string') {
    return ['none', 'auto', 'required'].includes(choice)
      ? null
      : invalidValue(choice, ['none', 'auto', 'required'], 'tool_choice');
  }
  if (!isRecord(choice)) return invalidType('tool_choice', 'one of a string or an object', choice);
  const type = choice.type;
  const offered = Array.isArray(tools) ? tools.filter(isRecord) : [];
  if (type === 'function' || type === 'custom') {
    if (typeof choice.name !== 'string') return missing('tool_choice.name');
    const found = offered.some((t) => t.type === type && t.name === choice.name);
    // The API's wording ("Tool choice '...' not found in 'tools' parameter.") as its users quote it.
    if (!found) return invalid(`Tool choice '${choice.name}' not found in 'tools' parameter.`, 'tool_choice');
    return null;
  }
  if (type === 'allowed_tools') {
    return choice.mode === 'auto' || choice.mode === 'required'
      ? null
      : invalidValue(choice.mode, ['auto', 'required'], 'tool_choice.mode');
  }
  if (type === 'mcp') return typeof choice.server_label === 'string' ? null : missing('tool_choice.server_label');
  if (typeof type === 'string' && HOSTED_TOOL_CHOICES.has(type)) return null;
  return invalidValue(type, ['function', 'custom', 'allowed_tools', 'mcp', ...HOSTED_TOOL_CHOICES], 'tool_choice.type');
}

/**
 * Parameters that exclude or need each other. `previous_response_id` with `conversation`: the API's
 * "Mutually exclusive parameters..." (code mutually_exclusive_parameters, param null; quoted in
 * praxis-proxy/ai#999). `background` needs the response stored (the background guide: "requires store=true").
 */
function checkTogether(body: Record<string, unknown>): ApiError | null {
  if (present(body.previous_response_id) && present(body.conversation)) {
    return invalid(
      "Mutually exclusive parameters: Ensure you are only providing one of: 'previous_response_id' or 'conversation'.",
      null,
      'mutually_exclusive_parameters',
    );
  }
  if (body.background === true && body.store === false) {
    return invalid("Background mode requires 'store' to be true.", 'background', null);
  }
  return null;
}

/**
 * The Responses API's documented request rules, enforced by the scripted model as the real API enforces them, with
 * the real API's statuses and error shapes. The code under test therefore has to get right what a paying user's run
 * needs: a key, known models, reasoning settings only on reasoning models, and, under `store: false`, reasoning
 * items passed back intact (with `encrypted_content`) before the items that depend on them.
 */
import crypto from 'node:crypto';
import { lookupModel, type CatalogModel } from './models';
import { checkParameters, invalid, invalidValue, type ApiError } from './params';
import { isRecord, type Item } from './text';

export type { ApiError } from './params';

/**
 * The request's parameters: openai-python 3.60 `ResponseCreateParamsBase` (types/responses/response_create_params.py,
 * as openai-node's `ResponseCreateParamsBase`), plus `client_metadata`, which Codex sends.
 */
const KNOWN_PARAMETERS = new Set([
  'access_programs',
  'background',
  'background_options',
  'client_metadata',
  'context_management',
  'conversation',
  'image',
  'include',
  'input',
  'instructions',
  'max_output_tokens',
  'max_tool_calls',
  'metadata',
  'model',
  'moderation',
  'parallel_tool_calls',
  'previous_response_id',
  'prompt',
  'prompt_cache_key',
  'prompt_cache_options',
  'prompt_cache_retention',
  'reasoning',
  'safety_identifier',
  'service_tier',
  'store',
  'stream',
  'stream_options',
  'temperature',
  'text',
  'tool_choice',
  'tools',
  'top_logprobs',
  'top_p',
  'truncation',
  'user',
]);

/** Tool types: the `ToolParam` union of openai-python 3.60 (types/responses/tool_param.py). */
const TOOL_TYPES = [
  'function',
  'custom',
  'file_search',
  'computer',
  'web_search',
  'web_search_2025_08_26',
  'web_search_preview',
  'web_search_preview_2025_03_11',
  'computer_use_preview',
  'code_interpreter',
  'image_generation',
  'local_shell',
  'shell',
  'apply_patch',
  'mcp',
  'programmatic_tool_calling',
  'tool_search',
  // Codex 0.171 (app-server) groups deferred tools as `{type:"namespace", name, tools:[...]}` next to tool_search;
  // the real API takes them (that Codex release runs against it).
  'namespace',
];

const INCLUDABLE = [
  'reasoning.encrypted_content',
  'web_search_call.action.sources',
  'web_search_call.results',
  'code_interpreter_call.outputs',
  'computer_call_output.output.image_url',
  'file_search_call.results',
  'message.input_image.image_url',
  'message.output_text.logprobs',
];

/** `reasoning.effort` (openai-python 3.60 types/shared/reasoning_effort.py). */
const EFFORTS = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max'];

/** Items that answer a call, by the type of the call they answer. */
const OUTPUT_OF: Record<string, string> = {
  function_call: 'function_call_output',
  custom_tool_call: 'custom_tool_call_output',
  local_shell_call: 'local_shell_call_output',
};

/** A Bearer key is required; when the scripted model was started with a key, only that key is accepted. */
export function checkAuthorization(header: string | undefined, expectedKey: string | undefined): ApiError | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m?.[1]) {
    return {
      status: 401,
      message:
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer " +
        'auth (i.e. Authorization: Bearer YOUR_KEY).',
      type: 'invalid_request_error',
      param: null,
      code: null,
    };
  }
  if (expectedKey !== undefined && m[1] !== expectedKey) {
    return {
      status: 401,
      message: `Incorrect API key provided: ${maskKey(m[1])}. You can find your API key at https://platform.openai.com/account/api-keys.`,
      type: 'invalid_request_error',
      param: null,
      code: 'invalid_api_key',
    };
  }
  return null;
}

/** The real API shows the first and last few characters of a rejected key. */
function maskKey(key: string): string {
  return key.length <= 8 ? '*'.repeat(key.length) : `${key.slice(0, 3)}${'*'.repeat(6)}${key.slice(-4)}`;
}

export function modelNotFound(model: string): ApiError {
  return {
    status: 404,
    message: `The model \`${model}\` does not exist or you do not have access to it.`,
    type: 'invalid_request_error',
    param: null,
    code: 'model_not_found',
  };
}

export interface CheckedRequest {
  model: CatalogModel;
  /** The request asked for `reasoning.encrypted_content`. */
  includeEncrypted: boolean;
  /** The reasoning effort the answer is made with (reasoning models default to medium, as the API does). */
  effort: string | undefined;
}

/** Input item types: the `ResponseInputItemParam` union of openai-python 3.60 (types/responses/response_input_item_param.py). */
const INPUT_ITEM_TYPES = [
  'message',
  'file_search_call',
  'computer_call',
  'computer_call_output',
  'web_search_call',
  'function_call',
  'function_call_output',
  'tool_search_call',
  'tool_search_output',
  'additional_tools',
  'configuration_update',
  'reasoning',
  'compaction',
  'image_generation_call',
  'code_interpreter_call',
  'local_shell_call',
  'local_shell_call_output',
  'shell_call',
  'shell_call_output',
  'apply_patch_call',
  'apply_patch_call_output',
  'mcp_list_tools',
  'mcp_approval_request',
  'mcp_approval_response',
  'mcp_call',
  'custom_tool_call_output',
  'custom_tool_call',
  'compaction_trigger',
  'item_reference',
  'program',
  'program_output',
];
/** A message's roles (`EasyInputMessageParam`). */
const MESSAGE_ROLES = ['user', 'assistant', 'system', 'developer'];

/**
 * Checks a request body as the real API would. `dependsOn` maps an item id the scripted model issued to the id of
 * the reasoning item it was produced with (the real API knows that of its own ids, stored or not). `context` is what
 * the API prepends from storage (the `previous_response_id` chain or the conversation): its items are the API's own,
 * so its reasoning items and calls count for the pairing rules of the new input.
 */
export function checkRequest(
  body: Record<string, unknown>,
  input: readonly Item[],
  dependsOn: ReadonlyMap<string, string>,
  context: readonly Item[] = [],
): CheckedRequest | ApiError {
  for (const key of Object.keys(body)) {
    if (!KNOWN_PARAMETERS.has(key)) return invalid(`Unknown parameter: '${key}'.`, key, 'unknown_parameter');
  }
  if (typeof body.model !== 'string' || body.model === '') {
    return invalid("Missing required parameter: 'model'.", 'model', 'missing_required_parameter');
  }
  const model = lookupModel(body.model);
  if (!model) return modelNotFound(body.model);
  const inputError = checkInputShape(body);
  if (inputError) return inputError;

  const reasoning = body.reasoning;
  if (reasoning !== undefined && reasoning !== null) {
    if (!isRecord(reasoning)) return invalid("Invalid type for 'reasoning': expected an object.", 'reasoning');
    for (const key of Object.keys(reasoning)) {
      if (!model.reasoning) {
        return invalid(
          `Unsupported parameter: 'reasoning.${key}' is not supported with this model.`,
          `reasoning.${key}`,
          'unsupported_parameter',
        );
      }
    }
    if (reasoning.effort !== undefined && reasoning.effort !== null && !EFFORTS.includes(String(reasoning.effort))) {
      return invalidValue(reasoning.effort, EFFORTS, 'reasoning.effort');
    }
  }

  const include = body.include ?? [];
  if (!Array.isArray(include)) return invalid("Invalid type for 'include': expected an array.", 'include');
  for (const [i, value] of include.entries()) {
    if (typeof value !== 'string' || !INCLUDABLE.includes(value))
      return invalidValue(value, INCLUDABLE, `include[${i}]`);
  }

  const tools = body.tools ?? [];
  if (!Array.isArray(tools)) return invalid("Invalid type for 'tools': expected an array.", 'tools');
  for (const [i, tool] of tools.entries()) {
    const type = isRecord(tool) ? tool.type : undefined;
    if (typeof type !== 'string' || !TOOL_TYPES.includes(type))
      return invalidValue(type, TOOL_TYPES, `tools[${i}].type`);
  }
  const paramError = checkParameters(body, model);
  if (paramError) return paramError;

  const itemError = checkInputItems(input, body.store === false, dependsOn, context);
  if (itemError) return itemError;
  const effort = model.reasoning ? String((isRecord(reasoning) ? reasoning.effort : undefined) ?? 'medium') : undefined;
  return { model, includeEncrypted: include.includes('reasoning.encrypted_content'), effort };
}

/**
 * `input`: a string or a list of items, each a known type (a message: a known role). Without it the API has nothing
 * to answer, unless the stored chain or conversation gives the context.
 */
function checkInputShape(body: Record<string, unknown>): ApiError | null {
  const input = body.input;
  if (input === undefined || input === null) {
    const fromStorage = typeof body.previous_response_id === 'string' || body.conversation != null;
    return fromStorage || body.prompt != null
      ? null
      : invalid("Missing required parameter: 'input'.", 'input', 'missing_required_parameter');
  }
  if (typeof input === 'string') return null;
  if (!Array.isArray(input)) {
    return invalid(
      "Invalid type for 'input': expected one of a string or an array of input items.",
      'input',
      'invalid_type',
    );
  }
  for (const [i, item] of input.entries()) {
    if (!isRecord(item) || Array.isArray(item)) {
      return invalid(`Invalid type for 'input[${i}]': expected an object.`, `input[${i}]`, 'invalid_type');
    }
    const type = item.type ?? (item.role !== undefined ? 'message' : undefined);
    if (type === undefined) {
      return invalid(
        `Missing required parameter: 'input[${i}].role'.`,
        `input[${i}].role`,
        'missing_required_parameter',
      );
    }
    if (typeof type !== 'string' || !INPUT_ITEM_TYPES.includes(type)) {
      return invalidValue(type, INPUT_ITEM_TYPES, `input[${i}].type`);
    }
    if (type === 'message' && (typeof item.role !== 'string' || !MESSAGE_ROLES.includes(item.role))) {
      return invalidValue(item.role, MESSAGE_ROLES, `input[${i}].role`);
    }
  }
  return null;
}

function checkInputItems(
  input: readonly Item[],
  storeFalse: boolean,
  dependsOn: ReadonlyMap<string, string>,
  context: readonly Item[],
): ApiError | null {
  const seenReasoning = new Set<string>();
  const calls = new Map<string, string>();
  const answered = new Set<string>();
  // The stored context is the API's own record: its reasoning items are there, its calls open or answered.
  for (const item of context) {
    const type = typeof item.type === 'string' ? item.type : 'message';
    if (type === 'reasoning' && typeof item.id === 'string') seenReasoning.add(item.id);
    const callId = typeof item.call_id === 'string' ? item.call_id : undefined;
    if (!callId) continue;
    if (OUTPUT_OF[type]) calls.set(callId, type);
    if (Object.values(OUTPUT_OF).includes(type)) answered.add(callId);
  }
  const ids = new Set(context.map((i) => i.id).filter((id): id is string => typeof id === 'string'));
  for (const item of input) {
    const type = typeof item.type === 'string' ? item.type : 'message';
    const id = typeof item.id === 'string' ? item.id : undefined;
    // An id twice (in the input, or in the input and the stored chain): "Duplicate item found with id ...".
    if (id !== undefined && type !== 'item_reference') {
      if (ids.has(id)) {
        return invalid(
          `Duplicate item found with id ${id}. Remove duplicate items from your input and try again.`,
          'input',
        );
      }
      ids.add(id);
    }
    if (type === 'item_reference' || type === 'reasoning') {
      if (type === 'reasoning' && !Array.isArray(item.summary)) {
        return invalid("Missing required parameter: 'input[].summary'.", 'input', 'missing_required_parameter');
      }
      const encrypted = type === 'reasoning' ? item.encrypted_content : undefined;
      if (typeof encrypted === 'string' && encrypted !== '') {
        if (!id || !openReasoning(encrypted, id)) {
          return invalid(
            `The encrypted content for item ${id ?? '(no id)'} could not be verified.`,
            null,
            'invalid_encrypted_content',
          );
        }
      } else if (storeFalse || !id) {
        return {
          status: 404,
          message:
            `Item with id '${id ?? ''}' not found. Items are not persisted when \`store\` is set to false. ` +
            'Try again with `store` set to true, or remove this item from your input.',
          type: 'invalid_request_error',
          param: 'input',
          code: null,
        };
      }
      if (id) seenReasoning.add(id);
      continue;
    }
    const needs = id ? dependsOn.get(id) : undefined;
    if (needs && !seenReasoning.has(needs)) {
      return invalid(
        `Item '${id ?? ''}' of type '${type}' was provided without its required 'reasoning' item: '${needs}'.`,
        'input',
      );
    }
    const callId = typeof item.call_id === 'string' ? item.call_id : undefined;
    if (OUTPUT_OF[type] && callId) calls.set(callId, type);
    if (Object.values(OUTPUT_OF).includes(type)) {
      if (!callId || !calls.has(callId)) {
        return invalid(`No tool call found for function call output with call_id ${callId ?? ''}.`, 'input');
      }
      answered.add(callId);
    }
  }
  for (const callId of calls.keys()) {
    if (!answered.has(callId)) return invalid(`No tool output found for function call ${callId}.`, 'input');
  }
  return null;
}

// The real API encrypts reasoning with a key only it holds; the scripted model signs it, so content that was cut,
// edited or made up is refused as the API refuses it. A fixed key keeps content valid across restarts.
const SEAL_KEY = 'scripted-model-reasoning-seal-v1';

export function sealReasoning(id: string, summary: string): string {
  const payload = Buffer.from(JSON.stringify({ id, summary })).toString('base64url');
  return `${payload}.${crypto.createHmac('sha256', SEAL_KEY).update(payload).digest('base64url')}`;
}

function openReasoning(content: string, id: string): boolean {
  const [payload, signature, extra] = content.split('.');
  if (!payload || !signature || extra !== undefined) return false;
  const expected = crypto.createHmac('sha256', SEAL_KEY).update(payload).digest('base64url');
  if (signature !== expected) return false;
  try {
    return (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { id?: unknown }).id === id;
  } catch {
    return false;
  }
}

/**
 * Issue 26: the scripted model as OpenAI's official clients see it, not only ours. Two programs drive it,
 * test/fixtures/conformance/python_clients.py (the `openai` client and `openai-agents` from PyPI, in the cached venv
 * of scripts/agents-sdk-venv.ts) and agents_js.ts (`@openai/agents` from npm), and print one JSON line per check; each
 * check below is one test, so a broken rule names itself. Grouped by the points: 2 (store,
 * previous_response_id, GET/DELETE/input_items, conversations), 4 (refusals with the API's status and error shape),
 * 5 (echoes, max_output_tokens applied, background), 6 (valid parameters and tool types accepted), 7 (no input), plus
 * the basics (text, tools over two turns, streaming, handoffs on gpt-5 and gpt-4.1). No Temporal, no Codex.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureAgentsSdkVenv } from '../scripts/agents-sdk-venv';
import { SCRIPTED_HEADER, startScriptedModel, type ScriptedModel } from '../src/scripted-model';
import { runInGroup } from './helpers/program';

const ROOT = path.join(__dirname, '..');
const PROGRAMS = path.join(__dirname, 'fixtures', 'conformance');
const PROGRAM_TIMEOUT_MS = 120_000;
const KEY = 'sk-conformance-0123456789';

const CHECKS: Record<string, readonly string[]> = {
  'basics: text, tools over two turns, streaming, handoffs (gpt-5 and gpt-4.1)': [
    'text_gpt-5',
    'text_gpt-4.1',
    'streaming',
    'tools_two_turns_stateless_gpt-4.1',
    'tools_two_turns_stateless_gpt-5',
    'agents_handoff_and_tool_gpt-4.1',
    'agents_handoff_and_tool_gpt-5',
    'agents_streaming_gpt-5',
    'agents_store_false_gpt-5',
    'js_text_gpt-4.1',
    'js_handoff_and_tool_gpt-4.1',
    'js_handoff_and_tool_gpt-5',
    'js_streaming_gpt-5',
  ],
  '2: store, previous_response_id, GET/DELETE/input_items, conversations': [
    'chain_function_call_output_only_gpt-4.1',
    'chain_function_call_output_only_gpt-5',
    'chain_open_call_without_output_refused',
    'chain_duplicate_item_refused',
    'store_default_get_input_items_delete',
    'store_other_key_cannot_see',
    'store_false_not_retrievable',
    'refuse_previous_response_unstored',
    'refuse_previous_response_unknown',
    'conversation_create_and_continue',
    'refuse_conversation_unknown',
    'refuse_previous_response_with_conversation',
    'agents_auto_previous_response_id_gpt-4.1',
    'agents_auto_previous_response_id_gpt-5',
    'agents_previous_response_id_across_runs_gpt-5',
    'js_previous_response_id_chain_gpt-4.1',
    'js_previous_response_id_chain_gpt-5',
  ],
  '4: refusals with the API status, type, code and param': [
    'refuse_temperature_on_gpt-5',
    'refuse_top_p_on_o3',
    'refuse_temperature_above_2',
    'refuse_max_output_tokens_below_16',
    'refuse_metadata_17_keys',
    'refuse_metadata_key_too_long',
    'refuse_metadata_value_too_long',
    'refuse_service_tier_unknown',
    'refuse_truncation_unknown',
    'refuse_tool_name_with_space',
    'refuse_tool_name_too_long',
    'refuse_duplicate_tool_names',
    'refuse_input_role_wizard',
    'refuse_input_item_type_unknown',
    'refuse_tool_choice_absent_tool',
    'refuse_text_format_json_schema_without_name',
    'refuse_text_format_json_schema_without_schema',
    'refuse_text_format_yaml',
    'refuse_reasoning_summary_unknown',
  ],
  '5: echoes, max_output_tokens applied, background': [
    'echo_max_output_tokens',
    'echo_metadata',
    'echo_parallel_tool_calls',
    'echo_truncation',
    'echo_service_tier',
    'echo_user',
    'echo_tool_choice',
    'echo_reasoning_summary',
    'echo_text_format',
    'max_output_tokens_applied_gpt-4.1',
    'max_output_tokens_applied_gpt-5_reasoning',
    'max_output_tokens_applied_streaming',
    'background_queued_then_retrievable',
    'background_cancel',
    'refuse_background_without_store',
  ],
  '6: valid parameters and tool types are accepted': [
    'accept_context_management',
    'accept_prompt_cache_key',
    'accept_prompt_cache_retention',
    'accept_prompt_cache_options',
    'accept_safety_identifier',
    'accept_include',
    'accept_stream_options',
    'accept_moderation',
    'accept_service_tier_priority',
    'accept_temperature_at_default_on_gpt-5',
    'accept_tool_function',
    'accept_tool_custom',
    'accept_tool_web_search',
    'accept_tool_web_search_preview',
    'accept_tool_file_search',
    'accept_tool_code_interpreter',
    'accept_tool_mcp',
    'accept_tool_image_generation',
    'accept_tool_local_shell',
    'accept_tool_shell',
    'accept_tool_apply_patch',
    'accept_tool_computer_use_preview',
  ],
  '7: no input': ['refuse_no_input'],
};

interface CheckLine {
  check: string;
  ok: boolean;
  detail: string;
}

interface ProgramRun {
  code: number | null;
  stderr: string;
  lines: CheckLine[];
}

let model: ScriptedModel;
let results: Promise<Map<string, CheckLine>>;
const runs: Record<string, ProgramRun> = {};

/** Runs a program against the scripted model; its own process group goes when it ends or times out. */
async function runProgram(command: string, args: string[]): Promise<ProgramRun> {
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    OPENAI_BASE_URL: model.baseUrl,
    OPENAI_API_KEY: KEY,
    OPENAI_AGENTS_DISABLE_TRACING: '1',
  };
  const { code, stdout, stderr } = await runInGroup(command, args, { cwd: ROOT, env, timeoutMs: PROGRAM_TIMEOUT_MS });
  const lines = stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as CheckLine);
  return { code, stderr, lines };
}

before(async () => {
  model = await startScriptedModel();
  const venv = await ensureAgentsSdkVenv();
  const python = runProgram(venv.python, ['-u', path.join(PROGRAMS, 'python_clients.py')]);
  const js = runProgram(process.execPath, ['--import', 'tsx', path.join(PROGRAMS, 'agents_js.ts')]);
  results = Promise.all([python, js]).then(([p, j]) => {
    runs.python = p;
    runs.js = j;
    return new Map([...p.lines, ...j.lines].map((l) => [l.check, l]));
  });
  // The checks below wait for the programs; a failure to even start shows in each of them.
  results.catch(() => undefined);
});
after(() => model?.close());

for (const [point, names] of Object.entries(CHECKS)) {
  void describe(point, () => {
    for (const name of names) {
      void it(name, { timeout: PROGRAM_TIMEOUT_MS + 30_000 }, async () => {
        const line = (await results).get(name);
        const program = name.startsWith('js_') ? runs.js : runs.python;
        assert.ok(line, `no result for ${name}: exit ${String(program?.code)}\n${program?.stderr.slice(-2000) ?? ''}`);
        assert.ok(line.ok, line.detail);
      });
    }
  });
}

void describe('the programs', () => {
  void it('exit 0 and report only the checks listed here', { timeout: PROGRAM_TIMEOUT_MS + 30_000 }, async () => {
    const all = await results;
    for (const run of Object.values(runs)) assert.equal(run.code, 0, run.stderr.slice(-2000));
    const listed = new Set(Object.values(CHECKS).flat());
    assert.deepEqual(
      [...all.keys()].filter((k) => !listed.has(k)),
      [],
      'every check a program reports is listed here',
    );
  });
});

void describe('7: a request without input is refused cleanly, and logged', () => {
  void it('400 missing_required_parameter (no zod dump), labelled scripted, in the request log', async () => {
    await results; // after the programs, so their requests do not interleave with this one's log entry
    const post = (body: string) =>
      fetch(`${model.baseUrl}/responses`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
        body,
      });
    const before = model.stats().requests.length;
    const res = await post(JSON.stringify({ model: 'gpt-4.1' }));
    assert.equal(res.status, 400);
    assert.equal(res.headers.get(SCRIPTED_HEADER), 'true');
    assert.deepEqual(await res.json(), {
      error: {
        message: "Missing required parameter: 'input'.",
        type: 'invalid_request_error',
        param: 'input',
        code: 'missing_required_parameter',
      },
    });
    const notJson = await post('{"model": "gpt-4.1", ');
    assert.equal(notJson.status, 400);
    const notJsonError = ((await notJson.json()) as { error: { message: string; type: string } }).error;
    assert.match(notJsonError.message, /^We could not parse the JSON body of your request\./);
    assert.equal(notJsonError.type, 'invalid_request_error');
    const log = model.stats().requests.slice(before);
    assert.deepEqual(
      log.map((e) => e.status),
      [400, 400],
      'both refusals are logged like every other request',
    );
  });
});

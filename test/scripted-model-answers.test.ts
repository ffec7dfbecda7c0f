/**
 * What the scripted model answers when the request shapes the answer (issue 26, points 3, 5, 8 and 9), checked with
 * the official `openai` client and a real JSON Schema validator (ajv), without Codex or Temporal:
 *   3. `text.format` json_schema / json_object: JSON that validates, `responses.parse` with a zod schema
 *   5. `tool_choice` "required", a forced function, "none"
 *   8. tool output as a list of `input_text` parts (the Agents SDK's MCP results): the Codex thread id is kept
 *   9. the scripted Codex writes files only with the tools Codex offered, and reports what the outputs showed
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Ajv2020 from 'ajv/dist/2020';
import OpenAI from 'openai';
import { zodTextFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { SCRIPTED_MODEL_KEY } from '../src/config/settings';
import { startScriptedModel, type ScriptedModel } from '../src/scripted-model';
import { agentScript } from '../src/scripted-model/agent-script';
import { shapeAnswer } from '../src/scripted-model/answer-format';
import { codexPrompt } from '../src/scripted-model/codex-prompt';
import { codexScript, readCodexTurn, writtenFiles } from '../src/scripted-model/codex-script';
import { valueForSchema } from '../src/scripted-model/json-schema-value';
import type { Item } from '../src/scripted-model/text';
import { builtinRole } from '../src/shared/builtin-teams';
import { agentBrief, missingDeliverablesMessage } from '../src/shared/prompts';

const TASK = 'Build "Bug Busters": click a moving bug to score points; show the score.';
const user = (text: string): Item => ({ type: 'message', role: 'user', content: text });

let model: ScriptedModel;
let client: OpenAI;
before(async () => {
  model = await startScriptedModel();
  client = new OpenAI({ apiKey: SCRIPTED_MODEL_KEY, baseURL: model.baseUrl, maxRetries: 0 });
});
after(() => model.close());

const ajv = new Ajv2020({ strict: false, allErrors: true });
function assertValid(schema: object, value: unknown): void {
  const validate = ajv.compile(schema);
  assert.ok(validate(value), `${JSON.stringify(value)}\n${ajv.errorsText(validate.errors)}`);
}

/** Schemas as strict Structured Outputs takes them: every property required, no additional properties. */
const REVIEW_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['summary', 'verdict', 'score', 'ready', 'files', 'owner', 'due', 'notes'],
  properties: {
    summary: { type: 'string', description: 'One paragraph.' },
    verdict: { type: 'string', enum: ['approve', 'request_changes'] },
    score: { type: 'integer', minimum: 3, maximum: 5 },
    ready: { type: 'boolean' },
    files: {
      type: 'array',
      minItems: 2,
      maxItems: 3,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['path', 'lines', 'kind'],
        properties: {
          path: { type: 'string' },
          lines: { type: 'number', exclusiveMinimum: 0, multipleOf: 0.25 },
          kind: { anyOf: [{ type: 'null' }, { type: 'string', enum: ['code', 'docs'] }] },
        },
      },
    },
    owner: { $ref: '#/$defs/person' },
    due: { type: ['string', 'null'], format: 'date' },
    notes: { type: 'array', items: { $ref: '#/$defs/note' } },
  },
  $defs: {
    person: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'email'],
      properties: { name: { type: 'string', minLength: 2 }, email: { type: 'string', format: 'email' } },
    },
    // Recursive: a note may have replies, which are notes.
    note: {
      type: 'object',
      additionalProperties: false,
      required: ['text', 'replies'],
      properties: {
        text: { type: 'string', maxLength: 40 },
        replies: { type: 'array', items: { $ref: '#/$defs/note' } },
      },
    },
  },
};

void describe('scripted model: structured outputs (text.format)', () => {
  void it('the generator answers every supported construct with a value that validates', () => {
    const value = valueForSchema(REVIEW_SCHEMA, { text: 'The game works.', name: 'Bug Busters' });
    ajv.addFormat('email', /@/).addFormat('date', /^\d{4}-\d{2}-\d{2}$/);
    assertValid(REVIEW_SCHEMA, value);
    const v = value as { summary: string; owner: { name: string }; files: unknown[] };
    assert.equal(v.summary, 'The game works.', 'a summary field carries the answer');
    assert.equal(v.owner.name, 'Bug Busters', 'a name field carries the project name');
    assert.equal(v.files.length, 2, 'minItems');
  });

  void it('json_schema on the wire: the answer validates, and the format is echoed', async () => {
    const r = await client.responses.create({
      model: 'gpt-4.1',
      input: `Review this project: ${TASK}`,
      text: { format: { type: 'json_schema', name: 'review', strict: true, schema: REVIEW_SCHEMA } },
    });
    assertValid(REVIEW_SCHEMA, JSON.parse(r.output_text));
    assert.equal(r.text?.format?.type, 'json_schema');
    assert.equal(r.text?.format?.type === 'json_schema' && r.text.format.name, 'review');
  });

  void it('responses.parse with a zod schema (zodTextFormat), for an agent of our workflow and a plain request', async () => {
    const Plan = z.object({
      title: z.string(),
      summary: z.string(),
      steps: z.array(z.object({ description: z.string(), done: z.boolean() })).min(1),
      priority: z.enum(['low', 'high']),
      estimate: z.number().int().nonnegative().nullable(),
    });
    const agentRequest = {
      model: 'gpt-5',
      input: [user(agentBrief(builtinRole('project_manager'), TASK, []))] as OpenAI.Responses.ResponseInput,
      tools: [
        { type: 'function' as const, name: 'codex', parameters: { type: 'object', properties: {} }, strict: false },
      ],
      text: { format: zodTextFormat(Plan, 'plan') },
    };
    // Turn 2 of our Project Manager: Codex answered, so the agent's final message is the structured answer.
    const first = await client.responses.create(agentRequest, { headers: { 'x-dca-role': 'project_manager' } });
    const call = first.output.find((o) => o.type === 'function_call');
    assert.ok(call, 'the scripted agent calls codex first');
    const output = JSON.stringify({
      threadId: 't-1',
      content: 'Wrote 1 file(s):\n- TEST.md (5 bytes)\n\nChecked them.',
    });
    const parsed = await client.responses.parse(
      {
        ...agentRequest,
        input: [
          ...agentRequest.input,
          ...first.output,
          { type: 'function_call_output', call_id: call.call_id, output },
        ],
      } as typeof agentRequest,
      { headers: { 'x-dca-role': 'project_manager' } },
    );
    assert.ok(parsed.output_parsed, parsed.output_text);
    assert.match(parsed.output_parsed.summary, /Project Manager: asked Codex to write/, 'the script answers in it');
    assert.equal(parsed.output_parsed.title, 'Bug Busters');

    const plain = await client.responses.parse({
      model: 'gpt-4.1',
      input: 'Plan a picnic.',
      text: { format: zodTextFormat(Plan, 'plan') },
    });
    assert.equal(Plan.safeParse(plain.output_parsed).success, true, plain.output_text);
  });

  void it('json_object: a JSON object', async () => {
    const r = await client.responses.create({
      model: 'gpt-4.1',
      input: 'Answer in JSON: what is Bug Busters?',
      text: { format: { type: 'json_object' } },
    });
    const value: unknown = JSON.parse(r.output_text);
    assert.ok(typeof value === 'object' && value !== null && !Array.isArray(value), r.output_text);
    assert.equal(r.text?.format?.type, 'json_object');
  });
});

const TOOLS: OpenAI.Responses.FunctionTool[] = [
  {
    type: 'function',
    name: 'get_weather',
    strict: true,
    parameters: {
      type: 'object',
      additionalProperties: false,
      required: ['city', 'unit', 'days'],
      properties: {
        city: { type: 'string' },
        unit: { type: 'string', enum: ['c', 'f'] },
        days: { type: 'integer', minimum: 1, maximum: 7 },
      },
    },
  },
  {
    type: 'function',
    name: 'codex',
    strict: false,
    parameters: { type: 'object', required: ['prompt'], properties: { prompt: { type: 'string' } } },
  },
];

void describe('scripted model: tool_choice', () => {
  const calls = (r: OpenAI.Responses.Response) => r.output.filter((o) => o.type === 'function_call');

  void it('"required": a call with arguments valid for its parameters, never a plain message', async () => {
    // No script would call a tool here (no agent role): the answer is still a call.
    const r = await client.responses.create({
      model: 'gpt-4.1',
      input: 'Hello',
      tools: TOOLS,
      tool_choice: 'required',
    });
    assert.deepEqual(
      r.output.map((o) => o.type),
      ['function_call'],
    );
    const [call] = calls(r);
    assert.equal(call?.name, 'get_weather');
    assertValid(TOOLS[0]!.parameters!, JSON.parse(call?.arguments ?? ''));
  });

  void it('a forced function: a call of exactly that function, even where the script would call another', async () => {
    const forced = await client.responses.create(
      {
        model: 'gpt-4.1',
        input: [user(agentBrief(builtinRole('tester'), TASK, []))] as OpenAI.Responses.ResponseInput,
        tools: TOOLS,
        tool_choice: { type: 'function', name: 'get_weather' },
      },
      { headers: { 'x-dca-role': 'tester' } },
    );
    assert.deepEqual(
      calls(forced).map((c) => c.name),
      ['get_weather'],
    );
    assert.equal(forced.output.length, 1);
    assertValid(TOOLS[0]!.parameters!, JSON.parse(calls(forced)[0]?.arguments ?? ''));

    const planned = await client.responses.create({
      model: 'gpt-4.1',
      input: 'Write a haiku.',
      tools: TOOLS,
      tool_choice: { type: 'function', name: 'codex' },
    });
    const [call] = calls(planned);
    assert.equal(call?.name, 'codex');
    assert.equal(typeof (JSON.parse(call?.arguments ?? '{}') as { prompt?: unknown }).prompt, 'string');
  });

  void it('"none": no tool call, where the script would call codex', async () => {
    const input = [user(agentBrief(builtinRole('tester'), TASK, []))] as OpenAI.Responses.ResponseInput;
    const auto = await client.responses.create(
      { model: 'gpt-4.1', input, tools: TOOLS },
      { headers: { 'x-dca-role': 'tester' } },
    );
    assert.equal(calls(auto)[0]?.name, 'codex', 'the script calls codex when it may');
    const none = await client.responses.create(
      { model: 'gpt-4.1', input, tools: TOOLS, tool_choice: 'none' },
      { headers: { 'x-dca-role': 'tester' } },
    );
    assert.deepEqual(
      none.output.map((o) => o.type),
      ['message'],
    );
    assert.match(none.output_text, /tool_choice is "none"/);
  });
});

void describe('scripted model: tool_choice forms without a server (answer-format.ts)', () => {
  const say = { type: 'message' as const, text: 'Here is the plan.' };
  const hints = 'Bug Busters';
  const tools = [...TOOLS, { type: 'custom', name: 'notes' }];

  void it('allowed_tools: only those tools, and one of them when the mode is "required"', () => {
    const codexCall = { type: 'function_call' as const, name: 'codex', arguments: '{"prompt":"p"}' };
    const choice = { type: 'allowed_tools', mode: 'required', tools: [{ type: 'function', name: 'get_weather' }] };
    const [call, ...rest] = shapeAnswer([codexCall], { tools, tool_choice: choice }, hints);
    assert.equal(rest.length, 0);
    assert.equal(call?.type === 'function_call' && call.name, 'get_weather');
    assertValid(TOOLS[0]!.parameters!, JSON.parse(call?.type === 'function_call' ? call.arguments : ''));
    const auto = shapeAnswer([say, codexCall], { tools, tool_choice: { ...choice, mode: 'auto' } }, hints);
    assert.deepEqual(auto, [say], 'a call of a tool not allowed is dropped');
  });

  void it('a forced custom tool: a custom_tool_call with the answer as its input', () => {
    const [call] = shapeAnswer([say], { tools, tool_choice: { type: 'custom', name: 'notes' } }, hints);
    assert.deepEqual(call, { type: 'custom_tool_call', name: 'notes', input: 'Here is the plan.' });
  });
});

void describe('scripted agents read tool output in list form (the Agents SDK MCP result)', () => {
  void it('keeps the Codex thread id: the summary names it and codex-reply continues that thread', () => {
    const role = builtinRole('tester');
    const brief = agentBrief(role, TASK, []);
    const [call] = agentScript({ role: 'tester', input: [user(brief)], tools: ['codex', 'codex-reply'] });
    assert.equal(call?.type === 'function_call' && call.name, 'codex');
    const files = role.deliverables.filter((d) => d.required).map((d) => d.path);
    const text = JSON.stringify({
      threadId: 'thread-42',
      content: [`Wrote ${files.length} file(s):`, ...files.map((f) => `- ${f} (9 bytes)`), '', 'Checked them.'].join(
        '\n',
      ),
    });
    const exchange: Item[] = [
      {
        type: 'function_call',
        call_id: 'c1',
        name: 'codex',
        arguments: call?.type === 'function_call' ? call.arguments : '',
      },
      { type: 'function_call_output', call_id: 'c1', output: [{ type: 'input_text', text }] },
    ];
    const [summary] = agentScript({
      role: 'tester',
      input: [user(brief), ...exchange],
      tools: ['codex', 'codex-reply'],
    });
    assert.equal(summary?.type, 'message');
    assert.match(summary?.type === 'message' ? summary.text : '', /Codex thread thread-42/);
    assert.doesNotMatch(summary?.type === 'message' ? summary.text : '', /object Object/);

    const missing = missingDeliverablesMessage(files.slice(0, 1));
    const [reply] = agentScript({
      role: 'tester',
      input: [user(brief), ...exchange, { type: 'message', role: 'assistant', content: 'done' }, user(missing)],
      tools: ['codex', 'codex-reply'],
    });
    assert.equal(reply?.type === 'function_call' && reply.name, 'codex-reply');
    assert.equal(
      (JSON.parse(reply?.type === 'function_call' ? reply.arguments : '{}') as { threadId?: string }).threadId,
      'thread-42',
    );
  });
});

void describe('scripted Codex: only the tools Codex offered, and an honest report', () => {
  const prompt = codexPrompt({
    roleTitle: 'Frontend Developer',
    taskList: TASK,
    files: [
      { path: 'web/app.js', required: true, purpose: 'the game' },
      { path: 'README.md', required: true, purpose: 'how to play' },
    ],
  });
  // What Codex 0.153.4 offers for `model = "gpt-5"`: no apply_patch.
  const GPT5_TOOLS = [
    { type: 'function', name: 'exec_command', parameters: { type: 'object' } },
    { type: 'function', name: 'write_stdin' },
    { type: 'web_search' },
  ];
  const step = (outputs: string[], tools: unknown[]) => {
    const input: Item[] = [user('<environment_context>x</environment_context>'), user(prompt)];
    outputs.forEach((output, i) => {
      input.push({ type: 'function_call', call_id: `c${i}`, name: 'exec_command', arguments: '{}' });
      input.push({ type: 'function_call_output', call_id: `c${i}`, output });
    });
    return codexScript(readCodexTurn(input, tools));
  };
  const exited = (code: number, out = '') =>
    `Chunk ID: 1\nWall time: 0.1 seconds\nProcess exited with code ${code}\nOutput:\n${out}`;

  void it('without apply_patch, writes each file through exec_command with a here-document', () => {
    const first = step([], GPT5_TOOLS);
    assert.equal(first.draft.type, 'function_call');
    assert.equal(first.draft.type === 'function_call' && first.draft.name, 'exec_command');
    const { cmd } = JSON.parse(first.draft.type === 'function_call' ? first.draft.arguments : '{}') as { cmd: string };
    assert.match(cmd, /^mkdir -p 'web' && cat > 'web\/app\.js' <<'SCRIPTED_EOF'\n/);
    assert.match(cmd, /\nSCRIPTED_EOF$/);
    const check = step([exited(0), exited(0)], GPT5_TOOLS);
    assert.equal(check.label, 'exec_command');
    const done = step([exited(0), exited(0), exited(0, '12 web/app.js')], GPT5_TOOLS);
    assert.equal(done.final, true);
    const text = done.draft.type === 'message' ? done.draft.text : '';
    assert.deepEqual(writtenFiles(text), ['web/app.js', 'README.md']);
    assert.match(text, /Checked them/);
  });

  void it('never reports a write or a check that failed', () => {
    const unsupported = 'unsupported custom tool call: apply_patch';
    const failed = step(
      [unsupported, exited(0), exited(1, 'SyntaxError: bad')],
      [...GPT5_TOOLS, { type: 'custom', name: 'apply_patch' }],
    );
    const text = failed.draft.type === 'message' ? failed.draft.text : '';
    assert.deepEqual(writtenFiles(text), ['README.md']);
    assert.match(text, /Could not write these files:\n- web\/app\.js: unsupported custom tool call: apply_patch/);
    assert.match(text, /The check failed: exit code 1: SyntaxError: bad/);
    assert.doesNotMatch(text, /Checked them/);

    const nothing = step([exited(1), exited(126)], GPT5_TOOLS);
    assert.equal(nothing.final, true, 'no check of files that were not written');
    assert.match(nothing.draft.type === 'message' ? nothing.draft.text : '', /^Wrote no files\./);

    const noTools = step([], [{ type: 'web_search' }]);
    assert.equal(noTools.final, true);
    assert.match(noTools.draft.type === 'message' ? noTools.draft.text : '', /offered no tool that writes files/);
  });
});

/**
 * The official Agents SDK (`openai-agents` from PyPI, the cached virtualenv of scripts/agents-sdk-venv.ts) against
 * the scripted model, for what shapes an answer (issue 26, points 3 and 5): an agent's `output_type` (strict
 * json_schema, parsed by pydantic) on gpt-4.1, and `tool_choice="required"` on gpt-5, which must call the tool
 * before the final output. The program is test/fixtures/agents-sdk/structured_output.py.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureAgentsSdkVenv } from '../scripts/agents-sdk-venv';
import { startScriptedModel, type ScriptedModel } from '../src/scripted-model';
import { runInGroup } from './helpers/program';

const PROGRAM = path.join(__dirname, 'fixtures', 'agents-sdk', 'structured_output.py');
const TIMEOUT_MS = 60_000;

let model: ScriptedModel;
let python = '';
let home = '';
before(
  async () => {
    python = (await ensureAgentsSdkVenv()).python;
    model = await startScriptedModel();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'agents-sdk-answers-'));
  },
  { timeout: 15 * 60_000 },
);
after(async () => {
  await model?.close();
  if (home) fs.rmSync(home, { recursive: true, force: true });
});

/** Runs the program (its process group is killed on timeout) and returns its exit code and output. */
async function runProgram(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    OPENAI_BASE_URL: model.baseUrl,
    OPENAI_API_KEY: 'scripted',
    OPENAI_AGENTS_DISABLE_TRACING: '1',
  };
  return runInGroup(python, ['-u', PROGRAM], { cwd: home, env, timeoutMs: TIMEOUT_MS });
}

interface Review {
  summary: string;
  verdict: string;
  score: number;
  files: { path: string; lines: number }[];
}

void describe('openai-agents against the scripted model: output_type and tool_choice', () => {
  void it('output_type is answered with JSON the SDK parses; tool_choice "required" gets a call first', async () => {
    const r = await runProgram();
    assert.equal(r.code, 0, `stdout:\n${r.stdout}\nstderr:\n${r.stderr.slice(-3000)}`);
    const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as {
      review: Review;
      forecast: Review;
      calls: { city: string; unit: string }[];
    };
    assert.ok(['approve', 'request_changes'].includes(out.review.verdict));
    assert.equal(typeof out.review.summary, 'string');
    assert.ok(out.review.files.length >= 1 && Number.isInteger(out.review.files[0]?.lines));
    assert.equal(out.calls.length, 1, 'the required tool ran once');
    assert.ok(['c', 'f'].includes(out.calls[0]?.unit ?? ''), 'its arguments follow its schema');
    assert.deepEqual(
      model.stats().requests.map((e) => [e.model, e.status, e.answer]),
      [
        ['gpt-4.1', 200, 'message'],
        ['gpt-5', 200, 'function_call get_weather'],
        // The SDK resets tool_choice after a tool call, so the agent can answer.
        ['gpt-5', 200, 'message'],
      ],
    );
  });
});

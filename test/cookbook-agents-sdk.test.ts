/**
 * The source document's own Python programs (test/fixtures/cookbook: `codex_mcp.py`, the single-agent version and
 * `multi_agent_workflow.py`), run by the official `openai-agents` from PyPI (a cached virtualenv,
 * scripts/agents-sdk-venv.ts) against each MCP server in SERVERS, with only the `MCPServerStdio` params changed
 * (COOKBOOK_MCP_PARAMS). The scripted model plays every agent (the SDK's default model names and request shapes,
 * its `transfer_to_*` hand-offs) and Codex. Issue 20's first "Done when": `codex_mcp.py` prints "Codex MCP server
 * started."; the single-agent version writes index.html; multi_agent_workflow.py writes every file its Project
 * Manager gates on (and the Tester's files, which come last).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ensureAgentsSdkVenv } from '../scripts/agents-sdk-venv';
import { startScriptedModel, type ScriptedModel } from '../src/scripted-model';
import { SCRIPTED_MODEL_SLUG } from '../src/config/settings';

const ROOT = path.join(__dirname, '..');
const PROGRAMS = path.join(__dirname, 'fixtures', 'cookbook');
const PINNED_CODEX = path.join(ROOT, 'node_modules', '@openai', 'codex', 'bin', 'codex.js');
const PROGRAM_TIMEOUT_MS = 90_000;

/** `MCPServerStdio` params, as the programs pass them (the Python MCP SDK merges `env` over a minimal environment). */
interface StdioParams {
  command: string;
  args: string[];
  env?: Record<string, string>;
}

interface ServerUnderTest {
  name: string;
  /** Why this server cannot run here, if it cannot. */
  skip: string | false;
  params: StdioParams;
  /**
   * Writes what the server reads under the program's HOME: a stdio server gets only HOME, PATH, SHELL, USER, LOGNAME
   * and TERM from the program's environment, so it finds its model endpoint in files there, as on a user's machine.
   */
  prepareHome(home: string, model: ScriptedModel): void;
}

/** The cookbook's original server: the pinned `codex mcp-server` (0.153.4, the last Codex that has it). */
const pinnedCodexMcpServer: ServerUnderTest = {
  name: 'codex mcp-server 0.153.4',
  skip: fs.existsSync(PINNED_CODEX) ? false : `no pinned Codex at ${PINNED_CODEX}`,
  params: { command: process.execPath, args: [PINNED_CODEX, 'mcp-server'] },
  prepareHome(home, model) {
    // ~/.codex/config.toml: the scripted model as Codex's provider (as src/activities/codex/call.ts's codexConfig
    // does per call), no retries of its own; the key as a bearer token, since the server sees no OPENAI_API_KEY.
    const config = [
      `model = "${SCRIPTED_MODEL_SLUG}"`,
      'model_provider = "scripted"',
      '',
      '[model_providers.scripted]',
      'name = "scripted model"',
      `base_url = "${model.baseUrl}"`,
      'wire_api = "responses"',
      'request_max_retries = 0',
      'stream_max_retries = 0',
      'experimental_bearer_token = "scripted"',
      '',
      '[features]',
      'shell_snapshot = false',
      '',
    ].join('\n');
    fs.mkdirSync(path.join(home, '.codex'), { recursive: true });
    fs.writeFileSync(path.join(home, '.codex', 'config.toml'), config);
  },
};

/**
 * The servers every program runs against. When `durable-codex-agents mcp-server` lands, add it here: params
 * `{ command: 'durable-codex-agents', args: ['mcp-server'] }` (or this checkout's entry) and a prepareHome that
 * points it at the scripted model (its config file under HOME, or `env` in params).
 */
const SERVERS: ServerUnderTest[] = [pinnedCodexMcpServer];

let model: ScriptedModel;
let python = '';
let venvNote = '';
const dirs: string[] = [];

before(
  async () => {
    const venv = await ensureAgentsSdkVenv();
    python = venv.python;
    venvNote = venv.built ? `virtualenv built in ${Math.round(venv.ms / 1000)} s` : `virtualenv cached (${venv.dir})`;
    model = await startScriptedModel();
  },
  { timeout: 15 * 60_000 },
);
after(async () => {
  await model?.close();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => model?.resetStats());

interface ProgramRun {
  code: number | null;
  stdout: string;
  stderr: string;
  cwd: string;
  ms: number;
}

/** Runs one program in a fresh directory (its files land there), with a fresh HOME prepared for the server. */
async function runProgram(program: string, server: ServerUnderTest): Promise<ProgramRun> {
  const cwd = tempDir('cookbook-run-');
  const home = tempDir('cookbook-home-');
  server.prepareHome(home, model);
  // A copy: `load_dotenv()` looks for a .env from the program's own directory upward, which must not be this repo.
  fs.copyFileSync(path.join(PROGRAMS, program), path.join(cwd, program));
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    OPENAI_BASE_URL: model.baseUrl,
    OPENAI_API_KEY: 'scripted',
    OPENAI_AGENTS_DISABLE_TRACING: '1',
    COOKBOOK_MCP_PARAMS: JSON.stringify(server.params),
  };
  const started = Date.now();
  const child = spawn(python, ['-u', program], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // The whole group (python and the MCP server it started) goes on timeout.
  const timer = setTimeout(() => child.pid && process.kill(-child.pid, 'SIGKILL'), PROGRAM_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearTimeout(timer);
  return { code, stdout, stderr, cwd, ms: Date.now() - started };
}

function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

const explain = (r: ProgramRun) =>
  `exit ${String(r.code)}\nstdout:\n${r.stdout}\nstderr (tail):\n${r.stderr.slice(-3000)}`;
const agentRoles = () =>
  model
    .stats()
    .requests.filter((e) => e.kind === 'agent')
    .map((e) => e.role);

for (const server of SERVERS) {
  void describe(`the cookbook's programs with openai-agents, against ${server.name}`, { skip: server.skip }, () => {
    void it('codex_mcp.py prints "Codex MCP server started."', async (t) => {
      const r = await runProgram('codex_mcp.py', server);
      t.diagnostic(`${venvNote}; ${r.ms} ms`);
      assert.equal(r.code, 0, explain(r));
      assert.match(r.stdout, /^Codex MCP server started\.$/m);
    });

    void it('the single-agent version: Game Designer hands off, Game Developer writes index.html', async (t) => {
      const r = await runProgram('codex_mcp_single_agent.py', server);
      t.diagnostic(`${r.ms} ms`);
      assert.equal(r.code, 0, explain(r));
      const html = fs.readFileSync(path.join(r.cwd, 'index.html'), 'utf8');
      assert.match(html, /<html[\s>]/i);
      assert.match(html, /Star Catcher/, "the Game Designer's brief reached Codex");
      assert.deepEqual([...new Set(agentRoles())], ['game_designer', 'game_developer']);
    });

    void it('multi_agent_workflow.py writes every file its Project Manager gates on', async (t) => {
      const r = await runProgram('multi_agent_workflow.py', server);
      t.diagnostic(`${r.ms} ms`);
      assert.equal(r.code, 0, explain(r));
      const gated = [
        'REQUIREMENTS.md',
        'TEST.md',
        'AGENT_TASKS.md',
        'design/design_spec.md',
        'frontend/index.html',
        'backend/server.js',
      ];
      const testers = ['tests/TEST_PLAN.md', 'tests/test.sh'];
      const missing = [...gated, ...testers].filter((f) => !fs.existsSync(path.join(r.cwd, f)));
      assert.deepEqual(missing, [], explain(r));
      assert.match(r.stdout, /the project is complete/, "the final output is the Project Manager's plain answer");
      // Who held the conversation, turn by turn: the PM gates each hand-off (one per turn in the SDK).
      const order = agentRoles().filter((role, i, all) => role !== all[i - 1]);
      assert.deepEqual(order, [
        'project_manager',
        'designer',
        'project_manager',
        'frontend',
        'project_manager',
        'backend',
        'project_manager',
        'tester',
        'project_manager',
      ]);
    });
  });
}

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
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ensureAgentsSdkVenv } from '../scripts/agents-sdk-venv';
import { startScriptedModel, type ScriptedModel } from '../src/scripted-model';
import { SCRIPTED_MODEL_SLUG } from '../src/config/settings';
import { findFreePort, startDevServer } from '../src/temporal/dev-server';
import { runInGroup } from './helpers/program';

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
  /**
   * Brings up what the server needs for the suite and says how a program starts it. `params(home)` may write what
   * the server reads under the program's HOME: a stdio server gets only HOME, PATH, SHELL, USER, LOGNAME and TERM
   * from the program's environment (plus the params' `env`), so it finds its model endpoint in files there.
   */
  start(model: ScriptedModel): Promise<{ params(home: string): StdioParams; stop(): Promise<void> }>;
}

/** The cookbook's original server: the pinned `codex mcp-server` (0.153.4, the last Codex that has it). */
const pinnedCodexMcpServer: ServerUnderTest = {
  name: 'codex mcp-server 0.153.4',
  skip: fs.existsSync(PINNED_CODEX) ? false : `no pinned Codex at ${PINNED_CODEX}`,
  start: (model) =>
    Promise.resolve({
      params(home) {
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
        return { command: process.execPath, args: [PINNED_CODEX, 'mcp-server'] };
      },
      stop: () => Promise.resolve(),
    }),
};

/**
 * This project's `mcp-server` (issue 20), run through the package's bin (`bin/durable-codex-agents.js`, which loads
 * the TypeScript source with tsx): DCA_MCP_SERVER names another checkout's bin. It gets a Temporal dev server of the suite's own and the scripted model through `env` in
 * the params (the command and args stay what a user would write, once the package's bin is linked:
 * `{ command: 'durable-codex-agents', args: ['mcp-server'] }`).
 */
const DURABLE_ENTRY = process.env.DCA_MCP_SERVER ?? path.join(ROOT, 'bin', 'durable-codex-agents.js');
const durableMcpServer: ServerUnderTest = {
  name: 'durable-codex-agents mcp-server',
  skip: fs.existsSync(DURABLE_ENTRY) ? false : `no ${DURABLE_ENTRY} in this checkout yet`,
  async start(model) {
    const temporal = await startDevServer({ port: await findFreePort(), headless: true });
    // Codex 0.171 cannot set up its apply_patch helper under a CODEX_HOME in /tmp.
    const codexHome = fs.mkdtempSync(path.join(os.homedir(), '.cache', 'dca-cookbook-codex-'));
    dirs.push(codexHome);
    return {
      params: (home) => ({
        command: process.execPath,
        args: [DURABLE_ENTRY, 'mcp-server'],
        env: {
          TEMPORAL_ADDRESS: temporal.address,
          TEMPORAL_NAMESPACE: temporal.namespace,
          TASK_QUEUE: `dca-cookbook-${path.basename(home)}`,
          WORKSPACE_ROOT: path.join(home, 'runs'),
          SCRIPTED_MODEL_URL: model.baseUrl,
          CODEX_HOME: codexHome,
          DCA_CONFIG: path.join(home, 'no-config.json'),
        },
      }),
      stop: () => temporal.stop(),
    };
  },
};

/** The servers every program runs against. */
const SERVERS: ServerUnderTest[] = [pinnedCodexMcpServer, durableMcpServer];

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
async function runProgram(
  program: string,
  params: (home: string) => StdioParams,
  extraEnv: Record<string, string> = {},
): Promise<ProgramRun> {
  const cwd = tempDir('cookbook-run-');
  const home = tempDir('cookbook-home-');
  // A copy: `load_dotenv()` looks for a .env from the program's own directory upward, which must not be this repo.
  fs.copyFileSync(path.join(PROGRAMS, program), path.join(cwd, program));
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    OPENAI_BASE_URL: model.baseUrl,
    OPENAI_API_KEY: 'scripted',
    OPENAI_AGENTS_DISABLE_TRACING: '1',
    COOKBOOK_MCP_PARAMS: JSON.stringify(params(home)),
    ...extraEnv,
  };
  const started = Date.now();
  // The whole group (python and the MCP server it started) goes on timeout and at the end.
  const result = await runInGroup(python, ['-u', program], { cwd, env, timeoutMs: PROGRAM_TIMEOUT_MS });
  return { ...result, cwd, ms: Date.now() - started };
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
    let params: (home: string) => StdioParams = () => assert.fail('the server did not start');
    let stop = () => Promise.resolve();
    before(
      async () => {
        ({ params, stop } = await server.start(model));
      },
      { timeout: 5 * 60_000 },
    );
    after(() => stop());

    void it('codex_mcp.py prints "Codex MCP server started."', async (t) => {
      const r = await runProgram('codex_mcp.py', params);
      t.diagnostic(`${venvNote}; ${r.ms} ms`);
      assert.equal(r.code, 0, explain(r));
      assert.match(r.stdout, /^Codex MCP server started\.$/m);
    });

    void it('the single-agent version: Game Designer hands off, Game Developer writes index.html', async (t) => {
      const r = await runProgram('codex_mcp_single_agent.py', params);
      t.diagnostic(`${r.ms} ms`);
      assert.equal(r.code, 0, explain(r));
      const html = fs.readFileSync(path.join(r.cwd, 'index.html'), 'utf8');
      assert.match(html, /<html[\s>]/i);
      assert.match(html, /Star Catcher/, "the Game Designer's brief reached Codex");
      assert.deepEqual([...new Set(agentRoles())], ['game_designer', 'game_developer']);
    });

    // The agent's requests do not depend on the MCP server: one server is enough (the durable one costs ~40 s in CI).
    const gpt41 = server === pinnedCodexMcpServer ? {} : { skip: 'the agent side is the same with either server' };
    void it(
      'the single-agent version with gpt-4.1 as the SDK default model: its Game Developer calls codex, then answers',
      gpt41,
      async (t) => {
        // The Game Developer names no model, so OPENAI_DEFAULT_MODEL picks it: a model without reasoning items, whose
        // second turn sends back the codex call and its MCP output (a list of input_text parts).
        const r = await runProgram('codex_mcp_single_agent.py', params, { OPENAI_DEFAULT_MODEL: 'gpt-4.1' });
        t.diagnostic(`${r.ms} ms`);
        assert.equal(r.code, 0, explain(r));
        assert.match(fs.readFileSync(path.join(r.cwd, 'index.html'), 'utf8'), /Star Catcher/);
        const developer = model
          .stats()
          .requests.filter((e) => e.kind === 'agent' && e.role === 'game_developer')
          .map((e) => [e.model, e.status, e.answer]);
        assert.deepEqual(developer, [
          ['gpt-4.1', 200, 'function_call codex'],
          ['gpt-4.1', 200, 'message'],
        ]);
      },
    );

    void it('multi_agent_workflow.py writes every file its Project Manager gates on', async (t) => {
      const r = await runProgram('multi_agent_workflow.py', params);
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

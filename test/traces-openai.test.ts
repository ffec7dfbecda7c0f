/**
 * The OpenAI Traces export end to end: the cookbook team on real parts (Temporal dev server, the real Codex binary,
 * a worker child process with TRACES=openai; the scripted model as the LLM) against a local ingest endpoint that
 * validates every item against the exporters' schema. The trace is checked against the run's own history: one trace,
 * an agent span per role, a generation span per completed model turn and a function span per completed Codex call
 * (ids derived from the activity ids, so nothing missing, nothing extra), handoffs matching the DAG; and the worker is
 * SIGKILLed twice mid-run (in a Codex call, in the parallel model turns): no id received twice.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { SCRIPTED_MODEL_KEY } from '../src/config/settings';
import { startLocalStack, type LocalStack } from '../src/runtime/local-stack';
import { readHistory } from '../src/report/history';
import { COOKBOOK_TEAM, SINGLE_TEAM } from '../src/shared/builtin-teams';
import { sessionWorkflowId } from '../src/shared/codex-session';
import type { Team } from '../src/shared/team';
import { spanIdOf, traceIdOf, type IngestItem, type SpanItem } from '../src/tracing/openai-items';
import {
  CRASH_TUNING,
  WorkerFleet,
  codexInFlightAfter,
  inFlight,
  runWithKills,
  waitFor,
  type CrashRunOutcome,
  type KillPoint,
} from './helpers/crash';
import {
  callTool,
  mcpServerEnv,
  startMcpServer,
  textOf,
  writeFilesPrompt,
  type McpServerProcess,
} from './helpers/mcp-server';
import { attributesOf, startOtlpCollector } from './helpers/otlp-collector';
import { startTracesIngest, type TracesIngest } from './helpers/traces-ingest';

let stack: LocalStack;
let ingest: TracesIngest;
let taskList: string;
const fleets: WorkerFleet[] = [];
const stamp = Date.now();

before(async () => {
  taskList = await readFile(path.join(__dirname, '..', 'tasks', 'bug-busters.md'), 'utf8');
  ingest = await startTracesIngest();
  // Latency keeps the calls in flight long enough to be killed there.
  stack = await startLocalStack({ inProcessWorker: false, scripted: { latency: { agentMs: 150, codexMs: 60 } } });
});
after(async () => {
  await Promise.all(fleets.map((f) => f.stopAll()));
  await stack?.stop();
  await ingest?.close();
});

function fleetFor(name: string) {
  const taskQueue = `${stack.taskQueue}-${name}`;
  const fleet = new WorkerFleet(stack, {
    env: {
      TASK_QUEUE: taskQueue,
      TRACES: 'openai',
      TRACES_OPENAI_ENDPOINT: ingest.url,
      TRACES_BATCH_DELAY_MS: '250',
    },
  });
  fleets.push(fleet);
  return { fleet, taskQueue };
}

const spansOf = (items: IngestItem[], traceId: string) =>
  items.filter((i): i is SpanItem => i.object === 'trace.span' && i.trace_id === traceId);

/** The items of one trace, and the requests that carried them; each request checked for the key. */
function itemsOf(traceId: string) {
  const mine = ingest.requests.filter((r) =>
    r.items.some((i) => i.id === traceId || ('trace_id' in i && i.trace_id === traceId)),
  );
  for (const r of mine) {
    assert.equal(r.headers.authorization, `Bearer ${SCRIPTED_MODEL_KEY}`, 'the worker key authenticates the export');
    assert.ok(!r.body.includes(SCRIPTED_MODEL_KEY), 'the key is never in a span');
  }
  const items = ingest.items().filter((i) => i.id === traceId || ('trace_id' in i && i.trace_id === traceId));
  const ids = items.map((i) => i.id);
  assert.equal(
    new Set(ids).size,
    ids.length,
    `no item received twice: ${ids.filter((id, k) => ids.indexOf(id) !== k).join(', ')}`,
  );
  return { items, requests: mine };
}

/** Waits until the run's agent spans (sent when it ended) arrived, then checks the whole trace against its history. */
async function checkTrace(
  t: TestContext,
  o: Pick<CrashRunOutcome, 'workflowId' | 'history'> & { durationMs?: number },
  team: Team,
  codexCalls: number,
) {
  const { runId } = await stack.client.workflow.getHandle(o.workflowId).describe();
  const traceId = traceIdOf(o.workflowId, runId);
  const roles = team.roles;
  await waitFor(
    'the agent spans at the ingest',
    () =>
      spansOf(ingest.items(), traceId).filter((s) => s.span_data.type === 'agent').length === roles.length || undefined,
    15_000,
  );
  assert.deepEqual(ingest.problems, [], 'every request was valid');
  const { items, requests: mine } = itemsOf(traceId);

  const traces = items.filter((i) => i.object === 'trace');
  assert.equal(traces.length, 1, 'one trace');
  assert.equal(traces[0]?.object === 'trace' && traces[0].group_id, o.workflowId, 'grouped by the workflow id');

  const spans = spansOf(items, traceId);
  const byId = new Map(spans.map((s) => [s.id, s]));
  for (const s of spans) {
    if (s.parent_id !== null) assert.ok(byId.has(s.parent_id), `${s.span_data.type} ${s.id}: its parent was sent`);
    assert.ok(s.started_at <= s.ended_at, `${s.id}: starts before it ends`);
  }
  const ofType = (type: string) => spans.filter((s) => s.span_data.type === type);
  const agentIds = new Map(roles.map((r) => [spanIdOf(traceId, `agent:${r.id}`), r]));
  assert.deepEqual(
    ofType('agent')
      .map((s) => (s.span_data.type === 'agent' ? s.span_data.name : ''))
      .sort(),
    roles.map((r) => r.title).sort(),
    'one agent span per role',
  );
  for (const s of ofType('agent')) assert.equal(s.parent_id, null, 'agent spans are top level');

  // One generation span per completed model turn, one function span per completed Codex call: by id, from history.
  const completed = (type: string) => o.history.activities.filter((a) => a.type === type && a.status === 'completed');
  const expectIds = (type: string) =>
    completed(type)
      .map((a) => spanIdOf(traceId, `activity:${a.activityId}`))
      .sort();
  assert.deepEqual(
    ofType('generation')
      .map((s) => s.id)
      .sort(),
    expectIds('modelTurn'),
    'a generation span per model turn',
  );
  assert.deepEqual(
    ofType('function')
      .map((s) => s.id)
      .sort(),
    expectIds('codexCall'),
    'a function span per Codex call',
  );
  assert.equal(completed('codexCall').length, codexCalls, `the ${team.name} team made ${codexCalls} Codex calls`);
  for (const s of ofType('generation')) {
    assert.ok(agentIds.has(s.parent_id ?? ''), 'a model turn is inside its role');
    assert.ok(s.span_data.type === 'generation' && s.span_data.model, 'with its model');
    assert.ok(s.span_data.type === 'generation' && (s.span_data.usage?.input_tokens ?? 0) > 0, 'and its usage');
    assert.ok(s.span_data.type === 'generation' && !s.span_data.input && !s.span_data.output, 'no content by default');
  }
  const changed = completed('codexCall').flatMap((a) => (a.result as { filesChanged: string[] }).filesChanged);
  for (const s of ofType('function')) {
    assert.ok(agentIds.has(s.parent_id ?? ''), 'a Codex call is inside its role');
    assert.ok(s.span_data.type === 'function' && JSON.parse(s.span_data.mcp_data ?? '{}').server === 'codex');
    assert.ok(s.span_data.type === 'function' && !s.span_data.input.includes('"prompt"'), 'no prompt by default');
  }
  const custom = ofType('custom');
  assert.equal(
    custom.filter((s) => s.span_data.type === 'custom' && s.span_data.name === 'codex.commands').length,
    codexCalls,
  );
  assert.deepEqual(
    custom
      .filter((s) => s.span_data.type === 'custom' && s.span_data.name === 'codex.file_changed')
      .map((s) => (s.span_data.type === 'custom' ? String(s.span_data.data.path) : ''))
      .sort(),
    [...changed].sort(),
    'a custom span per changed file',
  );
  const edges = roles.flatMap((r) => r.after.map((from) => `${from}>${r.id}`)).sort();
  const titleToId = new Map(roles.map((r) => [r.title, r.id]));
  assert.deepEqual(
    ofType('handoff')
      .map((s) =>
        s.span_data.type === 'handoff'
          ? `${titleToId.get(s.span_data.from_agent ?? '')}>${titleToId.get(s.span_data.to_agent ?? '')}`
          : '',
      )
      .sort(),
    edges,
    'a handoff per DAG edge',
  );
  t.diagnostic(
    `${o.workflowId}: ${items.length} items (${ofType('generation').length} generation, ${ofType('function').length} function, ` +
      `${custom.length} custom, ${ofType('handoff').length} handoff) in ${mine.length} requests${o.durationMs === undefined ? '' : `; run ${o.durationMs} ms`}`,
  );
}

const POINTS: KillPoint[] = [
  {
    name: 'pm-codex-mid-call',
    description: "mid Codex call: the PM's first file written",
    when: (o) => codexInFlightAfter(o, 'project_manager', /^apply_patch/),
  },
  {
    name: 'parallel-model-turns',
    description: 'both branches in a model turn',
    when: (o) => inFlight(o, 'agent', 'frontend').length > 0 && inFlight(o, 'agent', 'backend').length > 0,
  },
];

describe('OpenAI Traces export of the cookbook team', { timeout: 240_000 }, () => {
  // One run with two kills checks what a run without kills would (the same counts, derived from its history) and
  // more: the spans of killed workers' activities are sent once, by whichever worker finished them or adopted them.
  it('sends one trace matching the run, nothing twice and nothing missing, though the worker is SIGKILLed twice', async (t) => {
    const { fleet, taskQueue } = fleetFor('crash');
    const o = await runWithKills(stack, fleet, {
      workflowId: `traces-crash-${stamp}`,
      taskQueue,
      input: { taskList, tuning: CRASH_TUNING },
      points: POINTS,
    });
    assert.deepEqual(o.missed, [], 'both kill points were reached');
    assert.equal(o.ok, true, o.error);
    await checkTrace(t, o, COOKBOOK_TEAM, 5);
  });
});

/**
 * The MCP server honours the worker's trace variables: its in-process worker traces the Codex sessions its `codex` /
 * `codex-reply` tools start (one trace per session workflow run, a function span per turn) and the team runs
 * `run_team` starts (the same trace as a worker's), to both exports at once.
 */
describe('traces of the MCP server: Codex sessions and team runs', { timeout: 120_000 }, () => {
  it('sends a session trace with one function span per turn, and the run trace of run_team; OTel spans too', async (t) => {
    const collector = await startOtlpCollector();
    // Codex 0.171 cannot set up its apply_patch helper under a CODEX_HOME in /tmp.
    const codexHome = mkdtempSync(path.join(os.homedir(), '.cache', 'dca-mcp-traces-'));
    const clientDir = path.join(stack.dir, 'mcp-client');
    mkdirSync(clientDir, { recursive: true });
    let server: McpServerProcess | undefined;
    const t0 = Date.now();
    const phase = (what: string) => t.diagnostic(`${what} at ${Date.now() - t0} ms`);
    try {
      server = await startMcpServer({
        env: mcpServerEnv(stack, codexHome, {
          // Its own queue and disk: the crash test's workers neither serve it nor share its spool.
          TASK_QUEUE: `${stack.taskQueue}-mcp`,
          WORKSPACE_ROOT: path.join(stack.dir, 'mcp-runs'),
          TRACES: 'openai',
          TRACES_OPENAI_ENDPOINT: ingest.url,
          TRACES_BATCH_DELAY_MS: '250',
          OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        }),
        cwd: clientDir,
      });
      phase('server up');
      const first = await callTool(server, 'codex', {
        prompt: writeFilesPrompt(['first.txt']),
        'approval-policy': 'never',
        sandbox: 'workspace-write',
      });
      assert.equal(first.isError, undefined, textOf(first));
      const { threadId } = first.structuredContent as { threadId: string };
      phase('codex');
      // The worker is up now (the first turn ran on it): the reply and a team run together.
      const [reply, team] = await Promise.all([
        callTool(server, 'codex-reply', { prompt: writeFilesPrompt(['second.txt']), threadId }),
        callTool(server, 'run_team', { team: 'single', task: 'Build a tiny click counter page.' }),
      ]);
      assert.equal(reply.isError, undefined, textOf(reply));
      assert.equal(team.isError, undefined, textOf(team));
      const { runId: teamWorkflowId, status } = team.structuredContent as { runId: string; status: string };
      assert.equal(status, 'completed');
      phase('codex-reply and run_team');

      // The session: one trace, grouped by its workflow id; a function span per completed turn, ids from history.
      const sessionId = sessionWorkflowId(threadId);
      const session = stack.client.workflow.getHandle(sessionId);
      const { runId: sessionRunId } = await session.describe();
      const turns = readHistory(await session.fetchHistory()).activities.filter(
        (a) => a.type === 'codexCall' && a.status === 'completed',
      );
      assert.equal(turns.length, 2, 'codex and codex-reply: two turns');
      const traceId = traceIdOf(sessionId, sessionRunId);
      const turnSpanIds = turns.map((a) => spanIdOf(traceId, `activity:${a.activityId}`)).sort();
      const functionSpans = () => spansOf(ingest.items(), traceId).filter((s) => s.span_data.type === 'function');
      await waitFor('both turns at the ingest', () => functionSpans().length >= 2 || undefined, 15_000);
      assert.deepEqual(ingest.problems, [], 'every request was valid');
      const { items } = itemsOf(traceId);
      const traces = items.filter((i) => i.object === 'trace');
      assert.equal(traces.length, 1, 'one trace for the session, though every turn carries it');
      assert.ok(traces[0]?.object === 'trace');
      assert.equal(traces[0].group_id, sessionId, 'grouped by the session workflow id');
      assert.equal(traces[0].metadata?.thread_id, threadId, "the client's threadId");
      assert.deepEqual(
        functionSpans()
          .map((s) => s.id)
          .sort(),
        turnSpanIds,
        'a function span per turn',
      );
      const spans = spansOf(items, traceId);
      const byId = new Map(spans.map((s) => [s.id, s]));
      for (const s of spans) {
        if (s.parent_id !== null) assert.ok(byId.has(s.parent_id), `${s.span_data.type} ${s.id}: its parent was sent`);
      }
      for (const s of functionSpans()) {
        assert.equal(s.parent_id, null, "a session's turns are its top-level spans");
        assert.ok(s.span_data.type === 'function');
        assert.equal(JSON.parse(s.span_data.mcp_data ?? '{}').server, 'codex');
        assert.ok(!s.span_data.input.includes('"prompt"'), 'no prompt by default');
      }
      assert.deepEqual(
        spans
          .filter((s) => s.span_data.type === 'custom' && s.span_data.name === 'codex.file_changed')
          .map((s) => (s.span_data.type === 'custom' ? String(s.span_data.data.path) : ''))
          .sort(),
        ['first.txt', 'second.txt'],
        'a custom span per file a turn changed',
      );
      assert.equal(spans.length, 2 + 2 + 2, 'per turn: the call, its commands, its file; nothing else');

      // The team run: the same trace a worker sends (agent per role, handoffs, a span per activity, ids from history).
      const teamHistory = readHistory(await stack.client.workflow.getHandle(teamWorkflowId).fetchHistory());
      await checkTrace(t, { workflowId: teamWorkflowId, history: teamHistory }, SINGLE_TEAM, 1);

      phase('OpenAI checks');
      // OpenTelemetry: each turn's activity span with its execute_tool codex span inside, the session as the
      // conversation; the team run's workflow span.
      await waitFor(
        'the OTel spans of both turns and of the run',
        () => {
          const names = collector.spans().map((s) => s.name);
          return names.filter((n) => n.startsWith('execute_tool ')).length >= 3 &&
            names.includes('RunWorkflow:teamWorkflow')
            ? true
            : undefined;
        },
        30_000,
      );
      const otel = collector.spans();
      const tools = otel.filter((s) => s.name.startsWith('execute_tool '));
      const sessionTools = tools.filter((s) => attributesOf(s)['gen_ai.conversation.id'] === sessionId);
      assert.deepEqual(
        sessionTools.map((s) => s.name).sort(),
        ['execute_tool codex', 'execute_tool codex-reply'],
        'an execute_tool span per turn',
      );
      for (const s of sessionTools) {
        assert.ok(otel.some((p) => p.spanId === s.parentSpanId && p.name === 'RunActivity:codexCall'));
        assert.equal(attributesOf(s)['gen_ai.tool.call.arguments'], undefined, 'no prompt unless asked');
      }
      assert.ok(tools.some((s) => attributesOf(s)['gen_ai.conversation.id'] === teamWorkflowId));
      assert.deepEqual(
        collector.posts.filter((p) => p.body.includes(SCRIPTED_MODEL_KEY)),
        [],
        'the key is never in a span',
      );
      assert.match(server.stderr(), /traces: OpenAI Traces to http:\/\/127\.0\.0\.1:\d+\/v1\/traces\/ingest/);
      assert.match(server.stderr(), /traces: OpenTelemetry spans to http:\/\/127\.0\.0\.1:\d+\/v1\/traces/);
      assert.deepEqual(server.channelErrors, [], 'nothing but JSON-RPC on stdout');
    } catch (err) {
      t.diagnostic(`mcp-server stderr:\n${server?.stderr() ?? ''}`);
      t.diagnostic(
        `OTel spans: ${collector
          .spans()
          .map((s) => `${s.name} ${String(attributesOf(s)['gen_ai.conversation.id'] ?? '')}`)
          .join(', ')}`,
      );
      throw err;
    } finally {
      await server?.close();
      await collector.close();
      rmSync(codexHome, { recursive: true, force: true });
    }
  });
});

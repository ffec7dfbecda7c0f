/**
 * The OTLP export with the GenAI conventions, read back from a real, unmodified OpenTelemetry backend users run for
 * LLM traces: Arize Phoenix from PyPI (scripts/phoenix-venv.ts), started here on loopback. A run of the single-agent
 * team goes to it over OTLP/HTTP (protobuf); its REST API must return a `chat` span per model turn and an
 * `execute_tool codex` span per Codex call, inside Temporal's activity spans, with the gen_ai.* attributes. With
 * Chromium present, a screenshot of the run's trace in Phoenix's UI goes to docs/phoenix-trace.png.
 * Outside CI it skips, saying why, when the Phoenix venv was never built (it is ~850 MB: `npx tsx scripts/phoenix-venv.ts`);
 * under CI=true .ci/run has built it, so a missing venv fails the test instead of hiding it.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import { readHistory } from '../src/report/history';
import { startLocalStack } from '../src/runtime/local-stack';
import { finishRun, startRun } from '../src/runtime/runs';
import { findFreePort } from '../src/temporal/dev-server';
import { findPhoenixVenv } from '../scripts/phoenix-venv';
import { exitedWithin, waitFor } from './helpers/crash';

const CHROMIUM = '/usr/bin/chromium';
const DOCS = path.join(__dirname, '..', 'docs');

interface PhoenixSpan {
  name: string;
  span_kind: string;
  context: { trace_id: string; span_id: string };
  parent_id: string | null;
  attributes: Record<string, unknown>;
}

describe('GenAI spans in Arize Phoenix', async () => {
  const venv = await findPhoenixVenv();
  if (!venv && process.env.CI === 'true') throw new Error('the Phoenix venv is missing although .ci/run builds it');
  const skip = venv ? false : 'the Phoenix venv is not built (npx tsx scripts/phoenix-venv.ts; ~850 MB)';
  let phoenix: ChildProcess | undefined;
  let dir = '';
  let url = '';

  before(async () => {
    if (!venv) return;
    dir = await mkdtemp(path.join(tmpdir(), 'dca-phoenix-'));
    const port = await findFreePort();
    url = `http://127.0.0.1:${port}`;
    phoenix = spawn(venv.python, ['-m', 'phoenix.server.main', 'serve'], {
      env: {
        ...process.env,
        PHOENIX_WORKING_DIR: dir,
        PHOENIX_HOST: '127.0.0.1',
        PHOENIX_PORT: String(port),
        PHOENIX_GRPC_PORT: String(await findFreePort()),
        PHOENIX_TELEMETRY_ENABLED: 'false',
      },
      detached: true,
      stdio: 'ignore',
    });
    await waitFor(
      'Phoenix to answer',
      () =>
        fetch(url).then(
          (r) => r.ok || undefined,
          () => undefined,
        ),
      120_000,
      250,
    );
  });
  after(async () => {
    if (phoenix?.pid) {
      const exited = new Promise((r) => phoenix?.once('exit', r));
      try {
        process.kill(-phoenix.pid, 'SIGTERM');
      } catch {
        // gone
      }
      await exitedWithin(exited, 10_000);
      try {
        process.kill(-phoenix.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(
    'shows a chat span per model turn and a tool span per Codex call, with the gen_ai attributes',
    { skip },
    async (t) => {
      const stack = await startLocalStack({
        env: { OTEL_EXPORTER_OTLP_ENDPOINT: url, OTEL_SERVICE_NAME: 'dca-phoenix-test' },
      });
      const workflowId = `phoenix-${Date.now()}`;
      let outcome;
      let history;
      try {
        const handle = await startRun(stack.client, {
          kind: 'single',
          input: {},
          workflowId,
          taskQueue: stack.taskQueue,
        });
        outcome = await finishRun(handle);
        history = readHistory(await handle.fetchHistory());
      } finally {
        await stack.stop(); // flushes the span processor
      }
      assert.equal(outcome.ok, true, outcome.error);
      const completed = (type: string) => history.activities.filter((a) => a.type === type && a.status === 'completed');

      const spans = await waitFor(
        'the run in Phoenix',
        async () => {
          const res = await fetch(`${url}/v1/projects/default/spans?limit=1000`);
          const all = ((await res.json()) as { data: PhoenixSpan[] }).data;
          const run = all.find(
            (s) => s.attributes.temporalWorkflowId === workflowId, // Temporal's activity spans carry the workflow id
          );
          const mine = run ? all.filter((s) => s.context.trace_id === run.context.trace_id) : [];
          return mine.filter((s) => s.name.startsWith('chat ')).length === completed('modelTurn').length
            ? mine
            : undefined;
        },
        30_000,
        500,
      );
      const byId = new Map(spans.map((s) => [s.context.span_id, s]));
      const chats = spans.filter((s) => s.name.startsWith('chat '));
      for (const chat of chats) {
        assert.equal(chat.span_kind, 'LLM');
        assert.equal(byId.get(chat.parent_id ?? '')?.name, 'RunActivity:modelTurn', 'inside its activity span');
        assert.equal(chat.attributes['gen_ai.operation.name'], 'chat');
        assert.equal(chat.attributes['gen_ai.request.model'], chat.name.slice('chat '.length));
        assert.ok(Number(chat.attributes['gen_ai.usage.input_tokens']) > 0);
        assert.ok(Number(chat.attributes['gen_ai.usage.output_tokens']) > 0);
        assert.ok(
          ['game_designer', 'game_developer'].includes(String(chat.attributes['gen_ai.agent.name'])),
          'its role',
        );
        assert.equal(chat.attributes['gen_ai.input.messages'], undefined, 'no content unless asked');
      }
      const tools = spans.filter((s) => s.name === 'execute_tool codex');
      assert.equal(tools.length, completed('codexCall').length, 'a tool span per Codex call');
      for (const tool of tools) {
        assert.equal(tool.span_kind, 'TOOL');
        assert.equal(byId.get(tool.parent_id ?? '')?.name, 'RunActivity:codexCall');
        assert.equal(tool.attributes['gen_ai.tool.name'], 'codex');
      }
      t.diagnostic(`${spans.length} spans of the run in Phoenix: ${chats.length} chat, ${tools.length} execute_tool`);

      if (!existsSync(CHROMIUM)) return t.diagnostic(`no screenshot: ${CHROMIUM} is not installed`);
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
      });
      try {
        const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
        const traceId = spans[0]!.context.trace_id;
        await page.goto(`${url}/projects`, { waitUntil: 'networkidle' });
        await page.getByText('default', { exact: true }).first().click();
        await page.getByText('RunWorkflow:teamWorkflow').first().click();
        await page.getByText('execute_tool codex').first().waitFor();
        await page
          .getByText(/^chat /)
          .first()
          .click();
        await page.waitForTimeout(500);
        const file = path.join(dir, 'phoenix-trace.png');
        await page.screenshot({ path: file });
        await mkdir(DOCS, { recursive: true });
        await copyFile(file, path.join(DOCS, 'phoenix-trace.png'));
        t.diagnostic(`screenshot of trace ${traceId}: docs/phoenix-trace.png`);
      } finally {
        await browser.close();
      }
    },
  );
});

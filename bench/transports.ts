/**
 * Codex transports compared on this machine: per-call overhead of a trivial Codex call (one model request answered
 * at once by a local stub) on `mcp` (codex mcp-server 0.153.4) and `app-server` (codex app-server 0.171.0), and the
 * cost of carrying on after a crash: app-server's new process + `thread/resume` + turn, against mcp's new process +
 * new thread with the earlier prompts replayed. Run: `npx tsx bench/transports.ts [calls]`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { codexConfig, continuationPrompt } from '../src/activities/codex/call';
import { AppServerTransport } from '../src/activities/codex/app-server/transport';
import { CodexServer } from '../src/activities/codex/mcp/server';
import { McpTransport } from '../src/activities/codex/mcp/transport';
import type { CodexTransport } from '../src/activities/codex/transport';
import {
  SCRIPTED_APP_SERVER_MODEL_SLUG,
  SCRIPTED_MODEL_KEY,
  SCRIPTED_MODEL_SLUG,
  codexBinaryPath,
  type CodexTransportName,
  type Settings,
} from '../src/config/settings';
import { startResponsesStub, toolThenMessage } from '../test/helpers/responses-stub';

const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

async function main() {
  const calls = Number(process.argv[2] ?? 5);
  const stub = await startResponsesStub(toolThenMessage());
  const dir = fs.mkdtempSync(path.join(os.homedir(), '.cache', 'dca-bench-transports-'));
  const rows: string[] = [];
  try {
    for (const name of ['mcp', 'app-server'] as const) {
      const settings = settingsFor(name, stub.baseUrl, path.join(dir, name));
      const cwd = fs.mkdtempSync(path.join(dir, `ws-${name}-`));
      const make = (): CodexTransport =>
        name === 'mcp'
          ? new McpTransport(new CodexServer({ settings, logger: quiet }))
          : new AppServerTransport({ settings, logger: quiet });
      const args = {
        prompt: 'say done',
        cwd,
        sandbox: 'workspace-write',
        'approval-policy': 'never',
        model: settings.codex.model,
        config: codexConfig({ role: 'frontend', runId: 'bench' }, 'workspace-write', settings),
      };
      const opts = { timeoutMs: 60_000 };
      let t = make();
      const t0 = Date.now();
      const firstCall = await t.call({ name: 'codex', arguments: args }, {}, opts);
      const firstMs = Date.now() - t0;
      const times: number[] = [];
      for (let i = 0; i < calls; i++) {
        const s = Date.now();
        await t.call({ name: 'codex', arguments: args }, {}, opts);
        times.push(Date.now() - s);
      }
      // After a crash: a new process carries on the first call's thread.
      await t.close();
      t = make();
      const s = Date.now();
      const again =
        name === 'app-server'
          ? await t.call({ name: 'codex-reply', arguments: { ...args, threadId: firstCall.threadId } }, {}, opts)
          : await t.call(
              {
                name: 'codex',
                arguments: { ...args, prompt: continuationPrompt(firstCall.threadId!, ['say done'], 'say done') },
              },
              {},
              opts,
            );
      const resumeMs = Date.now() - s;
      await t.close();
      times.sort((a, b) => a - b);
      const median = times[Math.floor(times.length / 2)] ?? 0;
      rows.push(
        `| ${name} | ${firstMs} | ${median} | ${resumeMs} | ${name === 'app-server' ? (again.resumed ? 'same thread resumed' : 'not resumed') : 'new thread, prompts replayed'} |`,
      );
    }
  } finally {
    await stub.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    `load: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; ${calls} calls per transport`,
  );
  console.log(
    '| Transport | First call incl. start (ms) | Trivial call, median (ms) | After a crash: new process + carry on (ms) | How |',
  );
  console.log('|---|---|---|---|---|');
  for (const r of rows) console.log(r);
}

function settingsFor(transport: CodexTransportName, baseUrl: string, home: string): Settings {
  return {
    taskQueue: 'bench',
    workspaceRoot: os.tmpdir(),
    model: { apiKey: SCRIPTED_MODEL_KEY, baseUrl, scripted: true, defaultModel: 'gpt-5', requestTimeoutMs: 30_000 },
    codex: {
      transport,
      command: codexBinaryPath(transport),
      model: transport === 'app-server' ? SCRIPTED_APP_SERVER_MODEL_SLUG : SCRIPTED_MODEL_SLUG,
      home,
      callTimeoutMs: 60_000,
      allowDangerFullAccess: false,
    },
  };
}

void main();

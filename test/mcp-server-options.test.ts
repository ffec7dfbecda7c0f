/** The MCP server's start-up choices, without starting anything: where the key comes from, and its flags. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { mergeConfig } from '../src/activities/codex/call';
import { findCredential } from '../src/mcp-server/credentials';
import { parseMcpServerArgs } from '../src/mcp-server/main';
import { ConfigError } from '../src/shared/errors';

const home = mkdtempSync(path.join(os.tmpdir(), 'dca-cred-'));
after(() => rmSync(home, { recursive: true, force: true }));

const write = (file: string, json: unknown) => {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(json));
};

void describe('mcp-server credentials, found the way Codex finds them', () => {
  void it('environment, then the Codex login, then the config file, else none', () => {
    assert.equal(findCredential({}, home), undefined);
    write(path.join(home, '.config', 'durable-codex-agents', 'config.json'), {
      OPENAI_API_KEY: 'sk-file',
      OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
    });
    assert.deepEqual(findCredential({}, home), {
      apiKey: 'sk-file',
      baseUrl: 'http://127.0.0.1:9/v1',
      source: `the config file ${path.join(home, '.config', 'durable-codex-agents', 'config.json')}`,
    });
    // A ChatGPT sign-in has no API key: not usable, the next place is tried.
    write(path.join(home, '.codex', 'auth.json'), { OPENAI_API_KEY: null, tokens: {} });
    assert.equal(findCredential({}, home)?.apiKey, 'sk-file');
    write(path.join(home, '.codex', 'auth.json'), { OPENAI_API_KEY: 'sk-login' });
    assert.equal(findCredential({}, home)?.apiKey, 'sk-login');
    assert.match(findCredential({}, home)?.source ?? '', /the Codex login .*\.codex\/auth\.json/);
    const codexHome = path.join(home, 'other-codex');
    write(path.join(codexHome, 'auth.json'), { OPENAI_API_KEY: 'sk-codex-home' });
    assert.equal(findCredential({ CODEX_HOME: codexHome }, home)?.apiKey, 'sk-codex-home');
    assert.deepEqual(findCredential({ OPENAI_API_KEY: 'sk-env' }, home), {
      apiKey: 'sk-env',
      source: 'the environment (OPENAI_API_KEY)',
    });
    writeFileSync(path.join(home, 'bad.json'), '{');
    assert.throws(
      () => findCredential({ DCA_CONFIG: path.join(home, 'bad.json'), CODEX_HOME: home }, home),
      ConfigError,
    );
  });
});

void describe('mcp-server flags', () => {
  void it('defaults: app-server, in-process worker, 7 days idle', () => {
    const o = parseMcpServerArgs([], {});
    assert.equal(o.transport, 'app-server');
    assert.equal(o.worker, true);
    assert.equal(o.idleTimeoutMs, 7 * 86_400_000);
    assert.equal(o.turnsPerRun, 50);
  });
  void it('flags override, and bad ones name themselves', () => {
    const o = parseMcpServerArgs(
      [
        '--transport',
        'mcp',
        '--no-worker',
        '--idle-timeout',
        '30m',
        '--heartbeat-timeout',
        '3s',
        '--approval-timeout',
        '2h',
      ],
      {},
    );
    assert.deepEqual(
      [o.transport, o.worker, o.idleTimeoutMs, o.heartbeatTimeoutMs, o.approvalTimeoutMs],
      ['mcp', false, 1_800_000, 3_000, 7_200_000],
    );
    assert.throws(() => parseMcpServerArgs(['--transport', 'x'], {}), /--transport/);
    assert.throws(() => parseMcpServerArgs(['--idle-timeout', 'soon'], {}), /--idle-timeout/);
    assert.throws(() => parseMcpServerArgs(['--turns-per-run', '0'], {}), /--turns-per-run/);
    assert.throws(() => parseMcpServerArgs(['--bogus'], {}), /bogus/);
  });
  void it("reads and checks the worker's trace variables: off by default, the same settings as the worker", () => {
    assert.deepEqual(parseMcpServerArgs([], {}).traces, {});
    const on = parseMcpServerArgs([], {
      TRACES: 'openai,otlp',
      TRACES_OPENAI_ENDPOINT: 'http://127.0.0.1:9/v1/traces/ingest',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
      TRACES_CAPTURE_CONTENT: '1',
    }).traces;
    assert.equal(on.otel?.tracesUrl, 'http://127.0.0.1:4318/v1/traces');
    assert.equal(on.otel?.captureContent, true);
    assert.equal(on.openai?.endpoint, 'http://127.0.0.1:9/v1/traces/ingest');
    assert.equal(on.openai?.captureContent, true);
    assert.throws(() => parseMcpServerArgs([], { TRACES: 'opneai' }), /Invalid TRACES: opneai/);
    assert.throws(() => parseMcpServerArgs([], { TRACES: 'openai', TRACES_OPENAI_ENDPOINT: 'nope' }), ConfigError);
    assert.throws(() => parseMcpServerArgs([], { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }), ConfigError);
    assert.throws(
      () => parseMcpServerArgs([], { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }),
      /OTEL_EXPORTER_OTLP_PROTOCOL/,
    );
  });
});

void describe("the codex tool's config", () => {
  void it('merges over the worker provider config key by key; scalars and arrays replace', () => {
    const base = { model_provider: 'durable', model_providers: { durable: { base_url: 'u', wire_api: 'responses' } } };
    assert.deepEqual(
      mergeConfig(base, {
        model_providers: { durable: { base_url: 'v' } },
        tools: ['a'],
        model_reasoning_effort: 'low',
      }),
      {
        model_provider: 'durable',
        model_providers: { durable: { base_url: 'v', wire_api: 'responses' } },
        tools: ['a'],
        model_reasoning_effort: 'low',
      },
    );
    assert.deepEqual(base.model_providers.durable.base_url, 'u', 'the base is not changed');
  });
});

void describe('mcp-server start-up failures', () => {
  const bin = path.join(__dirname, '..', 'bin', 'durable-codex-agents.js');
  const failedStart = (env: NodeJS.ProcessEnv) =>
    promisify(execFile)(process.execPath, [bin, 'mcp-server'], {
      env: { PATH: process.env.PATH, HOME: home, ...env },
      timeout: 60_000,
    }).then(
      () => assert.fail('the server started'),
      (err: { code: number; stdout: string; stderr: string }) => err,
    );
  void it('an unreachable TEMPORAL_ADDRESS is one line on stderr, exit 2, nothing on stdout', async () => {
    const r = await failedStart({ TEMPORAL_ADDRESS: '127.0.0.1:1' });
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^mcp-server: Cannot reach Temporal at 127\.0\.0\.1:1 .*TEMPORAL_ADDRESS\)\n$/);
  });
  void it('an invalid trace variable is one line on stderr, exit 2, before anything starts', async () => {
    // The unreachable Temporal would be the error had anything been tried before the trace variables were read.
    const r = await failedStart({ TEMPORAL_ADDRESS: '127.0.0.1:1', TRACES: 'openai,zipkin' });
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'mcp-server: Invalid TRACES: zipkin (use openai, otlp)\n');
  });
});

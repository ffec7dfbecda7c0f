/**
 * The Streamable HTTP transport's guards, fast (a tiny McpServer, no Temporal): loopback by default, a bearer token
 * required off loopback and checked on every request (401, nothing started), browser origins and rebound host
 * names refused (403), the token never logged; and a real SDK client listing tools through it.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { httpToken, serveHttp, tokenMatches, type HttpServing } from '../src/mcp-server/http';
import { ConfigError } from '../src/shared/errors';

const TOKEN = 'test-token-0123456789abcdef';
const logged: string[] = [];
const log = { info: (m: string) => logged.push(m), warn: (m: string) => logged.push(m) };
let created = 0;
const servings: HttpServing[] = [];

function createServer(): McpServer {
  created += 1;
  const server = new McpServer({ name: 'http-test', version: '0.0.0' });
  server.registerTool('ping', { description: 'Answers pong' }, () => ({ content: [{ type: 'text', text: 'pong' }] }));
  return server;
}

after(async () => {
  for (const s of servings) await s.close();
});

async function serve(options: Parameters<typeof serveHttp>[1]): Promise<HttpServing> {
  const s = await serveHttp(createServer, { log, ...options });
  servings.push(s);
  return s;
}

const INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
});

/** A raw POST to 127.0.0.1 on the served port (node:http, so Host and Origin are ours to set). */
function post(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const { port, pathname } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(INIT);
  });
}

describe('MCP over Streamable HTTP: who may call', () => {
  it('refuses to bind off loopback without a token', async () => {
    await assert.rejects(serveHttp(createServer, { host: '0.0.0.0', log }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(
        err.message,
        /^Serving MCP on 0\.0\.0\.0 \(not loopback\) needs a bearer token: --token TOKEN or DCA_MCP_TOKEN/,
      );
      return true;
    });
    assert.equal(httpToken(undefined, { DCA_MCP_TOKEN: 'abc' }), 'abc');
    assert.equal(httpToken('flag', { DCA_MCP_TOKEN: 'abc' }), 'flag');
    assert.equal(httpToken(undefined, {}), undefined);
    assert.equal(tokenMatches(`Bearer ${TOKEN}`, TOKEN), true);
    assert.equal(tokenMatches(`Bearer ${TOKEN}x`, TOKEN), false);
    assert.equal(tokenMatches(undefined, TOKEN), false);
  });

  it('off loopback: 401 without the token (nothing started), 403 for a browser origin, 200 with the token', async () => {
    const s = await serve({ host: '0.0.0.0', token: TOKEN });
    const before = created;
    const none = await post(s.url, {});
    assert.equal(none.status, 401);
    const wrong = await post(s.url, { authorization: 'Bearer nope' });
    assert.equal(wrong.status, 401);
    assert.equal(created, before, 'no MCP server was created for a refused request');
    const evil = await post(s.url, { authorization: `Bearer ${TOKEN}`, origin: 'http://evil.example' });
    assert.equal(evil.status, 403);
    assert.match(evil.body, /origin may not call/);
    const ok = await post(s.url, { authorization: `Bearer ${TOKEN}` });
    assert.equal(ok.status, 200, ok.body);
    assert.match(ok.body, /"serverInfo":\{"name":"http-test"/);
    const local = await post(s.url, { authorization: `Bearer ${TOKEN}`, origin: 'http://localhost:5173' });
    assert.equal(local.status, 200, local.body);
    assert.ok(!logged.some((l) => l.includes(TOKEN)), 'the token is never logged');
    assert.ok(logged.some((l) => /without a valid bearer token/.test(l)));
  });

  it('on loopback: refuses a browser origin and a rebound host name; an SDK client lists the tools', async () => {
    const s = await serve({});
    assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    assert.equal((await post(s.url, { origin: 'http://evil.example' })).status, 403);
    const port = new URL(s.url).port;
    assert.equal((await post(s.url, { host: `evil.example:${port}` })).status, 403);
    assert.equal((await post(s.url, {})).status, 200);

    const client = new Client({ name: 'http-client', version: '0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(s.url)));
    const { tools } = await client.listTools();
    assert.deepEqual(
      tools.map((t) => t.name),
      ['ping'],
    );
    await client.close();
  });

  it('with a token, the SDK client passes it on every request', async () => {
    const s = await serve({ token: TOKEN });
    const refused = new Client({ name: 'no-token', version: '0' });
    await assert.rejects(refused.connect(new StreamableHTTPClientTransport(new URL(s.url))), /401|Unauthorized/);
    const client = new Client({ name: 'with-token', version: '0' });
    const transport = new StreamableHTTPClientTransport(new URL(s.url), {
      requestInit: { headers: { authorization: `Bearer ${TOKEN}` } },
    });
    await client.connect(transport);
    const result = await client.callTool({ name: 'ping', arguments: {} });
    assert.deepEqual(result.content, [{ type: 'text', text: 'pong' }]);
    await client.close();
  });
});

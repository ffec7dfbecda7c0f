/**
 * The MCP server over Streamable HTTP (`/mcp`, the SDK's StreamableHTTPServerTransport on node:http), one McpServer
 * per session. Whoever reaches it runs Codex on this machine, so:
 *   - it binds to 127.0.0.1 unless told otherwise, and any other address needs a bearer token (`--token` or
 *     DCA_MCP_TOKEN), checked on every request in constant time: 401 without it, and nothing is started;
 *   - the `Origin` header is checked (DNS rebinding, as the MCP spec asks of Streamable HTTP servers): absent, or
 *     http(s)://localhost|127.0.0.1|[::1] with any port; anything else is refused with 403. On a loopback bind the
 *     `Host` header must name loopback too, which is what defeats a rebound DNS name;
 *   - the token is never logged (refusals are logged with their reason only) and never leaves this process.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { ConfigError } from '../shared/errors';

export const MCP_HTTP_PATH = '/mcp';
export const DEFAULT_HTTP_HOST = '127.0.0.1';
export const TOKEN_ENV = 'DCA_MCP_TOKEN';

export interface HttpServeOptions {
  /** Default 0: a free port. */
  port?: number;
  /** Default 127.0.0.1. Anything but loopback needs `token`. */
  host?: string;
  /** Bearer token every request must carry; required off loopback. */
  token?: string;
  log?: { info(message: string): void; warn(message: string): void };
}

export interface HttpServing {
  url: string;
  close(): Promise<void>;
}

/** The token from `--token`, else DCA_MCP_TOKEN; undefined when neither is set. */
export function httpToken(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const token = flag ?? env[TOKEN_ENV];
  return token === undefined || token === '' ? undefined : token;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);
export const isLoopback = (host: string): boolean => LOOPBACK_HOSTS.has(host) || /^127(\.\d{1,3}){3}$/.test(host);

const ORIGIN = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/i;
/** Absent (not a browser), or a loopback page. */
export const originAllowed = (origin: string | undefined): boolean => origin === undefined || ORIGIN.test(origin);

const HOST_HEADER = /^(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/i;

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Constant time whatever the lengths: both sides hashed first. */
export function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer (.+)$/i.exec(header ?? '');
  const given = m?.[1] ?? '';
  return timingSafeEqual(digest(given), digest(token)) && given !== '';
}

export async function serveHttp(createServer: () => McpServer, options: HttpServeOptions = {}): Promise<HttpServing> {
  const host = options.host ?? DEFAULT_HTTP_HOST;
  const { token, log } = options;
  const loopback = isLoopback(host);
  if (!loopback && token === undefined) {
    throw new ConfigError(
      `Serving MCP on ${host} (not loopback) needs a bearer token: --token TOKEN or ${TOKEN_ENV}. Nothing was started.`,
    );
  }
  const sessions = new Map<string, { transport: StreamableHTTPServerTransport; server: McpServer }>();

  const refuse = (res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== MCP_HTTP_PATH) return refuse(res, 404, `Not found: MCP is served on ${MCP_HTTP_PATH}`);
    const origin = req.headers.origin;
    if (!originAllowed(origin)) {
      log?.warn(`refused a request from origin ${JSON.stringify(origin)} (403)`);
      return refuse(res, 403, 'Forbidden: this origin may not call this MCP server');
    }
    if (loopback && !HOST_HEADER.test(req.headers.host ?? '')) {
      log?.warn(`refused a request for host ${JSON.stringify(req.headers.host)} (403)`);
      return refuse(res, 403, 'Forbidden: this server answers for localhost only');
    }
    if (token !== undefined && !tokenMatches(req.headers.authorization, token)) {
      log?.warn(`refused a request without a valid bearer token from ${req.socket.remoteAddress ?? '?'} (401)`);
      return refuse(res, 401, 'Unauthorized: a bearer token is required', { 'www-authenticate': 'Bearer' });
    }
    const sessionId = req.headers['mcp-session-id'];
    if (typeof sessionId === 'string') {
      const known = sessions.get(sessionId);
      if (!known) return refuse(res, 404, 'Session not found: initialize a new session');
      return known.transport.handleRequest(req, res);
    }
    // No session: only an initialize request opens one (the transport refuses anything else).
    const server = createServer();
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => void sessions.set(id, { transport, server }),
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    await transport.handleRequest(req, res);
    if (transport.sessionId === undefined) await server.close();
  }

  const httpServer = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log?.warn(`request failed: ${err instanceof Error ? err.message : String(err)}`);
      if (!res.headersSent) refuse(res, 500, 'Internal error');
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port ?? 0, host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const { port } = httpServer.address() as AddressInfo;
  const shownHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const url = `http://${shownHost}:${port}${MCP_HTTP_PATH}`;
  log?.info(`MCP over Streamable HTTP on ${url}${token !== undefined ? ' (bearer token required)' : ''}`);
  return {
    url,
    async close() {
      for (const { server } of [...sessions.values()]) await server.close().catch(() => undefined);
      sessions.clear();
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}

/**
 * A recording proxy in front of the scripted model: keeps every request's headers and body (the scripted model's
 * own log has no headers), and lets a test answer a request itself or rewrite the scripted answer. Used to read
 * the sandbox Codex reports (`x-codex-turn-metadata`), to see the Authorization header a key produces, and to make
 * the model misbehave (a tool call with a path outside the workspace).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxiedRequest {
  seq: number;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
  kind?: string;
  role?: string;
  run?: string;
}

export interface Synthetic {
  status?: number;
  headers?: Record<string, string>;
  body: string;
}

export interface ModelProxy {
  baseUrl: string;
  readonly requests: ProxiedRequest[];
  /** Answer a request here instead of forwarding it. */
  answer?: (req: ProxiedRequest) => Synthetic | undefined;
  /** Rewrite a forwarded answer's body (JSON or SSE text); return undefined to keep it. */
  rewrite?: (req: ProxiedRequest, body: string) => string | undefined;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'host']);

/** `upstream` is the scripted model's base URL (…/v1); the proxy serves the same paths. */
export async function startModelProxy(upstream: string): Promise<ModelProxy> {
  const target = new URL(upstream);
  let seq = 0;
  const proxy: ModelProxy = {
    baseUrl: '',
    requests: [],
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      let body: Record<string, unknown> = {};
      try {
        body = raw.length ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {};
      } catch {
        // not JSON: forwarded as is
      }
      const h = (name: string) => {
        const v = req.headers[name];
        return Array.isArray(v) ? v[0] : v;
      };
      const entry: ProxiedRequest = {
        seq: ++seq,
        headers: req.headers,
        body,
        kind: h('x-dca-kind'),
        role: h('x-dca-role'),
        run: h('x-dca-run'),
      };
      if (req.url?.endsWith('/responses')) proxy.requests.push(entry);

      const synthetic = proxy.answer?.(entry);
      if (synthetic) {
        res.writeHead(synthetic.status ?? 200, {
          'content-type': 'application/json',
          ...synthetic.headers,
        });
        res.end(synthetic.body);
        return;
      }
      const headers: http.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(k)) headers[k] = v;
      headers['content-length'] = raw.length;
      const up = http.request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: `${target.pathname.replace(/\/v1\/?$/, '')}${req.url ?? '/'}`,
          headers,
        },
        (upRes) => {
          const parts: Buffer[] = [];
          upRes.on('data', (c: Buffer) => parts.push(c));
          upRes.on('error', () => res.destroy());
          upRes.on('end', () => {
            const text = Buffer.concat(parts).toString('utf8');
            const out = proxy.rewrite?.(entry, text) ?? text;
            const outHeaders: http.OutgoingHttpHeaders = {};
            for (const [k, v] of Object.entries(upRes.headers)) if (!HOP_BY_HOP.has(k)) outHeaders[k] = v;
            outHeaders['content-length'] = Buffer.byteLength(out);
            res.writeHead(upRes.statusCode ?? 502, outHeaders);
            res.end(out);
          });
        },
      );
      up.on('error', () => res.destroy());
      up.end(raw);
      res.on('close', () => {
        if (!res.writableFinished) up.destroy();
      });
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  proxy.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return proxy;
}

/** The JSON of Codex's `x-codex-turn-metadata` header (it carries `sandbox_mode`). */
export function turnMetadata(req: ProxiedRequest): Record<string, unknown> {
  const raw = req.headers['x-codex-turn-metadata'];
  try {
    return JSON.parse(String(Array.isArray(raw) ? raw[0] : (raw ?? '{}'))) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** A non-streamed Responses answer with the given output items (what our model-turn activity reads). */
export function responseJson(output: Record<string, unknown>[], id = `resp_proxy_${Date.now()}`): string {
  return JSON.stringify({
    id,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status: 'completed',
    model: 'proxy-injected',
    output,
    usage: { input_tokens: 1, output_tokens: 1, total_tokens: 2, output_tokens_details: { reasoning_tokens: 0 } },
  });
}

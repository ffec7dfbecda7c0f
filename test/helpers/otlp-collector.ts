/**
 * A local OTLP/HTTP collector for tests: accepts `POST /v1/traces` in OTLP JSON (workers send JSON with
 * OTEL_EXPORTER_OTLP_PROTOCOL=http/json; the default, protobuf, is what the Phoenix test reads back) and keeps every
 * request, with helpers that read the spans and their attributes out of the bodies.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OtlpSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes?: { key: string; value: Record<string, unknown> }[];
}

export interface OtlpCollector {
  /** The base URL, as OTEL_EXPORTER_OTLP_ENDPOINT takes it. */
  url: string;
  posts: { path: string; body: string }[];
  /** Every span received so far. */
  spans(): OtlpSpan[];
  close(): Promise<void>;
}

export async function startOtlpCollector(): Promise<OtlpCollector> {
  const posts: { path: string; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      posts.push({ path: req.url ?? '', body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    posts,
    spans: () => posts.flatMap((p) => spansOf(p.body)),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export function attributesOf(span: OtlpSpan): Record<string, unknown> {
  return Object.fromEntries((span.attributes ?? []).map((a) => [a.key, Object.values(a.value)[0]]));
}

export function spansOf(body: string): OtlpSpan[] {
  const json = JSON.parse(body) as { resourceSpans?: { scopeSpans?: { spans?: OtlpSpan[] }[] }[] };
  return (json.resourceSpans ?? []).flatMap((r) => (r.scopeSpans ?? []).flatMap((s) => s.spans ?? []));
}

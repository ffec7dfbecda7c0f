/**
 * A local OpenAI Traces ingest endpoint on loopback for tests: `POST /v1/traces/ingest` accepts what the real one
 * does, validates every body against the exporters' schema (src/tracing/openai-items.ts) and keeps each request's
 * headers and items; anything else (a bad header, an invalid item) is answered 400 and recorded as a problem.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { IngestBodySchema, type IngestItem } from '../../src/tracing/openai-items';

export interface IngestRequest {
  headers: IncomingHttpHeaders;
  body: string;
  items: IngestItem[];
}

export interface TracesIngest {
  url: string;
  requests: IngestRequest[];
  problems: string[];
  /** Every item received, in order (duplicates included). */
  items(): IngestItem[];
  /** Answer the next `n` requests with this status (retries). */
  failNext(n: number, status: number): void;
  close(): Promise<void>;
}

export async function startTracesIngest(): Promise<TracesIngest> {
  const requests: IngestRequest[] = [];
  const problems: string[] = [];
  let failures = { n: 0, status: 500 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const answer = (status: number, text: string) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(status < 300 ? {} : { error: { message: text } }));
      };
      if (req.method !== 'POST' || req.url !== '/v1/traces/ingest') return answer(404, `no route ${req.url}`);
      if (failures.n > 0) {
        failures.n -= 1;
        return answer(failures.status, 'injected failure');
      }
      const problem = (text: string) => {
        problems.push(text);
        answer(400, text);
      };
      if (req.headers['openai-beta'] !== 'traces=v1') return problem(`OpenAI-Beta: ${req.headers['openai-beta']}`);
      if (!/^Bearer \S+$/.test(req.headers.authorization ?? '')) return problem('no bearer key');
      if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return problem('not JSON');
      let parsed;
      try {
        parsed = IngestBodySchema.safeParse(JSON.parse(body));
      } catch (err) {
        return problem(`body is not JSON: ${String(err)}`);
      }
      if (!parsed.success) return problem(`invalid body: ${JSON.stringify(parsed.error.issues.slice(0, 3))}`);
      requests.push({ headers: req.headers, body, items: parsed.data.data });
      answer(200, '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/traces/ingest`,
    requests,
    problems,
    items: () => requests.flatMap((r) => r.items),
    failNext(n, status) {
      failures = { n, status };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A tiny OpenAI-compatible Responses endpoint for Codex protocol tests: each `POST /v1/responses` is answered
 * by a test-supplied responder, as SSE (`response.output_item.done` items, then `response.completed` with an id),
 * an HTTP error status, a stream cut before completion, or no answer at all.
 * Files-written assertions use the scripted model instead; this stub is for precise protocol cases.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type StubItem = { type: string } & Record<string, unknown>;

export type StubAction =
  | { kind: 'items'; items: StubItem[]; delayMs?: number }
  | { kind: 'status'; status: number; body?: string }
  /** Sends one item, then ends the stream without `response.completed`. */
  | { kind: 'broken' }
  /** Keeps the request open until the stub closes. */
  | { kind: 'hang' };

export interface StubRequest {
  n: number;
  headers: http.IncomingHttpHeaders;
  body: { model?: string; input?: StubItem[]; stream?: boolean } & Record<string, unknown>;
  /** The last input item: the user prompt on a new turn, or the output of the tool call just made. */
  last: StubItem | undefined;
}

export type Responder = (req: StubRequest) => StubAction | Promise<StubAction>;

export interface ResponsesStub {
  baseUrl: string;
  requests: StubRequest[];
  setResponder(responder: Responder): void;
  close(): Promise<void>;
}

export async function startResponsesStub(responder: Responder = toolThenMessage()): Promise<ResponsesStub> {
  let respond = responder;
  const requests: StubRequest[] = [];
  const open = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        if (req.method !== 'POST' || !req.url?.endsWith('/responses')) {
          res.writeHead(404).end();
          return;
        }
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as StubRequest['body'];
        const input = body.input ?? [];
        const stubReq: StubRequest = { n: requests.length + 1, headers: req.headers, body, last: input.at(-1) };
        requests.push(stubReq);
        const action = await respond(stubReq);
        await answer(res, action, open);
      })().catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500);
        res.end(String(err));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    setResponder: (r) => {
      respond = r;
    },
    close: async () => {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function answer(res: http.ServerResponse, action: StubAction, open: Set<http.ServerResponse>): Promise<void> {
  if (action.kind === 'status') {
    res.writeHead(action.status, { 'content-type': 'application/json' });
    res.end(action.body ?? JSON.stringify({ error: { message: `stub status ${action.status}`, type: 'stub' } }));
    return;
  }
  if (action.kind === 'hang') {
    open.add(res);
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const send = (event: object) => res.write(`data: ${JSON.stringify(event)}\n\n`);
  if (action.kind === 'broken') {
    send({ type: 'response.output_item.done', item: message('partial') });
    res.end();
    return;
  }
  if (action.delayMs) {
    open.add(res);
    await new Promise((r) => setTimeout(r, action.delayMs));
    open.delete(res);
    if (res.destroyed) return;
  }
  for (const item of action.items) send({ type: 'response.output_item.done', item });
  send({
    type: 'response.completed',
    response: {
      id: `resp_${Math.random().toString(36).slice(2)}`,
      usage: {
        input_tokens: 100,
        output_tokens: 20,
        total_tokens: 120,
        output_tokens_details: { reasoning_tokens: 5 },
      },
    },
  });
  res.end();
}

// ---- items ----

let callSeq = 0;
const nextCallId = () => `call_${++callSeq}`;

export function message(text: string): StubItem {
  return { type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] };
}

export function addFilePatch(path: string, content: string): StubItem {
  const lines = content.split('\n').map((l) => `+${l}`);
  const input = `*** Begin Patch\n*** Add File: ${path}\n${lines.join('\n')}\n*** End Patch\n`;
  return { type: 'custom_tool_call', name: 'apply_patch', call_id: nextCallId(), input };
}

export function execCommand(cmd: string, extra: Record<string, unknown> = {}): StubItem {
  return {
    type: 'function_call',
    name: 'exec_command',
    call_id: nextCallId(),
    arguments: JSON.stringify({ cmd, ...extra }),
  };
}

/** Text of the user messages in a request's input, oldest first. */
export function userTexts(req: StubRequest): string[] {
  const out: string[] = [];
  for (const item of req.body.input ?? []) {
    if (item.type !== 'message' || item.role !== 'user' || !Array.isArray(item.content)) continue;
    for (const part of item.content as { type?: string; text?: string }[]) {
      if (part.type === 'input_text' && typeof part.text === 'string') out.push(part.text);
    }
  }
  return out;
}

export function isToolOutput(item: StubItem | undefined): boolean {
  return item?.type === 'function_call_output' || item?.type === 'custom_tool_call_output';
}

/**
 * The usual two-request turn: on a new user prompt, run `tool(req)` (default: none); after the tool output,
 * answer with a final message.
 */
export function toolThenMessage(
  tool?: (req: StubRequest) => StubItem[],
  final: (req: StubRequest) => string = () => 'done',
  delayMs = 0,
): Responder {
  return (req) => {
    if (isToolOutput(req.last) || !tool) return { kind: 'items', items: [message(final(req))], delayMs };
    return { kind: 'items', items: tool(req), delayMs };
  };
}

/**
 * A recording proxy in front of the scripted model: keeps every request's headers and body (the scripted model's
 * own log has no headers), and lets a test answer a request itself or rewrite the scripted answer. Used to read
 * the sandbox Codex reports (`x-codex-turn-metadata`), to see the Authorization header a key produces, and to make
 * the model misbehave (a tool call with a path outside the workspace).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { loadSettings } from '../../src/config/settings';
import type { LocalStack } from '../../src/runtime/local-stack';
import { createAgentWorker } from '../../src/runtime/worker';

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
            let out = text;
            try {
              out = proxy.rewrite?.(entry, text) ?? text;
            } catch (err) {
              // A broken rewrite must fail the test visibly, not hang the caller.
              process.stderr.write(`model proxy: rewrite failed: ${String(err)}\n`);
              res.destroy();
              return;
            }
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

/**
 * Rewrites the command of every `exec_command` call in an SSE answer (Codex reads the call from
 * `response.output_item.done`; argument deltas are dropped so no half-old arguments remain).
 */
export function rewriteExecCommands(sse: string, rewrite: (cmd: string) => string): string {
  const frames = sse.split('\n\n').filter((f) => f.trim() !== '');
  const out: string[] = [];
  const fix = (item: unknown) => {
    const it = item as { type?: string; name?: string; arguments?: string; input?: string } | undefined;
    // Code mode (Codex's default model): a JavaScript `exec` whose lines call `tools.exec_command({...});`.
    if (it?.type === 'custom_tool_call' && it.name === 'exec' && it.input) {
      it.input = it.input.replace(
        /^(.*tools\.exec_command\()(\{.*\})(\);)$/gm,
        (_, head: string, json: string, tail: string) => {
          const args = JSON.parse(json) as { cmd: string };
          return `${head}${JSON.stringify({ ...args, cmd: rewrite(args.cmd) })}${tail}`;
        },
      );
      return;
    }
    if (it?.type !== 'function_call' || it.name !== 'exec_command' || !it.arguments) return;
    const args = JSON.parse(it.arguments) as { cmd: string };
    it.arguments = JSON.stringify({ ...args, cmd: rewrite(args.cmd) });
  };
  for (const frame of frames) {
    const dataLine = frame.split('\n').find((l) => l.startsWith('data: '));
    if (!dataLine) {
      out.push(frame);
      continue;
    }
    const event = JSON.parse(dataLine.slice('data: '.length)) as {
      type: string;
      item?: unknown;
      response?: { output?: unknown[] };
    };
    if (event.type === 'response.function_call_arguments.delta') continue;
    if (event.type === 'response.function_call_arguments.done') continue;
    if (event.type.startsWith('response.custom_tool_call_input.')) continue;
    fix(event.item);
    event.response?.output?.forEach(fix);
    out.push(frame.replace(dataLine, `data: ${JSON.stringify(event)}`));
  }
  return `${out.join('\n\n')}\n\n`;
}

export interface ProxiedWorker {
  taskQueue: string;
  stop(): Promise<void>;
}

/** An in-process worker on its own task queue whose (scripted) model endpoint is the proxy. */
export async function startProxiedWorker(
  stack: LocalStack,
  proxy: ModelProxy,
  o: { taskQueue: string; env?: NodeJS.ProcessEnv; workflowBundle?: WorkflowBundleWithSourceMap },
): Promise<ProxiedWorker> {
  const settings = loadSettings(
    {
      TASK_QUEUE: o.taskQueue,
      WORKSPACE_ROOT: stack.workspaceRoot,
      CODEX_HOME: path.join(stack.dir, `codex-${o.taskQueue}`),
      ...o.env,
    },
    { scriptedBaseUrl: proxy.baseUrl },
  );
  const connection = await NativeConnection.connect({ address: stack.address });
  const worker = await createAgentWorker({
    connection,
    namespace: stack.namespace,
    settings,
    workflowBundle: o.workflowBundle,
  });
  const running = worker.run();
  return {
    taskQueue: o.taskQueue,
    async stop() {
      worker.worker.shutdown();
      await running.catch(() => undefined);
      await connection.close();
    },
  };
}

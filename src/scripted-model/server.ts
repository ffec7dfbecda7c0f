/**
 * The scripted model's HTTP server (node:http only): `POST /v1/responses` for agents and Codex, plus a control
 * API (`/_scripted/stats|faults|latency|reset`) for other processes. Every answer carries `x-scripted-model: true`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { agentScript } from './agent-script';
import { shapeAnswer } from './answer-format';
import { keepTalking, padResponse } from './padding';
import { classify, type Caller } from './classify';
import { handoffScript } from './handoff-script';
import { breakableFile, codexScript, omittableFile, readCodexTurn } from './codex-script';
import {
  FaultBook,
  FaultRuleSchema,
  FaultRulesBodySchema,
  type FaultDecision,
  type FaultRule,
  type FaultRuleState,
} from './faults';
import { lookupModel, MODEL_CATALOG, modelObject } from './models';
import {
  buildResponse,
  errorBody,
  responseNonces,
  sseFrame,
  streamEvents,
  type Draft,
  type OutputItem,
  type ResponseObject,
} from './responses';
import { checkAuthorization, checkRequest, modelNotFound, type ApiError } from './rules';
import { StatsBook, fingerprint, type RequestLogEntry, type ScriptedStats } from './stats';
import { ResponseStore, chainContext, storedInputItems, type Conversation, type StoredResponse } from './store';
import { isMessage, isRecord, messageText, projectName, sha256, type Item } from './text';

export interface Latency {
  /** Added to every agent model turn. */
  agentMs?: number;
  /** Added to every request Codex makes (one Codex tool call makes several: one per file, a check, a summary). */
  codexMs?: number;
  /**
   * Added once per Codex tool call, on its first request (a retried call pays it again): the latency of one Codex
   * turn as a whole, whatever the number of requests it makes.
   */
  codexCallMs?: number;
}

export interface ScriptedModelOptions {
  /** Default 0: a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  faults?: FaultRule[];
  latency?: Latency;
  log?: (line: string) => void;
  /**
   * The only key accepted (as a real endpoint accepts only valid keys). Unset: any non-empty Bearer key is accepted;
   * a request without one is refused with 401 either way.
   */
  apiKey?: string;
}

export interface ScriptedModel {
  /** The Responses base URL, e.g. http://127.0.0.1:4010/v1 (give it to the openai client and to Codex). */
  baseUrl: string;
  port: number;
  setFaults(rules: FaultRule[]): void;
  faults(): FaultRuleState[];
  setLatency(latency: Latency): void;
  stats(): ScriptedStats;
  resetStats(): void;
  close(): Promise<void>;
}

export const SCRIPTED_HEADER = 'x-scripted-model';
const MAX_BODY_BYTES = 64 * 1024 * 1024;
/** Item ids remembered for the reasoning-item rule; the oldest are forgotten beyond this. */
const MAX_REMEMBERED_ITEMS = 200_000;

/** `GET|DELETE /responses/{id}`, `GET /responses/{id}/input_items`, `POST /responses/{id}/cancel`. */
const RESPONSE_PATH = /\/responses\/([^/]+)(?:\/(input_items|cancel))?$/;
const CONVERSATION_PATH = /\/conversations(?:\/([^/]+))?$/;

const LatencySchema = z.object({
  agentMs: z.number().int().nonnegative().optional(),
  codexMs: z.number().int().nonnegative().optional(),
  codexCallMs: z.number().int().nonnegative().optional(),
});

export async function startScriptedModel(options: ScriptedModelOptions = {}): Promise<ScriptedModel> {
  const faults = new FaultBook();
  faults.set(options.faults ?? []);
  const stats = new StatsBook();
  let latency: Required<Latency> = { agentMs: 0, codexMs: 0, codexCallMs: 0, ...options.latency };
  /** Codex turns whose `omit-deliverable` fault fired: turn key -> the skipped path. */
  const omissions = new Map<string, string>();
  // The file a break-deliverable fault broke, per Codex turn: every request of that turn writes it the same way.
  const breakages = new Map<string, string>();
  // The command a `command` fault has the scripted Codex run before its check, per Codex turn.
  const commands = new Map<string, string>();
  // Codex turns whose `needs-approval` fault fired: their check command asks for escalation.
  const escalations = new Set<string>();
  /**
   * Output item id -> the reasoning item it was produced with (the API knows this of its own ids). Only answers of
   * reasoning models add to it, and ids are unique per response (nextNonce), so an item of a non-reasoning model's
   * answer is never taken for one that needs a reasoning item.
   */
  const dependsOn = new Map<string, string>();
  const nextNonce = responseNonces();
  const store = new ResponseStore();
  /** Background responses still running, so a cancel or close stops them. */
  const running = new Map<string, AbortController>();
  const log = options.log ?? (() => undefined);
  const newId = (prefix: string) => `${prefix}_${sha256(nextNonce()).slice(0, 32)}`;

  const server = http.createServer((req, res) => {
    res.setHeader(SCRIPTED_HEADER, 'true');
    route(req, res).catch((err: unknown) => {
      log(`[scripted] internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      if (!res.headersSent) sendJson(res, 500, errorBody(500, `Scripted model failed: ${String(err)}`));
      else res.destroy();
    });
  });

  async function route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path.startsWith('/_scripted/')) return control(req, res, path.slice('/_scripted/'.length));
    if (req.method === 'POST' && path.endsWith('/responses')) return responses(req, res);
    const stored = RESPONSE_PATH.exec(path);
    if (stored?.[1]) return storedResponse(req, res, decodeURIComponent(stored[1]), stored[2]);
    const conversation = CONVERSATION_PATH.exec(path);
    if (conversation) return conversations(req, res, conversation[1] && decodeURIComponent(conversation[1]));
    if (req.method === 'GET' && /\/models(\/[^/]+)?$/.test(path)) return models(req, res, path);
    if (req.method === 'GET' && (path === '/' || path === '/v1' || path === '/v1/')) {
      return sendJson(res, 200, { scripted: true, note: 'SCRIPTED model: plays a fixed script, not a real LLM' });
    }
    sendJson(res, 404, errorBody(404, `No route ${req.method ?? ''} ${path} on the scripted model`));
  }

  async function control(req: http.IncomingMessage, res: http.ServerResponse, what: string): Promise<void> {
    if (req.method === 'GET' && what === 'stats') return sendJson(res, 200, stats.snapshot());
    if (req.method === 'GET' && what === 'faults') return sendJson(res, 200, faults.list());
    if (req.method === 'GET' && what === 'latency') return sendJson(res, 200, latency);
    if (req.method !== 'POST') return sendJson(res, 405, errorBody(405, 'Use GET stats|faults|latency or POST'));
    const body = await readJson(req);
    if (what === 'reset') {
      stats.reset();
      return sendJson(res, 200, { ok: true });
    }
    const schema = what === 'faults' ? FaultRulesBodySchema : what === 'latency' ? LatencySchema : undefined;
    if (!schema) return sendJson(res, 404, errorBody(404, `Unknown control ${what}`));
    const parsed = schema.safeParse(body.ok ? body.value : undefined);
    if (!parsed.success) return sendJson(res, 400, errorBody(400, `Invalid ${what}: ${parsed.error.message}`));
    if (what === 'faults') {
      faults.set(parsed.data as FaultRule[]);
      return sendJson(res, 200, faults.list());
    }
    latency = { ...latency, ...(parsed.data as Latency) };
    sendJson(res, 200, latency);
  }

  /** `GET /v1/models[/{id}]`: the cheap authenticated call `npm run doctor` makes. */
  function models(req: http.IncomingMessage, res: http.ServerResponse, path: string): void {
    const refused = checkAuthorization(req.headers.authorization, options.apiKey);
    if (refused) return sendApiError(res, refused);
    const id = /\/models\/([^/]+)$/.exec(path)?.[1];
    if (id === undefined) {
      return sendJson(res, 200, { object: 'list', data: [...MODEL_CATALOG.values()].map(modelObject) });
    }
    const model = lookupModel(decodeURIComponent(id));
    if (!model) return sendApiError(res, modelNotFound(decodeURIComponent(id)));
    sendJson(res, 200, modelObject(model));
  }

  async function responses(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const raw = await readJson(req);
    const body: Record<string, unknown> = raw.ok && isRecord(raw.value) && !Array.isArray(raw.value) ? raw.value : {};
    const apiKey = bearerKey(req.headers.authorization);
    const ownInput = inputItems(body.input);
    // What the API prepends from storage: the previous response's chain, or the conversation so far.
    const stored = lookUpContext(body, apiKey);
    const context = 'status' in stored ? [] : stored.context;
    const input = [...context, ...ownInput];
    const caller = classify(req.headers, body, input);
    const codexTurn =
      caller.kind === 'codex' ? readCodexTurn(input, Array.isArray(body.tools) ? body.tools : []) : undefined;
    const turn = codexTurn
      ? codexTurn.step + 1
      : 1 + input.filter((i) => i.type === 'function_call' || isMessage(i, 'assistant')).length;
    const fp = fingerprint(caller, input);
    const stream = body.stream === true;
    const logEntry = (fired: string[]) => ({
      kind: caller.kind,
      role: caller.role ?? null,
      run: caller.run,
      model: typeof body.model === 'string' ? body.model : null,
      turn,
      thread: caller.thread ?? null,
      fingerprint: fp,
      stream,
      final: false,
      answer: null,
      responseId: null,
      faults: fired,
    });
    const notJson: ApiError | null = raw.ok
      ? isRecord(raw.value) && !Array.isArray(raw.value)
        ? null
        : invalidBody('The request body must be a JSON object.')
      : invalidBody(raw.error);
    const refused = checkAuthorization(req.headers.authorization, options.apiKey) ?? notJson;
    const checked = refused ?? ('status' in stored ? stored : null) ?? checkRequest(body, ownInput, dependsOn, context);
    if ('status' in checked) {
      const rejected = stats.start(logEntry([]));
      sendApiError(res, checked);
      stats.finish(rejected, checked.status, false);
      return logLine(rejected, `refused ${checked.status}: ${checked.message}`);
    }
    const decision = faults.decide({ kind: caller.kind, role: caller.role, run: caller.run, turn });
    const entry = stats.start(logEntry(decision.fired));
    const nonce = nextNonce();
    const build = (drafts: Draft[]) =>
      buildResponse({
        seed: fp,
        nonce,
        model: checked.model.id,
        drafts,
        request: body,
        createdAt: Date.now(),
        reasoning: checked.effort ? { effort: checked.effort, includeEncrypted: checked.includeEncrypted } : undefined,
      });
    const previous = 'status' in stored ? undefined : stored.previous;
    const conversation = 'status' in stored ? undefined : stored.conversation;
    const keep = (response: ResponseObject): StoredResponse | undefined => {
      if (body.store === false) return undefined;
      const kept = { response, input: storedInputItems(ownInput, newId), previous };
      store.putResponse(apiKey, kept);
      return kept;
    };
    const base =
      caller.kind === 'agent' ? latency.agentMs : latency.codexMs + (codexTurn?.step === 0 ? latency.codexCallMs : 0);
    const delay = base + decision.extraLatencyMs;

    if (body.background === true && !stream) {
      // Background: answered at once as queued, then run; the client polls GET /responses/{id} for the result.
      const queued: ResponseObject = { ...build([]), status: 'queued', output: [], usage: null };
      const kept = keep(queued);
      sendJson(res, 200, queued);
      entry.responseId = queued.id;
      stats.finish(entry, 200, true);
      logLine(entry, 'queued (background)');
      const cancel = new AbortController();
      running.set(queued.id, cancel);
      const run = async () => {
        if (kept) kept.response = { ...queued, status: 'in_progress' };
        await sleep(delay, cancel.signal);
        if (cancel.signal.aborted || decision.failure === 'hang') return;
        const failure = decision.failure;
        if (typeof failure === 'object' && kept) {
          const message = failure.message ?? `Scripted fault: HTTP ${failure.status}`;
          kept.response = { ...queued, status: 'failed', error: { code: 'server_error', message } };
          return;
        }
        const { drafts } = script(caller, body, input, codexTurn, decision, turn);
        const response = build(drafts);
        padResponse(response, decision.pad);
        remember(response);
        if (kept) kept.response = response;
        if (conversation) conversation.items.push(...(kept?.input ?? []), ...response.output);
      };
      run()
        .catch((err: unknown) => log(`[scripted] background ${queued.id} failed: ${String(err)}`))
        .finally(() => running.delete(queued.id));
      return;
    }

    // A client that gives up (timeout, abort) ends the wait; the entry records status 0.
    const gone = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) gone.abort();
      if (entry.durationMs === null) stats.finish(entry, res.writableFinished ? res.statusCode : 0, false);
    });
    await sleep(delay, gone.signal);
    if (gone.signal.aborted) return logLine(entry, 'client went away');

    const failure = decision.failure;
    if (failure === 'hang') {
      logLine(entry, 'hang (fault)');
      return; // never answer: the 'close' handler records the client giving up
    }
    if (typeof failure === 'object') {
      const headers: Record<string, string> = {};
      if (failure.retryAfterSeconds !== undefined) headers['retry-after'] = String(failure.retryAfterSeconds);
      const message = failure.message ?? `Scripted fault: HTTP ${failure.status}`;
      sendJson(res, failure.status, errorBody(failure.status, message), headers);
      stats.finish(entry, failure.status, false);
      return logLine(entry, `fault status ${failure.status}`);
    }

    const { drafts, final, label } = script(caller, body, input, codexTurn, decision, turn);
    const response = build(drafts);
    padResponse(response, decision.pad);
    remember(response);
    const kept = keep(response);
    if (conversation)
      conversation.items.push(...(kept?.input ?? storedInputItems(ownInput, newId)), ...response.output);
    entry.answer = label;
    entry.final = final;
    entry.responseId = response.id;
    const broken = failure === 'broken-stream';
    if (stream) await sendStream(res, response, broken);
    else await sendResponseJson(res, response, broken);
    stats.finish(entry, 200, !broken);
    logLine(entry, broken ? `${label} (broken stream fault)` : label);
  }

  type Context =
    { context: Item[]; previous?: StoredResponse; conversation?: Conversation } | (ApiError & { status: number });

  /**
   * The stored context a request continues: `previous_response_id` (400 previous_response_not_found when unknown to
   * this key or never stored, as bifrost#2441 quotes the API) or `conversation` (404 when unknown). Both together are
   * refused by checkRequest, so neither is looked up then.
   */
  function lookUpContext(body: Record<string, unknown>, apiKey: string): Context {
    const previousId = body.previous_response_id;
    const conv = body.conversation;
    if (previousId != null && conv != null) return { context: [] };
    if (typeof previousId === 'string') {
      const previous = store.getResponse(apiKey, previousId);
      if (!previous) {
        return {
          status: 400,
          message: `Previous response with id '${previousId}' not found.`,
          type: 'invalid_request_error',
          param: 'previous_response_id',
          code: 'previous_response_not_found',
        };
      }
      return { context: chainContext(previous), previous };
    }
    const convId = typeof conv === 'string' ? conv : isRecord(conv) && typeof conv.id === 'string' ? conv.id : null;
    if (convId !== null) {
      const conversation = store.getConversation(apiKey, convId);
      if (!conversation) return conversationNotFound(convId);
      return { context: [...conversation.items], conversation };
    }
    return { context: [] };
  }

  /** `GET|DELETE /responses/{id}`, `GET /responses/{id}/input_items`, `POST /responses/{id}/cancel`. */
  function storedResponse(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    id: string,
    sub: string | undefined,
  ): void {
    const refused = checkAuthorization(req.headers.authorization, options.apiKey);
    if (refused) return sendApiError(res, refused);
    const apiKey = bearerKey(req.headers.authorization);
    const kept = store.getResponse(apiKey, id);
    const method = req.method ?? 'GET';
    const allowed = sub === 'cancel' ? method === 'POST' : sub ? method === 'GET' : ['GET', 'DELETE'].includes(method);
    if (!allowed)
      return sendJson(res, 404, errorBody(404, `No route ${method} ${req.url ?? ''} on the scripted model`));
    if (!kept) return sendApiError(res, responseNotFound(id));
    if (sub === 'input_items') return sendJson(res, 200, inputItemsPage(kept.input, req.url ?? ''));
    if (sub === 'cancel') {
      if (!kept.response.background) return sendApiError(res, invalidBody('Cannot cancel a synchronous response.'));
      if (kept.response.status === 'queued' || kept.response.status === 'in_progress') {
        running.get(id)?.abort();
        kept.response = { ...kept.response, status: 'cancelled' };
      }
      return sendJson(res, 200, kept.response);
    }
    if (method === 'DELETE') {
      store.deleteResponse(apiKey, id);
      return sendJson(res, 200, { id, object: 'response', deleted: true });
    }
    sendJson(res, 200, kept.response);
  }

  /** `POST /conversations` (items, metadata), `GET|DELETE /conversations/{id}`: what `conversation` needs. */
  async function conversations(req: http.IncomingMessage, res: http.ServerResponse, id: string | undefined) {
    const refused = checkAuthorization(req.headers.authorization, options.apiKey);
    if (refused) return sendApiError(res, refused);
    const apiKey = bearerKey(req.headers.authorization);
    const method = req.method ?? 'GET';
    if (id === undefined) {
      if (method !== 'POST') return sendJson(res, 404, errorBody(404, `No route ${method} /conversations`));
      const raw = await readJson(req);
      const body = raw.ok && isRecord(raw.value) ? raw.value : {};
      const items = Array.isArray(body.items) ? body.items.filter(isRecord) : [];
      const c: Conversation = {
        id: newId('conv'),
        object: 'conversation',
        created_at: Math.floor(Date.now() / 1000),
        metadata: isRecord(body.metadata) ? body.metadata : {},
        items: storedInputItems(items, newId),
      };
      store.putConversation(apiKey, c);
      return sendJson(res, 200, conversationObject(c));
    }
    const c = store.getConversation(apiKey, id);
    if (!c) return sendApiError(res, conversationNotFound(id));
    if (method === 'DELETE') {
      store.deleteConversation(apiKey, id);
      return sendJson(res, 200, { id, object: 'conversation.deleted', deleted: true });
    }
    sendJson(res, 200, conversationObject(c));
  }

  function script(
    caller: Caller,
    body: Record<string, unknown>,
    input: Item[],
    codexTurn: ReturnType<typeof readCodexTurn> | undefined,
    decision: FaultDecision,
    turn: number,
  ): { drafts: Draft[]; final: boolean; label: string } {
    if (codexTurn) {
      const key = `${caller.thread ?? caller.run}|${sha256(codexTurn.prompt)}`;
      const skip = decision.omitDeliverable && codexTurn.step === 0 ? omittableFile(codexTurn) : undefined;
      if (skip) omissions.set(key, skip);
      const omitted = omissions.get(key);
      const toBreak = decision.breakDeliverable && codexTurn.step === 0 ? breakableFile(codexTurn) : undefined;
      if (toBreak) breakages.set(key, toBreak);
      const broken = breakages.get(key);
      if (decision.command && codexTurn.step === 0) commands.set(key, decision.command);
      if (decision.needsApproval && codexTurn.step === 0) escalations.add(key);
      const action = codexScript(
        codexTurn,
        new Set(omitted ? [omitted] : []),
        new Set(broken ? [broken] : []),
        commands.get(key),
        escalations.has(key),
      );
      const shaped = shapeAnswer([action.draft], body, projectOf(input));
      if (shaped.length === 1 && shaped[0] === action.draft) return { ...action, drafts: shaped };
      return { drafts: shaped, final: shaped.every(isFinal), label: labelOf(shaped) };
    }
    const toolList = Array.isArray(body.tools) ? body.tools.filter(isRecord) : [];
    const tools = toolList.map((t) => (typeof t.name === 'string' ? t.name : '')).filter((n) => n !== '');
    const request = { role: caller.role, input, tools };
    const scripted: Draft[] = caller.dialect === 'brief' ? agentScript(request) : handoffScript(request);
    // A padded role (the long-role bench) keeps talking to Codex until its turn (padding.ts).
    const talking = keepTalking(scripted, input, turn, decision.pad);
    // An agent offered web search (the Designer) searches once before its first call, as a real model may.
    const searches = toolList.some((t) => typeof t.type === 'string' && t.type.startsWith('web_search'));
    if (searches && !input.some((i) => i.type === 'web_search_call') && talking.some((d) => d.type !== 'message')) {
      talking.unshift({ type: 'web_search_call', query: `${caller.role ?? 'design'} reference patterns` });
    }
    // tool_choice and text.format shape the answer as the real API's (answer-format.ts).
    const drafts = shapeAnswer(talking, body, projectOf(input));
    return { drafts, final: drafts.every(isFinal), label: labelOf(drafts) };
  }

  function remember(r: ResponseObject): void {
    const reasoning = r.output.find((i) => i.type === 'reasoning');
    if (!reasoning) return;
    for (const item of r.output) if (item !== reasoning) dependsOn.set(item.id, reasoning.id);
    for (const oldest of dependsOn.keys()) {
      if (dependsOn.size <= MAX_REMEMBERED_ITEMS) break;
      dependsOn.delete(oldest);
    }
  }

  function logLine(e: RequestLogEntry, what: string): void {
    const faultsNote = e.faults.length > 0 ? ` faults=[${e.faults.join(', ')}]` : '';
    log(`[scripted] #${e.seq} ${e.kind} ${e.role ?? '?'} run=${e.run} turn=${e.turn} -> ${what}${faultsNote}`);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    baseUrl: `http://${host}:${address.port}/v1`,
    port: address.port,
    setFaults: (rules) => faults.set(z.array(FaultRuleSchema).parse(rules)),
    faults: () => faults.list(),
    setLatency: (l) => {
      latency = { ...latency, ...LatencySchema.parse(l) };
    },
    stats: () => stats.snapshot(),
    resetStats: () => stats.reset(),
    close: () =>
      new Promise<void>((resolve) => {
        for (const cancel of running.values()) cancel.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The key a request was made with: stored responses and conversations belong to it. */
function bearerKey(header: string | undefined): string {
  return /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1] ?? '';
}

/** The request's own input as items: a string is one user message; anything else malformed is checkRequest's. */
function inputItems(input: unknown): Item[] {
  if (typeof input === 'string') return [{ type: 'message', role: 'user', content: input }];
  return Array.isArray(input) ? input.filter((i): i is Item => isRecord(i) && !Array.isArray(i)) : [];
}

const invalidBody = (message: string): ApiError => ({
  status: 400,
  message,
  type: 'invalid_request_error',
  param: null,
  code: null,
});

const responseNotFound = (id: string): ApiError => ({
  status: 404,
  message: `Response with id '${id}' not found.`,
  type: 'invalid_request_error',
  param: null,
  code: null,
});

const conversationNotFound = (id: string): ApiError => ({
  status: 404,
  message: `Conversation with id '${id}' not found.`,
  type: 'invalid_request_error',
  param: 'conversation',
  code: null,
});

function conversationObject(c: Conversation): Record<string, unknown> {
  return { id: c.id, object: c.object, created_at: c.created_at, metadata: c.metadata };
}

/** A page of input items: `order` desc by default, `limit` 1..100 (default 20), after/before an item id. */
function inputItemsPage(items: readonly OutputItem[], url: string): Record<string, unknown> {
  const q = new URL(url, 'http://localhost').searchParams;
  const ordered = q.get('order') === 'asc' ? [...items] : [...items].reverse();
  const limit = Math.min(100, Math.max(1, Number(q.get('limit') ?? 20) || 20));
  const after = q.get('after');
  const before = q.get('before');
  let from = 0;
  let to = ordered.length;
  if (after) from = ordered.findIndex((i) => i.id === after) + 1;
  if (before)
    to = Math.max(
      0,
      ordered.findIndex((i) => i.id === before),
    );
  const data = ordered.slice(from, to).slice(0, limit);
  return {
    object: 'list',
    data,
    first_id: data[0]?.id ?? null,
    last_id: data[data.length - 1]?.id ?? null,
    has_more: from + data.length < to,
  };
}

function sendApiError(res: http.ServerResponse, e: ApiError): void {
  sendJson(res, e.status, { error: { message: e.message, type: e.type, param: e.param, code: e.code } });
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** A JSON answer; `broken` sends half the body and cuts the connection. */
function sendResponseJson(res: http.ServerResponse, r: ResponseObject, broken: boolean): Promise<void> {
  if (!broken) {
    sendJson(res, 200, r);
    return Promise.resolve();
  }
  const text = Buffer.from(JSON.stringify(r));
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': text.length });
  return new Promise((resolve) => res.write(text.subarray(0, text.length >> 1), () => (res.destroy(), resolve())));
}

/** An SSE answer; `broken` stops before `response.completed` and cuts the connection. */
function sendStream(res: http.ServerResponse, r: ResponseObject, broken: boolean): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const frames = streamEvents(r, !broken).map(sseFrame).join('');
  return new Promise((resolve) => {
    if (!broken) return res.end(frames, () => resolve());
    res.write(frames, () => (res.destroy(), resolve()));
  });
}

type ReadResult = { ok: true; value: unknown } | { ok: false; error: string };

async function readJson(req: http.IncomingMessage): Promise<ReadResult> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return { ok: false, error: 'Request body too large' };
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    // The API's own words for a body that is not JSON.
    return {
      ok: false,
      error:
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP " +
        'library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)',
    };
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

const isFinal = (d: Draft): boolean => d.type !== 'function_call' && d.type !== 'custom_tool_call';

const labelOf = (drafts: readonly Draft[]): string =>
  drafts.map((d) => (d.type === 'message' || d.type === 'web_search_call' ? d.type : `${d.type} ${d.name}`)).join(', ');

/** The project's name from the first user message: structured answers and forced calls name it. */
function projectOf(input: readonly Item[]): string {
  const first = input.find((i) => isMessage(i, 'user'));
  return projectName(first ? messageText(first) : '');
}

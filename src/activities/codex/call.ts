/**
 * The Codex call activity: one `codex` or `codex-reply` call on the worker's shared Codex transport.
 * Temporal owns retries (Codex's own are 0); the call heartbeats while Codex works, answers approval requests
 * by a workspace policy (or asks people, `on-request`), and continues a thread lost with an earlier Codex process in a new thread.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import type { Logger } from '@temporalio/common';
import { z } from 'zod';
import type { Settings } from '../../config/settings';
import { ConfigError, CodexThreadLostError, TransientServiceError } from '../../shared/errors';
import { RoleIdSchema } from '../../shared/team';
import type { CodexCallInput, CodexCallOutput, SandboxMode } from '../../shared/types';
import { settingsStore, type ConversationStore } from '../conversation-store';
import { stoppedActivityError, toApplicationFailure } from '../failures';
import { classifyCodexError, classifyTransportError } from './errors';
import { publishCodexEvent } from './live-events';
import { CallTracker } from './progress';
import { reapWorkspaceProcesses } from './reap';
import { approvalPolicy } from './approvals';
import { askPeople } from './ask-people';
import type { CodexProgress } from './progress';
import { createCodexTransport } from './create-transport';
import { storedThreadPrompts } from './thread-history';
import type { CodexServer } from './mcp/server';
import { McpTransport } from './mcp/transport';
import type { CodexToolRequest, CodexTransport } from './transport';

export interface CodexActivityDeps {
  settings: Settings;
  /** The worker's shared Codex transport; created lazily from the settings when omitted. */
  transport?: CodexTransport;
  /** An mcp-server to use as the transport (tests). */
  server?: CodexServer;
  /** Logger for the Codex process (stderr, restarts) when the server is created here. */
  logger?: Logger;
  /** Minimum gap between heartbeats. */
  heartbeatEveryMs?: number;
  /** Where a lost thread's earlier prompts are read (tests); the default is the store the settings name. */
  store?: ConversationStore;
  /**
   * Who answers Codex's approval requests (`on-request`): `people` (the default) through the run's workflow
   * (./ask-people.ts), or `workspace`, the workspace policy of ./approvals.ts (activity tests without a workflow).
   */
  approvals?: 'people' | 'workspace';
}

export const CodexCallInputSchema = z
  .object({
    runId: z.string().min(1),
    role: RoleIdSchema,
    label: z.string().min(1),
    tool: z.enum(['codex', 'codex-reply']),
    prompt: z.string().min(1),
    threadId: z.string().min(1).optional(),
    cwd: z.string().refine((p) => path.isAbsolute(p), 'must be an absolute path'),
    approvalPolicy: z.enum(['never', 'on-request', 'untrusted']),
    sandbox: z.enum(['read-only', 'workspace-write', 'danger-full-access']),
    threadHistory: z.array(z.string()).optional(),
    conversation: z.object({ head: z.string().regex(/^[0-9a-f]{64}$/) }).optional(),
    baseInstructions: z.string().min(1).optional(),
    developerInstructions: z.string().min(1).optional(),
    model: z.string().min(1).optional(),
    config: z.record(z.string(), z.unknown()).optional(),
    profile: z.string().min(1).optional(),
  })
  .refine((i) => i.tool !== 'codex-reply' || i.threadId !== undefined, {
    message: 'codex-reply needs a threadId',
    path: ['threadId'],
  });

/** Header names the scripted model (and any proxy) can route and count on. */
export const CODEX_HEADERS = { kind: 'x-dca-kind', role: 'x-dca-role', run: 'x-dca-run' } as const;
export const CODEX_PROVIDER_ID = 'durable';
const OPENAI_BASE_URL = 'https://api.openai.com/v1';

export function createCodexActivities(deps: CodexActivityDeps) {
  const { settings } = deps;
  let transport = deps.transport ?? (deps.server && new McpTransport(deps.server));
  const getTransport = () => (transport ??= createCodexTransport(settings, deps.logger));
  let conversations = deps.store;
  const store = () => (conversations ??= settingsStore(settings));

  return {
    /** Runs one Codex tool call; failures leave as `ApplicationFailure`s typed by the error class. */
    async codexCall(input: CodexCallInput): Promise<CodexCallOutput> {
      try {
        return await runCodexCall(
          input,
          settings,
          getTransport(),
          store,
          deps.heartbeatEveryMs ?? 1_000,
          deps.approvals,
        );
      } catch (err) {
        throw toApplicationFailure(err);
      }
    },
  };
}

async function runCodexCall(
  raw: CodexCallInput,
  settings: Settings,
  server: CodexTransport,
  store: () => ConversationStore,
  heartbeatEveryMs: number,
  approvals: CodexActivityDeps['approvals'] = 'people',
): Promise<CodexCallOutput> {
  const ctx = Context.current();
  const log = ctx.log;
  const started = Date.now();
  const input = parseInput(raw);
  const sandbox = effectiveSandbox(input.sandbox, settings, (from, to) =>
    log.warn('Codex sandbox downgraded', { label: input.label, requested: from, used: to }),
  );
  log.info('Codex call started', {
    label: input.label,
    role: input.role,
    tool: input.tool,
    threadId: input.threadId,
    sandbox,
    approvalPolicy: input.approvalPolicy,
    attempt: ctx.info.attempt,
    transport: server.name,
  });

  // An endpoint may echo the key in an error body; nothing Codex returns reaches logs or history with it.
  const apiKey = settings.model.apiKey;
  const redact = (text: string) => (apiKey ? text.split(apiKey).join('[redacted]') : text);
  const tracker = new CallTracker(
    input.label,
    input.cwd,
    (details) => ctx.heartbeat(details),
    heartbeatEveryMs,
    server.name,
  );
  // on-request: people answer (./ask-people.ts). The call timeout counts Codex's work only: it pauses while an
  // approval waits for a person, and the transport's own timeout is the activity's (which allows for the waits).
  const byPeople = input.approvalPolicy !== 'never' && approvals === 'people';
  let deadline: WorkDeadline | undefined;
  const policy = byPeople
    ? askPeople(ctx, input, { onWaiting: (waiting) => (waiting ? deadline?.pause() : deadline?.resume()) })
    : approvalPolicy(input.cwd, (decision) => log.info('Codex approval answered', { label: input.label, ...decision }));
  const callTimeoutMs = settings.codex.callTimeoutMs;
  const workflowId = ctx.info.workflowExecution?.workflowId ?? input.runId;
  const call = async (request: CodexToolRequest) => {
    tracker.beginCall(request.name === 'codex-reply' ? input.threadId : undefined);
    deadline = byPeople ? new WorkDeadline(callTimeoutMs) : undefined;
    try {
      const result = await server.call(
        request,
        {
          onEvent: (event) => {
            tracker.onEvent(event);
            publishCodexEvent({ workflowId, activityId: ctx.info.activityId, label: input.label, event });
          },
          onElicitation: policy,
        },
        deadline
          ? {
              timeoutMs: Math.max(callTimeoutMs, ctx.info.startToCloseTimeoutMs),
              signal: AbortSignal.any([ctx.cancellationSignal, deadline.signal]),
            }
          : { timeoutMs: callTimeoutMs, signal: ctx.cancellationSignal },
      );
      return { ...result, text: redact(result.text), threadId: result.threadId ?? tracker.threadId };
    } catch (err) {
      if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
      throw classifyTransportError(err, {
        timeoutMs: callTimeoutMs,
        pid: server.lastPid,
        stderr: server.stderrTail(),
      });
    } finally {
      deadline?.stop();
    }
  };

  try {
    let continuedFromThreadId: string | undefined;
    // app-server: a retried attempt whose first attempt had started a thread resumes that thread.
    const previous =
      ctx.info.attempt > 1 ? (ctx.info.heartbeatDetails as Partial<CodexProgress> | undefined) : undefined;
    const resumeThreadId = server.name === 'app-server' && input.tool === 'codex' ? previous?.threadId : undefined;
    const first = resumeThreadId ? { ...input, tool: 'codex-reply' as const, threadId: resumeThreadId } : input;
    if (resumeThreadId) log.info('Codex call resumes its thread', { label: input.label, threadId: resumeThreadId });
    let result = await call(toolRequest(first, input.prompt, sandbox, settings, server.name)).catch(
      async (err: unknown) => {
        // No rollout anywhere (the crash came before Codex wrote one): the attempt starts a new thread.
        if (!resumeThreadId || !/not found|no rollout|does not exist|unknown thread/i.test(String(err))) throw err;
        log.warn('Codex thread could not be resumed; starting a new one', {
          label: input.label,
          threadId: resumeThreadId,
        });
        return call(toolRequest(input, input.prompt, sandbox, settings, server.name));
      },
    );
    if (result.isError) {
      const error = classifyCodexError(result.text, result.threadId);
      if (!(error instanceof CodexThreadLostError && input.tool === 'codex-reply' && input.threadId)) throw error;
      log.warn('Codex thread lost; continuing in a new thread', { label: input.label, lostThreadId: input.threadId });
      continuedFromThreadId = input.threadId;
      const history =
        input.threadHistory ??
        (input.conversation ? await storedThreadPrompts(store(), input.conversation.head, input.threadId) : []);
      const prompt = continuationPrompt(input.threadId, history, input.prompt);
      result = await call(toolRequest({ ...input, tool: 'codex' }, prompt, sandbox, settings, server.name));
      if (result.isError) throw classifyCodexError(result.text, result.threadId);
    }
    if (!result.threadId) throw classifyCodexError('Codex returned no threadId');
    const output: CodexCallOutput = {
      threadId: result.threadId,
      content: result.text,
      continuedFromThreadId,
      transport: server.name,
      ...(result.resumed && { resumedThread: true }),
      usage: tracker.usage(),
      filesChanged: tracker.files(),
      commandsRun: tracker.commands,
      events: tracker.events,
      durationMs: Date.now() - started,
    };
    log.info('Codex call finished', {
      label: input.label,
      threadId: output.threadId,
      continuedFromThreadId,
      transport: output.transport,
      resumedThread: output.resumedThread,
      durationMs: output.durationMs,
      filesChanged: output.filesChanged,
      commandsRun: output.commandsRun,
      tokens: output.usage.total,
      events: output.events,
    });
    return output;
  } catch (err) {
    if (ctx.cancellationSignal.aborted) {
      // The turn is interrupted (the transport told Codex); what it ran in the workspace must go with it.
      const killed = await reapWorkspaceProcesses(server.pid ?? server.lastPid, input.cwd);
      log.info('Codex call cancelled', {
        label: input.label,
        reason: String(ctx.cancellationSignal.reason),
        durationMs: Date.now() - started,
        killed: killed.map((p) => `${p.pid} ${p.command.slice(0, 120)}`),
      });
      throw stoppedActivityError(ctx, `Codex call ${input.label}`);
    }
    log.warn('Codex call failed', {
      label: input.label,
      durationMs: Date.now() - started,
      error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
    });
    throw err;
  } finally {
    tracker.stop();
  }
}

/** The Codex call timeout, paused while approvals wait for a person (several may wait at once). */
export class WorkDeadline {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private leftMs: number;
  private since = 0;
  private waiting = 0;

  constructor(private readonly timeoutMs: number) {
    this.leftMs = timeoutMs;
    this.arm();
  }
  get signal(): AbortSignal {
    return this.controller.signal;
  }
  pause(): void {
    if (this.waiting++ > 0 || this.controller.signal.aborted) return;
    clearTimeout(this.timer);
    this.leftMs -= Date.now() - this.since;
  }
  resume(): void {
    if (this.waiting === 0 || --this.waiting > 0) return;
    this.arm();
  }
  stop(): void {
    clearTimeout(this.timer);
  }
  private arm(): void {
    if (this.controller.signal.aborted) return;
    this.since = Date.now();
    const reason = new TransientServiceError(
      `The Codex call timed out after ${Math.round(this.timeoutMs / 1000)} s of work (waits for approvals not counted)`,
    );
    this.timer = setTimeout(() => this.controller.abort(reason), Math.max(0, this.leftMs));
  }
}

function parseInput(raw: CodexCallInput): CodexCallInput {
  const parsed = CodexCallInputSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`Invalid Codex call input: ${issues}`);
  }
  if (!fs.existsSync(parsed.data.cwd)) {
    throw new ConfigError(`Codex workspace ${parsed.data.cwd} does not exist on this worker`);
  }
  return parsed.data;
}

/**
 * `danger-full-access` only when the worker allows it; otherwise the call is downgraded to `workspace-write`
 * (not rejected): the request comes from a model, and the pipeline's work fits the workspace sandbox.
 */
export function effectiveSandbox(
  requested: SandboxMode,
  settings: Settings,
  onDowngrade?: (from: SandboxMode, to: SandboxMode) => void,
): SandboxMode {
  if (requested !== 'danger-full-access' || settings.codex.allowDangerFullAccess) return requested;
  onDowngrade?.(requested, 'workspace-write');
  return 'workspace-write';
}

/** The per-call Codex config: provider from the model settings, no secret (env_key only names the variable). */
export function codexConfig(input: Pick<CodexCallInput, 'role' | 'runId'>, sandbox: SandboxMode, settings: Settings) {
  const config: Record<string, unknown> = {
    model_provider: CODEX_PROVIDER_ID,
    model_providers: {
      [CODEX_PROVIDER_ID]: {
        // Only a label: Codex shows the provider name in its logs and errors, which should say what answered.
        name: settings.model.scripted ? 'durable-codex-agents (scripted model)' : 'durable-codex-agents',
        base_url: settings.model.baseUrl ?? OPENAI_BASE_URL,
        wire_api: 'responses',
        // Temporal owns retries: one Codex retry loop (about 30 requests for one 500) would hide inside a call.
        request_max_retries: 0,
        stream_max_retries: 0,
        // The scripted model, like the real API, refuses a request without a key: Codex always sends one.
        env_key: 'OPENAI_API_KEY',
        http_headers: {
          [CODEX_HEADERS.kind]: 'codex',
          [CODEX_HEADERS.role]: input.role,
          [CODEX_HEADERS.run]: input.runId,
        },
      },
    },
    // The key is in Codex's environment (for env_key); the commands Codex runs must not see it: their output goes
    // to the model and into CODEX_HOME/sessions. Codex's shell snapshot (a file in CODEX_HOME/shell_snapshots that
    // every command sources) would record it and export it again, so it is off.
    shell_environment_policy: { ignore_default_excludes: false, exclude: ['OPENAI_API_KEY'] },
    features: { shell_snapshot: false },
  };
  // Keeps /tmp out of the writable roots (the workspace itself stays writable wherever it is).
  if (sandbox === 'workspace-write') config.sandbox_workspace_write = { exclude_slash_tmp: true };
  return config;
}

/** The worker's config with the caller's overrides (and profile) merged over it, objects key by key. */
function callConfig(input: CodexCallInput, sandbox: SandboxMode, settings: Settings): Record<string, unknown> {
  const merged = mergeConfig(codexConfig(input, sandbox, settings), input.config ?? {});
  if (input.profile) merged.profile = input.profile;
  return merged;
}

export function mergeConfig(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prev = out[key];
    out[key] = isPlainObject(prev) && isPlainObject(value) ? mergeConfig(prev, value) : value;
  }
  return out;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function toolRequest(
  input: CodexCallInput,
  prompt: string,
  sandbox: SandboxMode,
  settings: Settings,
  transport: CodexTransport['name'],
): CodexToolRequest {
  // mcp-server refuses extra fields; app-server may have to resume the thread, with its settings.
  if (input.tool === 'codex-reply' && transport === 'mcp') {
    return { name: 'codex-reply', arguments: { prompt, threadId: input.threadId } };
  }
  const args: Record<string, unknown> = {
    prompt,
    'approval-policy': input.approvalPolicy,
    sandbox,
    cwd: input.cwd,
    config: callConfig(input, sandbox, settings),
  };
  const model = input.model ?? settings.codex.model;
  if (model) args.model = model;
  if (input.baseInstructions) args['base-instructions'] = input.baseInstructions;
  if (input.developerInstructions) args['developer-instructions'] = input.developerInstructions;
  if (input.tool === 'codex-reply') args.threadId = input.threadId;
  return { name: input.tool, arguments: args };
}

const HISTORY_PROMPT_MAX = 20_000;
const HISTORY_TOTAL_MAX = 60_000;

/** The prompt of the new thread that continues a lost one: what was asked before, then the new request. */
export function continuationPrompt(lostThreadId: string, history: string[], prompt: string): string {
  const kept: string[] = [];
  let total = 0;
  for (let i = history.length - 1; i >= 0; i--) {
    const p = history[i] ?? '';
    const text = p.length > HISTORY_PROMPT_MAX ? `${p.slice(0, HISTORY_PROMPT_MAX)}\n[... truncated]` : p;
    if (total + text.length > HISTORY_TOTAL_MAX) break;
    kept.unshift(text);
    total += text.length;
  }
  const omitted = history.length - kept.length;
  const lines = [
    `This continues an earlier Codex session (thread ${lostThreadId}) that was lost when its Codex process stopped.`,
    'The workspace may already contain partial work from that session: inspect the existing files before writing,',
    'and update or complete them rather than starting over.',
    '',
  ];
  if (history.length === 0) {
    lines.push('The prompts of the earlier session were not recorded.');
  } else {
    lines.push(
      `Prompts already sent in that session, oldest first${omitted ? ` (${omitted} older ones omitted)` : ''}:`,
    );
    kept.forEach((p, i) => lines.push('', `--- earlier prompt ${omitted + i + 1} ---`, p));
  }
  lines.push('', '--- new request ---', prompt);
  return lines.join('\n');
}

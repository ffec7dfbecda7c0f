/**
 * Worker-side settings, read once from the environment at the entrypoints and validated.
 * Workflows never read these; activities get them through `createActivities(deps)`.
 */
import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../shared/errors';

export const DEFAULT_TASK_QUEUE = 'durable-codex-agents';
export const DEFAULT_AGENT_MODEL = 'gpt-5';

export interface ModelSettings {
  /**
   * OPENAI_API_KEY, or SCRIPTED_MODEL_KEY for the scripted model (which, like the real API, refuses requests
   * without a key). A real key is never logged and never put in a payload.
   */
  apiKey: string;
  /** Responses endpoint base, e.g. https://api.openai.com/v1 or the scripted model's http://127.0.0.1:P/v1. */
  baseUrl?: string;
  /** True when no OPENAI_API_KEY was given and the worker uses the scripted model it was handed. */
  scripted: boolean;
  defaultModel: string;
  requestTimeoutMs: number;
}

export type CodexTransportName = 'mcp' | 'app-server';

export interface CodexSettings {
  /** How the worker talks to Codex: `codex mcp-server` (0.153.4, the seed's) or `codex app-server` (0.171.0). */
  transport: CodexTransportName;
  /** The `codex` binary of the chosen transport's pinned package. */
  command: string;
  /** Model slug Codex uses; must be one Codex knows (an unknown slug drops apply_patch). */
  model?: string;
  /** CODEX_HOME for the server process; sessions and logs go there. */
  home?: string;
  /** Upper bound on one Codex tool call. */
  callTimeoutMs: number;
  /** Only when the user explicitly asks (CODEX_ALLOW_DANGER_FULL_ACCESS=1). */
  allowDangerFullAccess: boolean;
}

export interface Settings {
  taskQueue: string;
  workspaceRoot: string;
  /** Git remote of the run workspaces (WORKSPACE_REMOTE); default a bare repository under the workspace root. */
  workspaceRemote?: string;
  /** Directory of the conversation store (CONVERSATION_STORE); default beside a local WORKSPACE_REMOTE. */
  conversationStore?: string;
  /** This worker's host identity (WORKER_HOST_ID); default derived from the hostname and the workspace root. */
  hostId?: string;
  model: ModelSettings;
  codex: CodexSettings;
  /** How verification commands run: in Linux namespaces (./activities/verify-sandbox.ts, the default), or `none`. */
  verifySandbox?: 'namespaces' | 'none';
}

const EnvSchema = z.object({
  OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_BASE_URL: z.url().optional(),
  AGENT_MODEL: z.string().min(1).optional(),
  MODEL_TIMEOUT_MS: z.coerce.number().int().positive().optional(),
  CODEX_MODEL: z.string().min(1).optional(),
  CODEX_TRANSPORT: z.enum(['mcp', 'app-server']).optional(),
  CODEX_HOME: z.string().min(1).optional(),
  CODEX_CALL_TIMEOUT_MS: z.coerce.number().int().positive().optional(),
  CODEX_ALLOW_DANGER_FULL_ACCESS: z.enum(['0', '1', 'true', 'false']).optional(),
  TASK_QUEUE: z.string().min(1).optional(),
  WORKSPACE_ROOT: z.string().min(1).optional(),
  WORKSPACE_REMOTE: z.string().min(1).optional(),
  CONVERSATION_STORE: z.string().min(1).optional(),
  WORKER_HOST_ID: z
    .string()
    .regex(/^[\w.-]+$/, 'letters, digits, . _ - only')
    .optional(),
  VERIFY_SANDBOX: z.enum(['namespaces', 'none']).optional(),
});
export type Env = z.infer<typeof EnvSchema>;

/** The key sent to the scripted model: not a secret, and visibly not a real key. */
export const SCRIPTED_MODEL_KEY = 'sk-scripted-model-not-a-real-key';

/** The model slug used with the scripted model; Codex knows it offline, so it keeps its apply_patch tool. */
export const SCRIPTED_MODEL_SLUG = 'gpt-5.2-codex';
/** Codex 0.171 (app-server) no longer knows gpt-5.2-codex (no apply_patch for it); gpt-5.5 is in its catalogue. */
export const SCRIPTED_APP_SERVER_MODEL_SLUG = 'gpt-5.5';

/** The npm package (an alias for app-server) that pins each transport's Codex version. */
export const CODEX_PACKAGES: Record<CodexTransportName, string> = {
  mcp: '@openai/codex',
  'app-server': '@openai/codex-app-server',
};

export function codexBinaryPath(transport: CodexTransportName = 'mcp'): string {
  // The platform binary ships inside the registry package; resolve it rather than going through npx.
  const pkg = require.resolve(`${CODEX_PACKAGES[transport]}/package.json`);
  return path.join(path.dirname(pkg), 'bin', 'codex.js');
}

/**
 * Reads settings from an environment. `scriptedBaseUrl` is the scripted model's address, used when no
 * OPENAI_API_KEY is given.
 */
export function loadSettings(env: NodeJS.ProcessEnv, options: { scriptedBaseUrl?: string } = {}): Settings {
  const parsed = EnvSchema.safeParse(stripEmpty(env));
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`Invalid environment: ${issues}`);
  }
  const e = parsed.data;
  const scripted = e.OPENAI_API_KEY === undefined;
  if (scripted && options.scriptedBaseUrl === undefined) {
    throw new ConfigError('OPENAI_API_KEY is not set and no scripted model was started');
  }
  return {
    taskQueue: e.TASK_QUEUE ?? DEFAULT_TASK_QUEUE,
    workspaceRoot: path.resolve(e.WORKSPACE_ROOT ?? 'runs'),
    workspaceRemote: e.WORKSPACE_REMOTE,
    conversationStore: e.CONVERSATION_STORE,
    hostId: e.WORKER_HOST_ID,
    model: {
      apiKey: e.OPENAI_API_KEY ?? SCRIPTED_MODEL_KEY,
      baseUrl: scripted ? options.scriptedBaseUrl : e.OPENAI_BASE_URL,
      scripted,
      // The same model names with the scripted model as with the real one: it follows the same rules per family.
      defaultModel: e.AGENT_MODEL ?? DEFAULT_AGENT_MODEL,
      requestTimeoutMs: e.MODEL_TIMEOUT_MS ?? 300_000,
    },
    codex: {
      transport: e.CODEX_TRANSPORT ?? 'mcp',
      command: codexBinaryPath(e.CODEX_TRANSPORT),
      // Offline there is no account whose default Codex could pick; a slug Codex knows keeps its apply_patch tool.
      model:
        e.CODEX_MODEL ??
        (scripted
          ? e.CODEX_TRANSPORT === 'app-server'
            ? SCRIPTED_APP_SERVER_MODEL_SLUG
            : SCRIPTED_MODEL_SLUG
          : undefined),
      home: e.CODEX_HOME,
      callTimeoutMs: e.CODEX_CALL_TIMEOUT_MS ?? 20 * 60_000,
      allowDangerFullAccess: e.CODEX_ALLOW_DANGER_FULL_ACCESS === '1' || e.CODEX_ALLOW_DANGER_FULL_ACCESS === 'true',
    },
    verifySandbox: e.VERIFY_SANDBOX ?? 'namespaces',
  };
}

function stripEmpty(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') out[k] = v;
  return out;
}

/**
 * Who is calling: an agent (our model-turn activity) or Codex, for which role and which run.
 * Our code says so in headers (x-dca-kind, x-dca-role, x-dca-run); without them the request is sniffed.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { BUILTIN_TEAMS } from '../shared/builtin-teams';
import { ROLE_ID_PATTERN, type RoleId as Role, type TeamRole } from '../shared/team';
import { isMessage, messageText, type Item } from './text';

export type CallerKind = 'agent' | 'codex';

/**
 * How an agent's conversation is laid out: `brief` (our workflow's: headers, and a first user message that is an
 * agentBrief, `Role: ...`) or `handoffs` (any other client, e.g. an Agents SDK program: the program's own task and
 * hand-off tools `transfer_to_*`).
 */
export type Dialect = 'brief' | 'handoffs';

export interface Caller {
  kind: CallerKind;
  role: Role | undefined;
  run: string;
  dialect: Dialect;
  /** Codex's thread id (its `thread-id` header or `prompt_cache_key`), when the caller is Codex. */
  thread?: string;
}

export const UNKNOWN_RUN = 'unknown';

/** The built-in teams' roles: a request without headers or a `Role id:` line can still be placed by them. */
const KNOWN_ROLES = Object.values(BUILTIN_TEAMS).flatMap((t): readonly TeamRole[] => t.roles);
const isRole = (x: string | undefined): x is Role => x !== undefined && ROLE_ID_PATTERN.test(x);

const header = (h: IncomingHttpHeaders, name: string): string | undefined => {
  const v = h[name];
  return (Array.isArray(v) ? v[0] : v)?.trim() || undefined;
};

/** Codex's own base instructions ("You are GPT-5.2 running in the Codex CLI, ...") or its client headers. */
function looksLikeCodex(h: IncomingHttpHeaders, instructions: string): boolean {
  return (
    /running in the Codex CLI|You are Codex/i.test(instructions) ||
    /^codex_/.test(header(h, 'originator') ?? '') ||
    /^codex_/.test(header(h, 'user-agent') ?? '')
  );
}

/**
 * A role from a `Role id: <id>` line (any team: the scripted agents write it into their Codex prompts), the agent
 * instructions of a built-in role (their first line is unique per role; it may follow a preamble such as the Agents
 * SDK's RECOMMENDED_PROMPT_PREFIX, or run on into more text, as in the source document's programs) or a built-in
 * role's `Role: <title>` line.
 */
function sniffRole(instructions: string, input: readonly Item[]): Role | undefined {
  const texts = input.filter((i) => isMessage(i, 'user')).map(messageText);
  for (const text of texts) {
    const id = /^Role id: ([a-z][a-z0-9_]*)\s*$/m.exec(text)?.[1];
    if (id) return id;
  }
  const byInstructions = KNOWN_ROLES.find((r) => {
    const first = r.instructions.split('\n')[0] ?? '';
    return first !== '' && instructions.split('\n').some((line) => line.trimStart().startsWith(first));
  });
  if (byInstructions) return byInstructions.id;
  for (const text of texts) {
    const m = /^Role: (.+)$/m.exec(text);
    const role = m && KNOWN_ROLES.find((r) => r.title === m[1]?.trim());
    if (role) return role.id;
  }
  return undefined;
}

export function classify(h: IncomingHttpHeaders, body: Record<string, unknown>, input: readonly Item[]): Caller {
  const instructions = typeof body.instructions === 'string' ? body.instructions : '';
  const declared = header(h, 'x-dca-kind');
  const kind: CallerKind =
    declared === 'agent' || declared === 'codex' ? declared : looksLikeCodex(h, instructions) ? 'codex' : 'agent';
  const declaredRole = header(h, 'x-dca-role');
  // Codex's own instructions say nothing about our roles: only its input (our prompt) can.
  const role = isRole(declaredRole) ? declaredRole : sniffRole(kind === 'codex' ? '' : instructions, input);
  const thread =
    kind === 'codex'
      ? (header(h, 'thread-id') ?? (typeof body.prompt_cache_key === 'string' ? body.prompt_cache_key : undefined))
      : undefined;
  const firstUser = input.find((i) => isMessage(i, 'user'));
  const dialect: Dialect =
    declared !== undefined || (firstUser !== undefined && messageText(firstUser).startsWith('Role: '))
      ? 'brief'
      : 'handoffs';
  return { kind, role, run: header(h, 'x-dca-run') ?? UNKNOWN_RUN, dialect, thread };
}

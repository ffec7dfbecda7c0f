/**
 * A team: roles, their instructions and deliverables, and the gates between them (`after`: a DAG). Declared in
 * YAML (teams/*.yaml, see docs/teams.md), parsed at the edge (src/teams/load.ts), carried in the workflow input.
 * Pure: the workflow checks its input with the same schema, so nothing here may touch Node builtins.
 */
import { z } from 'zod';
import { parseDuration, teamRole } from './team-graph';

// Workflows import these from ./team-graph (no zod: see there); everything else may import them from here.
export { ancestors, formatIssuePath, parseDuration, teamRole, verifyTimeoutMs } from './team-graph';

export const ROLE_ID_PATTERN = /^[a-z][a-z0-9_]*$/;
export const AGENT_TOOLS = ['codex', 'codex-reply', 'web_search'] as const;
export const REASONING_EFFORTS = ['minimal', 'low', 'medium', 'high'] as const;
export type AgentTool = (typeof AGENT_TOOLS)[number];
export type ReasoningEffort = (typeof REASONING_EFFORTS)[number];
/** A role id from a team file, e.g. "frontend". */
export type RoleId = string;

export const RoleIdSchema = z.string().regex(ROLE_ID_PATTERN, 'must match [a-z][a-z0-9_]*');

export const DeliverableSchema = z.strictObject({
  /** Path relative to the workspace root, with forward slashes. */
  path: z.string().min(1, 'must not be empty'),
  purpose: z.string().default(''),
  /** Gates block until every required deliverable exists; optional ones are recorded when present. */
  required: z.boolean().default(true),
});
export type Deliverable = z.infer<typeof DeliverableSchema>;

export const MAX_VERIFY_TIMEOUT_MS = 60 * 60_000;

export const VerifyServiceSchema = z.strictObject({
  command: z.string().trim().min(1, 'must not be empty'),
  /** Directory relative to the workspace root; the check refuses escapes. */
  cwd: z.string().default('.'),
  /** Passed as PORT; the service is ready when it accepts TCP connections on 127.0.0.1:<port>. */
  port: z.number().int().min(1024, 'must be from 1024 to 65535').max(65535, 'must be from 1024 to 65535'),
});
export type VerifyService = z.infer<typeof VerifyServiceSchema>;

export const VerifySchema = z.strictObject({
  /** Run in the workspace root, sandboxed; exit code 0 passes. */
  command: z.string().trim().min(1, 'must not be empty'),
  services: z.array(VerifyServiceSchema).default([]),
  /** Roles that get the failing output as a bug report. */
  owners: z.array(z.string()).min(1, 'name at least one role that fixes failures'),
  max_rounds: z.number().int().min(1).max(10).default(3),
  /** Bound on one round (services starting plus the command), e.g. "120s" or "2m"; `timeout_ms` holds it parsed. */
  timeout: z
    .string()
    .default('120s')
    .refine((t) => {
      const ms = parseDuration(t);
      return ms !== undefined && ms >= 1_000 && ms <= MAX_VERIFY_TIMEOUT_MS;
    }, 'must be a duration from 1s to 1h, such as 90s or 2m'),
});
export type Verify = z.infer<typeof VerifySchema>;

export const TeamRoleSchema = z.strictObject({
  id: RoleIdSchema,
  title: z.string().trim().min(1, 'must not be empty').optional(),
  instructions: z.string().refine((s) => s.trim() !== '', 'must not be empty'),
  tools: z.array(z.enum(AGENT_TOOLS)).default(['codex', 'codex-reply']),
  model: z.string().min(1).optional(),
  reasoning_effort: z.enum(REASONING_EFFORTS).optional(),
  deliverables: z.array(DeliverableSchema).default([]),
  /** The gate: this role starts when every listed role has finished with its required files present. */
  after: z.array(z.string()).default([]),
  /** The role's checks: run after its gate passes; failures go back to the owners (see docs/teams.md). */
  verify: VerifySchema.optional(),
  /** A person reviews the role's files after its gate (and checks) pass; the run waits (docs/people-in-the-loop.md). */
  review: z.boolean().optional(),
  /** Globs of paths of which at least one must differ from the base (a run on a repository) for the gate to open. */
  changes: z.array(z.string().min(1)).optional(),
  /** The same for the role's tests: at least one changed path per glob. */
  tests: z.array(z.string().min(1)).optional(),
  /**
   * This role reviews the work of `owners` (an agent review gate): its answer approves, or sends changes back to the
   * owners, who revise; then it reviews again, at most `max_rounds` times (the last round's answer stands).
   */
  reviews: z
    .strictObject({
      owners: z.array(z.string()).min(1, 'name at least one role whose work is reviewed'),
      max_rounds: z.number().int().min(1).max(10).default(2),
    })
    .optional(),
});
/** A role as parsed: `title` is filled in from the id when the file leaves it out. */
export type TeamRole = Omit<z.infer<typeof TeamRoleSchema>, 'title'> & { title: string };

export const TeamSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'must be lowercase letters, digits, - and _'),
  description: z.string().default(''),
  max_turns_per_role: z.number().int().min(1).max(100).optional(),
  roles: z.array(TeamRoleSchema).min(1, 'a team needs at least one role'),
});
export type Team = Omit<z.infer<typeof TeamSchema>, 'roles'> & { roles: TeamRole[] };

/** One problem with a team, at a field path such as ["roles", 1, "after", 0]. */
export interface TeamIssue {
  path: (string | number)[];
  message: string;
}

export type TeamCheck = { ok: true; team: Team } | { ok: false; issues: TeamIssue[] };

/** "Change Analyst" from "change_analyst". */
export const titleFromId = (id: string): string =>
  id
    .split('_')
    .filter(Boolean)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ');

/** `a/b.md` stays; `/etc/x`, `../x`, `a/../../x`, `C:\x`, `a\b` and `.` escape or are not plain relative paths. */
export function escapesWorkspace(p: string): boolean {
  if (p.startsWith('/') || p.includes('\\') || /^[A-Za-z]:/.test(p) || p.includes('\0')) return true;
  let depth = 0;
  for (const part of p.split('/')) {
    if (part === '..') depth -= 1;
    else if (part !== '.' && part !== '') depth += 1;
    if (depth < 0) return true;
  }
  return depth === 0;
}

const normalise = (p: string): string =>
  p
    .split('/')
    .filter((x) => x !== '' && x !== '.')
    .join('/');

/** Schema plus the rules a schema cannot say: unique ids and titles, known `after` ids, no cycle, paths, owners. */
export function checkTeam(raw: unknown): TeamCheck {
  const parsed = TeamSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      ok: false,
      issues: parsed.error.issues.map((i) => ({
        path: i.path.map((p) => (typeof p === 'symbol' ? String(p) : p)),
        message: i.message,
      })),
    };
  }
  const team: Team = {
    ...parsed.data,
    roles: parsed.data.roles.map((r) => ({ ...r, title: r.title ?? titleFromId(r.id) })),
  };
  const issues: TeamIssue[] = [];
  const ids = new Map<string, number>();
  const titles = new Map<string, number>();
  const owners = new Map<string, string>();
  team.roles.forEach((r, i) => {
    if (ids.has(r.id)) issues.push({ path: ['roles', i, 'id'], message: `duplicate role id "${r.id}"` });
    else ids.set(r.id, i);
    if (titles.has(r.title)) issues.push({ path: ['roles', i, 'title'], message: `duplicate role title "${r.title}"` });
    else titles.set(r.title, i);
    r.deliverables.forEach((d, j) => {
      const at = ['roles', i, 'deliverables', j, 'path'];
      if (escapesWorkspace(d.path)) {
        issues.push({ path: at, message: `path "${d.path}" escapes the workspace` });
        return;
      }
      const key = normalise(d.path);
      const owner = owners.get(key);
      if (owner !== undefined) {
        issues.push({ path: at, message: `path "${d.path}" is already a deliverable of role "${owner}"` });
      } else owners.set(key, r.id);
    });
  });
  team.roles.forEach((r, i) => {
    r.after.forEach((a, j) => {
      if (!ids.has(a)) issues.push({ path: ['roles', i, 'after', j], message: `unknown role "${a}"` });
      else if (a === r.id) issues.push({ path: ['roles', i, 'after', j], message: `role "${a}" waits for itself` });
    });
    r.reviews?.owners.forEach((o, j) => {
      if (!ids.has(o)) issues.push({ path: ['roles', i, 'reviews', 'owners', j], message: `unknown role "${o}"` });
    });
    [...(r.changes ?? []), ...(r.tests ?? [])].forEach((g) => {
      if (escapesWorkspace(g.replace(/\*+/g, 'x'))) {
        issues.push({ path: ['roles', i, 'changes'], message: `glob "${g}" escapes the workspace` });
      }
    });
    r.verify?.owners.forEach((o, j) => {
      if (!ids.has(o)) issues.push({ path: ['roles', i, 'verify', 'owners', j], message: `unknown role "${o}"` });
    });
    r.verify?.services.forEach((svc, j) => {
      if (svc.cwd !== '.' && escapesWorkspace(svc.cwd)) {
        issues.push({
          path: ['roles', i, 'verify', 'services', j, 'cwd'],
          message: `cwd "${svc.cwd}" escapes the workspace`,
        });
      }
    });
  });
  if (issues.length === 0) {
    const cycle = findCycle(team);
    if (cycle) {
      const at = ids.get(cycle[0] ?? '') ?? 0;
      issues.push({ path: ['roles', at, 'after'], message: `cycle of waits: ${cycle.join(' waits for ')}` });
    }
  }
  return issues.length ? { ok: false, issues } : { ok: true, team };
}

/** A cycle of `after` edges as role ids, each waiting for the next (the first repeated at the end). */
function findCycle(team: Team): string[] | undefined {
  const after = new Map(team.roles.map((r) => [r.id, r.after]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'visiting') return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, 'visiting');
    stack.push(id);
    for (const next of after.get(id) ?? []) {
      const found = visit(next);
      if (found) return found;
    }
    stack.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const r of team.roles) {
    const found = visit(r.id);
    if (found) return found;
  }
  return undefined;
}

export const requiredPaths = (role: Pick<TeamRole, 'deliverables'>): string[] =>
  role.deliverables.filter((d) => d.required).map((d) => d.path);

/** Stages by depth, for summaries: "Project Manager → Designer → Frontend Developer ∥ Backend Developer → Tester". */
export function teamShape(team: Team): string {
  const depth = new Map<string, number>();
  const depthOf = (r: TeamRole): number => {
    const known = depth.get(r.id);
    if (known !== undefined) return known;
    const d = r.after.length ? 1 + Math.max(...r.after.map((a) => depthOf(teamRole(team, a)))) : 0;
    depth.set(r.id, d);
    return d;
  };
  const stages: string[][] = [];
  for (const r of team.roles) (stages[depthOf(r)] ??= []).push(r.title);
  return stages.map((s) => s.join(' ∥ ')).join(' → ');
}

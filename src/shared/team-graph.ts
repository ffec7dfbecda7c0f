/**
 * What workflows need of a team besides its schema: lookups, waits, durations. No zod here, on purpose: every
 * workflow the worker creates evaluates the modules its workflow file imports again (one sandbox per workflow), and
 * zod with the team schema cost 10-25 ms of each one's first workflow task, a Codex session's included (`npm run bench
 * -- --only mcp-server` shows the first workflow task). Only input validation (../workflows/validate.ts) loads the
 * schema, when a team run starts.
 */
/** The shape of a team these helpers read (./team's `Team`), stated here so this module imports nothing of ./team. */
interface TeamShape<R extends RoleShape> {
  name: string;
  roles: R[];
}
interface RoleShape {
  id: string;
  after: string[];
}

/** "90s", "2m", "500ms" or "1h" to milliseconds; undefined when it is none of these. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/.exec(text.trim());
  if (!m) return undefined;
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(m[1]) * unit);
}

/** The verify block's round timeout in milliseconds (the schema has checked it parses). */
export const verifyTimeoutMs = (v: { timeout: string }): number => parseDuration(v.timeout) ?? 120_000;

/** "roles[1].after[0]" from ["roles", 1, "after", 0]. */
export const formatIssuePath = (path: readonly (string | number)[]): string =>
  path.reduce<string>((s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${p}` : p), '') || '(team)';

export const teamRole = <R extends RoleShape>(team: TeamShape<R>, id: string): R => {
  const role = team.roles.find((r) => r.id === id);
  if (!role) throw new Error(`Team ${team.name} has no role ${id}`);
  return role;
};

/** Every role a role waits for, directly or not, in team order. */
export function ancestors<R extends RoleShape>(team: TeamShape<R>, id: string): R[] {
  const seen = new Set<string>();
  const walk = (r: string) => {
    for (const a of team.roles.find((x) => x.id === r)?.after ?? []) {
      if (!seen.has(a)) {
        seen.add(a);
        walk(a);
      }
    }
  };
  walk(id);
  return team.roles.filter((r) => seen.has(r.id));
}

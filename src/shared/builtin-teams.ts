/**
 * The teams in teams/*.yaml, bundled (see scripts/generate-teams.ts) for code that cannot read files: the legacy
 * workflow entry points, the scripted model's cookbook content, the report of a legacy history.
 */
import { BUILTIN_TEAMS } from './builtin-teams.generated';
import type { RoleId, Team, TeamRole } from './team';

export { BUILTIN_TEAMS };
export type BuiltinTeamName = keyof typeof BUILTIN_TEAMS;

export const COOKBOOK_TEAM: Team = BUILTIN_TEAMS.cookbook;
export const SINGLE_TEAM: Team = BUILTIN_TEAMS.single;
/** The cookbook's role ids in team order: project_manager, designer, frontend, backend, tester. */
export const COOKBOOK_ROLES: readonly RoleId[] = COOKBOOK_TEAM.roles.map((r) => r.id);
export const SINGLE_ROLES: readonly RoleId[] = SINGLE_TEAM.roles.map((r) => r.id);

export const isBuiltinTeamName = (name: string): name is BuiltinTeamName => Object.hasOwn(BUILTIN_TEAMS, name);

/** A role of a built-in team by id (the cookbook's and the single team's ids do not overlap). */
export function builtinRole(id: RoleId): TeamRole {
  const role = Object.values(BUILTIN_TEAMS)
    .flatMap((t): TeamRole[] => t.roles)
    .find((r) => r.id === id);
  if (!role) throw new Error(`No built-in role ${id}`);
  return role;
}

/**
 * Role vocabulary. Roles themselves are data now: teams/*.yaml, parsed into a Team (./team.ts). A role id is any
 * `[a-z][a-z0-9_]*` string the team schema accepts.
 */
export type { AgentTool, Deliverable, ReasoningEffort, RoleId as Role } from './team';

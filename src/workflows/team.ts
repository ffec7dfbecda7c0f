/**
 * The team runner: any gated team (a DAG of roles, see src/shared/team.ts) as one workflow. Every role whose `after`
 * roles have all finished (their gates passed) starts at once, in team-file order, up to `maxConcurrentRoles`; the
 * first role that fails fails the run. Roles and deliverables come from the input: the workflow never reads files.
 */
import { patched } from '@temporalio/workflow';
import { agentBrief, repoBriefSection, reviewAgainMessage, type RoleAnswer } from '../shared/prompts';
import type { Team, TeamRole } from '../shared/team';
import { ancestors, teamRole } from '../shared/team-graph';
import type { RepoSpec, RunOptions, RunResult, RunState, TeamRunInput } from '../shared/types';
import { agentReview } from './agent-review';
import { runAgent, type AgentContext, type AgentSession } from './agent';
import { runPipeline } from './run';
import { validateTeamRunInput } from './validate';
import { verifyRole } from './verify';

/** What a role is told first; the legacy entry points supply their own to replay exactly. */
export type BriefOf = (role: TeamRole, ctx: AgentContext, answers: ReadonlyMap<string, string>) => string;

export async function teamWorkflow(input: TeamRunInput): Promise<RunResult> {
  // Before anything is created or called: a bad input (a team with a cycle, say) fails the run with a ConfigError.
  input = validateTeamRunInput(input);
  const { team, task } = input;
  const repo = input.repo;
  return runTeam(
    'team',
    team,
    input,
    (role, ctx, answers) => {
      const before = ancestors(team, role.id);
      const files = before.flatMap((r) => ctx.state.steps.find((s) => s.role === r.id)?.files ?? []);
      return agentBrief(role, task, files, answersFor(team, role, answers));
    },
    repo ? (role, ctx) => repoSection(ctx, team, role, repo) : undefined,
  );
}

/** Diffs a reviewer reads at most (the stat lists every file). */
const REVIEW_DIFF_CHARS = 24_000;

/** A run on a repository: the base, the files changed so far with their stat, the whole diff for reviewers. */
async function repoSection(ctx: AgentContext, team: Team, role: TeamRole, repo: RepoSpec): Promise<string> {
  const diff = (acts: AgentContext['acts'], workspace: string) =>
    acts.diffWorkspace.executeWithOptions(
      { ...acts.fileOptions, summary: `Diff against ${repo.base} for ${role.title}` },
      [{ workspace, base: repo.baseCommit, maxDiffChars: role.reviews ? REVIEW_DIFF_CHARS : 0 }],
    );
  const d = ctx.host ? await ctx.host.onHost(diff) : await diff(ctx.acts, ctx.workspace);
  return repoBriefSection({
    base: repo.base,
    baseCommit: repo.baseCommit,
    stat: d.stat,
    diff: d.diff,
    truncated: d.truncated,
    globs: [...(role.changes ?? []), ...(role.tests ?? [])],
    owners: role.reviews?.owners.map((id) => ({ id, title: teamRole(team, id).title })),
  });
}

/** Runs the team's DAG in one run frame. */
export function runTeam(
  kind: RunState['workflow'],
  team: Team,
  input: RunOptions,
  briefOf: BriefOf,
  /** Runs on a repository: what a brief says about it (./team.ts repoSection), read when the role starts. */
  repoSectionOf?: (role: TeamRole, ctx: AgentContext) => Promise<string>,
): Promise<RunResult> {
  return runPipeline(kind, team, input, async (base, reviews) => {
    const ctx: AgentContext = { ...base, sessions: new Map<string, AgentSession>() };
    const answers = new Map<string, string>();
    await scheduleRoles(team, input.maxConcurrentRoles ?? team.roles.length, async (role) => {
      const brief = briefOf(role, ctx, answers);
      const section = repoSectionOf ? `\n${await repoSectionOf(role, ctx)}` : '';
      answers.set(role.id, await runAgent(ctx, role, brief + section));
      // An agent review gate (./agent-review.ts): the reviewer's rounds, its owners revising in between.
      if (role.reviews) {
        const again = async (round: number) =>
          reviewAgainMessage(round, repoSectionOf ? await repoSectionOf(role, ctx) : '');
        answers.set(role.id, await agentReview(ctx, team, role, answers.get(role.id) ?? '', again));
      }
      // Runs recorded before verification existed (the cookbook had no verify) replay without it.
      // The last role's checks, when no person reviews it after them, also bring the run's final listing.
      const last = () =>
        !reviews.wants(role) && ctx.state.steps.every((s) => s.role === role.id || s.status === 'done');
      const verify = async () => {
        if (role.verify && patched('verification-loop')) await verifyRole(ctx, team, role, last);
      };
      await verify();
      // A reviewed role waits for a person; a revision passes its gate and its checks again (./review.ts).
      if (reviews.wants(role)) {
        const revised = await reviews.review(ctx, role, verify);
        if (revised !== undefined) answers.set(role.id, revised);
      }
    });
  });
}

/** The answers of the direct `after` roles that write no files: their answer is all they produce. */
function answersFor(team: Team, role: TeamRole, answers: ReadonlyMap<string, string>): RoleAnswer[] {
  return team.roles
    .filter((r) => role.after.includes(r.id) && r.deliverables.length === 0)
    .map((r) => ({ title: r.title, text: answers.get(r.id) ?? '' }))
    .filter((a) => a.text.trim() !== '');
}

/**
 * Starts each role when its `after` roles are done, in team order, at most `limit` at a time. Resolves when every
 * role is done; rejects with the first failure (roles still running are left to the run's end, as Promise.all does).
 */
export function scheduleRoles(team: Team, limit: number, run: (role: TeamRole) => Promise<void>): Promise<void> {
  const done = new Set<string>();
  const started = new Set<string>();
  let failed = false;
  return new Promise<void>((resolve, reject) => {
    const pump = (): void => {
      if (failed) return;
      if (done.size === team.roles.length) return resolve();
      for (const role of team.roles) {
        if (started.size - done.size >= limit) break;
        if (started.has(role.id) || !role.after.every((id) => done.has(id))) continue;
        started.add(role.id);
        run(role).then(
          () => {
            done.add(role.id);
            pump();
          },
          (err: unknown) => {
            failed = true;
            reject(err);
          },
        );
      }
    };
    pump();
  });
}

/**
 * Workflow input checks. start-run validates its own input, but a workflow can also be started from the Web UI, the
 * CLI or another client: bad input must fail the run at once, before a workspace is created or a model is called.
 */
import type { ApplicationFailure } from '@temporalio/workflow';
import { ConfigError, workflowFailure } from '../shared/errors';
import type * as TeamSchema from '../shared/team';
import { formatIssuePath } from '../shared/team-graph';
import type { ActivityTuning, MultiAgentInput, SandboxMode, SingleAgentInput, TeamRunInput } from '../shared/types';

export const MAX_TASK_LIST_CHARS = 64 * 1024;
const SANDBOXES: readonly SandboxMode[] = ['read-only', 'workspace-write', 'danger-full-access'];

function invalid(message: string): ApplicationFailure {
  return workflowFailure(new ConfigError(`Invalid input: ${message}`));
}

function checkText(name: string, value: unknown, required: boolean): void {
  if (value === undefined && !required) return;
  if (typeof value !== 'string' || value.trim() === '') throw invalid(`${name} must be a non-empty string`);
  if (value.length > MAX_TASK_LIST_CHARS) throw invalid(`${name} is longer than ${MAX_TASK_LIST_CHARS} characters`);
}

function checkCount(name: string, value: unknown, min: number, max: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(`${name} must be an integer from ${min} to ${max}`);
  }
}

function checkCommon(input: {
  tuning?: ActivityTuning;
  sandbox?: unknown;
  workspace?: unknown;
  maxTurnsPerAgent?: unknown;
  approvals?: { policy?: unknown; timeoutMs?: unknown };
}): void {
  const a = input.approvals;
  if (
    a !== undefined &&
    (typeof a !== 'object' || a === null || !['never', 'on-request'].includes(a.policy as string))
  ) {
    throw invalid('approvals.policy must be never or on-request');
  }
  checkCount('approvals.timeoutMs', a?.timeoutMs, 1, 7 * 24 * 3_600_000);
  if (input.sandbox !== undefined && !SANDBOXES.includes(input.sandbox as SandboxMode)) {
    throw invalid(`sandbox must be one of ${SANDBOXES.join(', ')}`);
  }
  if (input.workspace !== undefined) checkText('workspace', input.workspace, true);
  checkCount('maxTurnsPerAgent', input.maxTurnsPerAgent, 1, 100);
  const t = input.tuning ?? {};
  if (typeof t !== 'object' || t === null) throw invalid('tuning must be an object');
  for (const [key, value] of Object.entries(t)) {
    checkCount(`tuning.${key}`, value, key === 'maximumAttempts' ? 0 : 1, 7 * 24 * 3_600_000);
  }
}

export function validateMultiAgentInput(input: MultiAgentInput | undefined): MultiAgentInput {
  if (typeof input !== 'object' || input === null) throw invalid('expected an object with a taskList');
  checkText('taskList', input.taskList, true);
  checkCommon(input);
  checkCount('maxDeliverableRetries', input.maxDeliverableRetries, 0, 10);
  return input;
}

export function validateSingleAgentInput(input: SingleAgentInput | undefined): SingleAgentInput {
  const i = input ?? {};
  if (typeof i !== 'object' || i === null) throw invalid('expected an object');
  checkText('prompt', i.prompt, false);
  checkCommon(i);
  return i;
}

export function validateTeamRunInput(input: TeamRunInput | undefined): TeamRunInput {
  if (typeof input !== 'object' || input === null) throw invalid('expected an object with a team and a task');
  checkText('task', input.task, true);
  checkCommon(input);
  checkCount('maxDeliverableRetries', input.maxDeliverableRetries, 0, 10);
  checkCount('maxConcurrentRoles', input.maxConcurrentRoles, 1, 100);
  if (input.hostQueue !== undefined) checkText('hostQueue', input.hostQueue, true);
  const checked = teamSchema().checkTeam(input.team);
  if (!checked.ok) {
    const first = checked.issues[0];
    throw invalid(`team: ${first ? `${formatIssuePath(first.path)}: ${first.message}` : 'invalid'}`);
  }
  checkPeople(
    input,
    checked.team.roles.map((r) => r.id),
  );
  // The checked team: defaults (titles, tools, required) filled in.
  return { ...input, team: checked.team };
}

/**
 * The team schema (zod), loaded when a team run's input is checked rather than when the bundle's modules are: each
 * workflow the worker creates evaluates its imports again, and zod would cost every workflow (a Codex session's first
 * workflow task too) 10-25 ms for a schema only team runs use. See src/shared/team-graph.ts.
 */
function teamSchema(): typeof TeamSchema {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- deferred on purpose, see above
  return require('../shared/team') as typeof TeamSchema;
}

const WEEK_MS = 7 * 24 * 3_600_000;

/** Reviews, approvals and budgets: known roles, known choices, positive bounds. */
function checkPeople(input: TeamRunInput, roles: readonly string[]): void {
  const { review, approvals, budget } = input;
  if (review !== undefined) {
    if (typeof review !== 'object' || review === null || !Array.isArray(review.roles)) {
      throw invalid('review must be an object with a list of roles');
    }
    const unknown = review.roles.filter((r) => !roles.includes(r));
    if (unknown.length) throw invalid(`review: unknown role(s) ${unknown.join(', ')} (roles: ${roles.join(', ')})`);
    checkCount('review.timeoutMs', review.timeoutMs, 1, 30 * 24 * 3_600_000);
    if (review.onTimeout !== undefined && review.onTimeout !== 'fail' && review.onTimeout !== 'approve') {
      throw invalid('review.onTimeout must be fail or approve');
    }
  }
  if (approvals !== undefined) {
    if (typeof approvals !== 'object' || approvals === null) throw invalid('approvals must be an object');
    if (approvals.policy !== 'never' && approvals.policy !== 'on-request') {
      throw invalid('approvals.policy must be never or on-request');
    }
    checkCount('approvals.timeoutMs', approvals.timeoutMs, 1, WEEK_MS);
  }
  if (budget !== undefined) {
    if (typeof budget !== 'object' || budget === null) throw invalid('budget must be an object');
    checkCount('budget.maxTokens', budget.maxTokens, 1, Number.MAX_SAFE_INTEGER);
    checkCount('budget.maxTurnsPerRole', budget.maxTurnsPerRole, 1, 10_000);
    if (budget.onExceeded !== undefined && budget.onExceeded !== 'fail' && budget.onExceeded !== 'wait') {
      throw invalid('budget.onExceeded must be fail or wait');
    }
  }
}

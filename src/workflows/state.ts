/** The run state the workflow keeps, answers queries with, and mirrors into the Web UI's current details. */
import { defineQuery, setCurrentDetails } from '@temporalio/workflow';
import type { RoleId, Team, TeamRole } from '../shared/team';
import { ZERO_USAGE, type RunState, type StepState, type TokenUsage, type VerificationState } from '../shared/types';

export const progressQuery = defineQuery<RunState>('progress');

export function newRunState(workflow: RunState['workflow'], team: Team): RunState {
  return {
    workflow,
    team: team.name,
    status: 'running',
    startedAt: Date.now(),
    steps: team.roles.map(newStep),
  };
}

function newStep(role: TeamRole): StepState {
  return {
    role: role.id,
    title: role.title,
    status: 'waiting',
    attempts: 0,
    modelTurns: 0,
    codexCalls: [],
    files: [],
    missing: [],
    modelUsage: { ...ZERO_USAGE },
    codexUsage: { ...ZERO_USAGE },
  };
}

export function stepOf(state: RunState, role: RoleId): StepState {
  const step = state.steps.find((s) => s.role === role);
  if (!step) throw new Error(`No step for role ${role}`);
  return step;
}

export function addUsage(into: TokenUsage, u: TokenUsage): void {
  into.input += u.input;
  into.output += u.output;
  into.reasoning += u.reasoning;
  into.total += u.total;
}

const ICON: Record<StepState['status'], string> = { waiting: '⏳', running: '▶️', done: '✅', failed: '❌' };

/** Markdown shown as the workflow's current details in the Web UI. */
export function publishDetails(state: RunState): void {
  const lines = state.steps.map((s) => {
    const extra = [
      s.attempts > 1 ? `attempt ${s.attempts}` : '',
      s.codexCalls.length ? `${s.codexCalls.length} Codex call(s)` : '',
      s.files.length ? `${s.files.length} file(s)` : '',
      s.missing.length ? `missing: ${s.missing.join(', ')}` : '',
      s.restarts ? `restarted ${s.restarts}× after a lost host` : '',
      s.host ? `host ${s.host}` : '',
      s.commit ? `commit ${s.commit.slice(0, 10)}` : '',
      s.verification ? verificationNote(s.verification) : '',
    ].filter(Boolean);
    return `- ${ICON[s.status]} **${s.title}**: ${s.status}${extra.length ? ` (${extra.join('; ')})` : ''}`;
  });
  const head = `Team **${state.team}**${state.scripted ? ' · _scripted model (no real LLM)_' : ''}\n\n`;
  const ws = state.workspace ? `\n\nWorkspace: \`${state.workspace}\`` : '';
  const git = state.branch
    ? `\n\nHost: **${state.host ?? '?'}** · branch \`${state.branch}\` on \`${state.remote ?? '?'}\`` +
      (state.hostMoves?.length
        ? ` · moved ${state.hostMoves.map((m) => `${m.from} → ${m.to} at ${m.commit.slice(0, 10)}`).join(', ')}`
        : '')
    : '';
  const asks = (state.approvals?.pending ?? []).map(
    (a) => `- ✋ **${a.id}** ${a.role} ${a.kind}: \`${approvalSubject(a)}\` in \`${a.cwd ?? '?'}\``,
  );
  const waiting = asks.length ? `\n\nWaiting for approval (\`npm run approve\`):\n${asks.join('\n')}` : '';
  setCurrentDetails(`${head}${lines.join('\n')}${ws}${git}${waiting}`);
}

/** What an approval is about: the command, or the files a patch changes. */
export function approvalSubject(a: { command?: string[]; files?: string[] }): string {
  return a.command?.length ? a.command.join(' ') : (a.files ?? []).join(', ');
}

/** "verifying (round 2)", "round 1 failed, owners fixing", "verification passed in round 2". */
export function verificationNote(v: VerificationState): string {
  switch (v.status) {
    case 'running':
      return `verifying (round ${v.round})`;
    case 'fixing':
      return `verification round ${v.round} failed, owners fixing`;
    case 'passed':
      return `verification passed in round ${v.round}`;
    case 'failed':
      return `verification failed after ${v.round} round(s)`;
  }
}

/** The run state the workflow keeps, answers queries with, and mirrors into the Web UI's current details. */
import { condition, isCancellation, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import type { RoleId, Team, TeamRole } from '../shared/team';
import { ZERO_USAGE, type RunState, type StepState, type TokenUsage, type VerificationState } from '../shared/types';

export { progressQuery } from '../shared/progress';

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

/** A step's work stopped on `err`: cancelled when the run was, failed otherwise. */
export function stepFailed(step: StepState, err: unknown): void {
  step.status = isCancellation(err) ? 'cancelled' : 'failed';
  step.error = err instanceof Error ? err.message : String(err);
}

/** A step's work ended, however it ended: its end time, and the Web UI's details. */
export function stepEnded(state: RunState, step: StepState): void {
  step.endedAt = Date.now();
  publishDetails(state);
}

export function addUsage(into: TokenUsage, u: TokenUsage): void {
  into.input += u.input;
  into.output += u.output;
  into.reasoning += u.reasoning;
  into.total += u.total;
}

const ICON: Record<StepState['status'], string> = {
  waiting: '⏳',
  running: '▶️',
  review: '👀',
  done: '✅',
  failed: '❌',
  cancelled: '⏹️',
};

/** `condition` with an optional timeout: true once `fn` holds, false when the timeout passed first. */
export async function waitUntil(fn: () => boolean, timeoutMs: number | undefined): Promise<boolean> {
  if (timeoutMs !== undefined) return condition(fn, timeoutMs);
  await condition(fn);
  return true;
}

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
  setCurrentDetails(`${head}${lines.join('\n')}${peopleNote(state)}${ws}${git}${waiting}`);
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

/** What waits for a person: reviews and a spent budget (the Web UI's details show it first). */
function peopleNote(state: RunState): string {
  const lines: string[] = [];
  const id = workflowInfo().workflowId;
  for (const r of state.reviews?.pending ?? []) {
    const files = r.files.map((f) => `\`${f.path}\``).join(', ');
    lines.push(
      `- 👀 **${r.title}** waits for a review (round ${r.round}${files ? `; ${files}` : ''}): ` +
        `\`npm run review -- ${id} --approve\` or \`--changes "…"\``,
    );
  }
  const stop = state.budget?.stopped;
  if (stop) {
    const what = stop.what === 'tokens' ? 'token budget' : `turn budget of ${stop.role ?? '?'}`;
    lines.push(
      `- 💸 Stopped: ${what} spent (${stop.used} of ${stop.limit}); \`npm run review -- ${id} --raise-budget N\``,
    );
  }
  return lines.length ? `\n\n**Waiting for a person**\n\n${lines.join('\n')}` : '';
}

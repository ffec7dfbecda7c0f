/** The Markdown the Web UI shows as a run's current details; only ./run-state.ts publishes it. */
import { workflowInfo } from '@temporalio/workflow';
import type { RunState, StepState, VerificationState } from '../shared/types';

const ICON: Record<StepState['status'], string> = {
  waiting: '⏳',
  running: '▶️',
  review: '👀',
  done: '✅',
  failed: '❌',
  cancelled: '⏹️',
};

/** Markdown shown as the workflow's current details in the Web UI. */
export function renderDetails(state: RunState): string {
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
  return `${head}${lines.join('\n')}${peopleNote(state)}${ws}${git}${waiting}`;
}

/** What an approval is about: the command, or the files a patch changes. */
function approvalSubject(a: { command?: string[]; files?: string[] }): string {
  return a.command?.length ? a.command.join(' ') : (a.files ?? []).join(', ');
}

/** "verifying (round 2)", "round 1 failed, owners fixing", "verification passed in round 2". */
function verificationNote(v: VerificationState): string {
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

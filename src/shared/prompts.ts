/**
 * The user messages the workflow sends to agents. Their layout is a contract: the scripted model parses it
 * (section headers and `- path` lines), so change both together.
 */
import type { TeamRole } from './team';
import type { FileRecord, VerifyResult } from './types';

export const TASK_LIST_HEADER = 'Task list:';
export const DELIVERABLES_HEADER = 'Your deliverables (paths relative to the workspace root):';
export const EXISTING_FILES_HEADER = 'Files already in the workspace from earlier roles:';
export const MISSING_HEADER = 'These required deliverables are still missing:';
export const ANSWERS_HEADER = 'Answers of the roles you wait for:';
/** Starts a bug report from the team's checks: `Verification failed (round 2)`. */
export const VERIFICATION_FAILED_PREFIX = 'Verification failed (round';
export const REVIEW_CHANGES_PREFIX = 'A reviewer asked for changes (review';
export const VERIFICATION_OUTPUT_LINES = 60;

/** What a role that writes no files answered: the next role's brief carries it. */
export interface RoleAnswer {
  title: string;
  text: string;
}

/** The first user message of a role's step. */
export function agentBrief(
  spec: Pick<TeamRole, 'title' | 'deliverables'>,
  taskList: string,
  existing: readonly FileRecord[],
  answers: readonly RoleAnswer[] = [],
): string {
  const lines = [`Role: ${spec.title}`, TASK_LIST_HEADER, '<<<', taskList.trim(), '>>>', ''];
  if (answers.length > 0) {
    lines.push(ANSWERS_HEADER);
    for (const a of answers) lines.push(`[${a.title}]`, a.text.trim(), '');
  }
  if (spec.deliverables.length > 0) {
    lines.push(DELIVERABLES_HEADER);
    for (const d of spec.deliverables) {
      lines.push(`- ${d.path} (${d.required ? 'required' : 'optional'}): ${d.purpose}`);
    }
    lines.push('');
  }
  if (existing.length > 0) {
    lines.push(EXISTING_FILES_HEADER);
    for (const f of existing) lines.push(`- ${f.path} (${f.size} bytes)`);
    lines.push('');
  }
  return lines.join('\n');
}

/** The message that asks a role again for deliverables a gate found missing. */
export function missingDeliverablesMessage(missing: readonly string[]): string {
  return [
    MISSING_HEADER,
    ...missing.map((p) => `- ${p}`),
    '',
    'Write them now with Codex (continue your Codex thread with codex-reply if you have one), then answer with a short summary.',
  ].join('\n');
}

/** The single-agent workflow's opening request, as in the cookbook. */
export const DEFAULT_SINGLE_AGENT_PROMPT = 'Implement a fun new game!';

/** The last `n` lines of a text (without a trailing empty line). */
export function lastLines(text: string, n: number): string {
  const lines = text.replace(/\n$/, '').split('\n');
  return lines.slice(-n).join('\n');
}

/** One line on how a round ended: "exit 1", "timed out", "service ... did not open port 3000". */
export function verifyOutcome(r: Pick<VerifyResult, 'exitCode' | 'signal' | 'timedOut' | 'problem'>): string {
  if (r.problem) return r.problem;
  if (r.timedOut) return 'timed out';
  return r.signal ? `killed by ${r.signal}` : `exit ${r.exitCode ?? '?'}`;
}

/** The bug report an owner gets when the team's checks fail: on its own thread, to fix its own files. */
export function verificationBugReport(
  round: number,
  checkerTitle: string,
  command: string,
  result: Pick<VerifyResult, 'exitCode' | 'signal' | 'timedOut' | 'problem' | 'outputTail' | 'services'>,
): string {
  const lines = [
    `${VERIFICATION_FAILED_PREFIX} ${round}): \`${command}\`, run by the orchestrator for the ${checkerTitle}, ${verifyOutcome(result)}.`,
    '',
    `Its output (last ${VERIFICATION_OUTPUT_LINES} lines):`,
    '<<<',
    lastLines(result.outputTail, VERIFICATION_OUTPUT_LINES),
    '>>>',
  ];
  for (const s of result.services) {
    lines.push('', `Service \`${s.command}\` in ${s.cwd} (port ${s.port}) output (last 20 lines):`, '<<<');
    lines.push(lastLines(s.outputTail, 20), '>>>');
  }
  lines.push(
    '',
    'If the failure is in your files, fix them now with Codex (continue your Codex thread with codex-reply), keeping your deliverables in place; if it is not, change nothing. Then answer with a short summary.',
  );
  return lines.join('\n');
}

/** A person's review asked for changes: the role revises its own files on its own thread. */
export function reviewChangesMessage(round: number, text: string, by: string): string {
  return [
    `${REVIEW_CHANGES_PREFIX} ${round}, by ${by}). The changes asked for:`,
    '<<<',
    text.trim(),
    '>>>',
    '',
    'Work these changes into your files now with Codex (continue your Codex thread with codex-reply), keeping your deliverables in place. Then answer with a short summary of what changed.',
  ].join('\n');
}

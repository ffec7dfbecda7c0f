/**
 * The user messages the workflow sends to agents. Their layout is a contract: the scripted model parses it
 * (section headers and `- path` lines), so change both together.
 */
import type { TeamRole } from './team';
import type { DiffStatLine, FileRecord, VerifyResult } from './types';

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

// ---- runs on an existing repository (start-run --repo) ----

export const REPO_HEADER = 'Repository:';
export const CHANGED_FILES_HEADER = 'Files changed so far relative to the base (lines added/removed):';
export const CHANGE_GLOBS_HEADER = 'Your changes must touch these paths (relative to the workspace root):';
export const UNCHANGED_HEADER = 'Nothing changed yet under these paths, relative to the base:';
export const DIFF_HEADER = 'The whole diff against the base:';
/** The first line of a reviewer's answer: approve, or changes for the owners (`- role_id: what to change`). */
export const REVIEW_APPROVED = 'APPROVED';
export const REVIEW_CHANGES_REQUESTED = 'CHANGES REQUESTED';

export interface RepoBrief {
  base?: string;
  baseCommit: string;
  stat: readonly DiffStatLine[];
  /** For reviewers: the diff itself. */
  diff?: string;
  truncated?: boolean;
  /** The role's `changes` and `tests` globs. */
  globs?: readonly string[];
  /** For reviewers: the roles whose work is reviewed. */
  owners?: readonly { id: string; title: string }[];
}

/** `src/a.js +12 -3`, one line per changed file (binary files say so). */
export const statLine = (s: DiffStatLine): string =>
  s.added < 0 ? `- ${s.path} (binary)` : `- ${s.path} +${s.added} -${s.removed}`;

/** The part of a brief about the repository the run changes: the base, what changed so far, the diff for reviewers. */
export function repoBriefSection(r: RepoBrief): string {
  const lines = [
    REPO_HEADER,
    `The workspace is a clone of ${r.base ?? 'the base'} at ${r.baseCommit.slice(0, 12)}: change its code in place, ` +
      "in the repository's own language and style. Read the files you change first; keep the repository's tests passing.",
    '',
  ];
  if (r.globs?.length) lines.push(CHANGE_GLOBS_HEADER, ...r.globs.map((g) => `- ${g}`), '');
  lines.push(CHANGED_FILES_HEADER, ...(r.stat.length ? r.stat.map(statLine) : ['- (none yet)']), '');
  if (r.diff !== undefined) {
    lines.push(DIFF_HEADER, '<<<', r.diff.replace(/\n$/, ''), ...(r.truncated ? ['[diff cut here]'] : []), '>>>', '');
    lines.push(
      `Review the diff. Answer "${REVIEW_APPROVED}" on the first line when it is ready, or "${REVIEW_CHANGES_REQUESTED}" ` +
        'followed by one line per change, addressed to its owner: `- role_id: what to change`. Owners: ' +
        (r.owners ?? []).map((o) => `${o.id} (${o.title})`).join(', ') +
        '.',
      '',
    );
  }
  return lines.join('\n');
}

/** The message that asks a role again for changes a `changes`/`tests` gate did not find. */
export function unchangedPathsMessage(globs: readonly string[]): string {
  return [
    UNCHANGED_HEADER,
    ...globs.map((g) => `- ${g}`),
    '',
    'Change files there now with Codex (continue your Codex thread with codex-reply if you have one), then answer with a short summary.',
  ].join('\n');
}

export interface ReviewVerdict {
  approved: boolean;
  /** What each owner is asked to change (owners the reviewer named; all owners when it named none). */
  changes: { owner: string; text: string }[];
}

/** Reads a reviewer's answer: `CHANGES REQUESTED` with `- role_id: ...` lines asks for changes; anything else approves. */
export function parseReviewVerdict(answer: string, owners: readonly string[]): ReviewVerdict {
  const text = answer.trim();
  if (!text.toUpperCase().startsWith(REVIEW_CHANGES_REQUESTED)) return { approved: true, changes: [] };
  const byOwner = new Map<string, string[]>();
  const loose: string[] = [];
  for (const line of text.split('\n').slice(1)) {
    const m = /^\s*[-*]\s*([a-z][a-z0-9_]*)\s*:\s*(.+)$/.exec(line);
    if (m?.[1] && m[2] && owners.includes(m[1])) byOwner.set(m[1], [...(byOwner.get(m[1]) ?? []), m[2].trim()]);
    else if (line.trim()) loose.push(line.replace(/^\s*[-*]\s*/, '').trim());
  }
  const changes = byOwner.size
    ? [...byOwner].map(([owner, items]) => ({ owner, text: items.join('\n') }))
    : owners.map((owner) => ({ owner, text: loose.join('\n') || 'Address the review.' }));
  return { approved: false, changes };
}

/** The reviewer's next round: the revised diff. */
export function reviewAgainMessage(round: number, section: string): string {
  return [`The owners revised their work (review ${round}). Review the whole diff again.`, '', section].join('\n');
}

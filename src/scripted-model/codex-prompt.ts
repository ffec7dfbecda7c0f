/**
 * The prompt the scripted agents send to Codex, and how the scripted Codex reads it back.
 * Both sides live in this module so the layout can change in one place.
 */
import { TASK_LIST_HEADER } from '../shared/prompts';
import { extractTaskList, parseFileLines, projectName, type FileLine } from './text';

export const CODEX_FILES_HEADER = 'Write exactly these files (paths relative to the current directory):';

/** The machine-readable role line: Codex's own requests carry no role, so the scripted Codex reads it here. */
export const ROLE_ID_LINE = 'Role id:';

/** Precedes the changes a person's review asked for, one `> ` line each. */
export const REVIEW_CHANGES_HEADER =
  'A reviewer asked for these changes. Work them into the files, keeping their paths:';

export interface CodexPromptInput {
  roleTitle: string;
  /** The role's id in its team file. */
  roleId?: string;
  taskList: string;
  files: readonly FileLine[];
  /** Files earlier roles wrote, so Codex knows what to read first. */
  existing?: readonly string[];
  /** Set when asking again for files a gate found missing. */
  missingOnly?: boolean;
  /** The team's checks failed: their report's first lines, quoted, so Codex fixes the files it wrote. */
  fixReport?: string;
  /** A person's review asked for changes: quoted, so Codex works them into the files. */
  reviewChanges?: string;
}

export function codexPrompt(p: CodexPromptInput): string {
  const lines = [`Role: ${p.roleTitle}`];
  if (p.roleId) lines.push(`${ROLE_ID_LINE} ${p.roleId}`);
  lines.push(`Project: ${projectName(p.taskList)}`, '');
  if (p.missingOnly) {
    lines.push('These files are still missing from the workspace. Write them now, exactly as planned.', '');
  }
  if (p.fixReport) {
    lines.push("The team's checks failed. Fix these files so they pass, keeping their paths:");
    lines.push(...p.fixReport.split('\n').map((l) => `> ${l}`), '');
  }
  if (p.reviewChanges) {
    lines.push(REVIEW_CHANGES_HEADER, ...p.reviewChanges.split('\n').map((l) => `> ${l}`), '');
  }
  lines.push(TASK_LIST_HEADER, '<<<', p.taskList.trim(), '>>>', '');
  if (p.existing && p.existing.length > 0) {
    lines.push('Read these files from earlier roles first:', ...p.existing.map((f) => `- ${f}`), '');
  }
  lines.push(CODEX_FILES_HEADER);
  for (const f of p.files) {
    lines.push(`- ${f.path} (${f.required ? 'required' : 'optional'})${f.purpose ? `: ${f.purpose}` : ''}`);
  }
  lines.push(
    '',
    'Keep every file small and readable, stay within the task list, and create no other files.',
    'Verify the files exist, then reply with the list of files you wrote.',
  );
  return lines.join('\n');
}

export interface ParsedCodexPrompt {
  taskList: string;
  files: FileLine[];
  roleTitle?: string;
  roleId?: string;
  /** Every change a review asked for in this thread, oldest first: the files carry all of them. */
  reviewChanges?: string[];
}

/**
 * Reads a prompt back. `history` is every user text in the Codex thread, oldest first: a continued thread
 * (codex-reply, or a new thread seeded with a lost one's prompts) may carry the task list in an earlier message.
 */
export function parseCodexPrompt(prompt: string, history: readonly string[] = []): ParsedCodexPrompt | undefined {
  const files = parseFileLines(prompt, CODEX_FILES_HEADER);
  if (files.length === 0) return undefined;
  const taskList =
    extractTaskList(prompt) ??
    [...history]
      .reverse()
      .map(extractTaskList)
      .find((t) => t !== undefined) ??
    '';
  const texts = [prompt, ...[...history].reverse()];
  const find = (re: RegExp) => texts.map((t) => re.exec(t)?.[1]?.trim()).find((x) => x !== undefined && x !== '');
  const roleTitle = find(/^Role: (.+)$/m);
  const roleId = find(/^Role id: ([a-z][a-z0-9_]*)\s*$/m);
  const reviewChanges = [...history, prompt].map(reviewChangesOf).filter((c): c is string => c !== undefined);
  return {
    taskList,
    files,
    ...(roleTitle ? { roleTitle } : {}),
    ...(roleId ? { roleId } : {}),
    ...(reviewChanges.length ? { reviewChanges } : {}),
  };
}

/** The quoted lines under REVIEW_CHANGES_HEADER, if the text has them. */
function reviewChangesOf(text: string): string | undefined {
  const lines = text.split('\n');
  const at = lines.indexOf(REVIEW_CHANGES_HEADER);
  if (at < 0) return undefined;
  const quoted: string[] = [];
  for (const line of lines.slice(at + 1)) {
    if (!line.startsWith('> ')) break;
    quoted.push(line.slice(2));
  }
  return quoted.join('\n').trim() || undefined;
}

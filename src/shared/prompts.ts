/**
 * The user messages the workflow sends to agents. Their layout is a contract: the scripted model parses it
 * (section headers and `- path` lines), so change both together.
 */
import type { TeamRole } from './team';
import type { FileRecord } from './types';

export const TASK_LIST_HEADER = 'Task list:';
export const DELIVERABLES_HEADER = 'Your deliverables (paths relative to the workspace root):';
export const EXISTING_FILES_HEADER = 'Files already in the workspace from earlier roles:';
export const MISSING_HEADER = 'These required deliverables are still missing:';
export const ANSWERS_HEADER = 'Answers of the roles you wait for:';

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

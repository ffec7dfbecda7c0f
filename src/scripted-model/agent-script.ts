/**
 * The script every agent role plays. One request = one model turn; what to answer follows from the conversation:
 *   brief (agentBrief)                  -> function_call `codex` with a prompt naming the files to write
 *   function_call_output from Codex     -> final assistant message summarising the files
 *   missingDeliverablesMessage          -> function_call `codex-reply` (same thread) for exactly the missing files
 *   verificationBugReport               -> function_call `codex-reply` (same thread): rewrite its files, fixed
 *   reviewChangesMessage                -> function_call `codex-reply` (same thread): the changes worked in
 *   an "Error: ..." tool output         -> one more `codex` call, then give up with a message
 * Any team's role plays it: the role id comes from the request (x-dca-role), its title and deliverables from the
 * brief. A role without the codex tool answers in text; the Game Designer with a fixed 3-sentence brief.
 */
import {
  ANSWERS_HEADER,
  DELIVERABLES_HEADER,
  EXISTING_FILES_HEADER,
  MISSING_HEADER,
  TASK_LIST_HEADER,
  REVIEW_CHANGES_PREFIX,
  VERIFICATION_FAILED_PREFIX,
} from '../shared/prompts';
import { titleFromId, type RoleId as Role } from '../shared/team';
import { changeAgentScript } from './change-script';
import { codexPrompt, parseCodexPrompt } from './codex-prompt';
import { writtenFiles } from './codex-script';
import { optionalFits, taskFacts } from './content';
import type { Draft } from './responses';
import {
  extractTaskList,
  isMessage,
  isRecord,
  joinAnd,
  messageText,
  parseFileLines,
  projectName,
  toolOutputText,
  type FileLine,
  type Item,
} from './text';

export const GAME_DESIGNER_BRIEF =
  '"Star Catcher" is a single-page game where golden stars fall from the top of the screen and the player ' +
  'moves a basket with the arrow keys or the mouse to catch them. Each caught star scores one point, each ' +
  'missed star costs one of three lives, and the stars fall a little faster every ten points. Show the score ' +
  'and lives above the play area and end with a "Game over" message and a Restart button, all in one ' +
  'index.html with plain HTML, CSS and JavaScript.';

export interface AgentRequest {
  role: Role | undefined;
  input: readonly Item[];
  /** Names of the function tools offered. */
  tools: readonly string[];
}

/** Bound on "Error:" tool outputs in a row before the agent stops retrying. */
const MAX_TOOL_ERRORS = 2;

export function agentScript(req: AgentRequest): Draft[] {
  const { role, input } = req;
  if (role === undefined) return [say('Scripted model: no script for this request (no agent role recognised).')];
  if (role === 'game_designer') return [say(GAME_DESIGNER_BRIEF)];
  // A team changing a repository (./change-script.ts): its briefs carry a Repository section.
  const change = changeAgentScript(req);
  if (change) return change;
  const briefText = input.filter((i) => isMessage(i, 'user')).map(messageText)[0] ?? '';
  const title = /^Role: (.+)$/m.exec(briefText)?.[1]?.trim() || titleFromId(role);
  const task = extractTaskList(briefText) ?? briefText;
  const plan = plannedFiles(briefText, task);
  if (!req.tools.includes('codex')) {
    return [say(plan.length ? `${title}: I cannot write files without the codex tool.` : textAnswer(title, task))];
  }
  // What roles before this one answered in text (a design brief, say) is part of the task for Codex.
  const answers = answersOf(briefText);
  const taskList = answers ? `${task}\n\n${answers}` : task;
  const existing = parseFileLines(briefText, EXISTING_FILES_HEADER).map((f) => f.path);
  const roleId = role;
  const last = input[input.length - 1];
  const lastUserAt = findLastIndex(input, (i) => isMessage(i, 'user'));

  if (last?.type === 'function_call_output') {
    const output = toolOutputText(last.output);
    const call = input.find((i) => i.type === 'function_call' && i.call_id === last.call_id);
    const asked = parseCodexPrompt(parseArgs(call).prompt ?? '')?.files ?? plan;
    if (output.startsWith('Error:')) {
      const errors = input
        .slice(lastUserAt + 1)
        .filter((i) => i.type === 'function_call_output' && toolOutputText(i.output).startsWith('Error:'));
      if (errors.length >= MAX_TOOL_ERRORS) return [say(`${title}: Codex kept failing (${output}). Stopping here.`)];
      return [codexCall({ roleTitle: title, roleId, taskList, files: asked, existing })];
    }
    return [say(summary(role, title, asked, output, taskList))];
  }

  const lastUser = lastUserAt >= 0 ? messageText(input[lastUserAt] ?? {}) : '';
  if (lastUser.startsWith(VERIFICATION_FAILED_PREFIX)) {
    // The report's head and the failing checks: the lines that say FAIL (or the first lines when none does).
    const lines = lastUser.split('\n');
    const fails = lines.filter((l) => /\bFAIL/i.test(l)).slice(0, 10);
    const fixReport = [lines[0] ?? '', ...(fails.length ? fails : lines.slice(3, 8))].join('\n');
    const prompt = codexPrompt({ roleTitle: title, roleId, taskList, files: plan, fixReport });
    const threadId = latestThreadId(input);
    if (threadId && req.tools.includes('codex-reply')) {
      return [{ type: 'function_call', name: 'codex-reply', arguments: JSON.stringify({ threadId, prompt }) }];
    }
    return [codexCall({ roleTitle: title, roleId, taskList, files: plan, existing, fixReport })];
  }
  if (lastUser.startsWith(REVIEW_CHANGES_PREFIX)) {
    const reviewChanges = /\n<<<\n([\s\S]*?)\n>>>/.exec(lastUser)?.[1]?.trim() ?? '';
    const prompt = codexPrompt({ roleTitle: title, roleId, taskList, files: plan, reviewChanges });
    const threadId = latestThreadId(input);
    if (threadId && req.tools.includes('codex-reply')) {
      return [{ type: 'function_call', name: 'codex-reply', arguments: JSON.stringify({ threadId, prompt }) }];
    }
    return [codexCall({ roleTitle: title, roleId, taskList, files: plan, existing, reviewChanges })];
  }
  if (lastUser.includes(MISSING_HEADER)) {
    const missing = parseFileLines(lastUser, MISSING_HEADER).map(
      (m): FileLine => plan.find((p) => p.path === m.path) ?? { path: m.path, required: true, purpose: '' },
    );
    const prompt = codexPrompt({ roleTitle: title, roleId, taskList, files: missing, missingOnly: true });
    const threadId = latestThreadId(input);
    if (threadId && req.tools.includes('codex-reply')) {
      return [{ type: 'function_call', name: 'codex-reply', arguments: JSON.stringify({ threadId, prompt }) }];
    }
    return [codexCall({ roleTitle: title, roleId, taskList, files: missing, existing, missingOnly: true })];
  }
  return [codexCall({ roleTitle: title, roleId, taskList, files: plan, existing })];
}

/** Required deliverables plus the optional ones that fit the task (a wireframe if asked, game.js for games). */
function plannedFiles(briefText: string, taskList: string): FileLine[] {
  return parseFileLines(briefText, DELIVERABLES_HEADER).filter((f) => f.required || optionalFits(f.path, taskList));
}

/** The block of answers from earlier roles in a brief (see agentBrief), without its header. */
function answersOf(briefText: string): string | undefined {
  const at = briefText.indexOf(`\n${ANSWERS_HEADER}\n`);
  if (at < 0) return undefined;
  const rest = briefText.slice(at + ANSWERS_HEADER.length + 2);
  const ends = [DELIVERABLES_HEADER, EXISTING_FILES_HEADER, TASK_LIST_HEADER]
    .map((h) => rest.indexOf(`\n${h}`))
    .filter((i) => i >= 0);
  return rest.slice(0, ends.length ? Math.min(...ends) : undefined).trim() || undefined;
}

/** The answer of a role that writes no files: three sentences about the task, for the roles that wait for it. */
function textAnswer(title: string, taskList: string): string {
  const facts = taskFacts(taskList);
  const first = facts.features[0] ?? facts.goal;
  return (
    `${title}: the goal of ${facts.name} is to ${facts.goal.replace(/^[A-Z]/, (c) => c.toLowerCase()).replace(/\.$/, '')}. ` +
    `Start with "${first.replace(/\.$/, '')}" and keep every file small and readable. ` +
    'Stay within the task list and add nothing it does not ask for.'
  );
}

function codexCall(p: Parameters<typeof codexPrompt>[0]): Draft {
  const existing = p.existing?.filter((f) => f.endsWith('.md'));
  const args = { prompt: codexPrompt({ ...p, existing }), 'approval-policy': 'never', sandbox: 'workspace-write' };
  return { type: 'function_call', name: 'codex', arguments: JSON.stringify(args) };
}

const say = (text: string): Draft => ({ type: 'message', text });

function summary(role: Role, title: string, files: readonly FileLine[], codexOutput: string, taskList: string): string {
  const parsed = parseCodexOutput(codexOutput);
  const where = parsed.threadId ? ` (Codex thread ${parsed.threadId})` : '';
  const paths = joinAnd(files.map((f) => f.path));
  // Say only what Codex reported: a scripted Codex's final message lists the files it wrote and the check's result.
  const content = parsed.content ?? codexOutput;
  const reported = /^Wrote (\d+ file\(s\):|no files\.)/m.test(content) ? writtenFiles(content) : undefined;
  const missing = reported ? files.filter((f) => !reported.includes(f.path)).map((f) => f.path) : [];
  if (missing.length > 0) {
    const wrote = reported?.length ? `wrote ${joinAnd(reported)} but ` : '';
    return `${title}: asked Codex to write ${paths}${where}. Codex ${wrote}could not write ${joinAnd(missing)}.`;
  }
  if (role === 'game_developer') {
    return `${title}: built ${projectName(taskList)} in ${paths}${where}. Open it in a browser to play.`;
  }
  const checked = /^Checked them/m.test(content) ? 'written and checked' : 'written';
  return `${title}: asked Codex to write ${paths}${where}. Codex reports the files are ${checked}.`;
}

function parseCodexOutput(text: string): { threadId?: string; content?: string } {
  try {
    const json: unknown = JSON.parse(text);
    if (isRecord(json)) {
      return {
        threadId: typeof json.threadId === 'string' ? json.threadId : undefined,
        content: typeof json.content === 'string' ? json.content : undefined,
      };
    }
  } catch {
    // not JSON: an error text or a plain answer
  }
  return {};
}

function parseArgs(call: Item | undefined): { prompt?: string } {
  try {
    const json: unknown = JSON.parse(String(call?.arguments ?? ''));
    return isRecord(json) && typeof json.prompt === 'string' ? { prompt: json.prompt } : {};
  } catch {
    return {};
  }
}

/** The thread of the most recent successful Codex output in the conversation. */
function latestThreadId(input: readonly Item[]): string | undefined {
  for (let i = input.length - 1; i >= 0; i--) {
    const item = input[i];
    if (item?.type !== 'function_call_output') continue;
    const id = parseCodexOutput(toolOutputText(item.output)).threadId;
    if (id) return id;
  }
  return undefined;
}

function findLastIndex<T>(xs: readonly T[], pred: (x: T) => boolean): number {
  for (let i = xs.length - 1; i >= 0; i--) if (pred(xs[i] as T)) return i;
  return -1;
}

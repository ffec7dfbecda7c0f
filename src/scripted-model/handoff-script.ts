/**
 * The script for agents of an Agents SDK program, such as the source document's own `codex_mcp.py` and
 * `multi_agent_workflow.py`: no brief and no x-dca headers; the role comes from the agent's instructions (classify),
 * the task from the conversation, and agents pass control with the SDK's handoff tools (`transfer_to_<agent name>`,
 * the only ones that exist, whatever the instructions call them). The SDK sends the whole history on every turn, so
 * one request = one model turn whose step follows from the input:
 *   Game Designer       -> its 3-sentence brief, and transfer_to_game_developer when offered
 *   a role with files   -> `codex` naming its files (those not yet written), again for files still missing (bounded),
 *                          then back to the Project Manager (transfer_to_project_manager…), or a plain answer
 *   Project Manager     -> `codex` for its own three files, then a hand-off to the owner of the first gate's missing
 *                          files (Designer; Frontend; Backend; Tester: the SDK takes one hand-off per turn, so the
 *                          seed's "parallel" pair runs one after the other), asking an owner again while its files
 *                          are missing (bounded, then a message naming them), and a plain answer when all exist
 * A file "exists" when a scripted Codex final message in the conversation reports it written: the PM has no file
 * tool, so it gates on what Codex said, as a real model in its place would.
 */
import { COOKBOOK_TEAM, builtinRole } from '../shared/builtin-teams';
import type { RoleId as Role } from '../shared/team';
import { GAME_DESIGNER_BRIEF } from './agent-script';
import { codexPrompt } from './codex-prompt';
import { writtenFiles } from './codex-script';
import { optionalFits } from './content';
import type { Draft } from './responses';
import { isMessage, joinAnd, messageText, projectName, toolOutputText, type FileLine, type Item } from './text';

export interface HandoffRequest {
  role: Role | undefined;
  input: readonly Item[];
  /** Names of the function tools offered. */
  tools: readonly string[];
}

const HANDOFF_PREFIX = 'transfer_to_';
const CODEX_TOOLS: readonly string[] = ['codex', 'codex-reply'];
/** Codex calls one agent makes per hand-off for its files before it hands back with files still missing. */
const MAX_CODEX_CALLS = 2;
/** Hand-offs to one owner while its files are missing, before the Project Manager gives up and says which. */
const MAX_ASKS = 2;

export function handoffScript(req: HandoffRequest): Draft[] {
  const { role } = req;
  if (role === undefined) return [say('Scripted model: no script for this request (no agent role recognised).')];
  const conversation = readConversation(req.input);
  if (role === 'game_designer') {
    const next = handoffTool(req.tools, 'Game Developer') ?? req.tools.find((t) => t.startsWith(HANDOFF_PREFIX));
    return next ? [say(GAME_DESIGNER_BRIEF), handoff(next)] : [say(GAME_DESIGNER_BRIEF)];
  }
  if (role === 'project_manager') return projectManagerTurn(req, conversation);
  return builderTurn(req, role, conversation);
}

interface Conversation {
  /** The first user message (the program's task), then what agents said before the current agent took over. */
  task: string;
  /** Where the current agent's part starts: after the hand-off that gave it the conversation (0 if it started). */
  segmentStart: number;
  /** Files a Codex output anywhere in the conversation reports written. */
  written: ReadonlySet<string>;
  /** The hand-off tools called so far, in order. */
  handoffs: readonly string[];
  /** Codex calls the current agent made in its part. */
  codexCalls: number;
}

function readConversation(input: readonly Item[]): Conversation {
  const callNames = new Map<string, string>();
  const handoffs: string[] = [];
  const written = new Set<string>();
  let segmentStart = 0;
  input.forEach((item, at) => {
    const callId = typeof item.call_id === 'string' ? item.call_id : '';
    if (item.type === 'function_call' && typeof item.name === 'string') {
      callNames.set(callId, item.name);
      if (item.name.startsWith(HANDOFF_PREFIX)) handoffs.push(item.name);
    }
    if (item.type !== 'function_call_output') return;
    const name = callNames.get(callId) ?? '';
    if (name.startsWith(HANDOFF_PREFIX)) segmentStart = at + 1;
    if (CODEX_TOOLS.includes(name)) for (const f of writtenFiles(toolOutputText(item.output))) written.add(f);
  });
  const codexCalls = input
    .slice(segmentStart)
    .filter((i) => i.type === 'function_call' && CODEX_TOOLS.includes(String(i.name))).length;
  const firstUser = input.find((i) => isMessage(i, 'user'));
  const said = input
    .slice(0, segmentStart)
    .filter((i) => isMessage(i, 'assistant'))
    .map(messageText);
  const task = [firstUser ? messageText(firstUser) : '', ...said].filter((t) => t.trim() !== '').join('\n\n');
  return { task, segmentStart, written, handoffs, codexCalls };
}

/** A role that writes files: Codex for what is not written yet, then back to the Project Manager. */
function builderTurn(req: HandoffRequest, role: Role, c: Conversation): Draft[] {
  const spec = builtinRole(role);
  const planned = plannedFiles(role, c.task);
  const missing = planned.filter((f) => !c.written.has(f.path));
  const requiredMissing = missing.filter((f) => f.required);
  const back = handoffTool(req.tools, 'Project Manager');
  if (missing.length > 0 && (requiredMissing.length > 0 || c.codexCalls === 0) && c.codexCalls < MAX_CODEX_CALLS) {
    if (!req.tools.includes('codex')) return [say(`${spec.title}: I cannot write files without the codex tool.`)];
    return [codexCall(spec.title, role, c, missing, missing.length < planned.length)];
  }
  if (back) return [handoff(back)];
  if (requiredMissing.length > 0) {
    return [say(`${spec.title}: Codex did not write ${joinAnd(requiredMissing.map((f) => f.path))}. Stopping here.`)];
  }
  const paths = joinAnd(planned.map((f) => f.path));
  return role === 'game_developer'
    ? [say(`${spec.title}: built ${projectName(c.task)} in ${paths}. Open it in a browser to play.`)]
    : [say(`${spec.title}: Codex wrote ${paths}.`)];
}

/** The Project Manager: its own files, then each gate's owner in the team's order, then a plain answer. */
function projectManagerTurn(req: HandoffRequest, c: Conversation): Draft[] {
  const own = plannedFiles('project_manager', c.task);
  const ownMissing = own.filter((f) => f.required && !c.written.has(f.path));
  if (ownMissing.length > 0) {
    if (c.codexCalls >= MAX_CODEX_CALLS || !req.tools.includes('codex')) {
      return [say(`Project Manager: stopped: ${joinAnd(ownMissing.map((f) => f.path))} could not be written.`)];
    }
    return [codexCall('Project Manager', 'project_manager', c, ownMissing, ownMissing.length < own.length)];
  }
  for (const owner of COOKBOOK_TEAM.roles) {
    if (owner.id === 'project_manager') continue;
    const missing = owner.deliverables.filter((d) => d.required && !c.written.has(d.path)).map((d) => d.path);
    if (missing.length === 0) continue;
    const tool = handoffTool(req.tools, owner.title);
    const asks = c.handoffs.filter((h) => h === tool).length;
    if (!tool || asks >= MAX_ASKS) {
      const why = tool ? `after ${asks} hand-offs to the ${owner.title}` : `and no hand-off to the ${owner.title}`;
      return [say(`Project Manager: stopped: ${joinAnd(missing)} still missing ${why}.`)];
    }
    return [handoff(tool)];
  }
  const files = [...c.written];
  return [say(`Project Manager: the project is complete. Codex wrote ${files.length} files: ${joinAnd(files)}.`)];
}

/** Required deliverables plus the optional ones that fit the task (a wireframe if asked, game.js for games). */
function plannedFiles(role: Role, task: string): FileLine[] {
  return builtinRole(role)
    .deliverables.filter((d) => d.required || optionalFits(d.path, task))
    .map((d) => ({ path: d.path, required: d.required, purpose: d.purpose }));
}

/** The SDK's hand-off tool for an agent: `transfer_to_` + its name in snake case (also with a suffix, to be lenient). */
function handoffTool(tools: readonly string[], agentName: string): string | undefined {
  const name = `${HANDOFF_PREFIX}${agentName.toLowerCase().replace(/[^a-z0-9]+/g, '_')}`;
  return tools.find((t) => t === name) ?? tools.find((t) => t.startsWith(name));
}

function codexCall(title: string, roleId: Role, c: Conversation, files: FileLine[], missingOnly: boolean): Draft {
  const existing = [...c.written].filter((f) => f.endsWith('.md'));
  const prompt = codexPrompt({ roleTitle: title, roleId, taskList: c.task, files, existing, missingOnly });
  const args = { prompt, 'approval-policy': 'never', sandbox: 'workspace-write' };
  return { type: 'function_call', name: 'codex', arguments: JSON.stringify(args) };
}

const say = (text: string): Draft => ({ type: 'message', text });
const handoff = (name: string): Draft => ({ type: 'function_call', name, arguments: '{}' });

/**
 * The files the scripted Codex writes. The default Bug Busters task gets hand-written, working files
 * (src/scripted-model/templates/bug-busters); the single-agent game gets one self-contained index.html;
 * any other task list gets generic files derived from its text, and any other team's files get content of their
 * kind (./kinds.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { isBugBusters } from '../text';
import type { ContentContext } from './context';
import { GENERIC, placeholder } from './generic';
import { taskFacts } from './task';

export { optionalFits, taskFacts, type TaskFacts } from './task';

const TEMPLATE_DIR = 'src/scripted-model/templates';

/** The templates folder, from the sources (tsx) or from a compiled dist/ tree. */
function templatesDir(): string {
  const candidates = [path.resolve(__dirname, '..', 'templates')];
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    candidates.push(path.join(dir, TEMPLATE_DIR));
    if (path.dirname(dir) === dir) break;
  }
  const found = candidates.find((c) => fs.existsSync(path.join(c, 'bug-busters')));
  if (!found) throw new Error(`Scripted model templates not found (looked for ${TEMPLATE_DIR})`);
  return found;
}

const cache = new Map<string, string | null>();

function template(relative: string): string | undefined {
  if (!cache.has(relative)) {
    const file = path.join(templatesDir(), relative);
    cache.set(relative, fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null);
  }
  return cache.get(relative) ?? undefined;
}

/** Paths of the hand-written Bug Busters files, for tests and tools. */
export const BUG_BUSTERS_FILES = [
  'REQUIREMENTS.md',
  'TEST.md',
  'AGENT_TASKS.md',
  'design/design_spec.md',
  'design/wireframe.md',
  'frontend/index.html',
  'frontend/styles.css',
  'frontend/game.js',
  'backend/package.json',
  'backend/server.js',
  'tests/TEST_PLAN.md',
  'tests/test.sh',
] as const;

export interface FileRequest {
  /** The task list (or, for the single-agent game, the design brief). */
  taskList: string;
  /** The role the file is for and its purpose, as the prompt gives them: they shape files of any other team. */
  roleTitle?: string;
  purpose?: string;
}

/** The full text of `filePath` for this task. Deterministic: the same request always gives the same text. */
export function fileContent(filePath: string, req: FileRequest): string {
  const facts = taskFacts(req.taskList);
  if (filePath === 'index.html') return singleAgentGame(facts.name, req.taskList);
  if (isBugBusters(req.taskList)) {
    const text = template(`bug-busters/${filePath}`);
    if (text !== undefined) return text;
  }
  const ctx: ContentContext = { facts, taskList: req.taskList, roleTitle: req.roleTitle, purpose: req.purpose };
  const generator = GENERIC[filePath];
  return generator ? generator(ctx) : placeholder(filePath, ctx);
}

function singleAgentGame(name: string, brief: string): string {
  const title = name.replace(/[<>&"]/g, '');
  const comment = brief
    .replace(/^design brief:\s*/i, '')
    .replace(/\s+/g, ' ')
    .replace(/--/g, '-')
    .trim();
  return (template('single-agent/index.html') ?? '')
    .replace(/\{\{TITLE\}\}/g, () => title)
    .replace(/\{\{BRIEF\}\}/g, () => comment.replace(/[<>]/g, ''));
}

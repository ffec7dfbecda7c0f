/**
 * The scripted model playing a team that changes an existing repository (a brief with a `Repository:` section, see
 * repoBriefSection). Both sides, deterministic:
 *   agents  planner (no change globs)          -> a short plan in text
 *           implementer / test writer          -> `codex` with a change prompt (CHANGE_KIND_LINE), then a summary;
 *                                                 review changes and re-asks go back on the same thread (codex-reply)
 *           reviewer (the brief has the diff)  -> review 1 asks the implementer for one concrete change, then approves
 *   Codex   step 0  -> `exec_command` that reads the repository (files, package.json, README's last lines, tests)
 *           step 1+ -> `apply_patch` per file, in the repository's language (JavaScript or Python): a function in its
 *                      own module (validated after a review asked for it), a README line, a test in the repository's
 *                      test style (node:test, unittest or pytest)
 *           then    -> a final message listing the changed files
 * The function is the one the task names in backticks (default `clamp`): clamp(value, low, high), small and real.
 */
import {
  CHANGE_GLOBS_HEADER,
  DIFF_HEADER,
  REPO_HEADER,
  REVIEW_APPROVED,
  REVIEW_CHANGES_PREFIX,
  REVIEW_CHANGES_REQUESTED,
  TASK_LIST_HEADER,
  UNCHANGED_HEADER,
  VERIFICATION_FAILED_PREFIX,
} from '../shared/prompts';
import { titleFromId } from '../shared/team';
import type { Draft } from './responses';
import { isMessage, messageText, type Item } from './text';

/** Marks a change prompt (agents → Codex): `Change kind: code` or `Change kind: tests`. */
export const CHANGE_KIND_LINE = 'Change kind:';
const REVIEW_LINE = 'Review asks:';
/** What the scripted reviewer asks for in its first review. */
export const SCRIPTED_REVIEW_CHANGE = 'Validate the range: raise an error when low is greater than high.';

type Kind = 'code' | 'tests';

const say = (text: string): Draft => ({ type: 'message', text });

/** The task list of a brief or prompt: the block after `Task list:` (a reviewer's brief has a diff block too). */
function taskOf(text: string): string {
  return new RegExp(`${TASK_LIST_HEADER}\\n<<<\\n([\\s\\S]*?)\\n>>>`).exec(text)?.[1]?.trim() ?? '';
}

/** The function the task names in backticks, else `clamp`. */
export function functionName(task: string): string {
  return /`([A-Za-z_]\w*)\s*(?:\([^`]*\))?`/.exec(task)?.[1] ?? 'clamp';
}

// ---- the agents ----

export interface ChangeAgentRequest {
  role: string | undefined;
  input: readonly Item[];
  tools: readonly string[];
}

/** The agent's next move when its brief is about a repository; undefined for any other brief. */
export function changeAgentScript(req: ChangeAgentRequest): Draft[] | undefined {
  const users = req.input.filter((i) => isMessage(i, 'user')).map(messageText);
  const brief = users[0] ?? '';
  if (!brief.includes(`\n${REPO_HEADER}\n`) || req.role === undefined) return undefined;
  const title = /^Role: (.+)$/m.exec(brief)?.[1]?.trim() || titleFromId(req.role);
  const task = taskOf(brief);
  const lastUser = users[users.length - 1] ?? '';
  if (brief.includes(`\n${DIFF_HEADER}\n`)) {
    const round = users.length;
    const owner = /^- ([a-z][a-z0-9_]*) \(/m.exec(brief.slice(brief.indexOf('Owners: ')))?.[1];
    const implementer = brief.match(/\b(implementer|developer|coder)\b/)?.[1] ?? owner ?? 'implementer';
    if (round === 1) return [say(`${REVIEW_CHANGES_REQUESTED}\n- ${implementer}: ${SCRIPTED_REVIEW_CHANGE}`)];
    return [
      say(`${REVIEW_APPROVED}\n${title}: the diff does what the task asks, with a test; the review is addressed.`),
    ];
  }
  const globs = brief.includes(CHANGE_GLOBS_HEADER) ? brief.slice(brief.indexOf(CHANGE_GLOBS_HEADER)) : '';
  if (!globs || !req.tools.includes('codex')) {
    const fn = functionName(task);
    return [
      say(
        `${title}: plan. 1) Implementer: add \`${fn}(value, low, high)\` in its own module next to the package's ` +
          `code and one README line about it. 2) Test writer: a test for \`${fn}\` in the repository's test style. ` +
          "3) Keep the existing tests passing; the team's verification runs them.",
      ),
    ];
  }
  const kind: Kind = /^- .*test/m.test(globs.split('\n\n')[0] ?? '') ? 'tests' : 'code';
  const last = req.input[req.input.length - 1];
  if (last?.type === 'function_call_output') {
    const out = String(last.output ?? '');
    const changed = [...out.matchAll(/^- (\S+) \(changed\)$/gm)].map((m) => m[1]);
    return [say(`${title}: Codex changed ${changed.length ? changed.join(', ') : 'the repository'}.`)];
  }
  const reviewAsks = lastUser.startsWith(REVIEW_CHANGES_PREFIX)
    ? (/\n<<<\n([\s\S]*?)\n>>>/.exec(lastUser)?.[1]?.trim() ?? '')
    : undefined;
  const prompt = changePrompt(title, req.role, kind, task, reviewAsks);
  const again =
    reviewAsks !== undefined ||
    lastUser.startsWith(UNCHANGED_HEADER) ||
    lastUser.startsWith(VERIFICATION_FAILED_PREFIX);
  const threadId = again ? latestThread(req.input) : undefined;
  if (threadId && req.tools.includes('codex-reply')) {
    return [{ type: 'function_call', name: 'codex-reply', arguments: JSON.stringify({ threadId, prompt }) }];
  }
  const args = { prompt, 'approval-policy': 'never', sandbox: 'workspace-write' };
  return [{ type: 'function_call', name: 'codex', arguments: JSON.stringify(args) }];
}

function changePrompt(title: string, roleId: string, kind: Kind, task: string, reviewAsks?: string): string {
  return [
    `Role: ${title}`,
    `Role id: ${roleId}`,
    `${CHANGE_KIND_LINE} ${kind}`,
    '',
    ...(reviewAsks ? [REVIEW_LINE, ...reviewAsks.split('\n').map((l) => `> ${l}`), ''] : []),
    TASK_LIST_HEADER,
    '<<<',
    task,
    '>>>',
    '',
    kind === 'code'
      ? 'Read the repository first. Implement the change in its own language and style, and add one README line about it.'
      : "Read the repository first. Add a test for the change in the repository's own test style and folder.",
  ].join('\n');
}

function latestThread(input: readonly Item[]): string | undefined {
  for (let i = input.length - 1; i >= 0; i--) {
    const item = input[i];
    if (item?.type !== 'function_call_output') continue;
    const id = /"threadId":"([^"]+)"/.exec(String(item.output ?? ''))?.[1];
    if (id) return id;
  }
  return undefined;
}

// ---- Codex ----

/** What the Codex script knows of a turn (./codex-script.ts CodexTurn). */
export interface ChangeTurn {
  prompt: string;
  /** Tool outputs since the prompt. */
  step: number;
  /** Their texts, in order: the first is the read of the repository. */
  outputs: readonly string[];
  /** The tools Codex offered (./codex-script.ts OfferedTools): edits use apply_patch, else the command tool. */
  offered: { applyPatch?: 'custom' | 'function'; command?: 'exec_command' | 'shell' };
}

/** Codex's answer (./codex-script.ts CodexAction). */
export interface ChangeAction {
  draft: Draft;
  final: boolean;
  label: string;
}

const READ_COMMAND = [
  "printf '@@files\\n'; git ls-files | head -n 400",
  "printf '@@package.json\\n'; cat package.json 2>/dev/null",
  "printf '@@readme-tail\\n'; tail -n 3 README.md 2>/dev/null",
  "printf '@@test-style\\n'; (grep -rlE 'import unittest|from unittest' --include='*.py' . | head -n 1; grep -rlE 'import pytest' --include='*.py' . | head -n 1) 2>/dev/null",
  "printf '@@end\\n'",
].join('; ');

interface RepoView {
  files: string[];
  pkg?: { main?: string; type?: string };
  readmeTail?: string[];
  unittest: boolean;
}

function section(text: string, name: string): string | undefined {
  const m = new RegExp(`@@${name}\\n([\\s\\S]*?)(?=\\n?@@[a-z.-]+\\n|$)`).exec(text);
  return m?.[1];
}

export function readRepoView(output: string): RepoView {
  const files = (section(output, 'files') ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  let pkg: RepoView['pkg'];
  try {
    const raw = section(output, 'package.json')?.trim();
    if (raw) pkg = JSON.parse(raw) as RepoView['pkg'];
  } catch {
    pkg = {};
  }
  const tail = section(output, 'readme-tail');
  const style = section(output, 'test-style') ?? '';
  return {
    files,
    pkg,
    readmeTail: files.includes('README.md') && tail !== undefined ? tail.replace(/\n$/, '').split('\n') : undefined,
    unittest: /\.py/.test(style.split('\n')[0] ?? '') && !/import pytest/.test(style),
  };
}

interface Edit {
  path: string;
  patch: string;
  /** The same edit as a shell command, for a Codex that offers no apply_patch. */
  command: string;
}

const shellQuote = (x: string): string => `'${x.replace(/'/g, `'\\''`)}'`;

/** Writes a whole file with a quoted here-document (its folder made first). */
function writeFileCommand(file: string, content: string): string {
  let eof = 'SCRIPTED_EOF';
  while (content.split('\n').includes(eof)) eof += '_';
  const dir = file.includes('/') ? `mkdir -p ${shellQuote(dirOf(file))} && ` : '';
  return `${dir}cat > ${shellQuote(file)} <<'${eof}'\n${content.endsWith('\n') ? content : `${content}\n`}${eof}`;
}

const dirOf = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
const join = (dir: string, name: string) => (dir ? `${dir}/${name}` : name);

/** Where the function lives: next to the package's main module (JS) or in the top package (Python). */
function moduleOf(view: RepoView, fn: string): { lang: 'js' | 'py'; path: string; importName?: string } {
  if (view.pkg || view.files.includes('package.json')) {
    return { lang: 'js', path: join(dirOf((view.pkg?.main ?? 'index.js').replace(/^\.\//, '')), `${fn}.js`) };
  }
  const inits = view.files
    .filter((f) => f.endsWith('/__init__.py') && !/(^|\/)(tests?|docs?)\//.test(f))
    .sort((a, b) => a.split('/').length - b.split('/').length);
  const pkgDir = inits[0] ? dirOf(inits[0]) : '';
  const importName = pkgDir.split('/').pop() ?? '';
  return { lang: 'py', path: join(pkgDir, `${fn}.py`), importName };
}

function testDirOf(view: RepoView): string {
  if (view.files.some((f) => f.startsWith('tests/'))) return 'tests';
  return 'test';
}

function functionSource(lang: 'js' | 'py', esm: boolean, fn: string, validated: boolean): string {
  if (lang === 'py') {
    return [
      `"""${fn}: keep a value within a range."""`,
      '',
      '',
      `def ${fn}(value, low, high):`,
      `    """Return value limited to the range [low, high]."""`,
      ...(validated
        ? ['    if low > high:', `        raise ValueError(f"low ({low}) is greater than high ({high})")`]
        : []),
      '    return max(low, min(value, high))',
      '',
    ].join('\n');
  }
  const body = [
    '/** Returns value limited to the range [low, high]. */',
    `function ${fn}(value, low, high) {`,
    ...(validated ? ['  if (low > high) throw new RangeError(`low (${low}) is greater than high (${high})`);'] : []),
    '  return Math.min(Math.max(value, low), high);',
    '}',
    '',
  ];
  return esm
    ? [...body, `export { ${fn} };`, ''].join('\n')
    : ["'use strict';", '', ...body, `module.exports = { ${fn} };`, ''].join('\n');
}

function testSource(view: RepoView, fn: string, module: ReturnType<typeof moduleOf>, testPath: string): string {
  if (module.lang === 'py') {
    const from = `${module.importName ? `${module.importName}.` : ''}${fn}`;
    if (view.unittest) {
      return [
        'import unittest',
        '',
        `from ${from} import ${fn}`,
        '',
        '',
        `class ${fn.replace(/(^|_)(\w)/g, (_, __, c: string) => c.toUpperCase())}Tests(unittest.TestCase):`,
        '    def test_keeps_values_in_range(self):',
        `        self.assertEqual(${fn}(5, 0, 10), 5)`,
        `        self.assertEqual(${fn}(-1, 0, 10), 0)`,
        `        self.assertEqual(${fn}(11, 0, 10), 10)`,
        '',
      ].join('\n');
    }
    return [
      `from ${from} import ${fn}`,
      '',
      '',
      `def test_${fn}_keeps_values_in_range():`,
      `    assert ${fn}(5, 0, 10) == 5`,
      `    assert ${fn}(-1, 0, 10) == 0`,
      `    assert ${fn}(11, 0, 10) == 10`,
      '',
    ].join('\n');
  }
  let rel = relativePath(dirOf(testPath), module.path);
  if (!rel.startsWith('.')) rel = `./${rel}`;
  const esm = view.pkg?.type === 'module';
  const head = esm
    ? ["import test from 'node:test';", "import assert from 'node:assert/strict';", `import { ${fn} } from '${rel}';`]
    : [
        "'use strict';",
        "const test = require('node:test');",
        "const assert = require('node:assert/strict');",
        `const { ${fn} } = require('${rel}');`,
      ];
  return [
    ...head,
    '',
    `test('${fn} keeps a value within its range', () => {`,
    `  assert.equal(${fn}(5, 0, 10), 5);`,
    `  assert.equal(${fn}(-1, 0, 10), 0);`,
    `  assert.equal(${fn}(11, 0, 10), 10);`,
    '});',
    '',
  ].join('\n');
}

function relativePath(fromDir: string, to: string): string {
  const a = fromDir ? fromDir.split('/') : [];
  const b = to.split('/');
  while (a.length && b.length > 1 && a[0] === b[0]) {
    a.shift();
    b.shift();
  }
  return [...a.map(() => '..'), ...b].join('/');
}

const addFile = (file: string, content: string) =>
  `*** Begin Patch\n*** Add File: ${file}\n${content
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => `+${l}`)
    .join('\n')}\n*** End Patch\n`;

/** A line appended to README.md, anchored on its last lines. */
const appendToReadme = (tail: readonly string[], line: string) =>
  `*** Begin Patch\n*** Update File: README.md\n@@\n${tail.map((l) => ` ${l}`).join('\n')}\n+\n+${line}\n*** End of File\n*** End Patch\n`;

/** The edits of one change prompt against what the repository looks like. */
export function changeEdits(kind: Kind, task: string, view: RepoView, reviewed: boolean): Edit[] {
  const fn = functionName(task);
  const module = moduleOf(view, fn);
  if (kind === 'tests') {
    const testPath = module.lang === 'py' ? `${testDirOf(view)}/test_${fn}.py` : `${testDirOf(view)}/${fn}.test.js`;
    const content = testSource(view, fn, module, testPath);
    return [{ path: testPath, patch: addFile(testPath, content), command: writeFileCommand(testPath, content) }];
  }
  const source = functionSource(module.lang, view.pkg?.type === 'module', fn, reviewed);
  const edits: Edit[] = [
    { path: module.path, patch: addFile(module.path, source), command: writeFileCommand(module.path, source) },
  ];
  // The README line comes with the first version only (a revision changes the code).
  if (view.readmeTail?.length && !reviewed) {
    const line = `- \`${fn}(value, low, high)\` (in \`${module.path}\`): keeps a value within a range.`;
    edits.push({
      path: 'README.md',
      patch: appendToReadme(view.readmeTail, line),
      command: `printf '\\n%s\\n' ${shellQuote(line)} >> README.md`,
    });
  }
  return edits;
}

/** Codex's next move for a change prompt; undefined for any other prompt. */
export function changeCodexScript(turn: ChangeTurn): ChangeAction | undefined {
  const kind = new RegExp(`^${CHANGE_KIND_LINE} (code|tests)$`, 'm').exec(turn.prompt)?.[1] as Kind | undefined;
  if (!kind) return undefined;
  const { applyPatch, command } = turn.offered;
  const run = (cmd: string, label: string): ChangeAction => {
    const args =
      command === 'shell' ? { command: ['bash', '-lc', cmd], timeout_ms: 10_000 } : { cmd, yield_time_ms: 10_000 };
    return {
      draft: { type: 'function_call', name: command ?? 'exec_command', arguments: JSON.stringify(args) },
      final: false,
      label,
    };
  };
  if (!command) {
    const text = 'Scripted Codex: Codex offered no command tool to read the repository with, so nothing was changed.';
    return { draft: { type: 'message', text }, final: true, label: 'message' };
  }
  if (turn.step === 0) return run(READ_COMMAND, `${command} read`);
  const view = readRepoView(turn.outputs[0] ?? '');
  const edits = changeEdits(kind, taskOf(turn.prompt), view, turn.prompt.includes(`\n${REVIEW_LINE}\n`));
  const next = edits[turn.step - 1];
  if (next && applyPatch === 'custom') {
    return {
      draft: { type: 'custom_tool_call', name: 'apply_patch', input: next.patch },
      final: false,
      label: `apply_patch ${next.path}`,
    };
  }
  if (next && applyPatch === 'function') {
    const args = JSON.stringify({ input: next.patch });
    return {
      draft: { type: 'function_call', name: 'apply_patch', arguments: args },
      final: false,
      label: `apply_patch ${next.path}`,
    };
  }
  if (next) return run(next.command, `${command} ${next.path}`);
  const text = [`Changed ${edits.length} file(s):`, ...edits.map((e) => `- ${e.path} (changed)`)].join('\n');
  return { draft: { type: 'message', text }, final: true, label: 'message' };
}

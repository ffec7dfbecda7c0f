/**
 * The files the scripted Codex writes must work: the Bug Busters backend passes its own tests/test.sh, the game
 * plays (game.js in a small fake DOM), and any other task list still gets every deliverable, valid and runnable.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import vm from 'node:vm';
import { BUG_BUSTERS_FILES, fileContent, GAME_DESIGNER_BRIEF } from '../src/scripted-model';
import { optionalFits } from '../src/scripted-model/content';
import { COOKBOOK_TEAM } from '../src/shared/builtin-teams';
import { runTestScript, withServer } from './fixtures/scripted/project';

const ROOT = path.join(__dirname, '..');
const BUG_BUSTERS = fs.readFileSync(path.join(ROOT, 'tasks', 'bug-busters.md'), 'utf8');
const POMODORO = fs.readFileSync(path.join(ROOT, 'tasks', 'pomodoro.md'), 'utf8');

/** Every file the multi-agent pipeline would ask for on this task. */
function pipelineFiles(taskList: string): string[] {
  return COOKBOOK_TEAM.roles
    .flatMap((r) => r.deliverables)
    .filter((d) => d.required || optionalFits(d.path, taskList))
    .map((d) => d.path);
}

const tempDirs: string[] = [];
after(() => tempDirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function writeProject(taskList: string): string {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'scripted-content-'));
  tempDirs.push(ws);
  for (const f of pipelineFiles(taskList)) {
    fs.mkdirSync(path.dirname(path.join(ws, f)), { recursive: true });
    fs.writeFileSync(path.join(ws, f), fileContent(f, { taskList }));
  }
  return ws;
}

const VOID = new Set(['meta', 'link', 'input', 'br', 'img', 'hr']);

/** A small well-formedness check: every non-void tag closes, in order. Returns the tag names seen. */
function checkHtml(html: string): string[] {
  const body = html
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<!doctype[^>]*>/i, '')
    .replace(/(<(script|style)\b[^>]*>)[\s\S]*?(<\/\2>)/g, '$1$3');
  const stack: string[] = [];
  const seen: string[] = [];
  for (const m of body.matchAll(/<(\/?)([a-zA-Z][\w-]*)\b[^>]*?(\/?)>/g)) {
    const [, closing, name = '', selfClosing] = m;
    const tag = name.toLowerCase();
    seen.push(tag);
    if (closing) assert.equal(stack.pop(), tag, `</${tag}> closes the wrong element`);
    else if (!VOID.has(tag) && !selfClosing) stack.push(tag);
  }
  assert.deepEqual(stack, [], 'unclosed elements');
  return seen;
}

void describe('Bug Busters content', () => {
  void it('covers every pipeline deliverable', () => {
    assert.deepEqual([...pipelineFiles(BUG_BUSTERS)].sort(), [...BUG_BUSTERS_FILES].sort());
  });

  void it('backend passes tests/test.sh; test.sh fails when the backend is down', async () => {
    const ws = writeProject(BUG_BUSTERS);
    const pkg = JSON.parse(fs.readFileSync(path.join(ws, 'backend/package.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(pkg.scripts, { start: 'node server.js' });
    assert.equal(pkg.dependencies, undefined);
    const passing = await withServer(path.join(ws, 'backend'), async (baseUrl) => {
      const scores = [5, 30, 12, 8, 1, 2, 3, 4, 6, 7, 9, 10];
      for (const [i, score] of scores.entries()) {
        const r = await fetch(`${baseUrl}/scores`, { method: 'POST', body: JSON.stringify({ name: `p${i}`, score }) });
        assert.equal(r.status, 201);
        assert.equal(r.headers.get('access-control-allow-origin'), '*');
      }
      const top = (await (await fetch(`${baseUrl}/scores`)).json()) as { score: number }[];
      assert.equal(top.length, 10);
      assert.deepEqual(
        top.map((s) => s.score),
        [...scores].sort((a, b) => b - a).slice(0, 10),
      );
      const bad = await fetch(`${baseUrl}/scores`, { method: 'POST', body: '{"name":"x","score":1.5}' });
      assert.equal(bad.status, 400);
      return runTestScript(ws, baseUrl);
    });
    assert.equal(passing.code, 0, passing.output);
    const failing = await runTestScript(ws, 'http://127.0.0.1:9');
    assert.notEqual(failing.code, 0);
    assert.match(failing.output, /FAIL GET \/health/);
  });

  void it('frontend: the HTML is well formed and references what game.js needs', () => {
    const html = fileContent('frontend/index.html', { taskList: BUG_BUSTERS });
    checkHtml(html);
    assert.match(html, /<link rel="stylesheet" href="styles.css"/);
    assert.match(html, /<script src="game.js"><\/script>/);
    const js = fileContent('frontend/game.js', { taskList: BUG_BUSTERS });
    const ids = [...js.matchAll(/getElementById\('([\w-]+)'\)/g)].map((m) => m[1]);
    assert.ok(ids.length >= 10);
    for (const id of ids) assert.match(html, new RegExp(`id="${id}"`), `#${id} exists`);
    assert.match(js, /http:\/\/localhost:3000/);
    execFileSync(process.execPath, ['--check', '-'], { input: js });
  });

  void it('frontend: a round plays in a fake DOM, offline and with a leaderboard', async () => {
    const offline = playRound(() => Promise.reject(new Error('offline')));
    offline.click('start-button');
    for (let i = 0; i < 3; i++) offline.click('bug');
    offline.advance(19_000);
    assert.equal(offline.el('time').textContent, '1');
    assert.equal(offline.el('results').hidden, true);
    offline.advance(1_000);
    assert.equal(offline.el('final-score').textContent, '3');
    assert.equal(offline.el('results').hidden, false);
    assert.equal(offline.el('bug').hidden, true);
    offline.click('bug');
    assert.equal(offline.el('score').textContent, '3', 'no points after the round');
    await new Promise((r) => setImmediate(r));
    assert.equal(offline.el('leaderboard-status').textContent, 'Leaderboard offline');

    const posts: string[] = [];
    const online = playRound((url, init) => {
      if (init?.method === 'POST') posts.push(String(init.body));
      return Promise.resolve({ ok: true, status: 200, json: () => Promise.resolve([{ name: 'Ada', score: 5 }]) });
    });
    await new Promise((r) => setImmediate(r));
    assert.equal(online.el('leaderboard').children[0]?.textContent, 'Ada - 5');
    online.click('start-button');
    online.click('bug');
    online.advance(20_000);
    online.el('player-name').value = ' Bob ';
    online.fire('score-form', 'submit', { preventDefault: () => undefined });
    assert.deepEqual(posts, ['{"name":"Bob","score":1}']);
  });
});

void describe('content for any other task list', () => {
  void it('Focus Timer: every deliverable, derived from the task text', () => {
    const ws = writeProject(POMODORO);
    const files = pipelineFiles(POMODORO);
    assert.ok(files.includes('frontend/main.js') && !files.includes('frontend/game.js'));
    assert.ok(!files.includes('design/wireframe.md'), 'no wireframe was asked for');
    for (const f of files) assert.ok(fs.statSync(path.join(ws, f)).size > 20, f);
    const req = fs.readFileSync(path.join(ws, 'REQUIREMENTS.md'), 'utf8');
    assert.match(req, /^# Focus Timer: Requirements/);
    assert.match(req, /A single page with a 25-minute countdown/);
    assert.match(fs.readFileSync(path.join(ws, 'TEST.md'), 'utf8'), /## \[Backend\][\s\S]*GET \/sessions/);
    const html = fs.readFileSync(path.join(ws, 'frontend/index.html'), 'utf8');
    checkHtml(html);
    assert.match(html, /<script src="main.js"><\/script>/);
    execFileSync(process.execPath, ['--check', path.join(ws, 'frontend/main.js')]);
  });

  void it('Focus Timer: the generic backend passes the generic test.sh', async () => {
    const ws = writeProject(POMODORO);
    const result = await withServer(path.join(ws, 'backend'), (baseUrl) => runTestScript(ws, baseUrl));
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /PASS POST \/sessions/);
  });

  void it('a task list with no structure still gets valid files; unknown paths get placeholders', () => {
    const taskList = 'Make a page that lists my favourite books.';
    const html = fileContent('frontend/index.html', { taskList });
    checkHtml(html);
    assert.match(html, /<title>page that lists my favourite books<\/title>/);
    const extra = JSON.parse(fileContent('backend/extra.json', { taskList })) as { name?: string };
    assert.equal(extra.name, 'page that lists my favourite books');
    assert.match(fileContent('docs/NOTES.md', { taskList }), /^# /);
  });

  void it("any team's files get valid content of their kind, naming the role and the file's purpose", () => {
    const taskList = 'Goal: Summarise the changes of a release.\n\nFeatures:\n- Classify each change\n- Write notes';
    const req = { taskList, roleTitle: 'Change Analyst', purpose: "the team's classified list of changes" };
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'scripted-kinds-'));
    tempDirs.push(ws);
    const write = (p: string) => {
      const text = fileContent(p, req);
      fs.mkdirSync(path.dirname(path.join(ws, p)), { recursive: true });
      fs.writeFileSync(path.join(ws, p), text);
      return text;
    };
    const md = write('changes/classified.md');
    assert.match(md, /^# Summarise the changes of a release: Classified\n/);
    assert.match(md, /Change Analyst/);
    assert.match(md, /the team's classified list of changes/);
    assert.match(md, /- Classify each change/);
    checkHtml(write('site/page.html'));
    for (const js of ['lib/notes.js', 'lib/notes.mjs']) {
      execFileSync(process.execPath, ['--check', path.join(ws, write(js) && js)]);
    }
    const cjs = write('lib/tool.cjs');
    const sandbox = { module: { exports: {} as { describe?: () => string } } };
    vm.runInNewContext(cjs, sandbox);
    assert.match(sandbox.module.exports.describe?.() ?? '', /^1\. Classify each change\n2\. Write notes$/);
    const data = JSON.parse(write('out/summary.json')) as { purpose?: string; items?: string[] };
    assert.equal(data.purpose, "the team's classified list of changes");
    assert.deepEqual(data.items, ['Classify each change', 'Write notes']);
    const manifest = JSON.parse(write('svc/package.json')) as { scripts?: { start?: string } };
    assert.equal(manifest.scripts?.start, 'node index.js');
    write('scripts/check.sh');
    execFileSync('bash', ['-n', path.join(ws, 'scripts/check.sh')]);
    const out = execFileSync('bash', [path.join(ws, 'scripts/check.sh')]).toString();
    assert.match(out, /check 1: Classify each change\ncheck 2: Write notes\nAll 2 checks listed/);
  });

  void it('single-agent index.html: a self-contained game titled from the brief', () => {
    const html = fileContent('index.html', { taskList: `Design brief:\n${GAME_DESIGNER_BRIEF}` });
    const tags = checkHtml(html);
    assert.ok(tags.includes('canvas') && tags.includes('script'));
    assert.match(html, /<title>Star Catcher<\/title>/);
    const script = /<script>([\s\S]*)<\/script>/.exec(html)?.[1] ?? '';
    execFileSync(process.execPath, ['--check', '-'], { input: script });
  });
});

// ---- a fake DOM just big enough for game.js ----

interface FakeElement {
  id: string;
  textContent: string;
  innerHTML: string;
  value: string;
  hidden: boolean;
  disabled: boolean;
  style: Record<string, string>;
  clientWidth: number;
  clientHeight: number;
  offsetWidth: number;
  offsetHeight: number;
  children: FakeElement[];
  listeners: Record<string, (e?: unknown) => void>;
  addEventListener(type: string, fn: (e?: unknown) => void): void;
  appendChild(child: FakeElement): void;
}

type FakeFetch = (url: string, init?: { method?: string; body?: unknown }) => Promise<unknown>;

function playRound(fetch: FakeFetch) {
  const html = fileContent('frontend/index.html', { taskList: BUG_BUSTERS });
  const elements = new Map<string, FakeElement>();
  const make = (id: string, hidden = false): FakeElement => {
    const el: FakeElement = {
      id,
      textContent: '',
      value: '',
      hidden,
      disabled: false,
      style: {},
      clientWidth: 600,
      clientHeight: 360,
      offsetWidth: 48,
      offsetHeight: 48,
      children: [],
      listeners: {},
      get innerHTML() {
        return '';
      },
      set innerHTML(_v: string) {
        el.children = [];
      },
      addEventListener: (type, fn) => (el.listeners[type] = fn),
      appendChild: (child) => void el.children.push(child),
    };
    return el;
  };
  for (const m of html.matchAll(/<[^>]*\bid="([\w-]+)"[^>]*>/g)) {
    elements.set(m[1] ?? '', make(m[1] ?? '', /\shidden[\s>]/.test(m[0])));
  }
  let now = 0;
  let nextId = 1;
  const timers = new Map<number, { fn: () => void; every: number; at: number }>();
  const context = {
    document: { getElementById: (id: string) => elements.get(id) ?? null, createElement: () => make('') },
    setInterval: (fn: () => void, every: number) => (timers.set(nextId, { fn, every, at: now + every }), nextId++),
    clearInterval: (id: number) => timers.delete(id),
    fetch,
    Math,
    String,
    JSON,
    Error,
  };
  vm.runInNewContext(fileContent('frontend/game.js', { taskList: BUG_BUSTERS }), context);
  const el = (id: string): FakeElement => {
    const e = elements.get(id);
    assert.ok(e, `#${id}`);
    return e;
  };
  return {
    el,
    click: (id: string) => el(id).listeners.click?.(),
    fire: (id: string, type: string, event: unknown) => el(id).listeners[type]?.(event),
    advance(ms: number) {
      const end = now + ms;
      for (;;) {
        const due = [...timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        now = due[1].at;
        due[1].at += due[1].every;
        due[1].fn();
      }
      now = end;
    },
  };
}

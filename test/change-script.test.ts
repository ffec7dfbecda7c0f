/**
 * The pure parts of changing a repository, without a server: path globs of `changes`/`tests`, reading a reviewer's
 * verdict, the `Test command:` of a task and the detected test command, and the scripted Codex's edits for a
 * JavaScript and a Python repository (run here with node and python3: the function and its test really pass).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { declaredTestCommand, detectTestCommand } from '../src/activities/test-command';
import { changeEdits, functionName, readRepoView } from '../src/scripted-model/change-script';
import { globToRegExp, unmatchedGlobs } from '../src/shared/glob';
import { parseReviewVerdict } from '../src/shared/prompts';
import { ConfigError } from '../src/shared/errors';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'dca-change-script-'));
});
after(() => rm(dir, { recursive: true, force: true }));

describe('globs, verdicts and test commands', () => {
  it('matches globs as team files mean them', () => {
    const yes: [string, string][] = [
      ['src/**', 'src/a/b.js'],
      ['**/*.py', 'x.py'],
      ['**/*.py', 'a/b/x.py'],
      ['lib', 'lib/x.js'],
      ['*.md', 'README.md'],
      ['**/test*/**', 'tests/test_x.py'],
    ];
    const no: [string, string][] = [
      ['src/**', 'srcx/a.js'],
      ['*.md', 'docs/a.md'],
      ['test/**', 'tests/x'],
    ];
    for (const [g, p] of yes) assert.ok(globToRegExp(g).test(p), `${g} ~ ${p}`);
    for (const [g, p] of no) assert.ok(!globToRegExp(g).test(p), `${g} !~ ${p}`);
    assert.deepEqual(unmatchedGlobs([['src/**'], ['test/**', '**/*.test.js']], ['src/a.js', 'lib/a.test.js']), []);
    assert.deepEqual(unmatchedGlobs([['src/**'], ['test/**', 'spec/**']], ['src/a.js']), ['test/** or spec/**']);
  });

  it("reads a reviewer's verdict", () => {
    assert.deepEqual(parseReviewVerdict('APPROVED\nlooks good', ['a', 'b']), { approved: true, changes: [] });
    assert.deepEqual(
      parseReviewVerdict('CHANGES REQUESTED\n- a: validate low\n- b: test it\n- a: and high', ['a', 'b']),
      {
        approved: false,
        changes: [
          { owner: 'a', text: 'validate low\nand high' },
          { owner: 'b', text: 'test it' },
        ],
      },
    );
    // Changes addressed to nobody known go to every owner.
    assert.deepEqual(parseReviewVerdict('changes requested\n- rename it', ['a']).changes, [
      { owner: 'a', text: 'rename it' },
    ]);
  });

  it('takes the test command from the task, else from the repository', async () => {
    assert.equal(declaredTestCommand('# T\nTest command: `npm run test:unit`\n'), 'npm run test:unit');
    assert.equal(declaredTestCommand('no command here'), undefined);
    const js = path.join(dir, 'js-detect');
    await mkdir(js);
    await writeFile(path.join(js, 'package.json'), JSON.stringify({ scripts: { test: 'node --test' } }));
    assert.equal(detectTestCommand(js), 'npm test');
    await writeFile(
      path.join(js, 'package.json'),
      JSON.stringify({ scripts: { test: 'echo "Error: no test specified" && exit 1' } }),
    );
    assert.throws(
      () => detectTestCommand(js),
      (e: unknown) => e instanceof ConfigError && /No test command found/.test(e.message),
    );
    await writeFile(path.join(js, 'go.mod'), 'module x\n');
    assert.equal(detectTestCommand(js), 'go test ./...');
  });
});

/** Applies the scripted edits the simple way (Add File: the whole file; the README line: appended). */
async function apply(repo: string, edits: ReturnType<typeof changeEdits>): Promise<void> {
  for (const e of edits) {
    const added = /\*\*\* Add File: (.+)\n([\s\S]*)\n\*\*\* End Patch/.exec(e.patch);
    if (added) {
      await mkdir(path.dirname(path.join(repo, e.path)), { recursive: true });
      await writeFile(
        path.join(repo, e.path),
        `${(added[2] ?? '')
          .split('\n')
          .map((l) => l.slice(1))
          .join('\n')}\n`,
      );
    }
  }
}

describe("the scripted Codex's edits pass the repository's tests", () => {
  it('JavaScript (CommonJS, node:test)', async () => {
    const repo = path.join(dir, 'js');
    await mkdir(path.join(repo, 'lib'), { recursive: true });
    const view = readRepoView(
      '@@files\nlib/index.js\npackage.json\nREADME.md\ntest/index.test.js\n@@package.json\n{"main":"lib/index.js"}\n' +
        '@@readme-tail\n# js\n\nUsage.\n@@test-style\n@@end\n',
    );
    const task = 'Add `clamp` to the library.';
    assert.equal(functionName(task), 'clamp');
    const code = changeEdits('code', task, view, true);
    assert.deepEqual(
      code.map((e) => e.path),
      ['lib/clamp.js'],
    );
    const first = changeEdits('code', task, view, false);
    assert.deepEqual(
      first.map((e) => e.path),
      ['lib/clamp.js', 'README.md'],
    );
    assert.match(first[1]?.patch ?? '', /\*\*\* Update File: README\.md\n@@\n # js\n \n Usage\.\n\+\n\+- `clamp/);
    const tests = changeEdits('tests', task, view, false);
    assert.deepEqual(
      tests.map((e) => e.path),
      ['test/clamp.test.js'],
    );
    await apply(repo, [...code, ...tests]);
    execFileSync(process.execPath, ['--test', 'test/clamp.test.js'], { cwd: repo, stdio: 'pipe' });
    // The reviewed version refuses a range whose low is above its high.
    assert.throws(
      () =>
        execFileSync(process.execPath, ['-e', "require('./lib/clamp.js').clamp(1, 5, 0)"], {
          cwd: repo,
          stdio: 'pipe',
        }),
      (e: unknown) =>
        /RangeError: low \(5\) is greater than high \(0\)/.test(String((e as { stderr?: Buffer }).stderr)),
    );
  });

  it('Python (a package, unittest)', async () => {
    const repo = path.join(dir, 'py');
    await mkdir(path.join(repo, 'pkg'), { recursive: true });
    await mkdir(path.join(repo, 'tests'), { recursive: true });
    await writeFile(path.join(repo, 'pkg', '__init__.py'), '');
    await writeFile(path.join(repo, 'tests', '__init__.py'), '');
    const view = readRepoView(
      '@@files\npkg/__init__.py\npyproject.toml\ntests/__init__.py\ntests/test_pkg.py\n@@package.json\n@@readme-tail\n' +
        '@@test-style\n./tests/test_pkg.py\n@@end\n',
    );
    const task = 'Add a `bounded` helper.';
    const edits = [...changeEdits('code', task, view, true), ...changeEdits('tests', task, view, false)];
    assert.deepEqual(
      edits.map((e) => e.path),
      ['pkg/bounded.py', 'tests/test_bounded.py'],
    );
    assert.match(edits[1]?.patch ?? '', /import unittest/);
    await apply(repo, edits);
    execFileSync('python3', ['-m', 'unittest', '-q', 'tests.test_bounded'], { cwd: repo, stdio: 'pipe' });
    assert.throws(
      () =>
        execFileSync('python3', ['-c', 'from pkg.bounded import bounded; bounded(1, 5, 0)'], {
          cwd: repo,
          stdio: 'pipe',
        }),
      (e: unknown) =>
        /ValueError: low \(5\) is greater than high \(0\)/.test(String((e as { stderr?: Buffer }).stderr)),
    );
  });
});

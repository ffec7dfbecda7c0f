/**
 * The real project the change-team tests work on: idna 3.20, its sdist from PyPI (fetched with pip once, cached
 * outside the repository), committed as `main` of a fresh local repository, with a task its own tests can check.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';

const PROJECT = { name: 'idna', version: '3.20' };
const CACHE = path.join(homedir(), '.cache', 'durable-codex-agents', 'fixtures');

/** The project's own tests and the one the change adds. */
export const IDNA_TEST_COMMAND = 'python3 -m unittest -q tests.test_intranges tests.test_idna tests.test_clamp';

export const IDNA_TASK = [
  '# A clamp helper for idna',
  '',
  'Add a `clamp(value, low, high)` helper to the package, with a test and a README line.',
  '',
  `Test command: ${IDNA_TEST_COMMAND}`,
  '',
].join('\n');

export const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

/** The sdist, downloaded with pip (PyPI) into the cache when it is not there yet. */
async function sdist(): Promise<string> {
  const file = path.join(CACHE, `${PROJECT.name}-${PROJECT.version}.tar.gz`);
  if (!existsSync(file)) {
    await mkdir(CACHE, { recursive: true });
    execFileSync('python3', [
      '-m',
      'pip',
      'download',
      '-q',
      '--no-deps',
      '--no-binary',
      ':all:',
      '-d',
      CACHE,
      `${PROJECT.name}==${PROJECT.version}`,
    ]);
  }
  return file;
}

/** `<dir>/idna`: a git repository whose `main` has one commit, the unpacked sdist. Writes the task to `<dir>/task.md`. */
export async function idnaRepo(dir: string): Promise<{ repo: string; task: string }> {
  const repo = path.join(dir, 'idna');
  await mkdir(repo);
  execFileSync('tar', ['xzf', await sdist(), '-C', repo, '--strip-components=1']);
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'add', '-A');
  git(repo, '-c', 'user.name=Maintainer', '-c', 'user.email=m@example.org', 'commit', '-q', '-m', 'idna 3.20 (sdist)');
  const task = path.join(dir, 'task.md');
  await writeFile(task, IDNA_TASK);
  return { repo, task };
}

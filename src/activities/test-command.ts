/**
 * A repository's own test command, for `verify: { command: auto }` (teams/change.yaml): npm test when package.json has
 * a real test script, pytest for Python projects (python3 -m unittest when pytest is not installed), go test ./...,
 * cargo test. A task can declare it instead (`Test command: ...`, read by start-run).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../shared/errors';
import type { Team } from '../shared/team';

export const AUTO_TEST_COMMAND = 'auto';

const NPM_DEFAULT_TEST = /no test specified/;

const hasPytest = (): boolean => {
  try {
    execFileSync('python3', ['-m', 'pytest', '--version'], { stdio: 'ignore', timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
};

export function detectTestCommand(workspace: string): string {
  const at = (f: string) => existsSync(path.join(workspace, f));
  if (at('package.json')) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(workspace, 'package.json'), 'utf8')) as {
        scripts?: Record<string, string>;
      };
      const test = pkg.scripts?.test;
      if (test && !NPM_DEFAULT_TEST.test(test)) return 'npm test';
    } catch {
      // not JSON: look further
    }
  }
  if (['pyproject.toml', 'setup.py', 'setup.cfg', 'pytest.ini', 'tox.ini'].some(at)) {
    return hasPytest() ? 'python3 -m pytest -q' : 'python3 -m unittest discover -q';
  }
  if (at('go.mod')) return 'go test ./...';
  if (at('Cargo.toml')) return 'cargo test';
  throw new ConfigError(
    `No test command found in ${workspace} (no npm test script, Python project, go.mod or Cargo.toml): ` +
      'declare one with "Test command: ..." in the task or verify.command in the team',
  );
}

/** `Test command: npm run test:unit` (optionally in backticks) in a task; undefined when it declares none. */
export function declaredTestCommand(task: string): string | undefined {
  return /^Test command:\s*`?([^`\n]+?)`?\s*$/m.exec(task)?.[1]?.trim() || undefined;
}

/** The team with a task's `Test command:` in place of its `verify: { command: auto }` (the team as it was without). */
export function withDeclaredTestCommand(team: Team, task: string): Team {
  const declared = declaredTestCommand(task);
  if (!declared) return team;
  return {
    ...team,
    roles: team.roles.map((r) =>
      r.verify?.command === AUTO_TEST_COMMAND ? { ...r, verify: { ...r.verify, command: declared } } : r,
    ),
  };
}

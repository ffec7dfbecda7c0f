/**
 * The sandbox verification commands run in, like Codex's own commands: bubblewrap with the whole filesystem
 * read-only except the workspace and a private /tmp, a network namespace with only loopback, its own pid
 * namespace (everything in it dies with it), and an environment cleared down to a few variables: never a key.
 */
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** The only variables a verification command sees, besides PORT and BASE_URL. */
export function sandboxEnv(home: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    LANG: process.env.LANG ?? 'C.UTF-8',
    CI: '1',
    // npm start must not ask the registry whether a newer npm exists: there is no network.
    npm_config_update_notifier: 'false',
  };
}

/** bubblewrap's path on PATH, or undefined when it is not installed. */
export function findBwrap(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).concat(['/usr/bin', '/bin'])) {
    if (!dir) continue;
    const candidate = path.join(dir, 'bwrap');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Arguments that run `command` inside the sandbox, in `workspace`. */
export function bwrapArgs(workspace: string, command: readonly string[]): string[] {
  const env = sandboxEnv('/tmp');
  return [
    ...['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp'],
    ...['--bind', workspace, workspace],
    ...['--unshare-net', '--unshare-pid', '--die-with-parent', '--new-session', '--clearenv'],
    ...Object.entries(env).flatMap(([k, v]) => ['--setenv', k, v]),
    ...['--chdir', workspace],
    ...command,
  ];
}

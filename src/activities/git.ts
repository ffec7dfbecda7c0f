/** The real `git` binary for the workspace activities: no prompts, no model key, bounded, typed failures. */
import { execFile } from 'node:child_process';
import { GitCommandError } from '../shared/errors';

const gitEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
  // Hooks and credential helpers run by git need no model key.
  delete env.OPENAI_API_KEY;
  env.GIT_SSH_COMMAND ??= 'ssh -o BatchMode=yes -o ConnectTimeout=10';
  return env;
};

/** The real `git`, with no prompts and no model key; a failure is a GitCommandError with git's own words. */
export function git(
  args: string[],
  o: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      args,
      {
        cwd: o.cwd,
        env: { ...gitEnv(), ...o.env },
        timeout: o.timeoutMs ?? 60_000,
        killSignal: 'SIGKILL',
        maxBuffer: 16 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        if (!err) return resolve({ stdout, stderr });
        const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: number | string | null };
        reject(new GitCommandError(args, stderr || e.message, e.code ?? null, e.killed === true));
      },
    );
  });
}

/**
 * The sandbox a team's own checks run in, as strict as Codex's workspace-write sandbox for commands: only the
 * workspace is writable (the rest of the file system is read-only, /tmp included, as Codex's `exclude_slash_tmp` has
 * it; TMPDIR is a private tmpfs), the network is a
 * private namespace with loopback only, and the processes live in their own PID namespace, so every process a check
 * started dies with the sandbox (`--kill-child`), and the sandbox dies with the worker (`setpriv --pdeathsig`), even when
 * the worker is SIGKILLed.
 *
 * Built from util-linux `unshare` and `setpriv` (a user namespace maps the caller to root inside, so no privileges are needed where
 * unprivileged user namespaces are allowed) rather than bubblewrap: with a system `bwrap` on PATH, Codex 0.153.4
 * switches its own sandbox to it, and that sandbox cannot write a workspace under /tmp once /tmp is excluded
 * (measured: "Failed to write file"), so we do not ask users to install it.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface SandboxedCommand {
  command: string;
  args: string[];
}

/** Mount points that stay as they are inside: kernel file systems and the device nodes commands need. */
const KEEP = ['/proc', '/sys', '/dev'];

/** Inside the workspace: the check's TMPDIR, a tmpfs inside the sandbox, so nothing of it lands on disk. */
export const SANDBOX_TMP = '.verify-tmp';

/**
 * The shell prelude that runs as root inside the new namespaces: bring up loopback, keep the workspace writable,
 * make every other mount read-only, and give the check its own TMPDIR.
 */
function prelude(workspace: string): string {
  const q = shellQuote(workspace);
  const tmp = shellQuote(path.join(workspace, SANDBOX_TMP));
  const keep = KEEP.map((k) => `${k}|${k}/*`).join('|');
  return [
    'set -e',
    'ip link set lo up',
    `mount --bind ${q} ${q}`,
    // Read-only everywhere but the workspace (its own bind mount keeps its flags).
    `for m in $(awk '{print $2}' /proc/self/mounts | sort -u); do case "$m" in ${keep}|${q}) ;; *) mount -o remount,bind,ro "$m" 2>/dev/null || true ;; esac; done`,
    'mount -o remount,bind,ro / 2>/dev/null || true',
    `mount -t tmpfs -o size=256m tmpfs ${tmp}`,
    'mount -t tmpfs -o size=64m tmpfs /dev/shm 2>/dev/null || true',
    `cd ${q}`,
    'exec "$@"',
  ].join('\n');
}

/**
 * `argv` run in the sandbox with exactly `env` (nothing of the worker's environment, so no API key) plus TMPDIR.
 * Creates the workspace's TMPDIR mount point; `removeSandboxTmp` takes it away after the check.
 */
export function sandboxed(workspace: string, argv: string[], env: Record<string, string>): SandboxedCommand {
  mkdirSync(path.join(workspace, SANDBOX_TMP), { recursive: true });
  const vars = Object.entries({ ...env, TMPDIR: path.join(workspace, SANDBOX_TMP) }).map(([k, v]) => `${k}=${v}`);
  return {
    command: 'env',
    args: [
      '-i',
      ...vars,
      // Dies with the worker even when the worker is SIGKILLed: unshare then kills the sandbox's init (--kill-child),
      // and with it every process in the PID namespace.
      'setpriv',
      '--pdeathsig',
      'KILL',
      'unshare',
      '--user',
      '--map-root-user',
      '--mount',
      '--net',
      '--pid',
      '--fork',
      '--kill-child',
      '--mount-proc',
      'sh',
      '-c',
      prelude(workspace),
      'verify-sandbox',
      ...argv,
    ],
  };
}

export function removeSandboxTmp(workspace: string): void {
  rmSync(path.join(workspace, SANDBOX_TMP), { recursive: true, force: true });
}

let probed: string | null | undefined;

/** Undefined when the sandbox works here; otherwise why not (missing `unshare`/`ip`, user namespaces off). */
export function sandboxUnavailable(): string | undefined {
  if (probed === undefined) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'verify-sandbox-probe-'));
    try {
      const probe = sandboxed(dir, ['true'], { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' });
      execFileSync(probe.command, probe.args, { stdio: 'pipe', timeout: 10_000 });
      probed = null;
    } catch (err) {
      const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
      probed = stderr || (err instanceof Error ? err.message : String(err));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return probed ?? undefined;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Stops what a cancelled Codex call left running. Codex 0.153.4 interrupts the turn on `notifications/cancelled`
 * (mcp-server) or `turn/interrupt` (app-server), but a command it started (unified exec: `exec_command` keeps the
 * process in a background session once `yield_time_ms` passed) may live on, as may one it was about to spawn. The
 * shared Codex process serves other calls, so it is not killed: every process it runs in the call's workspace is.
 *
 * Linux only (reads /proc); elsewhere nothing is found. Commands of another call in the same workspace that is not
 * cancelled would be killed too: in a cancelled run every call is cancelled, so that does not arise there.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface ReapedProcess {
  pid: number;
  command: string;
}

interface ProcInfo {
  pid: number;
  ppid: number;
  cwd?: string;
  command: string;
}

/** Every process on the machine with its parent, cwd and command line (those we may not read are skipped). */
function listProcesses(): ProcInfo[] {
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  const out: ProcInfo[] = [];
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const command = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').trim();
      let cwd: string | undefined;
      try {
        cwd = fs.readlinkSync(`/proc/${name}/cwd`);
      } catch {
        cwd = undefined;
      }
      out.push({ pid: Number(name), ppid, cwd, command });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

const inside = (dir: string, p: string | undefined) =>
  p !== undefined && (p === dir || p.startsWith(dir.endsWith(path.sep) ? dir : `${dir}${path.sep}`));

/**
 * The descendants of `rootPid` that run in `workspace` (cwd inside it), with everything below them wherever it
 * runs. `rootPid` itself is never included.
 */
export function workspaceProcesses(rootPid: number, workspace: string): ReapedProcess[] {
  const dir = realpath(workspace);
  const procs = listProcesses();
  const children = new Map<number, ProcInfo[]>();
  for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const found: ReapedProcess[] = [];
  const walk = (pid: number, under: boolean) => {
    for (const c of children.get(pid) ?? []) {
      const hit = under || inside(dir, c.cwd);
      if (hit) found.push({ pid: c.pid, command: c.command });
      walk(c.pid, hit);
    }
  };
  walk(rootPid, false);
  return found;
}

/**
 * SIGKILLs the processes `rootPid` runs in `workspace`, again until none is found for `quietMs` (one the
 * interrupted turn spawned late is caught too), at most `maxMs`. Returns every process killed.
 */
export async function reapWorkspaceProcesses(
  rootPid: number | undefined,
  workspace: string,
  o: { quietMs?: number; maxMs?: number; everyMs?: number } = {},
): Promise<ReapedProcess[]> {
  if (rootPid === undefined) return [];
  const quietMs = o.quietMs ?? 750;
  const maxMs = o.maxMs ?? 5_000;
  const everyMs = o.everyMs ?? 100;
  const killed = new Map<number, ReapedProcess>();
  const started = Date.now();
  let lastSeen = started;
  for (;;) {
    const found = workspaceProcesses(rootPid, workspace);
    for (const p of found) {
      try {
        process.kill(p.pid, 'SIGKILL');
        killed.set(p.pid, p);
      } catch {
        // already gone
      }
    }
    const now = Date.now();
    if (found.length > 0) lastSeen = now;
    if (now - lastSeen >= quietMs || now - started >= maxMs) break;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return [...killed.values()];
}

function realpath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

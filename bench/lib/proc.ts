/**
 * Memory and CPU of a process tree from /proc (Linux): the worker, its Codex server and Codex's sandboxed children.
 * CPU counts reaped children too (cutime/cstime), so short-lived sandbox processes are not lost between samples.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times; 100 on Linux x86-64. */
const CLK_TCK = 100;

interface ProcInfo {
  pid: number;
  ppid: number;
  comm: string;
  /** utime + stime, in ms. */
  selfMs: number;
  /** selfMs + cutime + cstime (reaped children), in ms. */
  cpuMs: number;
}

function readStat(pid: number): ProcInfo | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = text.lastIndexOf(')');
    const comm = text.slice(text.indexOf('(') + 1, close);
    const f = text.slice(close + 2).split(' ');
    // f[0] is field 3 (state): ppid is field 4, utime..cstime are fields 14..17.
    const ms = (i: number) => (Number(f[i] ?? 0) * 1000) / CLK_TCK;
    const selfMs = ms(11) + ms(12);
    return { pid, ppid: Number(f[1]), comm, selfMs, cpuMs: selfMs + ms(13) + ms(14) };
  } catch {
    return undefined; // gone between readdir and read
  }
}

/** VmRSS and VmHWM (peak RSS) of one process, in bytes. */
export function memoryOf(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

/** The process name plus its first argument: tells `codex mcp-server` from Codex's helper processes. */
function labelOf(p: ProcInfo): string {
  try {
    const arg = readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').split('\0')[1] ?? '';
    return /^[\w-]+$/.test(arg) ? `${p.comm} ${arg}` : p.comm;
  } catch {
    return p.comm;
  }
}

/** The process and all its descendants that are alive now. */
export function processTree(root: number): ProcInfo[] {
  const all = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map((d) => readStat(Number(d)))
    .filter((p): p is ProcInfo => p !== undefined);
  const children = new Map<number, ProcInfo[]>();
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const out: ProcInfo[] = [];
  const rootInfo = all.find((p) => p.pid === root);
  const queue = rootInfo ? [rootInfo] : [];
  while (queue.length > 0) {
    const p = queue.shift() as ProcInfo;
    out.push(p);
    queue.push(...(children.get(p.pid) ?? []));
  }
  return out;
}

export interface TreeUsage {
  /** Highest sum of RSS over the tree seen in one sample. */
  peakTreeRss: number;
  /** Highest VmHWM seen per process name (node, codex, ...). */
  peakByName: Record<string, number>;
  /** Most processes alive in the tree at one sample. */
  peakProcesses: number;
  /** CPU of the whole tree, reaped children included. */
  cpuMs: number;
  /** Own CPU (no children) of the root processes, and of every process seen by name and first argument. */
  rootSelfCpuMs: number;
  selfCpuMsByName: Record<string, number>;
  samples: number;
}

/** Samples one or more process trees (as one) until stopped. */
export class TreeSampler {
  private readonly roots: number[];
  private timer: NodeJS.Timeout | undefined;
  private cpuStart: number | undefined;
  private cpuLast = 0;
  private readonly self = new Map<number, { comm: string; first: number; last: number }>();
  private readonly usage: TreeUsage = {
    peakTreeRss: 0,
    peakByName: {},
    peakProcesses: 0,
    cpuMs: 0,
    rootSelfCpuMs: 0,
    selfCpuMsByName: {},
    samples: 0,
  };

  constructor(
    roots: number | number[],
    private readonly everyMs = 250,
  ) {
    this.roots = Array.isArray(roots) ? roots : [roots];
  }

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.everyMs);
    return this;
  }

  stop(): TreeUsage {
    if (this.timer) clearInterval(this.timer);
    this.sample();
    const byName: Record<string, number> = {};
    for (const p of this.self.values()) byName[p.comm] = (byName[p.comm] ?? 0) + p.last - p.first;
    const rootSelf = this.roots.reduce((sum, pid) => {
      const p = this.self.get(pid);
      return sum + (p ? p.last - p.first : 0);
    }, 0);
    return {
      ...this.usage,
      cpuMs: this.cpuLast - (this.cpuStart ?? this.cpuLast),
      rootSelfCpuMs: rootSelf,
      selfCpuMsByName: byName,
    };
  }

  private sample(): void {
    const tree = this.roots.flatMap((r) => processTree(r));
    if (tree.length === 0) return;
    let rss = 0;
    for (const p of tree) {
      const m = memoryOf(p.pid);
      if (!m) continue;
      rss += m.rss;
      this.usage.peakByName[p.comm] = Math.max(this.usage.peakByName[p.comm] ?? 0, m.hwm);
    }
    const first = this.usage.samples === 0;
    for (const p of tree) {
      const seen = this.self.get(p.pid);
      if (seen) seen.last = p.selfMs;
      else this.self.set(p.pid, { comm: labelOf(p), first: first ? p.selfMs : 0, last: p.selfMs });
    }
    const cpu = tree.reduce((s, p) => s + p.cpuMs, 0);
    this.cpuStart ??= cpu;
    this.cpuLast = Math.max(this.cpuLast, cpu);
    this.usage.peakTreeRss = Math.max(this.usage.peakTreeRss, rss);
    this.usage.peakProcesses = Math.max(this.usage.peakProcesses, tree.length);
    this.usage.samples += 1;
  }
}

/** CPU time of a whole tree right now, in ms. */
export const treeCpuMs = (root: number): number => processTree(root).reduce((s, p) => s + p.cpuMs, 0);

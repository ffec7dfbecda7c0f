/* global require, process, Buffer, setTimeout, clearTimeout */
/* eslint-disable @typescript-eslint/no-require-imports -- plain node runs this file inside the sandbox, no tsx */
/**
 * One verification round, run by plain `node` inside the sandbox (see ./verify.ts): start the services (each in
 * its own process group, with PORT and BASE_URL), wait until each accepts TCP on 127.0.0.1:<port>, run the command
 * with BASE_URL of the first service, keep the tail of every output, stop every process group it started, and
 * print one result line: `@@verify-result {json}`. Everything is bounded by the spec's timeout.
 *
 *   node verify-driver.cjs '{"command":"bash tests/test.sh","services":[...],"timeoutMs":120000,...}'
 */
'use strict';
const { spawn } = require('node:child_process');
const { readdirSync, readFileSync, writeFileSync } = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const RESULT_MARK = '@@verify-result ';
const spec = JSON.parse(process.argv[2] || '{}');
const limit = spec.outputLimitBytes || 64 * 1024;
const started = Date.now();
const deadline = started + spec.timeoutMs;
const groups = [];

/** Keeps the last `limit` bytes of a stream of chunks. */
function tail() {
  let buf = Buffer.alloc(0);
  return {
    add(chunk) {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length > limit) buf = buf.subarray(buf.length - limit);
    },
    text: () => buf.toString('utf8'),
  };
}

function recordGroups() {
  if (spec.stateFile) writeFileSync(spec.stateFile, JSON.stringify({ pgids: groups }));
}

function start(command, cwd, env) {
  const child = spawn('bash', ['-c', command], {
    cwd,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid) groups.push(child.pid);
  recordGroups();
  const out = tail();
  child.stdout.on('data', out.add);
  child.stderr.on('data', out.add);
  const exited = new Promise((resolve) => {
    child.on('error', (err) => {
      out.add(Buffer.from(`${err.message}\n`));
      resolve({ code: null, signal: null });
    });
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  return { child, out, exited };
}

function killGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function portOpen(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.setTimeout(1_000, () => done(false));
  });
}

/** How often a service's port is tried until it answers, and a stopped group looked at until it is gone. */
const PORT_POLL_MS = 20;
const STOP_POLL_MS = 10;
/** How long the processes get to end on SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 300;

/**
 * Whether a process of these groups still runs. A zombie does not count: this driver is the PID namespace's init,
 * so orphans (npm's node once npm is gone) end as zombies it never reaps, and `kill(-pgid, 0)` still finds those.
 * Without /proc (the unsandboxed mode off Linux), a group answering a signal counts as running.
 */
function anyRunning(pgids) {
  let entries;
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return pgids.some((g) => {
      try {
        process.kill(-g, 0);
        return true;
      } catch {
        return false;
      }
    });
  }
  return entries.some((pid) => {
    try {
      // pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return state !== 'Z' && pgids.includes(Number(pgrp));
    } catch {
      return false; // gone meanwhile
    }
  });
}

/** SIGTERM to every group, SIGKILL to what is left once they are gone or the grace is up (not a fixed wait). */
async function stopAll() {
  for (const g of groups) killGroup(g, 'SIGTERM');
  const until = Date.now() + STOP_GRACE_MS;
  while (Date.now() < until && anyRunning(groups)) await sleep(STOP_POLL_MS);
  for (const g of groups) killGroup(g, 'SIGKILL');
}

async function main() {
  const ws = spec.workspace;
  const services = [];
  const result = {
    passed: false,
    exitCode: null,
    signal: null,
    timedOut: false,
    durationMs: 0,
    outputTail: '',
    services,
    problem: undefined,
  };
  const firstPort = spec.services[0] && spec.services[0].port;
  const baseUrl = firstPort ? `http://127.0.0.1:${firstPort}` : undefined;
  const running = [];
  try {
    for (const s of spec.services) {
      const env = { PORT: String(s.port), BASE_URL: `http://127.0.0.1:${s.port}` };
      const proc = start(s.command, path.join(ws, s.cwd || '.'), env);
      const record = { command: s.command, cwd: s.cwd || '.', port: s.port, ready: false, outputTail: '' };
      services.push(record);
      running.push({ proc, record });
      let exited = false;
      void proc.exited.then(() => (exited = true));
      while (!record.ready && !exited && Date.now() < deadline) {
        record.ready = await portOpen(s.port);
        if (!record.ready) await sleep(PORT_POLL_MS);
      }
      if (!record.ready) {
        result.timedOut = !exited;
        result.problem = exited
          ? `service "${s.command}" (in ${record.cwd}) exited before port ${s.port} answered`
          : `service "${s.command}" (in ${record.cwd}) did not open port ${s.port} within ${spec.timeoutMs} ms`;
        return;
      }
    }
    const env = baseUrl ? { BASE_URL: baseUrl } : {};
    const cmd = start(spec.command, ws, env);
    const left = Math.max(0, deadline - Date.now());
    let timer;
    const timeout = new Promise((resolve) => {
      timer = setTimeout(() => resolve('timeout'), left);
    });
    const outcome = await Promise.race([cmd.exited, timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      result.timedOut = true;
      result.problem = `command "${spec.command}" did not finish within ${spec.timeoutMs} ms`;
      killGroup(cmd.child.pid, 'SIGKILL');
    } else {
      result.exitCode = outcome.code;
      result.signal = outcome.signal;
      result.passed = outcome.code === 0;
    }
    result.outputTail = cmd.out.text();
  } finally {
    await stopAll();
    for (const r of running) r.record.outputTail = r.proc.out.text();
    result.durationMs = Date.now() - started;
    process.stdout.write(`${RESULT_MARK}${JSON.stringify(result)}\n`);
  }
}

main().catch((err) => {
  process.stdout.write(`${RESULT_MARK}${JSON.stringify({ driverError: String(err && err.stack) })}\n`);
});

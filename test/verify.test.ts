/**
 * The verification activity on its own (MockActivityEnvironment, real namespaces sandbox): a passing and a failing command,
 * a hanging command and a service that never opens its port (bounded, nothing left running), the sandbox's limits
 * (no writes outside the workspace, loopback only, no API key in the environment).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { runVerification } from '../src/activities/verify';
import type { VerifyInput, VerifyResult } from '../src/shared/types';

const TEMPLATE = path.join(__dirname, '..', 'src', 'scripted-model', 'templates', 'bug-busters');

/** Live processes whose command line contains `marker`. */
function processesWith(marker: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
      if (cmdline.includes(marker) && state !== 'Z') found.push(`${pid}: ${cmdline}`);
    } catch {
      // gone while we looked
    }
  }
  return found;
}

describe('runVerification (namespaces sandbox)', () => {
  let ws: string;
  before(() => {
    ws = mkdtempSync(path.join(os.tmpdir(), 'verify-test-'));
    cpSync(path.join(TEMPLATE, 'backend'), path.join(ws, 'backend'), { recursive: true });
    cpSync(path.join(TEMPLATE, 'tests'), path.join(ws, 'tests'), { recursive: true });
  });
  after(() => rmSync(ws, { recursive: true, force: true }));

  const run = (over: Partial<VerifyInput>): Promise<VerifyResult> =>
    new MockActivityEnvironment().run(runVerification, {
      runId: 'verify-test',
      role: 'tester',
      round: 1,
      workspace: ws,
      command: 'bash tests/test.sh',
      services: [{ command: 'npm start', cwd: 'backend', port: 3000 }],
      timeoutMs: 30_000,
      ...over,
    });

  it("passes the Bug Busters test.sh against the backend it starts, on the service's PORT and BASE_URL", async () => {
    const r = await run({ services: [{ command: 'npm start', cwd: 'backend', port: 4123 }] });
    assert.equal(r.passed, true, r.outputTail);
    assert.equal(r.exitCode, 0);
    assert.equal(r.sandbox, 'namespaces');
    assert.match(r.outputTail, /All checks passed/);
    assert.equal(r.services[0]?.ready, true);
    assert.match(r.services[0]?.outputTail ?? '', /listening on http:\/\/localhost:4123/);
  });

  it('reports a failing command as a result with the tail of its output', async () => {
    const r = await run({ command: 'for i in $(seq 1 20000); do echo "line $i"; done; echo broken >&2; exit 3' });
    assert.equal(r.passed, false);
    assert.equal(r.exitCode, 3);
    assert.equal(r.timedOut, false);
    assert.match(r.outputTail, /line 20000\nbroken\n$/);
    assert.ok(Buffer.byteLength(r.outputTail) <= 64 * 1024, 'bounded output');
    assert.doesNotMatch(r.outputTail, /^line 1\n/);
  });

  it('stops a hanging command at the timeout and leaves nothing running', async () => {
    const marker = `hang-${randomUUID()}`;
    const r = await run({ command: `sleep 600 # ${marker}`, timeoutMs: 2_000 });
    assert.equal(r.passed, false);
    assert.equal(r.timedOut, true);
    assert.match(r.problem ?? '', /did not finish within 2000 ms/);
    assert.deepEqual(processesWith(marker), []);
    assert.deepEqual(processesWith('node server.js'), [], 'the backend was stopped too');
  });

  it('names a service that never opens its port, and stops it', async () => {
    const marker = `deaf-${randomUUID()}`;
    const r = await run({ services: [{ command: `sleep 600 # ${marker}`, cwd: '.', port: 4999 }], timeoutMs: 2_000 });
    assert.equal(r.passed, false);
    assert.equal(r.services[0]?.ready, false);
    assert.match(r.problem ?? '', new RegExp(`service "sleep 600 # ${marker}" \\(in \\.\\) did not open port 4999`));
    assert.deepEqual(processesWith(marker), []);
  });

  it('refuses writes outside the workspace, allows loopback only, and never shows the API key', async () => {
    process.env.OPENAI_API_KEY = 'sk-must-not-leak';
    // Not under /tmp: the sandbox has its own /tmp, so a write there lands in it, not on the host.
    const outside = path.join(__dirname, `outside-${randomUUID()}`);
    try {
      const r = await run({
        services: [],
        command: [
          `touch ${outside} && echo WROTE-OUTSIDE`,
          'touch inside.txt && echo WROTE-INSIDE',
          'echo "key=${OPENAI_API_KEY:-none}"',
          "node -e \"require('http').createServer((q,s)=>s.end('pong')).listen(4555,()=>require('http').get('http://127.0.0.1:4555',r=>r.on('data',d=>{console.log('loopback '+d);process.exit(0)})))\"",
          'curl -sS -m 5 -o /dev/null http://1.1.1.1/ && echo NETWORK-REACHED || echo network refused',
        ].join('; '),
      });
      assert.equal(r.passed, true, r.outputTail);
      assert.doesNotMatch(r.outputTail, /WROTE-OUTSIDE/);
      assert.equal(existsSync(outside), false);
      assert.match(r.outputTail, /WROTE-INSIDE/);
      assert.ok(existsSync(path.join(ws, 'inside.txt')));
      assert.match(r.outputTail, /key=none/);
      assert.match(r.outputTail, /loopback pong/);
      assert.match(r.outputTail, /network refused/);
      assert.doesNotMatch(r.outputTail, /NETWORK-REACHED/);
    } finally {
      delete process.env.OPENAI_API_KEY;
      rmSync(outside, { force: true });
    }
  });

  it('stops services with SIGTERM first and SIGKILLs the ones that ignore it (without the sandbox: the driver alone)', async () => {
    const marker = `stubborn-${randomUUID()}`;
    // Each notes the SIGTERM it got; the polite one then exits, the stubborn one keeps its port open.
    const service = (name: string, port: number, exits: boolean) => ({
      command:
        `node -e "/*${marker}*/ process.on('SIGTERM', () => { require('fs').writeFileSync('${name}.term', ''); ` +
        `${exits ? 'process.exit(0)' : ''} }); require('http').createServer().listen(process.env.PORT)"`,
      cwd: '.',
      port,
    });
    const unsandboxed = (i: VerifyInput): Promise<VerifyResult> => runVerification(i, { sandbox: 'none' });
    const r = (await new MockActivityEnvironment().run(unsandboxed, {
      runId: 'verify-test',
      role: 'tester',
      round: 1,
      workspace: ws,
      command: 'true',
      services: [service('polite', 4301, true), service('stubborn', 4302, false)],
      timeoutMs: 30_000,
    })) as VerifyResult;
    assert.equal(r.passed, true, r.problem);
    assert.equal(r.sandbox, 'none');
    assert.ok(existsSync(path.join(ws, 'polite.term')), 'the polite service was asked to stop');
    assert.ok(existsSync(path.join(ws, 'stubborn.term')), 'the stubborn one was asked first, too');
    assert.deepEqual(processesWith(marker), [], 'and then killed');
  });
});

/**
 * The sandbox of verification commands on this machine: only the workspace is writable, loopback works and nothing
 * else does, the worker's environment (the API key) stays out, and no process outlives the sandbox.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { removeSandboxTmp, sandboxUnavailable, sandboxed } from '../src/activities/verify-sandbox';

const root = mkdtempSync(path.join(os.tmpdir(), 'verify-sandbox-'));
after(() => rmSync(root, { recursive: true, force: true }));

function inSandbox(script: string) {
  const ws = mkdtempSync(path.join(root, 'ws-'));
  const c = sandboxed(ws, ['bash', '-c', script], { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: ws });
  const r = spawnSync(c.command, c.args, {
    encoding: 'utf8',
    env: { ...process.env, OPENAI_API_KEY: 'sk-test-never-inside-0000' },
    timeout: 30_000,
  });
  removeSandboxTmp(ws);
  return { ws, status: r.status, out: `${r.stdout}${r.stderr}` };
}

void describe('verification sandbox', () => {
  void it('is available here', () => {
    assert.equal(sandboxUnavailable(), undefined);
  });

  void it('writes only in the workspace and its private TMPDIR', () => {
    const outside = path.join(root, `outside-${Date.now()}`);
    const r = inSandbox(
      `echo a > inside.txt; echo b > ${outside} || echo refused; echo c > "$TMPDIR/t" && echo tmpdir`,
    );
    assert.ok(existsSync(path.join(r.ws, 'inside.txt')), r.out);
    assert.ok(!existsSync(outside));
    assert.match(r.out, /Read-only file system/);
    assert.match(r.out, /tmpdir/);
    assert.deepEqual(readdirSync(r.ws), ['inside.txt'], 'TMPDIR left nothing behind');
  });

  void it('has loopback and no other network, and no API key', () => {
    const r = inSandbox(
      "node -e \"const h=require('http');h.createServer((q,s)=>s.end('pong')).listen(3999,()=>h.get('http://127.0.0.1:3999',s=>s.on('data',d=>{console.log('loop '+d);process.exit(0)})))\"; " +
        "node -e \"require('net').connect(80,'1.1.1.1').on('error',e=>console.log('net '+e.code))\"; echo \"key=[$OPENAI_API_KEY]\"",
    );
    assert.match(r.out, /loop pong/);
    assert.match(r.out, /net (ENETUNREACH|EHOSTUNREACH|ECONNREFUSED)/);
    assert.match(r.out, /key=\[\]/);
  });

  void it('leaves no process behind', () => {
    const marker = `sleep 3${Math.floor(Math.random() * 1000) + 100}`;
    const r = inSandbox(`(${marker} &); (nohup ${marker} >/dev/null 2>&1 &); echo started`);
    assert.match(r.out, /started/);
    const left = spawnSync('pgrep', ['-f', marker], { encoding: 'utf8' });
    assert.equal(left.stdout.trim(), '', `processes left: ${left.stdout}`);
  });
});

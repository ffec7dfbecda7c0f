/**
 * The dev server's orphan watchdog (src/temporal/dev-server.ts) without a server: stand-ins in their own process
 * groups. When its owner goes (its pipe closes), it stops the group: SIGTERM, SIGKILL after the grace for a process
 * that ignores SIGTERM, and it ends as soon as the process is gone, so it never outlives it to signal a reused pid.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { setTimeout as timer } from 'node:timers/promises';
import { startOrphanWatchdog } from '../src/temporal/dev-server';

/** A stand-in server in its own process group, as the dev server is started. */
function standIn(script: string): ChildProcess {
  const child = spawn('/bin/sh', ['-c', script], { detached: true, stdio: 'ignore' });
  assert.ok(child.pid);
  return child;
}

/** Whether `exited` settled within `ms`. */
async function exitedWithin(exited: Promise<unknown>, ms: number): Promise<boolean> {
  const grace = new AbortController();
  const done = await Promise.race([
    exited.then(() => true),
    timer(ms, false, { signal: grace.signal }).catch(() => false),
  ]);
  grace.abort();
  return done;
}

const exitOf = (p: ChildProcess) =>
  p.exitCode !== null || p.signalCode !== null
    ? Promise.resolve()
    : (once(p, 'exit') as Promise<unknown>).then(() => undefined);

void describe('the dev server orphan watchdog', () => {
  void it('does nothing while its owner lives, then stops the group with SIGTERM and ends with it', async () => {
    const server = standIn('exec sleep 600');
    const watchdog = startOrphanWatchdog(server.pid!, 5_000);
    try {
      assert.equal(await exitedWithin(exitOf(server), 300), false, 'the owner still holds the pipe');
      watchdog.stdin?.end(); // the owner is gone
      assert.ok(await exitedWithin(exitOf(server), 5_000), 'the server was stopped');
      assert.equal(server.signalCode, 'SIGTERM');
      // Ends with the server, not a grace later: nothing is left that could signal the pid once it is reused.
      assert.ok(await exitedWithin(exitOf(watchdog), 2_000), 'the watchdog ended with the server');
    } finally {
      server.kill('SIGKILL');
      watchdog.kill('SIGKILL');
    }
  });

  void it('SIGKILLs a server that ignores SIGTERM once the grace is up', async () => {
    const server = standIn("trap '' TERM; while :; do sleep 0.05; done");
    const watchdog = startOrphanWatchdog(server.pid!, 500);
    try {
      await timer(100); // the trap is set
      watchdog.stdin?.end();
      assert.ok(await exitedWithin(exitOf(server), 5_000), 'the server was killed');
      assert.equal(server.signalCode, 'SIGKILL');
      assert.ok(await exitedWithin(exitOf(watchdog), 2_000));
    } finally {
      try {
        process.kill(-server.pid!, 'SIGKILL');
      } catch {
        // gone
      }
      watchdog.kill('SIGKILL');
    }
  });
});

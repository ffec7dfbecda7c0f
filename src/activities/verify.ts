/**
 * The verification activity: one round of a role's `verify` (see docs/teams.md). A small driver
 * (./verify-driver.cjs) runs inside the sandbox (./verify-sandbox.ts): it starts the services, waits for their ports, runs
 * the command under the timeout and stops every process it started. A failing command is a result, not a failure;
 * only infrastructure errors throw (and retry). Nothing outlives the round: the pid namespace dies with the sandbox,
 * the sandbox dies with the worker, and each attempt first kills what a killed earlier attempt may have left.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { ConfigError, TransientServiceError } from '../shared/errors';
import type { FileRecord, VerifyInput, VerifyResult } from '../shared/types';
import { withFailureConversion } from './failures';
import { sandboxEnv } from './sandbox';
import { AUTO_TEST_COMMAND, detectTestCommand } from './test-command';
import { SANDBOX_TMP, removeSandboxTmp, sandboxUnavailable, sandboxed } from './verify-sandbox';

export const DRIVER = path.join(__dirname, 'verify-driver.cjs');
const RESULT_MARK = '@@verify-result ';
export const OUTPUT_LIMIT_BYTES = 64 * 1024;
/** Beyond the round's timeout: the driver's own stop of its processes, the sandbox's start and end. */
const GRACE_MS = 15_000;

export interface VerifyDeps {
  sandbox?: 'namespaces' | 'none';
  heartbeatEveryMs?: number;
}

export function createVerifyActivities(deps: VerifyDeps = {}) {
  return {
    runVerification: withFailureConversion((input: VerifyInput) => runVerification(input, deps)),
  };
}

/**
 * Checks that, when they pass and the workflow asks (`list`: the run's last role), also list the workspace: the
 * run's final listing rides in the last activity it needed anyway (one activity and one workflow task fewer).
 */
export function verifyThenList(
  verify: (input: VerifyInput) => Promise<VerifyResult>,
  list: (workspace: string, base?: string) => Promise<FileRecord[]>,
): (input: VerifyInput) => Promise<VerifyResult> {
  return async (input) => {
    const result = await verify(input);
    return result.passed && input.list ? { ...result, files: await list(input.workspace, input.list.base) } : result;
  };
}

/** Where a round records the process groups it started, so the next attempt can stop them if this one was killed. */
function stateFiles(workspace: string): { own: string; children: string } {
  const dir = path.join(os.tmpdir(), 'dca-verify');
  mkdirSync(dir, { recursive: true });
  const key = createHash('sha256').update(workspace).digest('hex').slice(0, 16);
  return { own: path.join(dir, `${key}.json`), children: path.join(dir, `${key}-children.json`) };
}

/** SIGKILLs the process groups an earlier attempt on this workspace recorded, and forgets them. */
export function cleanUpEarlierAttempt(workspace: string): number {
  let killed = 0;
  for (const file of Object.values(stateFiles(workspace))) {
    try {
      const { pgids } = JSON.parse(readFileSync(file, 'utf8')) as { pgids?: number[] };
      for (const pgid of pgids ?? []) {
        try {
          process.kill(-pgid, 'SIGKILL');
          killed += 1;
        } catch {
          // already gone
        }
      }
    } catch {
      // no record
    }
    rmSync(file, { force: true });
  }
  return killed;
}

export async function runVerification(input: VerifyInput, deps: VerifyDeps = {}): Promise<VerifyResult> {
  const ctx = Context.current();
  const mode = deps.sandbox ?? 'namespaces';
  const unavailable = mode === 'namespaces' ? sandboxUnavailable() : undefined;
  if (unavailable) {
    throw new ConfigError(
      `verification cannot sandbox its commands here (${unavailable.split('\n')[0] ?? ''}): it needs util-linux ` +
        '`unshare` and `setpriv`, iproute2 `ip` and user namespaces; or set VERIFY_SANDBOX=none to run them unsandboxed',
    );
  }
  cleanUpEarlierAttempt(input.workspace);
  const files = stateFiles(input.workspace);
  const home = mode === 'none' ? await mkdtemp(path.join(os.tmpdir(), 'dca-verify-home-')) : undefined;
  // `auto` (teams/change.yaml): the repository's own test command, detected from its files.
  const command = input.command === AUTO_TEST_COMMAND ? detectTestCommand(input.workspace) : input.command;
  const spec = {
    workspace: input.workspace,
    command,
    services: input.services,
    timeoutMs: input.timeoutMs,
    outputLimitBytes: OUTPUT_LIMIT_BYTES,
    // In the sandbox the pid namespace stops everything; unsandboxed, the next attempt reads this file.
    stateFile: mode === 'none' ? files.children : undefined,
  };
  const driver = [process.execPath, DRIVER, JSON.stringify(spec)];
  const sandbox =
    mode === 'namespaces'
      ? sandboxed(input.workspace, driver, sandboxEnv(path.join(input.workspace, SANDBOX_TMP)))
      : undefined;
  const child = sandbox
    ? spawn(sandbox.command, sandbox.args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(driver[0] as string, driver.slice(1), {
        cwd: input.workspace,
        env: sandboxEnv(home ?? os.tmpdir()),
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
  const stop = () => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  if (child.pid !== undefined) writeFileSync(files.own, JSON.stringify({ pgids: [child.pid] }));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout = (stdout + c.toString('utf8')).slice(-4 * OUTPUT_LIMIT_BYTES)));
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-OUTPUT_LIMIT_BYTES)));
  const started = Date.now();
  const beat = setInterval(
    () => ctx.heartbeat({ round: input.round, elapsedMs: Date.now() - started }),
    deps.heartbeatEveryMs ?? 2_000,
  );
  const guard = setTimeout(stop, input.timeoutMs + GRACE_MS);
  const onCancel = () => stop();
  ctx.cancellationSignal.addEventListener('abort', onCancel);
  try {
    const exit = await new Promise<{ code: number | null; error?: Error }>((resolve) => {
      child.once('error', (error) => resolve({ code: null, error }));
      child.once('close', (code) => resolve({ code }));
    });
    if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
    if (exit.error) {
      throw new TransientServiceError(`verification sandbox did not start: ${exit.error.message}`, undefined, {
        cause: exit.error,
      });
    }
    const line = stdout
      .split('\n')
      .reverse()
      .find((l) => l.startsWith(RESULT_MARK));
    if (!line) {
      throw new TransientServiceError(
        `verification driver ended (exit ${exit.code}) without a result: ${stderr.trim().slice(-2_000)}`,
      );
    }
    const raw = JSON.parse(line.slice(RESULT_MARK.length)) as Omit<VerifyResult, 'round' | 'sandbox'> & {
      driverError?: string;
    };
    if (raw.driverError) throw new TransientServiceError(`verification driver failed: ${raw.driverError}`);
    return { ...raw, round: input.round, sandbox: mode };
  } finally {
    clearInterval(beat);
    clearTimeout(guard);
    ctx.cancellationSignal.removeEventListener('abort', onCancel);
    stop();
    rmSync(files.own, { force: true });
    if (mode === 'none') cleanUpEarlierAttempt(input.workspace);
    if (home) await rm(home, { recursive: true, force: true });
    if (sandbox) removeSandboxTmp(input.workspace);
  }
}

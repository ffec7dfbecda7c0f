/**
 * People in the loop, end to end on real parts (Temporal dev server, worker child processes, the real Codex binary,
 * the scripted model), with the CLIs users run:
 *  - a review asks for changes (`npm run review -- <id> --changes`), the role revises its file on its own Codex
 *    thread, the review comes again and is approved; the roles after it waited; refused decisions say why;
 *  - a pending review survives a worker SIGKILL and a server restart, holding no activity while it waits;
 *  - a token budget stops a run that waits for a raise (`--raise-budget`), which then completes; a turn budget
 *    fails a run with a BudgetExceededError that gives the totals.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { loadTeam } from '../src/cli/team-file';
import { readHistory } from '../src/report/history';
import { startLocalStack, type LocalStack } from '../src/runtime/local-stack';
import { finishRun, startRun } from '../src/runtime/runs';
import { reviewUpdate } from '../src/shared/people';
import type { Team } from '../src/shared/team';
import type { RunResult, RunState, TeamRunInput } from '../src/shared/types';
import { runCli } from './helpers/cli';
import { CRASH_TUNING, WorkerFleet, waitFor } from './helpers/crash';
import { progressQuery } from '../src/shared/progress';

const FIXTURES = path.join(__dirname, 'fixtures', 'teams');
let stack: LocalStack;
let fleet: WorkerFleet;
let team: Team;
let task: string;

before(async () => {
  stack = await startLocalStack({ inProcessWorker: false });
  fleet = new WorkerFleet(stack);
  await fleet.start();
  team = (await loadTeam(path.join(FIXTURES, 'release-notes.yaml'))).team;
  task = await readFile(path.join(FIXTURES, 'release-notes.md'), 'utf8');
});
after(async () => {
  await fleet?.stopAll();
  await stack?.stop();
});

function start(id: string, options: Partial<TeamRunInput>): Promise<WorkflowHandle> {
  return startRun(stack.client, {
    kind: 'team',
    input: { team, task, tuning: CRASH_TUNING, ...options },
    workflowId: `${id}-${Date.now()}`,
    taskQueue: stack.taskQueue,
  });
}

const progress = (h: WorkflowHandle) => h.query(progressQuery).catch(() => undefined);

/** Waits until `role` waits for its review `round`. */
function reviewPending(h: WorkflowHandle, role: string, round: number): Promise<RunState> {
  return waitFor(
    `${role} waiting for review ${round}`,
    async () => {
      const s = await progress(h);
      return s?.reviews?.pending.some((p) => p.role === role && p.round === round) ? s : undefined;
    },
    90_000,
    200,
  );
}

async function refusal(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof WorkflowUpdateFailedError, `refused: ${String(err)}`);
  return err.cause?.message ?? '';
}

describe('review gates (real Temporal, real Codex, the review CLI)', { timeout: 300_000 }, () => {
  it('changes, a revision on the same thread, then approve; the roles after it wait', async () => {
    const h = await start('review-changes', { review: { roles: ['analyst'] } });
    const waiting = await reviewPending(h, 'analyst', 1);
    assert.equal(waiting.steps.find((s) => s.role === 'analyst')?.status, 'review');
    assert.ok(
      waiting.steps.filter((s) => s.role !== 'analyst').every((s) => s.status === 'waiting'),
      'the roles after the reviewed one have not started',
    );
    // Waiting holds no worker slot: no activity is pending.
    assert.equal((await h.describe()).raw.pendingActivities?.length ?? 0, 0);

    const shown = await runCli(stack, 'review', [h.workflowId]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /Change Analyst \(analyst\) waits for a review: round 1, waiting \d+/);
    assert.match(shown.stdout, /changes\/classified\.md {2}\d+ bytes/);
    const json = await runCli(stack, 'review', [h.workflowId, '--json']);
    assert.deepEqual(
      (JSON.parse(json.stdout) as { reviews: RunState['reviews'] }).reviews?.pending.map((p) => p.role),
      ['analyst'],
    );

    // Refused, with the reason, and nothing recorded.
    const unknownRole = await runCli(stack, 'review', [h.workflowId, '--approve', '--role', 'nobody']);
    assert.equal(unknownRole.code, 2);
    assert.match(unknownRole.stderr, /review refused: Unknown role "nobody"; this team's roles: analyst, writer/);
    const notWaiting = await runCli(stack, 'review', [h.workflowId, '--approve', '--role', 'editor']);
    assert.match(notWaiting.stderr, /editor is not waiting for a review \(waiting: analyst\)/);
    assert.match(
      await refusal(h.executeUpdate(reviewUpdate, { args: [{ decision: 'changes', text: '  ', by: 'test' }] })),
      /Changes need a text/,
    );

    const asked = 'List the breaking changes first';
    const sent = await runCli(stack, 'review', [h.workflowId, '--changes', asked]);
    assert.equal(sent.code, 0, sent.stderr);
    assert.match(sent.stdout, /Sent changes to analyst \(review 1\) as \S+@\S+/);

    const again = await reviewPending(h, 'analyst', 2);
    const ws = again.workspace ?? '';
    assert.match(await readFile(path.join(ws, 'changes/classified.md'), 'utf8'), new RegExp(`- ${asked}`));
    const calls = again.steps.find((s) => s.role === 'analyst')?.codexCalls ?? [];
    assert.deepEqual(
      calls.map((c) => c.tool),
      ['codex', 'codex-reply'],
    );
    assert.equal(calls[1]?.threadId, calls[0]?.threadId, 'revised on its own Codex thread');
    assert.match(calls[1]?.prompt ?? '', /A reviewer asked for these changes/);

    const approved = await runCli(stack, 'review', [h.workflowId, '--approve']);
    assert.equal(approved.code, 0, approved.stderr);
    assert.match(approved.stdout, /Approved analyst \(review 2\)/);
    // Refused either way: the writer's step may still run, or (a CLI start takes seconds on a busy machine) be done.
    const nothing = await runCli(stack, 'review', [h.workflowId, '--approve']);
    assert.equal(nothing.code, 2);
    assert.match(
      nothing.stderr,
      /Nothing waits for a review now|the run is not running \(workflow execution already completed\)/,
    );

    const outcome = await finishRun(h);
    assert.equal(outcome.ok, true, outcome.error);
    const { state } = outcome.result as RunResult;
    assert.deepEqual(
      state.reviews?.decided.map((d) => [d.role, d.round, d.decision, d.text]),
      [
        ['analyst', 1, 'changes', asked],
        ['analyst', 2, 'approved', undefined],
      ],
    );
    // In history: the two accepted decisions, with who sent them; refused ones are not there.
    const updates = readHistory(await h.fetchHistory()).updates.filter((u) => u.name === 'review');
    assert.equal(updates.length, 2);
    for (const u of updates) assert.match(String((u.input as { by?: string }).by), /\S+@\S+/);
    const md = await readFile(outcome.reportPaths?.markdown ?? '', 'utf8');
    assert.match(md, /## People in the loop/);
    assert.match(md, new RegExp(`\\| analyst \\| review 1: changes: ${asked} \\|`));
    assert.match(md, /\| analyst \| review 2: approved \|/);
  });

  it('a pending review survives a worker SIGKILL and a server restart', async () => {
    const h = await start('review-restarts', { review: { roles: ['analyst'] } });
    await reviewPending(h, 'analyst', 1);
    const before = readHistory(await h.fetchHistory()).activities.length;
    await fleet.kill();
    await stack.restartServer();
    await fleet.start();
    const still = await reviewPending(h, 'analyst', 1);
    assert.equal(still.reviews?.decided.length, 0);
    const approved = await runCli(stack, 'review', [h.workflowId, '--approve', '--role', 'analyst']);
    assert.equal(approved.code, 0, approved.stderr);
    const outcome = await finishRun(h);
    assert.equal(outcome.ok, true, outcome.error);
    const history = readHistory(await h.fetchHistory());
    const analystCalls = history.activities.filter(
      (a) => a.type === 'codexCall' && (a.input as { role?: string }).role === 'analyst',
    );
    assert.equal(analystCalls.length, 1, 'the reviewed step was not redone');
    assert.ok(history.activities.length > before, 'the run went on after the approval');
  });

  it('a review nobody answers fails the run after --review-timeout', async () => {
    const h = await start('review-timeout', { review: { roles: ['analyst'], timeoutMs: 1_500 } });
    const err = await h.result().then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError);
    assert.ok(err.cause instanceof ApplicationFailure);
    assert.equal(err.cause.type, 'ReviewTimeoutError');
    assert.match(err.cause.message, /Nobody reviewed Change Analyst within 1500ms \(review 1\)/);
  });
});

describe('budgets (real Temporal, real Codex)', { timeout: 300_000 }, () => {
  it('a spent token budget waits for a raise, and the raise lets the run complete', async () => {
    const h = await start('budget-raise', { budget: { maxTokens: 1, onExceeded: 'wait' } });
    const stopped = await waitFor(
      'the token budget to stop the run',
      async () => ((await progress(h))?.budget?.stopped ? progress(h) : undefined),
      90_000,
      200,
    );
    assert.equal(stopped?.budget?.stopped?.what, 'tokens');
    assert.ok((stopped?.budget?.used.total ?? 0) >= 1);
    const shown = await runCli(stack, 'review', [h.workflowId]);
    assert.match(shown.stdout, /stopped .* ago: the token budget is spent/);
    const raised = await runCli(stack, 'review', [h.workflowId, '--raise-budget', '10000000']);
    assert.equal(raised.code, 0, raised.stderr);
    assert.match(raised.stdout, /Budget raised: now 10000001 tokens/);
    const outcome = await finishRun(h);
    assert.equal(outcome.ok, true, outcome.error);
    const { state } = outcome.result as RunResult;
    assert.equal(state.budget?.raises.length, 1);
    assert.equal(state.budget?.stopped, undefined);
    assert.match(await readFile(outcome.reportPaths?.markdown ?? '', 'utf8'), /budget raised: \+10000000 tokens/);
  });
});

/**
 * Determinism: recorded histories (test/fixtures/histories/, recorded by scripts/record-histories.ts on real parts)
 * replay against today's workflow code: the legacy multi-agent and single-agent workflow types, recorded before
 * team files and now thin entry points on the team runner, and teamWorkflow runs of teams/cookbook.yaml (one on a git
 * workspace, each step's gate then its commit, from before the 'step-end-folded' patch; one recorded on 2026-12-04 with
 * every patch since, a re-ask and a failed verification round included), and the first runs of two MCP
 * Codex sessions, two turns each then continued as new: one started by an Update-with-Start, one (as the MCP server
 * starts them) with its first turn in its input (both recorded on a real dev server with a stand-in codexCall, as
 * test/codex-session.test.ts runs them). A change that would break
 * workflows already running fails here; the check itself is proven able to fail with a modified workflow.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { bundleWorkflows } from '../src/runtime/workflow-bundle';

const DIR = path.join(__dirname, 'fixtures', 'histories');
const FIXTURES = [
  'multi-agent.json',
  'multi-agent-reask.json',
  'single-agent.json',
  'team-cookbook.json',
  'team-cookbook-verify.json',
  'team-cookbook-git.json',
  'team-cookbook-current.json',
  'codex-session.json',
  'codex-session-first-turn.json',
];

const load = (file: string) => ({
  workflowId: file.replace(/\.json$/, ''),
  history: JSON.parse(readFileSync(path.join(DIR, file), 'utf8')) as unknown,
});

const quiet = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  log: () => undefined,
};

interface JsonEvent {
  eventType: string;
  workflowExecutionStartedEventAttributes?: { workflowType: { name: string } };
  activityTaskScheduledEventAttributes?: { activityType: { name: string }; input?: { payloads: { data: string }[] } };
  activityTaskStartedEventAttributes?: { attempt?: number };
}

/** What a JSON history holds, read straight from the JSON (payloads are base64-encoded JSON). */
function summarise(file: string) {
  const events = (load(file).history as { events: JsonEvent[] }).events;
  return {
    workflowType: events[0]?.workflowExecutionStartedEventAttributes?.workflowType.name,
    lastEvent: events.at(-1)?.eventType,
    scheduled: events.flatMap((e, index) => {
      const a = e.activityTaskScheduledEventAttributes;
      if (!a) return [];
      const data = a.input?.payloads[0]?.data;
      const input = (data ? JSON.parse(Buffer.from(data, 'base64').toString('utf8')) : {}) as Record<string, unknown>;
      return [{ type: a.activityType.name, index, input }];
    }),
    maxAttempt: Math.max(...events.map((e) => e.activityTaskStartedEventAttributes?.attempt ?? 1)),
    firstUpdate: events.findIndex((e) => e.eventType === 'EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED'),
  };
}

let current: WorkflowBundleWithSourceMap;
let changed: WorkflowBundleWithSourceMap;

before(async () => {
  [current, changed] = await Promise.all([
    bundleWorkflows(),
    bundleWorkflowCode({ workflowsPath: path.join(DIR, 'changed-workflows'), logger: quiet }),
  ]);
});

describe('recorded histories replay against the current workflow code', () => {
  it('every fixture replays without a determinism error', async () => {
    const results = [];
    for await (const r of Worker.runReplayHistories({ workflowBundle: current }, FIXTURES.map(load))) results.push(r);
    assert.equal(results.length, FIXTURES.length);
    for (const r of results) assert.equal(r.error, undefined, `${r.workflowId}: ${String(r.error)}`);
  });

  it('the fixtures cover what they should: both workflows, parallel branches, a re-request, retries', () => {
    const multi = summarise('multi-agent.json');
    const reask = summarise('multi-agent-reask.json');
    const single = summarise('single-agent.json');
    assert.equal(multi.workflowType, 'multiAgentWorkflow');
    assert.equal(single.workflowType, 'singleAgentWorkflow');
    const team = summarise('team-cookbook.json');
    assert.equal(team.workflowType, 'teamWorkflow');
    for (const r of [multi, reask, single, team]) assert.equal(r.lastEvent, 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
    for (const h of [multi, team]) {
      const firstTurn = (role: string) => h.scheduled.find((a) => a.type === 'modelTurn' && a.input.role === role);
      const [fe, be] = [firstTurn('frontend')?.index ?? -9, firstTurn('backend')?.index ?? 9];
      assert.equal(Math.abs(fe - be), 1, 'both branches scheduled by one workflow task');
    }
    // The same work per role, in the same order: the team runner schedules what the hand-written pipeline did.
    const perRole = (h: typeof multi) => {
      const out: Record<string, string[]> = {};
      for (const a of h.scheduled) (out[String(a.input.role ?? a.input.gate ?? 'setup')] ??= []).push(a.type);
      return out;
    };
    assert.deepEqual(perRole(team), perRole(multi));
    assert.ok(
      reask.scheduled.some((a) => a.type === 'codexCall' && a.input.tool === 'codex-reply'),
      'a re-request',
    );
    assert.ok(reask.maxAttempt >= 2, 'retried activities');
    // With verification: two rounds, and between them a fix on each owner's own thread.
    const verify = summarise('team-cookbook-verify.json');
    assert.equal(verify.lastEvent, 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
    assert.deepEqual(
      verify.scheduled.filter((a) => a.type === 'runVerification').map((a) => a.input.round),
      [1, 2],
    );
    // On a git workspace, before 'step-end-folded': every role's gate, then its commit as an activity of its own.
    const onGit = summarise('team-cookbook-git.json');
    assert.equal(onGit.lastEvent, 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
    assert.equal(onGit.scheduled[0]?.type, 'prepareWorkspace');
    const commits = onGit.scheduled.filter((a) => a.type === 'commitStep').map((a) => String(a.input.role));
    assert.deepEqual(commits.sort(), ['backend', 'designer', 'frontend', 'project_manager', 'tester']);
    assert.ok(onGit.scheduled.filter((a) => a.type === 'checkDeliverables').every((a) => a.input.commit === undefined));
    // A Codex session: two turns, each a codexTurn Update, then continue-as-new.
    const session = summarise('codex-session.json');
    assert.equal(session.workflowType, 'codexSessionWorkflow');
    assert.equal(session.lastEvent, 'EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW');
    assert.deepEqual(
      session.scheduled.map((a) => [a.type, a.input.tool]),
      [
        ['codexCall', 'codex'],
        ['codexCall', 'codex-reply'],
      ],
    );
    // The MCP server's way: the first turn rides in the input and is scheduled by the first workflow task.
    const firstTurn = summarise('codex-session-first-turn.json');
    assert.equal(firstTurn.lastEvent, 'EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW');
    assert.deepEqual(
      firstTurn.scheduled.map((a) => [a.type, a.input.tool, a.input.prompt]),
      [
        ['codexCall', 'codex', 'first'],
        ['codexCall', 'codex-reply', 'second'],
      ],
    );
    assert.ok(firstTurn.scheduled[0]!.index < firstTurn.firstUpdate, 'the first turn is no Update');
    assert.deepEqual(
      verify.scheduled
        .filter((a) => a.type === 'codexCall' && a.input.tool === 'codex-reply')
        .map((a) => String(a.input.role))
        .sort(),
      ['backend', 'frontend'],
    );
  });
});

describe('the replay check fails on an incompatible workflow change', () => {
  it('modified copies of the multi-agent and team workflows (sequential branches): DeterminismViolationError', async () => {
    const results = [];
    for await (const r of Worker.runReplayHistories({ workflowBundle: changed }, FIXTURES.map(load))) results.push(r);
    const byId = new Map(results.map((r) => [r.workflowId, r.error]));
    for (const id of ['multi-agent', 'multi-agent-reask', 'team-cookbook']) {
      const error = byId.get(id);
      assert.ok(error instanceof DeterminismViolationError, `${id}: ${String(error)}`);
    }
    assert.equal(byId.get('single-agent'), undefined, 'the unchanged workflow still replays');
    await assert.rejects(
      Worker.runReplayHistory({ workflowBundle: changed }, load('multi-agent.json').history),
      DeterminismViolationError,
    );
  });
});

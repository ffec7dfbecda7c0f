/** Live progress rendering: pure functions on snapshots (the real query/describe loop is covered in report.test). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatRole,
  jsonEvent,
  plainLines,
  renderBlock,
  roleProgress,
  type PendingActivity,
  type ProgressSnapshot,
} from '../src/cli/progress-render';
import { builtinRole, COOKBOOK_ROLES } from '../src/shared/builtin-teams';
import type { RunState, StepState } from '../src/shared/types';

const T0 = 1_700_000_000_000;
const usage = (total: number) => ({ input: total, output: 0, reasoning: 0, total });

function state(patch: Partial<Record<string, Partial<StepState>>>): RunState {
  return {
    workflow: 'team',
    team: 'cookbook',
    status: 'running',
    startedAt: T0,
    steps: COOKBOOK_ROLES.map((role) => ({
      role,
      title: builtinRole(role).title,
      status: 'waiting',
      attempts: 0,
      modelTurns: 0,
      codexCalls: [],
      files: [],
      missing: [],
      modelUsage: usage(0),
      codexUsage: usage(0),
      ...patch[role],
    })),
  };
}

const call = (label: string) => ({
  label,
  tool: 'codex' as const,
  prompt: 'p',
  startedAt: T0,
  filesChanged: [],
  usage: usage(0),
});

function snap(s: RunState | undefined, pending: PendingActivity[] = [], at = T0 + 12_300): ProgressSnapshot {
  return { workflowId: 'wf-1', at, status: s?.status === 'running' || !s ? 'running' : s.status, state: s, pending };
}

const midRun = state({
  project_manager: {
    status: 'done',
    attempts: 1,
    startedAt: T0,
    endedAt: T0 + 3100,
    codexCalls: [call('c1')],
    modelUsage: usage(2745),
    codexUsage: usage(47699),
  },
  designer: {
    status: 'done',
    attempts: 1,
    startedAt: T0 + 3100,
    endedAt: T0 + 6000,
    codexCalls: [call('c1')],
    modelUsage: usage(2000),
    codexUsage: usage(30000),
  },
  frontend: {
    status: 'running',
    attempts: 1,
    startedAt: T0 + 6000,
    codexCalls: [call('Frontend Developer: Codex call 1')],
    modelUsage: usage(1200),
  },
  backend: {
    status: 'running',
    attempts: 2,
    missing: ['backend/server.js'],
    startedAt: T0 + 6000,
    modelUsage: usage(900),
  },
});

describe('progress rendering', () => {
  it('one row per role with state, elapsed time, Codex calls and tokens (live Codex tokens included)', () => {
    const pending: PendingActivity[] = [
      {
        activityId: '13',
        activityType: 'codexCall',
        state: 'started',
        attempt: 1,
        label: 'Frontend Developer: Codex call 1',
        liveTokens: 20_000,
        role: 'frontend',
      },
      {
        activityId: '14',
        activityType: 'modelTurn',
        state: 'scheduled',
        attempt: 3,
        lastFailure: 'TransientServiceError: Model endpoint answered 429',
        role: 'backend',
      },
    ];
    const rows = roleProgress(snap(midRun, pending));
    assert.deepEqual(
      rows.map((r) => [r.role, r.state, r.attempt, r.elapsedMs, r.codexCalls, r.tokens]),
      [
        ['project_manager', 'done', undefined, 3100, 1, 50444],
        ['designer', 'done', undefined, 2900, 1, 32000],
        ['frontend', 'running', undefined, 6300, 1, 21200],
        ['backend', 'retrying', 3, 6300, 0, 900],
        ['tester', 'waiting', undefined, undefined, 0, 0],
      ],
    );
    assert.equal(rows[2]?.note, 'Codex call 1');
    assert.equal(
      formatRole(rows[3]!),
      'Backend Developer   retrying (attempt 3)     6.3s  codex  0  tokens    900  TransientServiceError: Model endpoint answered 429',
    );
    assert.equal(formatRole(rows[0]!), 'Project Manager     done                     3.1s  codex  1  tokens  50.4k');
    assert.equal(formatRole(rows[4]!), 'Tester              waiting                     -  codex  0  tokens      0');
  });

  it('says when missing files were asked again, and why a role failed', () => {
    const s = state({
      backend: { status: 'running', attempts: 2, missing: ['backend/server.js'], startedAt: T0 },
      tester: {
        status: 'failed',
        attempts: 2,
        startedAt: T0,
        endedAt: T0 + 500,
        error: 'Tester did not produce tests/test.sh',
      },
    });
    const rows = roleProgress(snap(s));
    assert.match(
      formatRole(rows[3]!),
      /^Backend Developer {3}running \(round 2\) .* asked again for backend\/server\.js$/,
    );
    assert.match(formatRole(rows[4]!), /failed .* Tester did not produce tests\/test\.sh$/);
  });

  it('shows a role cancelling while its activity stops, then cancelled, and the run closing cancelled', () => {
    const pending: PendingActivity[] = [
      {
        activityId: '9',
        activityType: 'codexCall',
        state: 'cancel-requested',
        attempt: 1,
        label: 'Designer: Codex call 1',
        role: 'designer',
      },
    ];
    const doneAndRunning = {
      project_manager: { status: 'done' as const, attempts: 1, startedAt: T0, endedAt: T0 + 10 },
    };
    const stopping = state({ ...doneAndRunning, designer: { status: 'running', attempts: 1, startedAt: T0 } });
    assert.match(formatRole(roleProgress(snap(stopping, pending))[1]!), /^Designer {12}cancelling .* Codex call 1$/);

    const ended = state({
      ...doneAndRunning,
      designer: { status: 'cancelled', attempts: 1, startedAt: T0, endedAt: T0 + 900 },
    });
    ended.status = 'cancelled';
    ended.endedAt = T0 + 900;
    const rows = roleProgress(snap(ended));
    assert.deepEqual(
      rows.map((r) => r.state),
      ['done', 'cancelled', 'waiting', 'waiting', 'waiting'],
    );
    const { lines } = plainLines({ rows: [], status: 'running' }, snap(ended));
    assert.match(lines.at(-1) ?? '', /wf-1: cancelled 0\.9s, 1\/5 roles done/);
  });

  it('shows a role verifying, with its round, and while its owners fix', () => {
    const round1 = { round: 1, passed: false, exitCode: 1, timedOut: false, durationMs: 2300 };
    const verifying = state({
      tester: {
        status: 'running',
        attempts: 1,
        startedAt: T0,
        verification: { command: 'bash tests/test.sh', round: 2, status: 'running', rounds: [round1] },
      },
    });
    const pending: PendingActivity[] = [
      {
        activityId: '9',
        activityType: 'runVerification',
        state: 'started',
        attempt: 1,
        label: 'Tester: verification round 2',
        role: 'tester',
      },
    ];
    assert.match(
      formatRole(roleProgress(snap(verifying, pending))[4]!),
      /^Tester {14}verifying \(round 2\) .* verification round 2$/,
    );
    const fixing = state({
      tester: {
        status: 'running',
        attempts: 1,
        startedAt: T0,
        verification: { command: 'bash tests/test.sh', round: 1, status: 'fixing', rounds: [round1] },
      },
    });
    assert.match(formatRole(roleProgress(snap(fixing))[4]!), /^Tester {14}owners fixing \(round 1\)/);
  });

  it('gives an unplaced pending activity to the only running role', () => {
    const s = state({ designer: { status: 'running', attempts: 1, startedAt: T0 } });
    const rows = roleProgress(
      snap(s, [{ activityId: '6', activityType: 'modelTurn', state: 'scheduled', attempt: 2, lastFailure: 'boom' }]),
    );
    assert.equal(rows[1]?.state, 'retrying');
    assert.equal(rows[1]?.note, 'boom');
  });

  it('redraws a header and one line per role, cut to the terminal width', () => {
    const lines = renderBlock(snap(midRun), 60);
    assert.equal(lines.length, 6);
    assert.equal(lines[0], 'wf-1: running 12.3s, 2/5 roles done, 3 Codex calls, 84.5k t…');
    assert.ok(lines.every((l) => l.length <= 60));
    assert.deepEqual(renderBlock(snap(undefined)), ['wf-1: running, waiting for a worker to pick the run up']);
  });

  it('prints only changed roles in plain mode, stamped with the run time, and a closing line', () => {
    const first = plainLines({ rows: [] }, snap(midRun));
    assert.equal(first.lines.length, 5);
    assert.ok(first.lines.every((l) => l.startsWith('[  12.3s] ')));
    // Time passes and tokens grow: nothing to print.
    const later = plainLines(first.next, snap(midRun, [], T0 + 15_000));
    assert.deepEqual(later.lines, []);
    // The frontend finishes.
    const s2 = state({
      ...Object.fromEntries(midRun.steps.map((x) => [x.role, x])),
      frontend: { ...midRun.steps[2], status: 'done', endedAt: T0 + 16_000 },
    });
    const changed = plainLines(later.next, snap(s2, [], T0 + 16_000));
    assert.deepEqual(changed.lines, [
      '[  16.0s] Frontend Developer  done                    10.0s  codex  1  tokens   1.2k',
    ]);
    const closed = { ...s2, status: 'completed' as const, endedAt: T0 + 20_000 };
    const last = plainLines(changed.next, { ...snap(closed, [], T0 + 21_000), status: 'completed' });
    assert.equal(last.lines.at(-1), '[  20.0s] wf-1: completed 20.0s, 3/5 roles done, 3 Codex calls, 84.5k tokens');
  });

  it('writes a JSON line with every role', () => {
    const e = JSON.parse(jsonEvent(snap(midRun))) as {
      type: string;
      elapsedMs: number;
      roles: { role: string; state: string }[];
    };
    assert.equal(e.type, 'progress');
    assert.equal(e.elapsedMs, 12_300);
    assert.deepEqual(
      e.roles.map((r) => r.state),
      ['done', 'done', 'running', 'running', 'waiting'],
    );
  });
});

/**
 * The fault matrix, fast: each kind of activity (model turn, Codex call, gate, commit/push, verification, and the
 * run's last listing, which the report is built from) × each fault
 * as the real activities report it at their boundary (a 500/429 from the model or Codex: TransientServiceError; a full
 * disk: DiskFullError; a read-only disk: ReadOnlyDiskError; the git remote unreachable: ConfigError; the host and its
 * disk lost: WorkspaceLostError). The fault hits the second role's first call of that kind, once. Every cell ends as
 * the fault's class says: the run completes (retried, or moved to a new host) with the finished first role neither
 * lost nor redone, or fails with one line naming the fault. The matrix is printed.
 *
 * Faults that need the real stack are proven there: worker SIGKILL at 17 points and Temporal server restarts, each in every kind of activity
 * (test/durability-*.test.ts, npm run chaos), a host SIGKILLed with its disk (test/two-hosts.test.ts), ENOSPC and
 * EROFS with real git on a tmpfs (test/disk-faults.test.ts), model 500/429 from the scripted model over HTTP.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { reportFromHistory } from '../../src/report/run-report';
import type { RunResult } from '../../src/shared/types';
import { role, team, type ActivityName } from './helpers/fakes';
import { failure, Harness, SUITE_TIMEOUT_MS } from './helpers/harness';

let h: Harness;
before(async () => {
  h = await Harness.shared();
});

const twoRoles = team({
  name: 'matrix',
  roles: [
    role('pm', ['REQUIREMENTS.md']),
    role('dev', ['index.html'], {
      after: ['pm'],
      verify: { command: 'bash test.sh', owners: ['dev'], max_rounds: 2, timeout: '30s' },
    }),
  ],
});

/**
 * The report row runs a team whose last role has no checks, so the run lists its files in an activity of its own: the
 * last role's passing checks list them otherwise (patch 'verify-lists'), and a fault there is the verification row's.
 */
const lastWithoutChecks = team({
  name: 'matrix-no-checks',
  roles: [role('pm', ['REQUIREMENTS.md']), role('dev', ['index.html'], { after: ['pm'] })],
});

const KINDS: [ActivityName, string][] = [
  ['modelTurn', 'model turn'],
  ['codexCall', 'Codex call'],
  ['checkDeliverables', 'gate'],
  ['commitStep', 'commit/push'],
  ['runVerification', 'verification'],
  // The run's last activity: the list of files the report is built from (the client writes REPORT.md afterwards).
  ['listWorkspace', 'report'],
];
const HOST_KINDS = new Set<ActivityName>([
  'codexCall',
  'checkDeliverables',
  'commitStep',
  'runVerification',
  'listWorkspace',
]);
/** The host activities that write to the disk (a gate only reads its files). */
const WRITING_KINDS = new Set<ActivityName>(['codexCall', 'commitStep', 'runVerification']);

interface Fault {
  name: string;
  /** Whether the fault can happen in this kind of activity (the remote is only talked to by commits). */
  applies: (kind: ActivityName) => boolean;
  failure: (kind: ActivityName, cwd: string) => ApplicationFailure;
  /** completed: retried or moved, then done; failed: the run fails with this type. */
  expect: { completed: true; moved?: boolean } | { completed: false; type: string };
}

const FAULTS: Fault[] = [
  {
    name: 'model/Codex 500, 429',
    applies: (k) => k === 'modelTurn' || k === 'codexCall',
    failure: () => ApplicationFailure.create({ type: 'TransientServiceError', message: '429 Too Many Requests' }),
    expect: { completed: true },
  },
  {
    name: 'disk full',
    applies: (k) => WRITING_KINDS.has(k),
    failure: (k, cwd) =>
      ApplicationFailure.create({ type: 'DiskFullError', message: `${k}: the disk of ${cwd} is full (ENOSPC)` }),
    expect: { completed: true },
  },
  {
    name: 'read-only disk',
    applies: (k) => WRITING_KINDS.has(k),
    failure: (k, cwd) =>
      ApplicationFailure.create({
        type: 'ReadOnlyDiskError',
        message: `${k}: ${cwd} is on a read-only file system (EROFS)`,
        nonRetryable: true,
      }),
    expect: { completed: false, type: 'ReadOnlyDiskError' },
  },
  {
    name: 'git remote unreachable',
    applies: (k) => k === 'commitStep',
    failure: () =>
      ApplicationFailure.create({
        type: 'ConfigError',
        message: 'Workspace remote ssh://git.example/runs.git is unreachable: Could not resolve hostname',
        nonRetryable: true,
      }),
    expect: { completed: false, type: 'ConfigError' },
  },
  {
    name: 'host and its disk lost',
    applies: (k) => HOST_KINDS.has(k),
    failure: (k, cwd) =>
      ApplicationFailure.create({
        type: 'WorkspaceLostError',
        message: `Workspace ${cwd} does not exist on host host1`,
        nonRetryable: true,
      }),
    expect: { completed: true, moved: true },
  },
];

/** The input's workspace directory, whatever the kind calls it. */
const cwdOf = (input: unknown) => {
  const i = input as { cwd?: string; workspace?: string };
  return i.cwd ?? i.workspace ?? (typeof input === 'string' ? input : '?');
};
const roleOf = (input: unknown) => (input as { role?: string }).role;

describe('fault matrix: activity kind × fault', { timeout: SUITE_TIMEOUT_MS }, () => {
  it('every cell completes, or fails with one line naming the fault; no finished step lost or redone', async (t) => {
    const cells = KINDS.flatMap(([kind, kindName]) =>
      FAULTS.map((fault) => ({ kind, kindName, fault })).filter((c) => c.fault.applies(c.kind)),
    );
    const outcomes: { kindName: string; fault: string; outcome: string }[] = [];
    // One cell after another: the time-skipping test server is shared by all of them.
    for (const c of cells) outcomes.push(await runCell(c));
    async function runCell({ kind, kindName, fault }: (typeof cells)[number]) {
      {
        let hit = false;
        const { handle, fake } = await h.start(
          `matrix-${kind}-${fault.name.replace(/\W+/g, '-')}`,
          kind === 'listWorkspace' ? lastWithoutChecks : twoRoles,
          {},
          {
            before: (name, input) => {
              // A gate names its files, not its role: dev's is the one requiring index.html. The listing is the run's.
              const isDev =
                name === 'listWorkspace' ||
                roleOf(input) === 'dev' ||
                (input as { required?: string[] }).required?.includes('index.html') === true;
              if (name === kind && isDev && !hit) {
                hit = true;
                throw fault.failure(kind, cwdOf(input));
              }
            },
          },
        );
        const pmCalls = () => fake.calls.filter((c) => c.role === 'pm').map((c) => c.name);
        const cell = `${kindName} × ${fault.name}`;
        if (fault.expect.completed) {
          const result = (await handle.result()) as RunResult;
          assert.ok(hit, `${cell}: the fault was injected`);
          assert.equal(result.state.status, 'completed', cell);
          assert.ok(
            result.state.steps.every((s) => s.status === 'done' && s.commit),
            `${cell}: every step done and committed`,
          );
          assert.equal(result.state.hostMoves?.length ?? 0, fault.expect.moved ? 1 : 0, `${cell}: host moves`);
          assert.deepEqual(
            pmCalls(),
            ['modelTurn', 'codexCall', 'modelTurn', 'commitStep'],
            `${cell}: the finished pm step ran once, nothing of it redone`,
          );
          if (kind === 'listWorkspace') {
            // What the client writes as REPORT.md after the run, built from its history: every step and file.
            const report = await reportFromHistory(handle);
            assert.deepEqual(
              report.steps.map((s) => [s.role, s.status]),
              [
                ['pm', 'done'],
                ['dev', 'done'],
              ],
              `${cell}: the report has every step`,
            );
            assert.deepEqual(report.files, result.files, `${cell}: the report lists the run's files`);
          }
          return {
            kindName,
            fault: fault.name,
            outcome: fault.expect.moved ? 'moved, completed' : 'retried, completed',
          };
        }
        const err = await failure(handle);
        assert.ok(hit, `${cell}: the fault was injected`);
        assert.equal(err.type, fault.expect.type, cell);
        assert.ok(!err.message.includes('\n'), `${cell}: one line`);
        const state = await h.progress(handle);
        assert.equal(state.steps.find((s) => s.role === 'pm')?.status, 'done', `${cell}: pm stays done`);
        assert.ok(state.steps.find((s) => s.role === 'pm')?.commit, `${cell}: pm's commit kept`);
        return { kindName, fault: fault.name, outcome: `failed: ${err.type}` };
      }
    }
    const faults = FAULTS.map((f) => f.name);
    const width = Math.max(...outcomes.map((o) => o.outcome.length), ...faults.map((f) => f.length));
    const rows = KINDS.map(([, kindName]) =>
      [
        kindName.padEnd(14),
        ...faults.map((f) =>
          (outcomes.find((o) => o.kindName === kindName && o.fault === f)?.outcome ?? '—').padEnd(width),
        ),
      ].join(' | '),
    );
    const header = ['kind'.padEnd(14), ...faults.map((f) => f.padEnd(width))].join(' | ');
    for (const line of [header, ...rows]) t.diagnostic(line);
    assert.equal(outcomes.length, cells.length);
  });
});

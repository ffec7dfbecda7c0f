/**
 * A team from a file, end to end on real parts (Temporal dev server, the real Codex binary, the scripted model):
 * test/fixtures/teams/release-notes.yaml fans out from the Change Analyst to the Notes Writer and the Script Author,
 * who run at the same time, and fans in to the Editor. Every file is written, the optional one included; the report
 * and the timeline have a row per role.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadTeam } from '../src/cli/team-file';
import { activityRole, overlaps, readHistory, type ActivityRecord } from '../src/report/history';
import { startLocalStack, type LocalStack } from '../src/runtime/local-stack';
import { finishRun, startRun } from '../src/runtime/runs';
import type { RunResult, RunState } from '../src/shared/types';

const FIXTURES = path.join(__dirname, 'fixtures', 'teams');
let stack: LocalStack;

before(async () => {
  // A little latency per Codex request keeps the two middle roles long enough to see them overlap.
  stack = await startLocalStack({ scripted: { latency: { codexMs: 150 } } });
});
after(() => stack?.stop());

describe('a team file with a fan-out and a fan-in', () => {
  it('runs every role, the middle two at the same time, and writes every file', async () => {
    const { team } = await loadTeam(path.join(FIXTURES, 'release-notes.yaml'));
    const task = await readFile(path.join(FIXTURES, 'release-notes.md'), 'utf8');
    const handle = await startRun(stack.client, {
      kind: 'team',
      input: { team, task, tuning: { retryInitialIntervalMs: 200, retryMaximumIntervalMs: 1000 } },
      workflowId: `e2e-team-${Date.now()}`,
      taskQueue: stack.taskQueue,
    });
    const outcome = await finishRun(handle);
    assert.equal(outcome.ok, true, outcome.error);
    const result = outcome.result as RunResult;
    const ws = result.workspace;

    const all = team.roles.flatMap((r) => r.deliverables.map((d) => d.path));
    assert.deepEqual(all, [
      'changes/classified.md',
      'notes/RELEASE_NOTES.md',
      'notes/highlights.json',
      'scripts/check.sh',
      'scripts/count.js',
      'site/index.html',
    ]);
    for (const p of all) assert.ok(existsSync(path.join(ws, p)), `${p} exists`);
    // Content of the right kind, from the role and the file's purpose.
    assert.match(
      await readFile(path.join(ws, 'changes/classified.md'), 'utf8'),
      /^# .*\n\n_Written by Change Analyst\./,
    );
    assert.match(await readFile(path.join(ws, 'site/index.html'), 'utf8'), /^<!doctype html>/);
    JSON.parse(await readFile(path.join(ws, 'notes/highlights.json'), 'utf8'));
    execFileSync('bash', ['-n', path.join(ws, 'scripts/check.sh')]);
    execFileSync(process.execPath, ['--check', path.join(ws, 'scripts/count.js')]);

    const state: RunState = result.state;
    assert.equal(state.workflow, 'team');
    assert.equal(state.team, 'release-notes');
    assert.deepEqual(
      state.steps.map((s) => [s.role, s.title, s.status]),
      [
        ['analyst', 'Change Analyst', 'done'],
        ['writer', 'Notes Writer', 'done'],
        ['scripter', 'Script Author', 'done'],
        ['editor', 'Editor', 'done'],
      ],
    );
    const writer = state.steps.find((s) => s.role === 'writer');
    assert.deepEqual(
      writer?.files.map((f) => f.path),
      ['notes/RELEASE_NOTES.md', 'notes/highlights.json'],
      'the optional file is recorded by the gate',
    );

    // The history: the two middle roles overlap in time; each gate opened before the roles waiting for it started.
    const history = readHistory(await handle.fetchHistory());
    assert.equal(history.workflowType, 'teamWorkflow');
    const of = (role: string) => history.activities.filter((a) => activityRole(a) === role || gateOf(a) === role);
    const span = (acts: ActivityRecord[]) => ({
      startedAt: Math.min(...acts.map((a) => a.startedAt ?? Infinity)),
      endedAt: Math.max(...acts.map((a) => a.endedAt ?? -Infinity)),
    });
    const [w, s] = [span(of('writer')), span(of('scripter'))];
    assert.ok(overlaps(w, s), `writer ${w.startedAt}-${w.endedAt} overlaps scripter ${s.startedAt}-${s.endedAt}`);
    const codex = (role: string) => history.activities.find((a) => a.type === 'codexCall' && activityRole(a) === role);
    const [wc, sc] = [codex('writer'), codex('scripter')];
    assert.ok(wc && sc && overlaps(wc, sc), 'their Codex calls ran at the same time');
    const firstOf = (role: string) => Math.min(...of(role).map((a) => a.scheduledAt));
    const lastGateEnd = (role: string) =>
      Math.max(
        ...of(role)
          .filter((a) => a.type === 'checkDeliverables')
          .map((a) => a.endedAt ?? Infinity),
      );
    assert.ok(firstOf('writer') >= lastGateEnd('analyst'));
    assert.ok(firstOf('scripter') >= lastGateEnd('analyst'));
    assert.ok(firstOf('editor') >= Math.max(lastGateEnd('writer'), lastGateEnd('scripter')), 'the fan-in waited');

    // The Editor's brief lists the files of every role it waits for, directly or not.
    const editorTurn = history.activities.find((a) => a.type === 'modelTurn' && activityRole(a) === 'editor');
    const brief = JSON.stringify((editorTurn?.input as { input?: unknown } | undefined)?.input ?? '');
    for (const p of ['changes/classified.md', 'notes/RELEASE_NOTES.md', 'scripts/check.sh']) {
      assert.ok(brief.includes(`- ${p} (`), `the Editor's brief lists ${p}`);
    }

    // Report and timeline: a row per role, titled from the team file.
    const report = outcome.report;
    assert.equal(report?.team, 'release-notes');
    assert.deepEqual(
      report?.steps.map((st) => [st.role, st.title, st.status, st.codexCalls.length > 0]),
      [
        ['analyst', 'Change Analyst', 'done', true],
        ['writer', 'Notes Writer', 'done', true],
        ['scripter', 'Script Author', 'done', true],
        ['editor', 'Editor', 'done', true],
      ],
    );
    assert.ok(outcome.reportPaths);
    const svg = await readFile(outcome.reportPaths.timeline, 'utf8');
    for (const id of ['analyst', 'writer', 'scripter', 'editor']) assert.match(svg, new RegExp(`id="role-${id}"`));
    assert.match(await readFile(outcome.reportPaths.markdown, 'utf8'), /\| Team \| `release-notes` \|/);
  });
});

/** Gates name their role by title; the fixture's titles map back to ids here. */
function gateOf(a: ActivityRecord): string | undefined {
  if (a.type !== 'checkDeliverables') return undefined;
  const gate = (a.input as { gate?: string } | undefined)?.gate;
  const ids: Record<string, string> = {
    'Change Analyst': 'analyst',
    'Notes Writer': 'writer',
    'Script Author': 'scripter',
    Editor: 'editor',
  };
  return gate ? ids[gate] : undefined;
}

/**
 * The report builder and renderers on hand-made histories: step states of running, failed and terminated runs,
 * lanes for concurrent calls, escaping of hostile text, and a timeline that shows sequential branches apart.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildRunReport } from '../src/report/build';
import type { ActivityRecord, WorkflowRecord } from '../src/report/history';
import { renderMarkdown } from '../src/report/markdown';
import { assignLanes, niceStep, renderTimelineSvg } from '../src/report/timeline';
import type { RoleId as Role } from '../src/shared/team';
import { findAll, parseXml } from './report-xml';

const T0 = 1_700_000_000_000;
const usage = (total: number) => ({ input: total - 10, output: 10, reasoning: 0, total });
let nextId = 1;

function turn(
  role: Role,
  n: number,
  at: number,
  end: number | undefined,
  opts: { calls?: number; prompt?: string } = {},
): ActivityRecord {
  return {
    activityId: String(nextId++),
    type: 'modelTurn',
    summary: `${role}: model turn ${n}`,
    scheduledAt: T0 + at,
    startedAt: T0 + at + 1,
    endedAt: end === undefined ? undefined : T0 + end,
    attempt: 1,
    status: end === undefined ? 'started' : 'completed',
    input: {
      role,
      turn: n,
      instructions: `Be the ${role}.`,
      input: [{ type: 'message', role: 'user', content: opts.prompt ?? `Role: ${role}\nDo the work.` }],
    },
    result:
      end === undefined
        ? undefined
        : { model: 'gpt-5', usage: usage(100), codexCalls: Array(opts.calls ?? 0).fill({}), scripted: true },
  };
}

function codex(
  role: Role,
  label: string,
  at: number,
  end: number | undefined,
  thread = `thr-${nextId}`,
): ActivityRecord {
  return {
    activityId: String(nextId++),
    type: 'codexCall',
    summary: label,
    scheduledAt: T0 + at,
    startedAt: T0 + at + 1,
    endedAt: end === undefined ? undefined : T0 + end,
    attempt: 1,
    status: end === undefined ? 'started' : 'completed',
    input: { role, label, tool: 'codex', prompt: `Write the files of ${role}.` },
    result: end === undefined ? undefined : { threadId: thread, usage: usage(1000), filesChanged: ['a.txt'] },
  };
}

function gate(title: string, at: number, present: string[], missing: string[] = []): ActivityRecord {
  return {
    activityId: String(nextId++),
    type: 'checkDeliverables',
    scheduledAt: T0 + at,
    startedAt: T0 + at + 1,
    endedAt: T0 + at + 5,
    attempt: 1,
    status: 'completed',
    input: { workspace: '/w', gate: title, required: [...present, ...missing], optional: [] },
    result: { gate: title, present: present.map((p) => ({ path: p, size: 42, sha256: 'ab'.repeat(32) })), missing },
  };
}

const workflow = (activities: ActivityRecord[], rest: Partial<WorkflowRecord> = {}): WorkflowRecord => ({
  workflowType: 'multiAgentWorkflow',
  startedAt: T0,
  status: 'running',
  activities,
  updates: [],
  eventCount: activities.length * 3,
  ...rest,
});

/** A whole PM and designer, then the two branches (overlapping, or one after the other). */
function pipeline(sequential: boolean): ActivityRecord[] {
  const fe = sequential ? 2000 : 1000;
  return [
    turn('project_manager', 1, 0, 100, { calls: 1 }),
    codex('project_manager', 'Project Manager: Codex call 1', 110, 400),
    turn('project_manager', 2, 410, 450),
    gate('Project Manager', 460, ['REQUIREMENTS.md']),
    turn('designer', 1, 500, 550, { calls: 1 }),
    codex('designer', 'Designer: Codex call 1', 560, 900),
    turn('designer', 2, 910, 950),
    gate('Designer', 960, ['design/design_spec.md']),
    turn('backend', 1, 1000, 1050, { calls: 1 }),
    codex('backend', 'Backend Developer: Codex call 1', 1060, 1900),
    turn('backend', 2, 1910, 1940),
    gate('Backend Developer', 1950, ['backend/server.js']),
    turn('frontend', 1, fe, fe + 50, { calls: 1 }),
    codex('frontend', 'Frontend Developer: Codex call 1', fe + 60, fe + 900),
    turn('frontend', 2, fe + 910, fe + 940),
    gate('Frontend Developer', fe + 950, ['frontend/index.html']),
  ];
}

function spanX(svg: string, role: string): [number, number] {
  const g = findAll(parseXml(svg), (e) => e.attrs['data-role'] === role)[0];
  const span = g?.children.find((e) => e.attrs.class === 'span');
  assert.ok(span, `${role} has a span`);
  return [Number(span.attrs.x), Number(span.attrs.x) + Number(span.attrs.width)];
}

describe('report builder and renderers', () => {
  it('derives step states of a running run from its history, and renders it', () => {
    const acts = pipeline(false).slice(0, 6); // the designer's Codex call is still running
    acts[5] = codex('designer', 'Designer: Codex call 1', 560, undefined);
    const r = buildRunReport(workflow(acts), { workflowId: 'wf', now: T0 + 1200 });
    assert.deepEqual(
      r.steps.map((s) => [s.role, s.status]),
      [
        ['project_manager', 'done'],
        ['designer', 'running'],
        ['frontend', 'waiting'],
        ['backend', 'waiting'],
        ['tester', 'waiting'],
      ],
    );
    assert.equal(r.steps[1]?.endedAt, undefined);
    assert.equal(r.totals.codexTokens.total, 1000, 'only the finished Codex call counts');
    assert.deepEqual(r.steps[0]?.prompts, ['Role: project_manager\nDo the work.']);
    assert.equal(r.steps[0]?.files[0]?.path, 'REQUIREMENTS.md');
    parseXml(renderTimelineSvg(r));
    assert.match(renderMarkdown(r), /^\| Designer \| running \| 1 \| 0 \| - \|/m);
  });

  it('draws overlapping branches side by side and sequential branches apart', () => {
    const done = { status: 'completed' as const, endedAt: T0 + 3000 };
    const parallel = renderTimelineSvg(buildRunReport(workflow(pipeline(false), done), { workflowId: 'p' }));
    const [pf0, pf1] = spanX(parallel, 'frontend');
    const [pb0, pb1] = spanX(parallel, 'backend');
    assert.ok(pf0 < pb1 && pb0 < pf1, 'parallel branches overlap');
    const sequential = renderTimelineSvg(buildRunReport(workflow(pipeline(true), done), { workflowId: 's' }));
    const [, sb1] = spanX(sequential, 'backend');
    const [sf0] = spanX(sequential, 'frontend');
    assert.ok(sb1 <= sf0, `sequential branches do not overlap (${sb1} <= ${sf0})`);
  });

  it('gives concurrent Codex calls of one role their own lanes', () => {
    const r = buildRunReport(
      workflow([
        turn('backend', 1, 0, 10, { calls: 2 }),
        codex('backend', 'Backend Developer: Codex call 1', 20, 500),
        codex('backend', 'Backend Developer: Codex call 2', 20, 400),
        turn('backend', 2, 510, 520),
      ]),
      { workflowId: 'lanes' },
    );
    const backend = r.steps.find((s) => s.role === 'backend')!;
    const lanes = assignLanes(
      [...backend.modelTurns, ...backend.codexCalls].sort((a, b) => a.scheduledAt - b.scheduledAt),
      T0 + 600,
    );
    assert.equal(lanes.count, 2);
    assert.deepEqual(
      lanes.placed.map((p) => p.lane),
      [0, 0, 1, 0],
    );
  });

  it('marks a failed and a stopped role when the workflow ends early, and says why', () => {
    const failedCall = {
      ...codex('frontend', 'Frontend Developer: Codex call 1', 1060, 1500),
      status: 'failed' as const,
    };
    failedCall.failure = 'CodexFatalError: not logged in';
    failedCall.result = undefined;
    const acts = [
      ...pipeline(false).slice(0, 8),
      turn('frontend', 1, 1000, 1050, { calls: 1 }),
      failedCall,
      turn('backend', 1, 1000, 1050, { calls: 1 }),
    ];
    const r = buildRunReport(
      workflow(acts, { status: 'failed', endedAt: T0 + 1600, failure: 'Activity task failed' }),
      {
        workflowId: 'f',
      },
    );
    const by = Object.fromEntries(r.steps.map((s) => [s.role, s]));
    assert.equal(by.frontend?.status, 'failed');
    assert.equal(by.frontend?.error, 'CodexFatalError: not logged in');
    assert.equal(by.backend?.status, 'stopped');
    assert.equal(by.backend?.error, 'stopped when the workflow failed');
    assert.equal(by.tester?.status, 'waiting');
    const svg = renderTimelineSvg(r);
    assert.match(svg, /data-role="frontend" data-status="failed"/);
  });

  it('escapes hostile text: XML stays well-formed, Markdown tables and fences hold', () => {
    const nasty = 'a <b> & "c" | d\u001b[31m ```js\nx\n``` ';
    const acts = [
      turn('tester', 1, 0, 10, { calls: 1, prompt: nasty }),
      codex('tester', `Tester: Codex call 1 ${nasty}`, 20, 30),
    ];
    acts[1]!.status = 'failed';
    acts[1]!.failure = nasty;
    const r = buildRunReport(workflow(acts, { summary: nasty, status: 'failed', failure: nasty, endedAt: T0 + 40 }), {
      workflowId: 'x',
    });
    const svg = renderTimelineSvg(r);
    const root = parseXml(svg);
    assert.ok(findAll(root, (e) => e.name === 'title').some((t) => t.text.includes('&lt;b&gt; &amp; &quot;c&quot;')));
    assert.ok(!svg.includes('\u001b'));
    const md = renderMarkdown(r);
    assert.ok(md.includes('````text\n'), "a fence longer than the prompt's own");
    assert.ok(md.includes('| Error | a <b> & "c" \\| d'), 'pipes escaped inside table cells');
  });

  it('picks round tick steps', () => {
    assert.deepEqual(
      [niceStep(90), niceStep(1000), niceStep(1200), niceStep(3100), niceStep(7000)],
      [100, 1000, 2000, 5000, 10000],
    );
  });
});

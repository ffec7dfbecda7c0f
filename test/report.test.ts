/**
 * The run report on real recorded runs (real Temporal dev server, real Codex, scripted model): REPORT.md, run.json
 * and timeline.svg built from history alone; a retry and its reason; the `report` command; a failed run.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { watchProgress } from '../src/cli/progress';
import { readHistory } from '../src/report/history';
import { reportFromHistory, writeReport, type RunReport } from '../src/report/run-report';
import { startLocalStack, type LocalStack } from '../src/runtime/local-stack';
import { finishRun, startRun } from '../src/runtime/runs';
import { builtinRole, COOKBOOK_ROLES } from '../src/shared/builtin-teams';
import type { MultiAgentInput } from '../src/shared/types';
import { findAll, parseXml, type XmlElement } from './report-xml';

const ROOT = path.join(__dirname, '..');
let stack: LocalStack;
let taskList: string;

before(async () => {
  // Codex latency keeps the parallel branches long enough to overlap visibly.
  stack = await startLocalStack({ scripted: { latency: { codexMs: 150 } } });
  taskList = await readFile(path.join(ROOT, 'tasks', 'bug-busters.md'), 'utf8');
});
after(() => stack?.stop());

function startMulti(workflowId: string, extra: Partial<MultiAgentInput> = {}): Promise<WorkflowHandle> {
  return startRun(stack.client, {
    kind: 'multi',
    input: { taskList, tuning: { retryInitialIntervalMs: 200, retryMaximumIntervalMs: 1000 }, ...extra },
    workflowId,
    taskQueue: stack.taskQueue,
  });
}

const sumTotals = (results: unknown[]) =>
  results.reduce<number>((n, r) => n + ((r as { usage?: { total?: number } })?.usage?.total ?? 0), 0);

interface Bar {
  x0: number;
  x1: number;
}
const barOf = (e: XmlElement): Bar => ({ x0: Number(e.attrs.x), x1: Number(e.attrs.x) + Number(e.attrs.width) });
const hasClass = (e: XmlElement, c: string) => (e.attrs.class ?? '').split(' ').includes(c);

function roleGroups(svg: string): Map<string, XmlElement> {
  const root = parseXml(svg);
  assert.equal(root.name, 'svg');
  const groups = findAll(root, (e) => e.name === 'g' && hasClass(e, 'role'));
  return new Map(groups.map((g) => [g.attrs['data-role'] ?? '', g]));
}

describe('run report built from the recorded history', () => {
  it('REPORT.md shows every role, its prompts, Codex threads, files with sizes and tokens; the timeline overlaps the branches', async (t) => {
    const handle = await startMulti(`report-${Date.now()}`);
    const outcome = await finishRun(handle);
    assert.equal(outcome.ok, true, outcome.error);
    assert.ok(outcome.report && outcome.reportPaths, outcome.reportError);
    const report = outcome.report;
    const md = await readFile(outcome.reportPaths.markdown, 'utf8');

    // Rebuilding from history alone takes milliseconds and gives the same report.
    const started = performance.now();
    const rebuilt = await reportFromHistory(handle);
    await writeReport(await mkdtemp(path.join(tmpdir(), 'dca-report-')), rebuilt);
    t.diagnostic(
      `report rebuilt from ${rebuilt.historyEvents} history events and written in ${(performance.now() - started).toFixed(0)} ms`,
    );
    assert.deepEqual(rebuilt.steps, report.steps);

    for (const role of COOKBOOK_ROLES) {
      const title = builtinRole(role).title;
      assert.match(md, new RegExp(`^## ${title}$`, 'm'), `a section for ${title}`);
      assert.match(md, new RegExp(`^\\| ${title} \\| done \\| 1 \\|`, 'm'), `${title} in the steps table`);
      const step = report.steps.find((s) => s.role === role);
      assert.ok(step && step.prompts.length >= 1 && step.prompts[0]?.startsWith(`Role: ${title}`), `${title}'s brief`);
      assert.ok(step.codexCalls.length >= 1 && step.files.length >= 1);
    }
    assert.match(md, /Scripted model/);
    assert.match(md, /\]\(timeline\.svg\)/, 'REPORT.md shows the timeline');

    // Cross-check against the raw history: every Codex thread, every file size, the token totals.
    const history = readHistory(await handle.fetchHistory());
    const codexResults = history.activities.filter((a) => a.type === 'codexCall').map((a) => a.result);
    const modelResults = history.activities.filter((a) => a.type === 'modelTurn').map((a) => a.result);
    for (const r of codexResults) {
      const threadId = (r as { threadId: string }).threadId;
      assert.ok(md.includes(`\`${threadId}\``), `thread ${threadId} in REPORT.md`);
    }
    for (const f of outcome.result?.files ?? []) {
      assert.ok(md.includes(`| \`${f.path}\` | ${f.size} bytes |`), `${f.path} with its size`);
    }
    assert.ok(sumTotals(codexResults) > 0);
    assert.equal(report.totals.codexTokens.total, sumTotals(codexResults), 'tokens Codex spent');
    assert.equal(report.totals.modelTokens.total, sumTotals(modelResults), 'model tokens');
    assert.ok(md.includes(`| Tokens | ${report.totals.tokens.toLocaleString('en-US')} (model`), 'total tokens');

    // run.json holds the same data.
    const json = JSON.parse(await readFile(outcome.reportPaths.json, 'utf8')) as RunReport;
    assert.deepEqual(json, JSON.parse(JSON.stringify(report)));

    // The timeline: well-formed XML, one bar group per role, frontend and backend side by side.
    const groups = roleGroups(await readFile(outcome.reportPaths.timeline, 'utf8'));
    assert.deepEqual([...groups.keys()], [...COOKBOOK_ROLES]);
    const spans = new Map<string, Bar>();
    for (const [role, g] of groups) {
      const span = g.children.filter((e) => hasClass(e, 'span'));
      assert.equal(span.length, 1, `${role} has one span`);
      spans.set(role, barOf(span[0]!));
      const bars = g.children.filter((e) => hasClass(e, 'bar'));
      assert.ok(
        bars.some((b) => hasClass(b, 'model')) &&
          bars.some((b) => hasClass(b, 'codex')) &&
          bars.some((b) => hasClass(b, 'gate')),
      );
      for (const b of bars.map(barOf)) {
        assert.ok(
          b.x0 >= spans.get(role)!.x0 - 0.5 && b.x1 <= spans.get(role)!.x1 + 2.5,
          `${role} bars inside its span`,
        );
      }
    }
    const fe = spans.get('frontend')!;
    const be = spans.get('backend')!;
    assert.ok(fe.x0 < be.x1 && be.x0 < fe.x1, `frontend ${fe.x0}-${fe.x1} overlaps backend ${be.x0}-${be.x1}`);
    assert.ok(spans.get('designer')!.x1 <= Math.min(fe.x0, be.x0) + 0.5, 'the branches start after the designer');
  });

  it('shows a retried model turn and its reason in the live progress, REPORT.md, run.json and the timeline', async () => {
    const id = `report-retry-${Date.now()}`;
    // The designer's first model request fails with a 500; the retry is slowed down so progress can see it.
    stack.scripted.setFaults([
      { kind: 'agent', role: 'designer', run: id, times: 1, effect: { status: 500 } },
      { kind: 'agent', role: 'designer', run: id, nth: 2, times: 1, effect: { latencyMs: 1500 } },
    ]);
    try {
      const handle = await startMulti(id);
      const lines: string[] = [];
      const out = new Writable({
        write(chunk: Buffer, _enc, cb) {
          lines.push(...chunk.toString().split('\n').filter(Boolean));
          cb();
        },
      });
      await watchProgress(handle, { mode: 'json', out, intervalMs: 250 });
      const outcome = await finishRun(handle);
      assert.equal(outcome.ok, true, outcome.error);

      const events = lines.map(
        (l) => JSON.parse(l) as { roles: { role: string; state: string; attempt?: number; note?: string }[] },
      );
      const retrying = events.flatMap((e) => e.roles).find((r) => r.role === 'designer' && r.state === 'retrying');
      assert.ok(retrying, 'live progress showed the designer retrying');
      assert.equal(retrying.attempt, 2);
      assert.match(retrying.note ?? '', /TransientServiceError: .*500/);

      const designer = outcome.report?.steps.find((s) => s.role === 'designer');
      assert.deepEqual(
        designer?.retries.map((r) => [r.label, r.kind, r.attempts]),
        [['Designer: model turn 1', 'activity', 2]],
      );
      assert.match(designer?.retries[0]?.reason ?? '', /TransientServiceError: Model endpoint answered 500/);
      assert.equal(outcome.report?.totals.activityRetries, 1);

      const md = await readFile(outcome.reportPaths!.markdown, 'utf8');
      const section = md.slice(md.indexOf('## Designer'), md.indexOf('## Frontend Developer'));
      assert.match(
        section,
        /\*\*Retries and why:\*\*\n\n- Designer: model turn 1: Temporal retried it \(2 attempts\); reason: TransientServiceError: Model endpoint answered 500/,
      );
      assert.match(md, /^\| Designer \| done \| 1 \| 1 \|/m, 'the steps table counts the retry');

      const json = JSON.parse(await readFile(outcome.reportPaths!.json, 'utf8')) as RunReport;
      assert.equal(json.steps.find((s) => s.role === 'designer')?.modelTurns[0]?.attempts, 2);

      const groups = roleGroups(await readFile(outcome.reportPaths!.timeline, 'utf8'));
      const retryBars = (role: string) => groups.get(role)!.children.filter((e) => hasClass(e, 'retry'));
      assert.equal(retryBars('designer').length, 1, 'the retried attempt is drawn');
      assert.match(retryBars('designer')[0]!.children[0]?.text ?? '', /failed attempt\(s\).*500/);
      assert.equal(retryBars('frontend').length, 0);
    } finally {
      stack.scripted.setFaults([]);
    }
  });

  it('`npm run report` rebuilds the report of a past run, and says so in one line for an unknown id', async () => {
    const handle = await startMulti(`report-cli-${Date.now()}`);
    const outcome = await finishRun(handle);
    assert.equal(outcome.ok, true, outcome.error);
    const out = await mkdtemp(path.join(tmpdir(), 'dca-report-cli-'));
    const env = { TEMPORAL_ADDRESS: stack.address, TEMPORAL_NAMESPACE: stack.namespace };

    const ok = await runReportCli([handle.workflowId, '--out', out], env);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, new RegExp(`${handle.workflowId}: completed, 5 steps`));
    const json = JSON.parse(await readFile(path.join(out, 'run.json'), 'utf8')) as RunReport;
    assert.deepEqual(json.steps, JSON.parse(JSON.stringify(outcome.report?.steps)));
    assert.match(json.webUiUrl ?? '', new RegExp(`/namespaces/default/workflows/${handle.workflowId}$`));
    assert.match(await readFile(path.join(out, 'REPORT.md'), 'utf8'), /^## Tester$/m);
    assert.match(await readFile(path.join(out, 'timeline.svg'), 'utf8'), /<svg /);

    const missing = await runReportCli(['no-such-run-42'], env);
    assert.equal(missing.code, 2);
    assert.equal(missing.stderr, `report: No workflow "no-such-run-42" in namespace default at ${stack.address}\n`);
    const usage = await runReportCli([], env);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /^report: Missing required argument 'workflowId'\. Usage: durable-codex-agents report/);
  });

  it('reports a failed run: the failing role with its missing file, the roles that finished, no result needed', async () => {
    const id = `report-failed-${Date.now()}`;
    stack.scripted.setFaults([{ kind: 'codex', role: 'tester', run: id, times: 'always', effect: 'omit-deliverable' }]);
    try {
      const outcome = await finishRun(await startMulti(id, { maxDeliverableRetries: 1 }));
      assert.equal(outcome.ok, false);
      const report = outcome.report!;
      assert.equal(report.status, 'failed');
      assert.deepEqual(
        report.steps.map((s) => s.status),
        ['done', 'done', 'done', 'done', 'failed'],
      );
      const tester = report.steps.find((s) => s.role === 'tester')!;
      assert.deepEqual(tester.missing, ['tests/test.sh']);
      assert.equal(tester.attempts, 2);
      assert.match(tester.error ?? '', /Tester did not produce tests\/test\.sh after 2 attempts/);
      assert.deepEqual(
        tester.retries.map((r) => [r.kind, r.reason]),
        [['deliverables', 'missing tests/test.sh']],
      );
      const md = await readFile(outcome.reportPaths!.markdown, 'utf8');
      assert.match(md, /\| Status \| \*\*failed\*\* \|/);
      assert.match(
        md,
        /- Gate: Tester deliverables \(attempt 2\) at \+[\d.]+ s: 1 file\(s\) present; missing `tests\/test.sh`/,
      );
      const groups = roleGroups(await readFile(outcome.reportPaths!.timeline, 'utf8'));
      assert.equal(groups.get('tester')?.attrs['data-status'], 'failed');
    } finally {
      stack.scripted.setFaults([]);
    }
  });
});

function runReportCli(args: string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'src', 'cli', 'main.ts'), 'report', ...args],
      {
        cwd: ROOT,
        env: { ...process.env, ...env },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

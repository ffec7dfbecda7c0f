/** REPORT.md: the run report for people. Summary and timeline first, then one section per role, then the files. */
import type { FileRecord, TokenUsage } from '../shared/types';
import type { ReportCodexCall, ReportStep, RunReport } from './model';

export const TIMELINE_FILE = 'timeline.svg';

export function renderMarkdown(r: RunReport): string {
  const out: string[] = [];
  out.push(`# Run report: ${r.summary ?? r.workflowId}`, '');
  if (r.scripted) {
    out.push(
      '> **Scripted model**: an offline script, not a real LLM, played every agent and drove the real Codex.',
      '',
    );
  }
  out.push(...overview(r), '', `![Timeline of the run](${TIMELINE_FILE})`, '');
  out.push('## Steps', '');
  out.push('| Role | Status | Attempts | Retries | Duration | Model turns | Codex calls | Tokens: model / Codex |');
  out.push('|---|---|---|---|---|---|---|---|');
  for (const s of r.steps) {
    out.push(
      row([
        s.title,
        s.status,
        String(s.attempts),
        String(s.retries.length),
        secs(s.durationMs),
        String(s.modelTurns.length),
        String(s.codexCalls.length),
        `${num(s.modelUsage.total)} / ${num(s.codexUsage.total)}`,
      ]),
    );
  }
  out.push(...verificationSection(r.steps));
  out.push(...peopleSection(r));
  for (const s of r.steps) out.push('', ...stepSection(s, r.startedAt, r.remote));
  out.push('', '## Files in the workspace', '');
  out.push(...fileTable(r.files));
  if (r.task) out.push('', '## Task', '', ...details('The task list the run started with', r.task));
  out.push('', `_Built from ${r.historyEvents} history events on ${iso(r.generatedAt)}._`);
  return out.join('\n') + '\n';
}

function overview(r: RunReport): string[] {
  const t = r.totals;
  const lines = [
    '| | |',
    '|---|---|',
    row(['Workflow', `\`${r.workflowId}\`${r.workflowType ? ` (${r.workflowType})` : ''}`]),
    ...(r.team ? [row(['Team', `\`${r.team}\``])] : []),
    row(['Status', `**${r.status}**`]),
    ...(r.cancelRequest ? [row(['Cancel requested', cancelNote(r.cancelRequest)])] : []),
    row(['Started', iso(r.startedAt)]),
    row(['Duration', secs(r.durationMs)]),
  ];
  if (r.workspace) lines.push(row(['Workspace', `\`${r.workspace}\``]));
  if (r.branch) {
    lines.push(
      row([
        'Git',
        `branch \`${r.branch}\` on \`${r.remote ?? '?'}\`: \`git log ${r.branch}\` shows one commit per step`,
      ]),
    );
  }
  for (const m of r.hostMoves ?? []) {
    lines.push(row(['Host move', `${m.from} → ${m.to} at ${iso(m.at)}, from commit \`${m.commit.slice(0, 10)}\``]));
  }
  if (r.webUiUrl) lines.push(row(['Temporal Web UI', `[history](${r.webUiUrl})`]));
  if (r.models.length) lines.push(row(['Model', `${r.models.join(', ')}${r.scripted ? ' (scripted)' : ''}`]));
  const work = `${plural(t.modelTurns, 'model turn', 'model turns')}, ${plural(t.codexCalls, 'Codex call', 'Codex calls')}`;
  lines.push(row(['Work', work]));
  lines.push(
    row([
      'Retries',
      `${plural(t.activityRetries, 'activity retry', 'activity retries')}, ` +
        `${plural(t.deliverableRetries, 'request', 'requests')} for missing files`,
    ]),
  );
  lines.push(row(['Tokens', `${num(t.tokens)} (model ${usage(t.modelTokens)}; Codex ${usage(t.codexTokens)})`]));
  if (r.error) lines.push(row(['Error', r.error]));
  return lines;
}

/** A link where the remote is a web host (GitHub, GitLab, Gitea: `<repo>/commit/<sha>`), else the short hash. */
export function commitLink(remote: string | undefined, sha: string): string {
  const web = remote && /^https?:\/\//.test(remote) ? remote.replace(/\.git$/, '').replace(/\/$/, '') : undefined;
  return web ? `[\`${sha.slice(0, 10)}\`](${web}/commit/${sha})` : `\`${sha.slice(0, 10)}\``;
}

/** `## People in the loop`: every decision, who made it and when. */
function peopleSection(r: RunReport): string[] {
  if (!r.people?.length) return [];
  const out = ['', '## People in the loop', '', '| When | Role | Decision | By |', '|---|---|---|---|'];
  for (const d of r.people) out.push(row([iso(d.at), d.role ?? '', d.what, d.by ?? '']));
  return out;
}

/** `## Verification`: one line per round of every role with `verify`, the output of failed rounds folded. */
function verificationSection(steps: ReportStep[]): string[] {
  const verifying = steps.filter((s) => s.verification.length > 0);
  if (verifying.length === 0) return [];
  const out = ['', '## Verification'];
  for (const s of verifying) {
    const command = s.verification[0]?.command ?? '';
    out.push('', `${s.title} ran \`${command}\`:`, '');
    for (const v of s.verification) {
      const took = v.durationMs !== undefined ? `${(v.durationMs / 1000).toFixed(1)} s` : '-';
      const how = v.timedOut ? `timed out, ${took}` : `exit ${v.exitCode ?? '?'}, ${took}`;
      if (v.passed === undefined) out.push(`- round ${v.round}: no result (${v.status})`);
      else if (v.passed) out.push(`- round ${v.round}: passed (${how})`);
      else {
        const why = v.problem ? `: ${oneLine(v.problem, 200)}` : '';
        const fails = (v.outputTail ?? '').split('\n').filter((l) => /\bFAIL/.test(l));
        const first = fails[0]
          ? ` ${oneLine(fails[0], 120)}${fails.length > 1 ? ` (+${fails.length - 1} more)` : ''}`
          : '';
        out.push(`- round ${v.round}: failed (${how})${why}${first}`);
      }
    }
    for (const v of s.verification.filter((x) => x.passed === false && x.outputTail)) {
      out.push('', ...details(`Output of round ${v.round} (last 64 KiB)`, v.outputTail ?? ''));
    }
  }
  return out;
}

function stepSection(s: ReportStep, runStart: number, remote?: string): string[] {
  const out = [`## ${s.title}`, ''];
  const when =
    s.startedAt !== undefined ? `, from ${offset(s.startedAt, runStart)} to ${offset(s.endedAt, runStart)}` : '';
  out.push(
    `**${s.status}**${when}; ${s.attempts} attempt(s); tokens: model ${usage(s.modelUsage)}, Codex ${usage(s.codexUsage)}.`,
  );
  if (s.host || s.commit) {
    const commit = s.commit ? `; commit ${commitLink(remote, s.commit)} (\`git show ${s.commit.slice(0, 12)}\`)` : '';
    out.push('', `Host: **${s.host ?? '?'}**${commit}.`);
  }
  if (s.error) out.push('', `**Error:** ${oneLine(s.error, 600)}`);
  if (s.prompts.length) {
    out.push('', `**Prompts sent to the agent** (${s.prompts.length}):`, '');
    s.prompts.forEach((p, i) => out.push(...details(`${i + 1}. ${oneLine(p, 90)}`, p)));
  }
  if (s.modelTurns.length) {
    out.push(
      '',
      '**Model turns:**',
      '',
      '| Turn | Model | Started | Duration | Attempts | Tokens | Codex calls asked |',
    );
    out.push('|---|---|---|---|---|---|---|');
    for (const t of s.modelTurns) {
      out.push(
        row([
          String(t.turn),
          t.model ?? '-',
          offset(t.startedAt ?? t.scheduledAt, runStart),
          secs(span(t.startedAt, t.endedAt)),
          String(t.attempts),
          num(t.usage.total),
          String(t.codexCallsRequested),
        ]),
      );
    }
  }
  if (s.codexCalls.length) out.push('', ...codexCalls(s.codexCalls, runStart));
  if (s.gates.length) {
    out.push('', '**Gates:**', '');
    for (const g of s.gates) {
      const missing = g.missing.length ? `; missing ${g.missing.map(code).join(', ')}` : '; all required files present';
      out.push(`- ${g.label} at ${offset(g.endedAt, runStart)}: ${g.present.length} file(s) present${missing}`);
    }
  }
  if (s.files.length) out.push('', '**Files written:**', '', ...fileTable(s.files));
  if (s.retries.length) {
    out.push('', '**Retries and why:**', '');
    for (const x of s.retries) {
      const what =
        x.kind === 'activity' ? `Temporal retried it (${x.attempts} attempts)` : `asked again (attempt ${x.attempts})`;
      out.push(`- ${x.label}: ${what}; reason: ${oneLine(x.reason, 400)}`);
    }
  }
  if (s.finalText) out.push('', `**Final answer:** ${oneLine(s.finalText, 500)}`);
  if (s.instructions) out.push('', ...details('Role instructions', s.instructions));
  return out;
}

function codexCalls(calls: ReportCodexCall[], runStart: number): string[] {
  const out = [
    '**Codex calls:**',
    '',
    '| Call | Tool | Transport | Thread | Started | Duration | Attempts | Files changed | Tokens |',
  ];
  out.push('|---|---|---|---|---|---|---|---|---|');
  for (const c of calls) {
    const thread = c.threadId ? code(c.threadId) : '-';
    const cont = c.continuedFromThreadId
      ? ` (continues lost ${code(c.continuedFromThreadId)})`
      : c.resumedThread
        ? ' (resumed after a crash)'
        : '';
    out.push(
      row([
        c.label,
        c.tool,
        c.transport ?? 'mcp',
        thread + cont,
        offset(c.startedAt ?? c.scheduledAt, runStart),
        secs(span(c.startedAt, c.endedAt)),
        String(c.attempts),
        c.filesChanged.map(code).join(', ') || '-',
        num(c.usage.total),
      ]),
    );
  }
  out.push('');
  for (const c of calls) out.push(...details(`Prompt of ${c.label}`, c.prompt));
  return out;
}

function fileTable(files: FileRecord[]): string[] {
  if (files.length === 0) return ['_None._'];
  return [
    '| File | Size | sha256 |',
    '|---|---|---|',
    ...files.map((f) => row([code(f.path), bytes(f.size), code(f.sha256.slice(0, 12))])),
  ];
}

/** A collapsed block with the full text in a fence longer than any backtick run inside it. */
function details(summary: string, text: string): string[] {
  const fence = '`'.repeat(Math.max(3, ...[...text.matchAll(/`+/g)].map((m) => m[0].length + 1)));
  return [
    '<details>',
    `<summary>${html(summary)}</summary>`,
    '',
    fence + 'text',
    text.trimEnd(),
    fence,
    '</details>',
    '',
  ];
}

const row = (cells: string[]) => `| ${cells.map((c) => c.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ')).join(' | ')} |`;
const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;
const html = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const num = (n: number) => n.toLocaleString('en-US');
const usage = (u: TokenUsage) =>
  `${num(u.total)} (in ${num(u.input)}, out ${num(u.output)}, reasoning ${num(u.reasoning)})`;
const bytes = (n: number) => `${n} bytes`;
const iso = (ms: number) => new Date(ms).toISOString();
const span = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined ? b - a : undefined);
const secs = (ms: number | undefined) =>
  ms === undefined ? '-' : ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
const offset = (t: number | undefined, start: number) =>
  t === undefined ? '-' : `+${((t - start) / 1000).toFixed(1)} s`;

export function oneLine(t: string, max = 300): string {
  const s = t.replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

function cancelNote(c: NonNullable<RunReport['cancelRequest']>): string {
  return `${iso(c.at)}${c.identity ? ` by \`${c.identity}\`` : ''}${c.reason ? `: ${c.reason}` : ''}`;
}

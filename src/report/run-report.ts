/**
 * The run report: `run.json` (machine-readable) and `REPORT.md` (readable) in the workspace.
 * Built from the workflow's final state; `npm run report` rebuilds it from a past run.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FileRecord, RunState, StepState, TokenUsage } from '../shared/types';

export interface RunReport {
  workflowId: string;
  runId?: string;
  workflow: RunState['workflow'];
  status: RunState['status'];
  scripted: boolean;
  workspace?: string;
  webUiUrl?: string;
  startedAt: string;
  endedAt?: string;
  durationMs?: number;
  error?: string;
  steps: StepState[];
  files: FileRecord[];
  totals: { modelTokens: TokenUsage; codexTokens: TokenUsage; codexCalls: number; modelTurns: number };
}

export function buildReport(args: {
  workflowId: string;
  runId?: string;
  state: RunState;
  files?: FileRecord[];
  webUiUrl?: string;
}): RunReport {
  const { state } = args;
  const sum = (pick: (s: StepState) => TokenUsage): TokenUsage =>
    state.steps.map(pick).reduce(
      (a, u) => ({
        input: a.input + u.input,
        output: a.output + u.output,
        reasoning: a.reasoning + u.reasoning,
        total: a.total + u.total,
      }),
      { input: 0, output: 0, reasoning: 0, total: 0 },
    );
  return {
    workflowId: args.workflowId,
    runId: args.runId,
    workflow: state.workflow,
    status: state.status,
    scripted: state.scripted ?? false,
    workspace: state.workspace,
    webUiUrl: args.webUiUrl,
    startedAt: new Date(state.startedAt).toISOString(),
    endedAt: state.endedAt ? new Date(state.endedAt).toISOString() : undefined,
    durationMs: state.endedAt ? state.endedAt - state.startedAt : undefined,
    error: state.error,
    steps: state.steps,
    files: args.files ?? state.steps.flatMap((s) => s.files),
    totals: {
      modelTokens: sum((s) => s.modelUsage),
      codexTokens: sum((s) => s.codexUsage),
      codexCalls: state.steps.reduce((n, s) => n + s.codexCalls.length, 0),
      modelTurns: state.steps.reduce((n, s) => n + s.modelTurns, 0),
    },
  };
}

const secs = (ms: number | undefined) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`);

export function renderMarkdown(r: RunReport): string {
  const out: string[] = [];
  out.push(`# Run report: ${r.workflowId}`, '');
  if (r.scripted) out.push('> **Scripted model**: these files were produced by the offline scripted model, not a real LLM.', '');
  out.push(`- Workflow: ${r.workflow}-agent`, `- Status: **${r.status}**`, `- Started: ${r.startedAt}`);
  out.push(`- Duration: ${secs(r.durationMs)}`);
  if (r.workspace) out.push(`- Workspace: \`${r.workspace}\``);
  if (r.webUiUrl) out.push(`- Temporal Web UI: ${r.webUiUrl}`);
  out.push(
    `- Model turns: ${r.totals.modelTurns}, tokens ${r.totals.modelTokens.total}; Codex calls: ${r.totals.codexCalls}, tokens ${r.totals.codexTokens.total}`,
  );
  if (r.error) out.push('', `**Error:** ${r.error}`);
  out.push('', '## Steps', '');
  out.push('| Role | Status | Attempts | Duration | Model turns | Codex calls | Tokens (model / Codex) |');
  out.push('|---|---|---|---|---|---|---|');
  for (const s of r.steps) {
    const d = s.startedAt && s.endedAt ? s.endedAt - s.startedAt : undefined;
    out.push(
      `| ${s.title} | ${s.status} | ${s.attempts} | ${secs(d)} | ${s.modelTurns} | ${s.codexCalls.length} | ${s.modelUsage.total} / ${s.codexUsage.total} |`,
    );
  }
  for (const s of r.steps) {
    out.push('', `### ${s.title}`, '');
    if (s.error) out.push(`Error: ${s.error}`, '');
    for (const c of s.codexCalls) {
      const cont = c.continuedFromThreadId ? ` (continued from lost thread ${c.continuedFromThreadId})` : '';
      out.push(`- **${c.label}** \`${c.tool}\` thread \`${c.threadId ?? '-'}\`${cont}, ${secs(c.endedAt ? c.endedAt - c.startedAt : undefined)}, ${c.usage.total} tokens`);
      if (c.error) out.push(`  - error: ${c.error}`);
      out.push(`  - prompt: ${oneLine(c.prompt)}`);
      if (c.filesChanged.length) out.push(`  - files changed: ${c.filesChanged.join(', ')}`);
    }
    if (s.files.length) {
      out.push('', 'Deliverables:', '');
      for (const f of s.files) out.push(`- \`${f.path}\` (${f.size} bytes, sha256 ${f.sha256.slice(0, 12)})`);
    }
    if (s.finalText) out.push('', `Final answer: ${oneLine(s.finalText)}`);
  }
  out.push('', '## Files', '');
  for (const f of r.files) out.push(`- \`${f.path}\` (${f.size} bytes)`);
  return out.join('\n') + '\n';
}

const oneLine = (t: string, max = 300) => {
  const s = t.replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max)}…` : s;
};

/** Writes run.json and REPORT.md into `dir`; returns their paths. */
export async function writeReport(dir: string, report: RunReport): Promise<{ json: string; markdown: string }> {
  await mkdir(dir, { recursive: true });
  const json = path.join(dir, 'run.json');
  const markdown = path.join(dir, 'REPORT.md');
  await writeFile(json, JSON.stringify(report, null, 2) + '\n');
  await writeFile(markdown, renderMarkdown(report));
  return { json, markdown };
}

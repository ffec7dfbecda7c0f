/**
 * What a run on an existing repository changed (start-run `--repo`): the diff stat against the base per step (each
 * step's commit) and in total, for REPORT.md, and the pull-request description (PULL_REQUEST.md) the run leaves next
 * to it. Read from the run's workspace with the real git, after the run ended.
 */
import { appendFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { git } from '../activities/git';
import { statLine } from '../shared/prompts';
import type { DiffStatLine, RepoSpec, RunState } from '../shared/types';

export interface StepChange {
  commit: string;
  author: string;
  subject: string;
  stat: DiffStatLine[];
}

export interface RepoChanges {
  base: string;
  baseCommit: string;
  head: string;
  steps: StepChange[];
  total: DiffStatLine[];
}

const parseNumstat = (text: string): DiffStatLine[] =>
  text
    .split('\n')
    .filter((l) => /^(\d+|-)\t(\d+|-)\t/.test(l))
    .map((l) => {
      const [a = '-', r = '-', ...p] = l.split('\t');
      return { path: p.join('\t'), added: a === '-' ? -1 : Number(a), removed: r === '-' ? -1 : Number(r) };
    });

export async function repoChanges(
  workspace: string,
  repo: Pick<RepoSpec, 'base' | 'baseCommit'>,
): Promise<RepoChanges> {
  const run = async (args: string[]) => (await git(args, { cwd: workspace })).stdout;
  const head = (await run(['rev-parse', 'HEAD'])).trim();
  const log = await run(['log', '--reverse', '--numstat', '--format=@@%H%x09%an%x09%s', `${repo.baseCommit}..HEAD`]);
  const steps: StepChange[] = [];
  for (const chunk of log.split('@@').filter((c) => c.trim())) {
    const [first = '', ...rest] = chunk.split('\n');
    const [commit = '', author = '', subject = ''] = first.split('\t');
    steps.push({ commit, author, subject, stat: parseNumstat(rest.join('\n')) });
  }
  const total = parseNumstat(await run(['diff', '--numstat', '--no-renames', repo.baseCommit, head]));
  return { base: repo.base, baseCommit: repo.baseCommit, head, steps, total };
}

const sum = (stat: readonly DiffStatLine[]) =>
  stat.reduce((s, l) => ({ added: s.added + Math.max(l.added, 0), removed: s.removed + Math.max(l.removed, 0) }), {
    added: 0,
    removed: 0,
  });

const table = (stat: readonly DiffStatLine[]) =>
  stat.length ? stat.map((l) => `    ${statLine(l).slice(2).replace(/ \+/, ' | +')}`).join('\n') : '    (no files)';

export function changesMarkdown(c: RepoChanges, cloneMs?: number): string {
  const t = sum(c.total);
  const clone = cloneMs === undefined ? '' : ` Clone of the base (shallow): ${(cloneMs / 1000).toFixed(1)} s.`;
  const lines = [
    '',
    `## Changes against ${c.base}`,
    '',
    `Base ${c.baseCommit.slice(0, 12)}, head ${c.head.slice(0, 12)}: ${c.total.length} file(s), +${t.added} -${t.removed}.${clone}`,
    '',
    '### In total',
    '',
    table(c.total),
    '',
    '### Per step',
    '',
  ];
  for (const s of c.steps) {
    const st = sum(s.stat);
    lines.push(`- ${s.commit.slice(0, 12)} **${s.author}**: ${s.stat.length} file(s), +${st.added} -${st.removed}`);
    if (s.stat.length) lines.push('', table(s.stat), '');
  }
  return `${lines.join('\n')}\n`;
}

/** The pull-request description: what changed, why (the task), how it was verified, the steps. */
export function pullRequestMarkdown(task: string, state: RunState, c: RepoChanges, runLink?: string): string {
  const title = /^#\s+(.+)$/m.exec(task)?.[1]?.trim() ?? task.split('\n')[0]?.trim() ?? 'Changes';
  const t = sum(c.total);
  const verified = state.steps
    .filter((s) => s.verification)
    .map((s) => {
      const v = s.verification;
      const last = v?.rounds[v.rounds.length - 1];
      return `- \`${v?.command ?? ''}\`: ${v?.status ?? '?'} after ${v?.rounds.length ?? 0} round(s)${last ? ` (exit ${last.exitCode ?? '?'})` : ''}`;
    });
  const reviews = (state.reviews?.decided ?? []).map(
    (d) =>
      `- review ${d.round} by ${d.by}: ${d.decision}${d.text ? ` (${d.role}: ${d.text.split('\n')[0] ?? ''})` : ''}`,
  );
  return [
    `# ${title}`,
    '',
    '## What changed',
    '',
    ...c.total.map(statLine),
    '',
    `${c.total.length} file(s), +${t.added} -${t.removed}, against ${c.base} (${c.baseCommit.slice(0, 12)}).`,
    '',
    '## Why',
    '',
    task.trim(),
    '',
    '## How it was verified',
    '',
    ...(verified.length ? verified : ['- no checks ran']),
    ...reviews,
    '',
    '## Steps',
    '',
    ...c.steps.map((s) => `- ${s.commit.slice(0, 12)} ${s.author}: ${s.subject}`),
    ...(runLink ? ['', `Run history: ${runLink}`] : []),
    '',
  ].join('\n');
}

/** Appends the changes to REPORT.md and writes PULL_REQUEST.md next to it; resolves to the description's path. */
export async function writeRepoReport(
  markdownPath: string,
  task: string,
  state: RunState,
  c: RepoChanges,
  runLink?: string,
): Promise<string> {
  await appendFile(markdownPath, changesMarkdown(c, state.repo?.cloneMs));
  const pr = path.join(path.dirname(markdownPath), 'PULL_REQUEST.md');
  await writeFile(pr, pullRequestMarkdown(task, state, c, runLink));
  return pr;
}

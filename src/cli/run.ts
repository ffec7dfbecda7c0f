/**
 * `durable-codex-agents run` (`npm run start-run`): starts a team run (`--team FILE|NAME`, default the cookbook team) on the worker's task queue,
 * shows live progress until it ends,
 * prints where the files are and the Web UI link, and writes run.json + REPORT.md into the workspace.
 * Exit codes: 0 success, 1 the run failed, 2 bad input or unreachable Temporal (nothing started).
 */
import path from 'node:path';
import { Client } from '@temporalio/client';
import { defaultRemote, displayRemote } from '../activities/git-workspace';
import { clientConnectConfig, connectClient } from '../config/temporal-connection';
import { finishRun, newWorkflowId, startRun, webUiBase, webUiLink, type RunRequest } from '../runtime/runs';
import { branchOf } from '../shared/placement';
import { projectName } from '../shared/naming';
import { DEFAULT_SINGLE_AGENT_PROMPT } from '../shared/prompts';
import {
  checkWorkspace,
  DEFAULT_TASK_FILE,
  readTaskFile,
  RUN_COMMAND_LINE,
  startRunOptions,
  type StartRunOptions,
} from './args';
import type { CliCommand } from './command';
import { peopleOptions } from './people-options';
import { checkRepo } from './repo';
import { repoChanges, writeRepoReport } from '../report/changes';
import type { RepoSpec } from '../shared/placement';
import { withDeclaredTestCommand } from '../activities/test-command';
import { watchProgress } from './progress';
import { loadTeam } from './team-file';

export const runCommand: CliCommand = {
  ...RUN_COMMAND_LINE,
  action: ({ options }) => run(startRunOptions(options)),
};

/** Starts the run; resolves to 0 when it completed, 1 when it failed or was cancelled (0 when detached). */
export async function run(opts: StartRunOptions): Promise<number> {
  const workspaceRoot = path.resolve(process.env.WORKSPACE_ROOT ?? 'runs');
  const workspace = checkWorkspace(workspaceRoot, opts.workspace);
  const taskQueue = process.env.TASK_QUEUE || undefined;
  // Everything is checked before connecting: a bad team or task file starts nothing.
  const { team: loaded } = await loadTeam(opts.team);
  const task = opts.task
    ? await readTaskFile(opts.task)
    : loaded.name === 'single'
      ? DEFAULT_SINGLE_AGENT_PROMPT
      : await readTaskFile(DEFAULT_TASK_FILE);
  // `Test command: ...` in the task stands for the team's `verify: { command: auto }` (teams/change.yaml).
  const team = withDeclaredTestCommand(loaded, task);
  // A repository is checked before connecting too: nothing starts, nothing is pushed when it is refused.
  const workflowId = opts.id ?? (opts.repo ? newWorkflowId(team.name, projectName(task)) : undefined);
  const repo = opts.repo
    ? await checkRepo({ repo: opts.repo, base: opts.base, branch: opts.branch, pushTo: opts.pushTo }, workflowId ?? '')
    : undefined;
  for (const w of repo?.warnings ?? []) console.error(w);
  const req: RunRequest = {
    kind: 'team',
    input: { team, task, workspace, ...peopleOptions(opts, team), ...(repo ? { repo: repo.spec } : {}) },
    workflowId,
    taskQueue,
  };

  const address = clientConnectConfig().connectionOptions.address;
  const { connection, namespace } = await connectClient();
  const client = new Client({ connection, namespace });
  try {
    const handle = await startRun(client, req);
    const link = webUiLink(webUiBase(address), namespace, handle.workflowId);
    const say = (line: string) => (opts.json ? undefined : console.log(line));
    say(`Started ${handle.workflowId} on ${address} (namespace ${namespace})`);
    if (link) say(`Temporal Web UI: ${link}`);
    // The workers' WORKSPACE_REMOTE decides; this machine's setting is the best guess until the run says.
    const remote = displayRemote(
      repo ? (repo.spec.pushTo ?? repo.spec.source) : process.env.WORKSPACE_REMOTE || defaultRemote(workspaceRoot),
    );
    if (repo)
      say(`Repository: ${displayRemote(repo.spec.source)} at ${repo.spec.base} (${repo.spec.baseCommit.slice(0, 12)})`);
    say(`Git: branch ${branchOf(handle.workflowId, repo?.spec)} on ${remote} (one commit per finished step)`);
    if (opts.json) console.log(JSON.stringify({ type: 'started', workflowId: handle.workflowId, webUi: link }));
    if (opts.detach) {
      say(`Detached. Follow it in the Web UI, or later: npm run report -- ${handle.workflowId}`);
      return 0;
    }
    await watchProgress(handle, { mode: opts.json ? 'json' : process.stdout.isTTY ? 'tty' : 'plain' });
    const outcome = await finishRun(handle, link);
    if (opts.json) {
      const { ok, error, reportPaths, reportError, report } = outcome;
      console.log(JSON.stringify({ type: 'finished', ok, error, reportPaths, reportError, report }));
    } else {
      if (outcome.report?.scripted) say('Note: produced by the SCRIPTED model (offline stand-in), not a real LLM.');
      if (outcome.ok && outcome.result) {
        // A run on a repository lists the files it changed against the base.
        say(`\nRun completed. ${repo ? 'Changed files' : 'Files'} in ${outcome.result.workspace}:`);
        for (const f of outcome.result.files) say(`  ${f.path} (${f.size} bytes)`);
      } else if (outcome.cancelled) {
        say(
          `\nRun cancelled${outcome.report?.cancelRequest?.reason ? `: ${outcome.report.cancelRequest.reason}` : ''}`,
        );
      } else {
        say(`\nRun failed: ${outcome.error ?? 'unknown error'}`);
      }
      if (outcome.reportPaths)
        say(`Report: ${outcome.reportPaths.markdown} (timeline: ${outcome.reportPaths.timeline})`);
      if (repo && outcome.result && outcome.state) {
        await sayRepoResult(say, repo.spec, handle.workflowId, task, outcome, link);
      }
      if (outcome.reportError) say(`No report: ${outcome.reportError}`);
      if (outcome.state?.branch && !repo) {
        say(
          `Git: git log ${outcome.state.branch}   (remote ${outcome.state.remote ?? '?'}; push the branch on, open a PR)`,
        );
      }
      if (link) say(`History: ${link}`);
    }
    return outcome.ok ? 0 : 1;
  } finally {
    await connection.close();
  }
}

/** A run on a repository: the changes in REPORT.md, PULL_REQUEST.md, the branch, its commit range, how to open a PR. */
async function sayRepoResult(
  say: (line: string) => void,
  spec: RepoSpec,
  workflowId: string,
  task: string,
  outcome: Awaited<ReturnType<typeof finishRun>>,
  link: string | undefined,
): Promise<void> {
  const workspace = outcome.result?.workspace;
  const branch = branchOf(workflowId, spec);
  const remote = displayRemote(spec.pushTo ?? spec.source);
  if (!workspace || !outcome.state) return;
  try {
    const changes = await repoChanges(workspace, spec);
    const pr = outcome.reportPaths
      ? await writeRepoReport(outcome.reportPaths.markdown, task, outcome.state, changes, link)
      : undefined;
    say(
      `Branch ${branch}: ${changes.baseCommit.slice(0, 12)}..${changes.head.slice(0, 12)} on ${remote} (${changes.steps.length} commit(s), ${changes.total.length} file(s) changed)`,
    );
    say(`Review it: git log -p ${spec.base}..${branch}`);
    say(`Pull request: gh pr create --base ${spec.base} --head ${branch}${pr ? ` --body-file ${pr}` : ''}`);
  } catch (err) {
    say(
      `Branch ${branch} on ${remote} (its changes could not be read here: ${err instanceof Error ? err.message : String(err)})`,
    );
  }
}

/**
 * Records workflow histories for the replay tests (test/replay.test.ts): runs the workflows on real parts (local
 * Temporal dev server, real Codex, scripted model) and writes each history as JSON into test/fixtures/histories/.
 *
 *   npx tsx scripts/record-histories.ts                      # all of them
 *   npx tsx scripts/record-histories.ts team-cookbook.json   # only the files named
 *
 * Re-record only on purpose: a replay failure after a workflow change means running workflows would break (use
 * `patched()` instead); re-recording says "no run recorded with the old code may still be running".
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { startLocalStack } from '../src/runtime/local-stack';
import { loadTeam } from '../src/cli/team-file';
import { startRun, type RunRequest } from '../src/runtime/runs';
import type { FaultRule } from '../src/scripted-model';

const OUT = path.join(__dirname, '..', 'test', 'fixtures', 'histories');

interface Recording {
  file: string;
  description: string;
  request: RunRequest;
  faults?: FaultRule[];
  /** Start this legacy workflow type with the request's own input instead of teamWorkflow. */
  legacyType?: 'multiAgentWorkflow' | 'singleAgentWorkflow';
}

async function main(): Promise<void> {
  const taskList = await readFile(path.join(__dirname, '..', 'tasks', 'bug-busters.md'), 'utf8');
  const { team } = await loadTeam('cookbook');
  const tuning = { retryInitialIntervalMs: 200, retryMaximumIntervalMs: 1_000 };
  const recordings: Recording[] = [
    {
      file: 'multi-agent.json',
      description: 'Bug Busters through the whole pipeline, no faults',
      request: { kind: 'multi', workflowId: 'replay-multi-agent', input: { taskList, tuning } },
      legacyType: 'multiAgentWorkflow',
    },
    {
      file: 'multi-agent-reask.json',
      description: 'Backend skips server.js (re-requested through codex-reply); retried model turn and Codex call',
      request: { kind: 'multi', workflowId: 'replay-multi-agent-reask', input: { taskList, tuning } },
      legacyType: 'multiAgentWorkflow',
      faults: [
        { run: 'replay-multi-agent-reask', kind: 'codex', role: 'backend', times: 1, effect: 'omit-deliverable' },
        { run: 'replay-multi-agent-reask', kind: 'agent', role: 'designer', turn: 1, effect: { status: 500 } },
        { run: 'replay-multi-agent-reask', kind: 'codex', role: 'tester', turn: 2, effect: 'broken-stream' },
      ],
    },
    {
      file: 'single-agent.json',
      description: "The cookbook's single-agent example",
      // Recorded before team files: startRun now starts teamWorkflow, so the legacy workflow type is named here.
      request: { kind: 'single', workflowId: 'replay-single-agent', input: { tuning } },
      legacyType: 'singleAgentWorkflow',
    },
    {
      file: 'team-cookbook.json',
      description: 'Bug Busters through teamWorkflow with teams/cookbook.yaml',
      request: { kind: 'team', workflowId: 'replay-team-cookbook', input: { team, task: taskList, tuning } },
    },
    {
      file: 'team-cookbook-git.json',
      description:
        'Bug Busters on a git workspace (host affinity, conversation store): each gate, then its commit pushed, as two ' +
        "activities (recorded before the 'step-end-folded' patch, with the code of commit 4837544)",
      request: { kind: 'team', workflowId: 'replay-team-cookbook-git', input: { team, task: taskList, tuning } },
    },
    {
      file: 'team-cookbook-verify.json',
      description: 'Bug Busters with verification: a broken backend fails round 1, the owners fix it, round 2 passes',
      request: { kind: 'team', workflowId: 'replay-team-cookbook-verify', input: { team, task: taskList, tuning } },
      faults: [{ run: 'replay-team-cookbook-verify', kind: 'codex', role: 'backend', effect: 'break-deliverable' }],
    },
    {
      file: 'team-cookbook-current.json',
      description:
        'Bug Busters on a git workspace with the patches of 2026-12-04 (conversation store, gates that commit, the ' +
        'listing in the last checks, Codex calls naming the stored conversation): the backend first skips server.js ' +
        '(asked again through codex-reply) and writes it broken: the checks fail once, the owners fix it on their threads',
      request: { kind: 'team', workflowId: 'replay-team-cookbook-current', input: { team, task: taskList, tuning } },
      faults: [
        { run: 'replay-team-cookbook-current', kind: 'codex', role: 'backend', times: 1, effect: 'omit-deliverable' },
        // On its second call (the re-ask), the one that writes server.js.
        { run: 'replay-team-cookbook-current', kind: 'codex', role: 'backend', nth: 2, effect: 'break-deliverable' },
      ],
    },
  ];
  const only = process.argv.slice(2);
  const chosen = only.length ? recordings.filter((r) => only.includes(r.file)) : recordings;
  if (chosen.length !== (only.length || recordings.length)) throw new Error(`Unknown recording in ${only.join(' ')}`);

  const stack = await startLocalStack();
  try {
    await mkdir(OUT, { recursive: true });
    for (const r of chosen) {
      stack.scripted.setFaults(r.faults ?? []);
      const handle: WorkflowHandle = r.legacyType
        ? await stack.client.workflow.start(r.legacyType, {
            taskQueue: stack.taskQueue,
            workflowId: r.request.workflowId ?? r.file,
            args: [r.request.input],
          })
        : await startRun(stack.client, { ...r.request, taskQueue: stack.taskQueue });
      await handle.result();
      const history = await handle.fetchHistory();
      // The canonical proto3 JSON (what the Web UI and `temporal workflow show --output json` give).
      await writeFile(path.join(OUT, r.file), `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 1)}\n`);
      console.log(`${r.file}: ${history.events?.length ?? 0} events (${r.description})`);
    }
  } finally {
    await stack.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

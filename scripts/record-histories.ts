/**
 * Records workflow histories for the replay tests (test/replay.test.ts): runs the workflows on real parts (local
 * Temporal dev server, real Codex, scripted model) and writes each history as JSON into test/fixtures/histories/.
 *
 *   npx tsx scripts/record-histories.ts
 *
 * Re-record only on purpose: a replay failure after a workflow change means running workflows would break (use
 * `patched()` instead); re-recording says "no run recorded with the old code may still be running".
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { startLocalStack } from '../src/runtime/local-stack';
import { startRun, type RunRequest } from '../src/runtime/runs';
import type { FaultRule } from '../src/scripted-model';

const OUT = path.join(__dirname, '..', 'test', 'fixtures', 'histories');

interface Recording {
  file: string;
  description: string;
  request: RunRequest;
  faults?: FaultRule[];
}

async function main(): Promise<void> {
  const taskList = await readFile(path.join(__dirname, '..', 'tasks', 'bug-busters.md'), 'utf8');
  const tuning = { retryInitialIntervalMs: 200, retryMaximumIntervalMs: 1_000 };
  const recordings: Recording[] = [
    {
      file: 'multi-agent.json',
      description: 'Bug Busters through the whole pipeline, no faults',
      request: { kind: 'multi', workflowId: 'replay-multi-agent', input: { taskList, tuning } },
    },
    {
      file: 'multi-agent-reask.json',
      description: 'Backend skips server.js (re-requested through codex-reply); retried model turn and Codex call',
      request: { kind: 'multi', workflowId: 'replay-multi-agent-reask', input: { taskList, tuning } },
      faults: [
        { run: 'replay-multi-agent-reask', kind: 'codex', role: 'backend', times: 1, effect: 'omit-deliverable' },
        { run: 'replay-multi-agent-reask', kind: 'agent', role: 'designer', turn: 1, effect: { status: 500 } },
        { run: 'replay-multi-agent-reask', kind: 'codex', role: 'tester', turn: 2, effect: 'broken-stream' },
      ],
    },
    {
      file: 'single-agent.json',
      description: "The cookbook's single-agent example",
      request: { kind: 'single', workflowId: 'replay-single-agent', input: { tuning } },
    },
  ];

  const stack = await startLocalStack();
  try {
    await mkdir(OUT, { recursive: true });
    for (const r of recordings) {
      stack.scripted.setFaults(r.faults ?? []);
      const handle: WorkflowHandle = await startRun(stack.client, { ...r.request, taskQueue: stack.taskQueue });
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

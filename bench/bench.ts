/**
 * `npm run bench`: how much the durable pipeline costs on top of the work itself. Runs on the real Temporal dev
 * server and the real Codex binary; the SCRIPTED model (a fixed script with injected latency, not an LLM) stands in
 * for the agents' model and Codex's model, so the injected latency is known exactly. See BENCHMARKS.md.
 */
import os from 'node:os';
import { USAGE, parseBenchArgs, type BenchOptions } from './lib/args';
import { measureConcurrency } from './lib/concurrency';
import { measurePipelines } from './lib/overhead';
import {
  renderConcurrency,
  renderMcpServer,
  renderOverhead,
  renderParallel,
  renderStepCost,
  renderResume,
  type BenchResults,
} from './lib/report';
import { measureResume } from './lib/resume';
import { measureHostLoss, renderHostLoss } from './lib/host-loss';
import { measureNoMove, renderNoMove } from './lib/no-move';
import { measureMcpServer } from './lib/mcp-server';
import { measureLongRole, renderLongRole } from './lib/long-role';

const BANNER = [
  '==============================================================================',
  ' BENCHMARK with the SCRIPTED model: a deterministic script with injected',
  " latency plays the agents and Codex's model. Real Temporal dev server, real",
  ' Codex binary. Numbers measure orchestration cost, not LLM speed.',
  '==============================================================================',
].join('\n');

const loadAvg = () => os.loadavg() as [number, number, number];

async function main(): Promise<void> {
  let o: BenchOptions | undefined;
  try {
    o = parseBenchArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
    process.exit(2);
  }
  if (!o) {
    console.log(USAGE);
    return;
  }
  // Tables go to stdout, or to stderr when stdout carries the JSON.
  const out = (text: string) => (o.json ? process.stderr : process.stdout).write(`${text}\n`);
  const log = (line: string) => process.stderr.write(`${line}\n`);

  out(BANNER);
  out(
    `Injected latency: ${o.turnMs} ms per agent model turn, ${o.codexMs} ms per Codex call` +
      (o.codexRequestMs ? ` + ${o.codexRequestMs} ms per Codex request` : '') +
      `; ${os.cpus().length} CPUs, load ${os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}\n`,
  );
  const results: BenchResults = {
    scripted: true,
    note: 'SCRIPTED model (fixed script, injected latency), real Temporal dev server, real Codex binary',
    machine: { cpus: os.cpus().length, node: process.version, loadAvgStart: os.loadavg() },
    options: o,
  };

  if (o.only.includes('overhead') || o.only.includes('parallel')) {
    log('Overhead / parallel: single runs on an in-process worker ...');
    const r = await measurePipelines(o, log);
    results.overhead = r.overhead;
    results.parallel = r.parallel;
    if (r.overhead) out(`\n${renderOverhead(r.overhead)}\n\n${renderStepCost(r.overhead, os.loadavg())}`);
    if (r.parallel) out(`\n${renderParallel(r.parallel)}`);
  }
  if (o.only.includes('resume')) {
    log('Resume: a worker process killed in the Tester step, then started again ...');
    results.resume = await measureResume(o, log);
    out(`\n${renderResume(results.resume)}`);
  }
  if (o.only.includes('concurrency')) {
    const workers = o.workers === 1 ? 'one worker process' : `${o.workers} worker processes`;
    log(`Concurrency: ${o.concurrency.join(', ')} runs at once on ${workers} ...`);
    results.concurrency = await measureConcurrency(o, log);
    out(`\n${renderConcurrency(results.concurrency)}`);
  }
  if (o.only.includes('host-loss')) {
    log("Host loss: two hosts, the run's host killed in the Tester step and its disk removed ...");
    results.hostLoss = await measureHostLoss(o, log);
    out(`\n${renderHostLoss(results.hostLoss)}`);
  }
  // The other half of host loss: with both hosts alive, nothing may move.
  if (o.only.includes('host-loss') || o.only.includes('no-move')) {
    log(`No-move pass: ${o.noMoveRuns} runs at once on two live hosts ...`);
    results.noMove = await measureNoMove(o, o.noMoveRuns, loadAvg, log);
    out(`\n${renderNoMove(results.noMove)}`);
  }
  if (o.only.includes('mcp-server')) {
    log(`MCP server: a trivial codex call through mcp-server vs straight to codex mcp-server 0.153.4 ...`);
    results.mcpServer = await measureMcpServer(o.mcpRuns, log);
    out(`\n${renderMcpServer(results.mcpServer)}`);
  }
  if (o.only.includes('long-role')) {
    log(`Long role: one role of ${o.longTurns} model turns, 8 KB reasoning items, 4 KB Codex summaries ...`);
    results.longRole = await measureLongRole(o, log);
    out(`\n${renderLongRole(results.longRole)}`);
  }
  results.machine.loadAvgEnd = os.loadavg();
  out(
    `\nLoad average at the end: ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')} (the machine may be shared).`,
  );
  if (o.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);

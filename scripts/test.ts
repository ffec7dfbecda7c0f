/**
 * The full test suite (`npm test`): the fast workflow tests (test/unit/), then every test/*.test.ts file in two
 * groups. Most files run two at a time (each starts its own Temporal dev server, scripted model and workers, and
 * spends most of its time waiting on them, so two fit on two cores). The files in ALONE run one at a time with
 * nothing beside them: they kill workers and servers at chosen instants, or judge timing (heartbeat timeouts of a
 * few seconds), and a neighbour's load would move those instants.
 *
 *   npm test                     everything
 *   npm test -- test/cli.test.ts just these files (one at a time)
 *   TEST_CONCURRENCY=1 npm test  every file alone
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.join(__dirname, '..');

/** Files that must run alone, with why. */
const ALONE: Record<string, string> = {
  'durability-worker-crash.test.ts': 'SIGKILLs workers at 17 instants of three concurrent runs (3 s heartbeats)',
  'durability-restarts.test.ts': 'restarts the Temporal server mid-run',
  'e2e-app-server-crash.test.ts': 'kills the worker mid-Codex-call',
  'e2e-verify-crash.test.ts': 'kills the worker during verification',
  'e2e-approvals.test.ts': 'kills the worker while an approval is pending',
  'two-hosts.test.ts': 'kills a host with its disk; heartbeat timeouts decide the move',
  'e2e-change-durability.test.ts': 'SIGKILLs a worker mid-Codex-call and a host with its disk (3 s heartbeats)',
  'mcp-server-durability.test.ts': 'kills the MCP server process mid-call',
  'faults.test.ts': 'hung calls and timeouts measured in seconds',
  'traces-openai.test.ts': 'SIGKILLs the worker twice mid-run (3 s heartbeats)',
};

/** The longest shared files first, so the two lanes end together. */
const LONG_FIRST = [
  'report.test.ts',
  'e2e-review.test.ts',
  'e2e-pipeline.test.ts',
  'cookbook-agents-sdk.test.ts',
  'webui-browser.test.ts',
  'e2e-real-path.test.ts',
  'mcp-teams.test.ts',
  'e2e-cancel.test.ts',
];

function nodeTest(files: string[], concurrency: number): Promise<number> {
  if (files.length === 0) return Promise.resolve(0);
  const args = ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

function order(files: string[]): string[] {
  const rank = (f: string) => {
    const i = LONG_FIRST.indexOf(path.basename(f));
    return i === -1 ? LONG_FIRST.length : i;
  };
  return [...files].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

async function main(): Promise<void> {
  const concurrency = Number(process.env.TEST_CONCURRENCY ?? 2);
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    console.error(`TEST_CONCURRENCY must be a whole number >= 1, got '${process.env.TEST_CONCURRENCY}'`);
    process.exit(2);
  }
  const chosen = process.argv.slice(2);
  if (chosen.length > 0) process.exit(await nodeTest(chosen, 1));

  const unit = readdirSync(path.join(ROOT, 'test', 'unit'))
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => path.join('test', 'unit', f));
  const all = readdirSync(path.join(ROOT, 'test'))
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => path.join('test', f));
  const alone = all.filter((f) => path.basename(f) in ALONE);
  const shared = order(all.filter((f) => !(path.basename(f) in ALONE)));

  const codes: number[] = [];
  for (const [name, files, n] of [
    ['fast workflow tests', unit, 1],
    [`${shared.length} files, ${concurrency} at a time`, shared, concurrency],
    [`${alone.length} files that run alone`, alone, 1],
  ] as const) {
    const started = Date.now();
    console.log(`\n==> tests: ${name}`);
    const code = await nodeTest([...files], n);
    console.log(`<== tests: ${name}: ${Math.round((Date.now() - started) / 1000)}s${code === 0 ? '' : ' (FAILED)'}`);
    codes.push(code);
    // The fast tests gate the slow ones: a broken workflow rule fails in seconds, not after 15 minutes.
    if (files === unit && code !== 0) break;
  }
  process.exit(codes.some((c) => c !== 0) ? 1 : 0);
}

void main();

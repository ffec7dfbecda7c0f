/**
 * The scripted model's side of verification, without Temporal: the break-deliverable fault (once per Codex turn, on
 * its first request), the broken Bug Busters server (still valid JavaScript, POST /scores answers 500), and an agent
 * answering a verification bug report with codex-reply on its own thread for its own files.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { agentBrief, verificationBugReport, VERIFICATION_FAILED_PREFIX } from '../src/shared/prompts';
import { builtinRole } from '../src/shared/builtin-teams';
import { agentScript } from '../src/scripted-model/agent-script';
import { breakableFile, brokenContent, readCodexTurn } from '../src/scripted-model/codex-script';
import { FaultBook } from '../src/scripted-model/faults';

const SERVER = path.join(__dirname, '..', 'src', 'scripted-model', 'templates', 'bug-busters', 'backend', 'server.js');

describe('scripted verification faults and fixes', () => {
  it('break-deliverable fires once, on the first request of a Codex turn of the named role', () => {
    const book = new FaultBook();
    book.set([{ kind: 'codex', role: 'backend', effect: 'break-deliverable' }]);
    const at = (turn: number, role = 'backend') => book.decide({ kind: 'codex', role, run: 'r', turn });
    assert.equal(at(2).breakDeliverable, false, 'not mid-turn');
    assert.equal(at(1, 'frontend').breakDeliverable, false, 'not another role');
    assert.deepEqual(at(1), {
      extraLatencyMs: 0,
      omitDeliverable: false,
      breakDeliverable: true,
      needsApproval: false,
      fired: ['break-deliverable'],
    });
    assert.equal(at(1).breakDeliverable, false, 'times defaults to 1: the fix is written right');
  });

  it('breaks the Bug Busters server so that POST /scores answers 500, and it still passes node --check', () => {
    const broken = brokenContent('backend/server.js', readFileSync(SERVER, 'utf8'));
    assert.match(broken, /sendJson\(res, 500, \{ error: 'scripted fault: not saved' \}\);/);
    assert.doesNotMatch(broken, /sendJson\(res, 201/);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'broken-'));
    try {
      writeFileSync(path.join(dir, 'server.js'), broken);
      execFileSync(process.execPath, ['--check', path.join(dir, 'server.js')]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assert.match(
      brokenContent('tests/test.sh', '#!/usr/bin/env bash\necho ok\n'),
      /^#!\/usr\/bin\/env bash\necho .*; exit 1\necho ok/,
    );
    assert.match(brokenContent('a.js', 'x();\n'), /^throw new Error/);
  });

  it('picks the server among a role’s files', () => {
    const prompt = [
      'Role: Backend Developer',
      'Write exactly these files (paths relative to the current directory):',
      '- backend/package.json (required): manifest',
      '- backend/server.js (required): the API',
      '',
    ].join('\n');
    const turn = readCodexTurn([{ type: 'message', role: 'user', content: prompt }]);
    assert.equal(breakableFile(turn), 'backend/server.js');
  });

  it('answers a bug report with codex-reply on its thread, for its own deliverables, quoting the failures', () => {
    const backend = builtinRole('backend');
    const brief = agentBrief(backend, 'Goal: Build "Bug Busters".', []);
    const report = verificationBugReport(1, 'Tester', 'bash tests/test.sh', {
      exitCode: 1,
      signal: null,
      timedOut: false,
      outputTail: 'PASS GET /health\nFAIL POST /scores valid (expected 201, got 500: {})\n1 check(s) failed\n',
      services: [{ command: 'npm start', cwd: 'backend', port: 3000, ready: true, outputTail: 'listening\n' }],
    });
    assert.ok(report.startsWith(`${VERIFICATION_FAILED_PREFIX} 1): \`bash tests/test.sh\``), report);
    const thread = '01a2-thread';
    const drafts = agentScript({
      role: 'backend',
      tools: ['codex', 'codex-reply'],
      input: [
        { type: 'message', role: 'user', content: brief },
        { type: 'function_call', name: 'codex', call_id: 'c1', arguments: '{"prompt":"x"}' },
        { type: 'function_call_output', call_id: 'c1', output: JSON.stringify({ threadId: thread, content: 'Wrote' }) },
        { type: 'message', role: 'assistant', content: 'done' },
        { type: 'message', role: 'user', content: report },
      ],
    });
    assert.equal(drafts.length, 1);
    const call = drafts[0] as { type: string; name?: string; arguments?: string };
    assert.equal(call.name, 'codex-reply');
    const args = JSON.parse(call.arguments ?? '{}') as { threadId: string; prompt: string };
    assert.equal(args.threadId, thread);
    assert.match(args.prompt, /The team's checks failed/);
    assert.match(args.prompt, /> FAIL POST \/scores valid/);
    assert.match(args.prompt, /- backend\/package\.json \(required\)/);
    assert.match(args.prompt, /- backend\/server\.js \(required\)/);
  });
});

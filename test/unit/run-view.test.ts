/**
 * The MCP server's view of a run for progress notifications, without a server: role starts missed between two looks
 * (a short role that started and ended while the machine was busy) are told as of their start, in order.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { missedStarts } from '../../src/mcp-server/run-view';
import type { RunState, StepState } from '../../src/shared/types';

const step = (role: string, status: StepState['status'], startedAt?: number, endedAt?: number): StepState => ({
  role,
  title: role.toUpperCase(),
  status,
  attempts: status === 'waiting' ? 0 : 1,
  ...(startedAt !== undefined && { startedAt }),
  ...(endedAt !== undefined && { endedAt }),
  modelTurns: 0,
  codexCalls: [],
  files: [],
  missing: [],
  modelUsage: { input: 0, output: 0, reasoning: 0, total: 0 },
  codexUsage: { input: 0, output: 0, reasoning: 0, total: 0 },
});
const run = (...steps: StepState[]): RunState => ({
  workflow: 'team',
  team: 't',
  status: steps.every((s) => s.status === 'done') ? 'completed' : 'running',
  startedAt: 0,
  steps,
});

void describe('missedStarts', () => {
  void it('tells a role that started and ended between two looks, as of its start', () => {
    const before = run(step('pm', 'running', 10), step('dev', 'waiting'));
    const now = run(step('pm', 'done', 10, 20), step('dev', 'done', 21, 30));
    assert.deepEqual(missedStarts(before, now), ['1/2 roles done; running: DEV']);
  });

  void it('tells parallel roles missed together in start order, each with what ran beside it', () => {
    const before = run(step('pm', 'running', 10), step('fe', 'waiting'), step('be', 'waiting'), step('qa', 'waiting'));
    const now = run(
      step('pm', 'done', 10, 20),
      step('fe', 'done', 22, 40),
      step('be', 'done', 21, 35),
      step('qa', 'running', 41),
    );
    assert.deepEqual(missedStarts(before, now), ['1/4 roles done; running: BE', '1/4 roles done; running: FE, BE']);
  });

  void it('says nothing of roles seen starting before, or running now (the current summary tells those)', () => {
    const before = run(step('pm', 'running', 10), step('dev', 'waiting'));
    assert.deepEqual(missedStarts(before, run(step('pm', 'done', 10, 20), step('dev', 'running', 21))), []);
    assert.deepEqual(missedStarts(before, run(step('pm', 'done', 10, 20), step('dev', 'waiting'))), []);
    // A first look tells what ran before it.
    assert.deepEqual(missedStarts(undefined, run(step('pm', 'done', 10, 20), step('dev', 'running', 21))), [
      '0/2 roles done; running: PM',
    ]);
  });
});

/**
 * People in the loop without a server: start-run's flags, the review CLI's arguments and its view of what waits, the
 * workflow's input checks, the progress lines, and how the scripted Codex works a review's changes into files.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { parseStartRunArgs } from '../src/cli/args';
import { peopleOptions } from '../src/cli/people-options';
import { renderBlock, type ProgressSnapshot } from '../src/cli/progress-render';
import { describeWaits, parseReviewArgs } from '../src/cli/review';
import { COOKBOOK_TEAM } from '../src/shared/builtin-teams';
import { ConfigError } from '../src/shared/errors';
import { codexPrompt, parseCodexPrompt } from '../src/scripted-model/codex-prompt';
import { withReviewChanges } from '../src/scripted-model/codex-script';
import { ZERO_USAGE, type RunState } from '../src/shared/types';
import { validateTeamRunInput } from '../src/workflows/validate';

const T0 = Date.UTC(2026, 11, 2, 12, 0, 0);

describe('start-run people flags', () => {
  it('parses reviews, timeouts and budgets, and refuses bad values with the flag name', () => {
    const o = parseStartRunArgs([
      '--review',
      'designer, backend',
      '--review-timeout',
      '24h',
      '--on-review-timeout',
      'approve',
      '--max-tokens',
      '50000',
      '--max-turns',
      '8',
      '--budget-wait',
    ]);
    assert.deepEqual(o.review, ['designer', 'backend']);
    assert.equal(o.reviewTimeoutMs, 24 * 3_600_000);
    assert.deepEqual(peopleOptions(o, COOKBOOK_TEAM), {
      review: { roles: ['designer', 'backend'], timeoutMs: 86_400_000, onTimeout: 'approve' },
      budget: { maxTokens: 50_000, maxTurnsPerRole: 8, onExceeded: 'wait' },
    });
    assert.throws(() => parseStartRunArgs(['--max-tokens', 'lots']), /Invalid --max-tokens/);
    assert.throws(() => parseStartRunArgs(['--max-turns', '0']), /Invalid --max-turns: must be a positive integer/);
    assert.throws(() => parseStartRunArgs(['--review-timeout', 'tomorrow']), /Invalid --review-timeout: "tomorrow"/);
    assert.throws(() => parseStartRunArgs(['--on-review-timeout', 'maybe']), /Invalid --on-review-timeout/);
    assert.throws(
      () => peopleOptions(parseStartRunArgs(['--review', 'designr']), COOKBOOK_TEAM),
      /--review: team cookbook has no role designr \(its roles: project_manager, designer/,
    );
    assert.throws(
      () => peopleOptions(parseStartRunArgs(['--budget-wait']), COOKBOOK_TEAM),
      /--budget-wait needs a budget/,
    );
    assert.deepEqual(peopleOptions(parseStartRunArgs([]), COOKBOOK_TEAM), {});
    // `review: true` in the team file is enough for a review.
    const reviewed = { ...COOKBOOK_TEAM, roles: COOKBOOK_TEAM.roles.map((r, i) => ({ ...r, review: i === 0 })) };
    assert.deepEqual(peopleOptions(parseStartRunArgs([]), reviewed), { review: { roles: [] } });
  });

  it('the workflow refuses bad people options before anything runs', () => {
    const base = { team: COOKBOOK_TEAM, task: 'Build a thing.' };
    const refused = (input: object) => {
      try {
        validateTeamRunInput({ ...base, ...input });
      } catch (err) {
        assert.ok(err instanceof ApplicationFailure);
        assert.equal(err.type, 'ConfigError');
        return err.message;
      }
      assert.fail('accepted');
    };
    assert.match(refused({ review: { roles: ['nobody'] } }), /review: unknown role\(s\) nobody/);
    assert.match(refused({ review: { roles: [], onTimeout: 'shrug' } }), /review.onTimeout must be fail or approve/);
    assert.match(refused({ budget: { maxTokens: -1 } }), /budget.maxTokens must be an integer/);
    assert.match(refused({ budget: { onExceeded: 'panic' } }), /budget.onExceeded must be fail or wait/);
    assert.match(refused({ approvals: { policy: 'always' } }), /approvals.policy must be never or on-request/);
    // The team schema is loaded only here, when a team run's input is checked (src/workflows/validate.ts).
    const cycle = {
      ...COOKBOOK_TEAM,
      roles: COOKBOOK_TEAM.roles.map((r, i) => (i === 0 ? { ...r, after: ['tester'] } : r)),
    };
    assert.match(refused({ team: cycle }), /team: roles\[0\]\.after: cycle of waits: project_manager waits for/);
    assert.ok(validateTeamRunInput({ ...base, review: { roles: ['designer'] }, budget: { maxTokens: 10 } }));
  });
});

describe('the review CLI', () => {
  it('parses decisions and refuses contradictions', () => {
    assert.deepEqual(parseReviewArgs(['wf-1', '--changes', 'Bigger title', '--role', 'designer']), {
      workflowId: 'wf-1',
      json: false,
      role: 'designer',
      approve: false,
      changes: 'Bigger title',
      raiseTokens: undefined,
      raiseTurns: undefined,
    });
    assert.equal(parseReviewArgs(['wf-1', '--raise-budget', '5000']).raiseTokens, 5000);
    assert.throws(() => parseReviewArgs(['wf-1', '--approve', '--changes', 'x']), ConfigError);
    assert.throws(() => parseReviewArgs(['wf-1', '--changes', ' ']), /--changes needs a text/);
    assert.throws(() => parseReviewArgs(['wf-1', '--raise-budget', '0']), /--raise-budget must be a positive integer/);
    assert.throws(() => parseReviewArgs([]), /Missing required argument 'workflowId'/);
  });

  it('shows what waits: the files with their sizes, how long, and the commands that decide', () => {
    const state = runState();
    const lines = describeWaits('wf-1', state, T0 + 125_000);
    assert.deepEqual(lines.slice(0, 4), [
      'Designer (designer) waits for a review: round 2, waiting 2m 5s',
      '  design/design_spec.md  812 bytes',
      '  approve:  npm run review -- wf-1 --approve',
      '  changes:  npm run review -- wf-1 --changes "what to change"',
    ]);
    assert.match(lines.join('\n'), /Budget: 1\.2k of 2\.0k tokens/);
    assert.match(lines.join('\n'), /stopped 2m 5s ago: the token budget is spent \(1200 of 2000\)/);
    assert.match(
      lines.join('\n'),
      /Decided: designer review 1 changes by ana@box at 2026-12-02 12:00:30 UTC: "Bigger"/,
    );
  });

  it('progress shows a role awaiting review and a spent budget', () => {
    const snap: ProgressSnapshot = {
      workflowId: 'wf-1',
      at: T0 + 5_000,
      status: 'running',
      state: runState(),
      pending: [],
    };
    const block = renderBlock(snap).join('\n');
    assert.match(block, /Designer +awaiting review \(2\) .* since 12:00:00 UTC: npm run review -- wf-1/);
    assert.match(
      block,
      /stopped: token budget spent \(1200 of 2000\); go on with: npm run review -- wf-1 --raise-budget N/,
    );
  });
});

describe('the scripted Codex plays a revision', () => {
  it('works every change a review asked for into the files, each kind of file its way', () => {
    assert.equal(withReviewChanges('a.md', '# A\n', ['Add a FAQ']), '# A\n\n## Changes from review\n\n- Add a FAQ\n');
    assert.equal(withReviewChanges('a.js', 'x();\n', ['No */ here']), 'x();\n/* Review: No * / here */\n');
    assert.match(withReviewChanges('i.html', '<body>\n</body>\n', ['Blue']), /<!-- Review: Blue -->\n<\/body>/);
    assert.equal(withReviewChanges('d.json', '{}\n', ['x']), '{}\n');
    const first = codexPrompt({
      roleTitle: 'Designer',
      taskList: 'Make a game.',
      files: [{ path: 'a.md', required: true, purpose: '' }],
      reviewChanges: 'First change',
    });
    const second = codexPrompt({
      roleTitle: 'Designer',
      taskList: 'Make a game.',
      files: [{ path: 'a.md', required: true, purpose: '' }],
      reviewChanges: 'Second change\nover two lines',
    });
    assert.deepEqual(parseCodexPrompt(second, [first])?.reviewChanges, [
      'First change',
      'Second change\nover two lines',
    ]);
  });
});

function runState(): RunState {
  return {
    workflow: 'team',
    team: 'cookbook',
    status: 'running',
    startedAt: T0 - 60_000,
    steps: [
      {
        role: 'designer',
        title: 'Designer',
        status: 'review',
        attempts: 1,
        startedAt: T0 - 50_000,
        modelTurns: 2,
        codexCalls: [],
        files: [{ path: 'design/design_spec.md', size: 812, sha256: 'ab' }],
        missing: [],
        modelUsage: { ...ZERO_USAGE, total: 1200 },
        codexUsage: { ...ZERO_USAGE },
      },
    ],
    reviews: {
      pending: [
        {
          role: 'designer',
          title: 'Designer',
          round: 2,
          files: [{ path: 'design/design_spec.md', size: 812, sha256: 'ab' }],
          since: T0,
        },
      ],
      decided: [{ role: 'designer', round: 1, decision: 'changes', text: 'Bigger', by: 'ana@box', at: T0 + 30_000 }],
    },
    budget: {
      maxTokens: 2000,
      used: { ...ZERO_USAGE, total: 1200 },
      stopped: { what: 'tokens', limit: 2000, used: 1200, since: T0 },
      raises: [],
    },
  };
}

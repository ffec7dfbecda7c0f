/**
 * The scripted model's script for Agents SDK programs (src/scripted-model/handoff-script.ts), turn by turn without a
 * process: who it recognises, what each role calls, and the Project Manager's gates, including a missing file asked
 * for again and then named. The programs themselves run in cookbook-agents-sdk.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCodexPrompt } from '../src/scripted-model';
import { classify } from '../src/scripted-model/classify';
import { handoffScript } from '../src/scripted-model/handoff-script';
import type { Item } from '../src/scripted-model/text';

const PREFIX = '# System context\nYou are part of a multi-agent system called the Agents SDK, ...\n';
const TASK =
  'Goal: Build a tiny browser game.\n- Single-screen game called "Bug Busters".\n- Designer: a UI spec and a basic wireframe.\n';
const PM_TOOLS = [
  'codex',
  'codex-reply',
  'transfer_to_designer',
  'transfer_to_frontend_developer',
  'transfer_to_backend_developer',
  'transfer_to_tester',
];
const BACK = ['codex', 'codex-reply', 'transfer_to_project_manager'];

let n = 0;
/** A tool call and its output, as the SDK sends them back (an MCP result as a list of input_text parts). */
function exchange(name: string, output: string, args = '{}'): Item[] {
  const call_id = `call_${++n}`;
  return [
    { type: 'function_call', call_id, name, arguments: args },
    { type: 'function_call_output', call_id, output: [{ type: 'input_text', text: output }] },
  ];
}
const wrote = (...files: string[]) =>
  exchange(
    'codex',
    [`Wrote ${files.length} file(s):`, ...files.map((f) => `- ${f} (10 bytes)`), '', 'Checked.'].join('\n'),
  );
const task: Item = { role: 'user', content: TASK };
const pmFiles = wrote('REQUIREMENTS.md', 'TEST.md', 'AGENT_TASKS.md');

const single = (drafts: ReturnType<typeof handoffScript>) => {
  assert.equal(drafts.length, 1, JSON.stringify(drafts));
  return drafts[0];
};
const codexFiles = (d: ReturnType<typeof single>) => {
  assert.equal(d?.type === 'function_call' && d.name, 'codex');
  const args = JSON.parse(d?.type === 'function_call' ? d.arguments : '{}') as Record<string, string>;
  assert.equal(args['approval-policy'], 'never');
  assert.equal(args.sandbox, 'workspace-write');
  return parseCodexPrompt(args.prompt ?? '')?.files.map((f) => f.path);
};

void describe('scripted model: the Agents SDK dialect', () => {
  void it("recognises the programs' agents by their instructions, after the SDK prefix too", () => {
    const tester = classify({}, { instructions: `${PREFIX}You are the Tester.\nRead AGENT_TASKS.md` }, [task]);
    assert.deepEqual([tester.kind, tester.role, tester.dialect], ['agent', 'tester', 'handoffs']);
    const pm = classify({}, { instructions: `${PREFIX}\nYou are the Project Manager.\nObjective:` }, [task]);
    assert.equal(pm.role, 'project_manager');
    const designer = classify(
      {},
      {
        instructions:
          'You are an indie game connoisseur. Come up with an idea for a single page html + css + javascript game that a developer could build in about 50 lines of code. Format your request as a 3 sentence design brief.',
      },
      [{ role: 'user', content: 'Implement a fun new game!' }],
    );
    assert.equal(designer.role, 'game_designer');
    const ours = classify({ 'x-dca-kind': 'agent', 'x-dca-role': 'tester' }, {}, [task]);
    assert.equal(ours.dialect, 'brief', 'our workflow declares itself');
  });

  void it('Game Designer: the brief and a hand-off to the Game Developer, who builds index.html', () => {
    const turn1 = handoffScript({ role: 'game_designer', input: [task], tools: ['transfer_to_game_developer'] });
    assert.deepEqual(
      turn1.map((d) => (d.type === 'function_call' ? d.name : d.type)),
      ['message', 'transfer_to_game_developer'],
    );
    const brief = turn1[0]?.type === 'message' ? turn1[0].text : '';
    const history: Item[] = [
      { role: 'user', content: 'Implement a fun new game!' },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: brief }] },
      ...exchange('transfer_to_game_developer', '{"assistant": "Game Developer"}'),
    ];
    const build = single(handoffScript({ role: 'game_developer', input: history, tools: ['codex', 'codex-reply'] }));
    assert.deepEqual(codexFiles(build), ['index.html']);
    const args = JSON.parse(build?.type === 'function_call' ? build.arguments : '{}') as { prompt: string };
    assert.match(args.prompt, /Star Catcher/, 'the brief is part of the task');
    const done = single(
      handoffScript({ role: 'game_developer', input: [...history, ...wrote('index.html')], tools: ['codex'] }),
    );
    assert.equal(done?.type, 'message');
  });

  void it('Project Manager: its files, then the Designer; a builder writes and hands back', () => {
    assert.deepEqual(codexFiles(single(handoffScript({ role: 'project_manager', input: [task], tools: PM_TOOLS }))), [
      'REQUIREMENTS.md',
      'TEST.md',
      'AGENT_TASKS.md',
    ]);
    const next = single(handoffScript({ role: 'project_manager', input: [task, ...pmFiles], tools: PM_TOOLS }));
    assert.deepEqual(next, { type: 'function_call', name: 'transfer_to_designer', arguments: '{}' });
    const toDesigner = [task, ...pmFiles, ...exchange('transfer_to_designer', '{"assistant": "Designer"}')];
    assert.deepEqual(codexFiles(single(handoffScript({ role: 'designer', input: toDesigner, tools: BACK }))), [
      'design/design_spec.md',
      'design/wireframe.md',
    ]);
    const written = [...toDesigner, ...wrote('design/design_spec.md', 'design/wireframe.md')];
    const back = single(handoffScript({ role: 'designer', input: written, tools: BACK }));
    assert.deepEqual(back, { type: 'function_call', name: 'transfer_to_project_manager', arguments: '{}' });
  });

  void it('a gate whose file is missing: the owner is asked again for just that file, then the PM names it', () => {
    let history: Item[] = [task, ...pmFiles];
    history.push(...exchange('transfer_to_designer', '{"assistant": "Designer"}'));
    history.push(...wrote('design/wireframe.md'), ...exchange('transfer_to_project_manager', '{}'));
    const again = single(handoffScript({ role: 'project_manager', input: history, tools: PM_TOOLS }));
    assert.deepEqual(again, { type: 'function_call', name: 'transfer_to_designer', arguments: '{}' });
    history.push(...exchange('transfer_to_designer', '{"assistant": "Designer"}'));
    const onlyMissing = single(handoffScript({ role: 'designer', input: history, tools: BACK }));
    assert.deepEqual(codexFiles(onlyMissing), ['design/design_spec.md']);
    history = [...history, ...exchange('codex', 'Error: stream disconnected'), ...exchange('codex', 'Error: again')];
    const giveBack = single(handoffScript({ role: 'designer', input: history, tools: BACK }));
    assert.equal(giveBack?.type === 'function_call' && giveBack.name, 'transfer_to_project_manager', 'bounded');
    history.push(...exchange('transfer_to_project_manager', '{}'));
    const stop = single(handoffScript({ role: 'project_manager', input: history, tools: PM_TOOLS }));
    assert.equal(stop?.type, 'message');
    assert.match(
      stop?.type === 'message' ? stop.text : '',
      /stopped: design\/design_spec\.md still missing after 2 hand-offs to the Designer/,
    );
  });

  void it('everything written: the PM answers plainly', () => {
    const all = [
      'design/design_spec.md',
      'frontend/index.html',
      'backend/package.json',
      'backend/server.js',
      'tests/TEST_PLAN.md',
      'tests/test.sh',
    ];
    const done = single(
      handoffScript({ role: 'project_manager', input: [task, ...pmFiles, ...wrote(...all)], tools: PM_TOOLS }),
    );
    assert.equal(done?.type, 'message');
    assert.match(done?.type === 'message' ? done.text : '', /the project is complete/);
  });
});

/**
 * Team files: the parser refuses every bad team with `file:line: field: reason`, the built-in teams carry the seed's
 * roles, the bundled copy of teams/*.yaml is in sync, the scheduler starts roles as their gates open (concurrently,
 * in team order, bounded), and `npm run teams` lists the built-in teams. No Temporal here: see test/e2e-teams.test.ts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { generatedSource, GENERATED_FILE } from '../scripts/generate-teams';
import { loadTeam, parseTeamYaml } from '../src/cli/team-file';
import { BUILTIN_TEAMS, COOKBOOK_TEAM, SINGLE_TEAM } from '../src/shared/builtin-teams';
import { ConfigError } from '../src/shared/errors';
import { agentBrief } from '../src/shared/prompts';
import {
  ancestors,
  checkTeam,
  escapesWorkspace,
  parseDuration,
  teamShape,
  verifyTimeoutMs,
  type Team,
} from '../src/shared/team';
import { agentScript } from '../src/scripted-model/agent-script';
import { classify } from '../src/scripted-model/classify';
import { codexScript, readCodexTurn } from '../src/scripted-model/codex-script';
import { scheduleRoles } from '../src/workflows/team';

const ROOT = path.join(__dirname, '..');
const FIXTURE = path.join(__dirname, 'fixtures', 'teams', 'release-notes.yaml');

/** A valid team; each refusal below changes one line of it. */
const BASE = `name: t
roles:
  - id: analyst
    instructions: Classify.
    deliverables:
      - path: changes/classified.md
  - id: writer
    after: [analyst]
    instructions: Write.
    deliverables:
      - path: notes/notes.md
`;

/** BASE with a verify block on the writer; `rest` is its lines after `command`. */
const withVerify = (rest: string): string => `${BASE}    verify:\n      command: bash check.sh\n      ${rest}\n`;

function refusal(yaml: string): string {
  try {
    parseTeamYaml(yaml, 'teams/x.yaml');
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    assert.equal(err.message.split('\n').length, 1, 'one line');
    return err.message;
  }
  assert.fail('expected a refusal');
}

describe('team file refusals name the file, the line and the field', () => {
  it('accepts the base team and fills in defaults', () => {
    const team = parseTeamYaml(BASE, 'teams/x.yaml');
    assert.deepEqual(
      team.roles.map((r) => [r.id, r.title, r.tools, r.after, r.deliverables[0]?.required]),
      [
        ['analyst', 'Analyst', ['codex', 'codex-reply'], [], true],
        ['writer', 'Writer', ['codex', 'codex-reply'], ['analyst'], true],
      ],
    );
  });

  const cases: { name: string; yaml: string; message: string }[] = [
    {
      name: 'an unknown id in after',
      yaml: BASE.replace('after: [analyst]', 'after: [analyst, foo]'),
      message: 'teams/x.yaml:8: roles[1].after[1]: unknown role "foo"',
    },
    {
      name: 'a cycle',
      yaml: BASE.replace('  - id: analyst\n', '  - id: analyst\n    after: [writer]\n'),
      message: 'teams/x.yaml:4: roles[0].after: cycle of waits: analyst waits for writer waits for analyst',
    },
    {
      name: 'a role waiting for itself',
      yaml: BASE.replace('after: [analyst]', 'after: [writer]'),
      message: 'teams/x.yaml:8: roles[1].after[0]: role "writer" waits for itself',
    },
    {
      name: 'a duplicate id',
      yaml: BASE.replace('  - id: writer', '  - id: analyst'),
      message: 'teams/x.yaml:7: roles[1].id: duplicate role id "analyst"',
    },
    {
      name: 'a path that escapes the workspace',
      yaml: BASE.replace('notes/notes.md', '../outside.md'),
      message: 'teams/x.yaml:11: roles[1].deliverables[0].path: path "../outside.md" escapes the workspace',
    },
    {
      name: 'an absolute path',
      yaml: BASE.replace('notes/notes.md', '/etc/passwd'),
      message: 'teams/x.yaml:11: roles[1].deliverables[0].path: path "/etc/passwd" escapes the workspace',
    },
    {
      name: 'two roles owning one path',
      yaml: BASE.replace('notes/notes.md', './changes//classified.md'),
      message:
        'teams/x.yaml:11: roles[1].deliverables[0].path: path "./changes//classified.md" is already a deliverable of role "analyst"',
    },
    {
      name: 'empty instructions',
      yaml: BASE.replace('instructions: Write.', 'instructions: "  "'),
      message: 'teams/x.yaml:9: roles[1].instructions: must not be empty',
    },
    {
      name: 'missing instructions',
      yaml: BASE.replace('    instructions: Write.\n', ''),
      message: 'teams/x.yaml:7: roles[1].instructions: Invalid input: expected string, received undefined',
    },
    {
      name: 'a bad role id',
      yaml: BASE.replace('id: writer', 'id: Writer-1'),
      message: 'teams/x.yaml:7: roles[1].id: must match [a-z][a-z0-9_]*',
    },
    {
      name: 'an unknown tool',
      yaml: BASE.replace('    instructions: Write.\n', '    instructions: Write.\n    tools: [codex, shell]\n'),
      message: 'teams/x.yaml:10: roles[1].tools[1]: Invalid option: expected one of "codex"|"codex-reply"|"web_search"',
    },
    {
      name: 'an unknown field',
      yaml: BASE.replace('    instructions: Write.\n', '    instructions: Write.\n    aftr: [analyst]\n'),
      message: 'teams/x.yaml:7: roles[1]: Unrecognized key: "aftr"',
    },
    {
      name: 'no roles',
      yaml: 'name: t\nroles: []\n',
      message: 'teams/x.yaml:2: roles: a team needs at least one role',
    },
    {
      name: 'a verify owner that is not a role',
      yaml: withVerify('owners: [analyst, ghost]'),
      message: 'teams/x.yaml:14: roles[1].verify.owners[1]: unknown role "ghost"',
    },
    {
      name: 'a verify without owners',
      yaml: withVerify('owners: []'),
      message: 'teams/x.yaml:14: roles[1].verify.owners: name at least one role that fixes failures',
    },
    {
      name: 'a verify service cwd that escapes the workspace',
      yaml: withVerify('owners: [analyst]\n      services: [{command: npm start, cwd: ../x, port: 3000}]'),
      message: 'teams/x.yaml:15: roles[1].verify.services[0].cwd: cwd "../x" escapes the workspace',
    },
    {
      name: 'a verify service port below 1024',
      yaml: withVerify('owners: [analyst]\n      services: [{command: npm start, port: 80}]'),
      message: 'teams/x.yaml:15: roles[1].verify.services[0].port: must be from 1024 to 65535',
    },
    {
      name: 'a verify timeout that is not a duration',
      yaml: withVerify('owners: [analyst]\n      timeout: soon'),
      message: 'teams/x.yaml:15: roles[1].verify.timeout: must be a duration from 1s to 1h, such as 90s or 2m',
    },
    {
      name: 'too many verify rounds',
      yaml: withVerify('owners: [analyst]\n      max_rounds: 11'),
      message: 'teams/x.yaml:15: roles[1].verify.max_rounds: Too big: expected number to be <=10',
    },
    {
      name: 'an empty verify command',
      yaml: withVerify('owners: [analyst]').replace('command: bash check.sh', 'command: " "'),
      message: 'teams/x.yaml:13: roles[1].verify.command: must not be empty',
    },
    {
      name: 'broken YAML',
      yaml: BASE.replace('after: [analyst]', 'after: [analyst'),
      message: 'teams/x.yaml:9: invalid YAML:',
    },
  ];
  it('accepts a verify block and fills in its defaults', () => {
    const team = parseTeamYaml(withVerify('owners: [analyst]\n      timeout: 2m'), 'teams/x.yaml');
    const verify = team.roles[1]?.verify;
    assert.deepEqual(verify, {
      command: 'bash check.sh',
      owners: ['analyst'],
      services: [],
      max_rounds: 3,
      timeout: '2m',
    });
    assert.equal(verifyTimeoutMs(verify), 120_000);
    assert.equal(parseDuration('90s'), 90_000);
    assert.equal(parseDuration('1.5m'), 90_000);
    assert.equal(parseDuration('soon'), undefined);
  });

  for (const c of cases) {
    it(`refuses ${c.name}`, () => {
      const message = refusal(c.yaml);
      if (c.name === 'broken YAML') assert.ok(message.startsWith(c.message), message);
      else assert.equal(message, c.message);
    });
  }

  it('says which built-in teams exist when a name is unknown', async () => {
    await assert.rejects(
      loadTeam('nope'),
      /^ConfigError: Unknown team "nope" \(built-in teams: change, cookbook, single; or give a file\)$/,
    );
    await assert.rejects(loadTeam('nope.yaml'), /Team file nope\.yaml not found/);
  });

  it('only plain relative paths stay inside the workspace', () => {
    for (const ok of ['a.md', 'a/b/c.js', './a.md', 'a/../b.md']) assert.equal(escapesWorkspace(ok), false, ok);
    for (const bad of ['../a', '/a', 'a/../../b', '.', 'a/..', 'C:/x', 'a\\b'])
      assert.equal(escapesWorkspace(bad), true, bad);
  });
});

describe('built-in teams', () => {
  it('the bundled copy is what scripts/generate-teams.ts makes of teams/*.yaml', async () => {
    assert.equal(
      readFileSync(GENERATED_FILE, 'utf8'),
      await generatedSource(),
      'run: npx tsx scripts/generate-teams.ts',
    );
  });

  it('each teams/*.yaml parses to its bundled copy', async () => {
    for (const name of Object.keys(BUILTIN_TEAMS)) {
      const { team } = await loadTeam(name);
      assert.deepEqual(team, BUILTIN_TEAMS[name as keyof typeof BUILTIN_TEAMS]);
    }
  });

  it('the cookbook team is the seed pipeline: Frontend and Backend branch off the Designer, the Tester joins them', () => {
    assert.equal(
      teamShape(COOKBOOK_TEAM),
      'Project Manager → Designer → Frontend Developer ∥ Backend Developer → Tester',
    );
    assert.deepEqual(
      ancestors(COOKBOOK_TEAM, 'tester').map((r) => r.id),
      ['project_manager', 'designer', 'frontend', 'backend'],
    );
    const pm = COOKBOOK_TEAM.roles[0];
    assert.equal(pm?.reasoning_effort, 'medium');
    assert.deepEqual(
      pm?.deliverables.map((d) => d.path),
      ['REQUIREMENTS.md', 'TEST.md', 'AGENT_TASKS.md'],
    );
    assert.match(pm?.instructions ?? '', /^You are the Project Manager\.\n/);
    assert.equal(teamShape(SINGLE_TEAM), 'Game Designer → Game Developer');
  });

  it('a brief carries the answers of the file-less roles a role waits for', () => {
    const brief = agentBrief(
      SINGLE_TEAM.roles[1]!,
      'Make a game',
      [],
      [{ title: 'Game Designer', text: 'Catch stars.' }],
    );
    assert.match(
      brief,
      /^Role: Game Developer\nTask list:\n<<<\nMake a game\n>>>\n\nAnswers of the roles you wait for:\n\[Game Designer\]\nCatch stars\.\n/,
    );
  });

  it('npm run teams lists them', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'cli', 'main.ts'), 'teams'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^cookbook {2}\(teams\/cookbook\.yaml\)\n/m);
    assert.match(r.stdout, /^ {2}Project Manager → Designer → Frontend Developer ∥ Backend Developer → Tester$/m);
    assert.match(r.stdout, /^single {2}\(teams\/single\.yaml\)\n/m);
    assert.match(r.stdout, /^ {2}- game_developer \(Game Developer, after game_designer\): index\.html$/m);
  });
});

describe('the scheduler', () => {
  const team = (): Team => {
    const checked = checkTeam(parseTeamYaml(readFileSync(FIXTURE, 'utf8'), 'fixture'));
    assert.ok(checked.ok);
    return checked.team;
  };

  /** Runs the fixture team with fake roles that take `ms[id]` milliseconds; returns start/end order. */
  async function trace(limit: number, ms: Record<string, number>): Promise<string[]> {
    const events: string[] = [];
    const run = async (role: { id: string }) => {
      events.push(`start ${role.id}`);
      await new Promise((r) => setTimeout(r, ms[role.id] ?? 5));
      events.push(`end ${role.id}`);
    };
    await scheduleRoles(team(), limit, run);
    return events;
  }

  it('starts the fan-out together in team order and the fan-in after both', async () => {
    assert.deepEqual(await trace(10, { writer: 30, scripter: 10 }), [
      'start analyst',
      'end analyst',
      'start writer',
      'start scripter',
      'end scripter',
      'end writer',
      'start editor',
      'end editor',
    ]);
  });

  it('runs one role at a time with a limit of 1', async () => {
    assert.deepEqual(await trace(1, { writer: 30, scripter: 10 }), [
      'start analyst',
      'end analyst',
      'start writer',
      'end writer',
      'start scripter',
      'end scripter',
      'start editor',
      'end editor',
    ]);
  });

  it('fails with the first failure and starts nothing that waited for it', async () => {
    const events: string[] = [];
    await assert.rejects(
      scheduleRoles(team(), 10, async (role) => {
        events.push(role.id);
        await new Promise((r) => setTimeout(r, 5));
        if (role.id === 'scripter') throw new Error('scripter failed');
      }),
      /scripter failed/,
    );
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(events, ['analyst', 'writer', 'scripter']);
  });
});

describe('the scripted model plays any team', () => {
  const user = (text: string) => ({ type: 'message', role: 'user', content: text });
  const fixture = () => parseTeamYaml(readFileSync(FIXTURE, 'utf8'), 'fixture');

  it("asks Codex for a team-file role's deliverables, with a machine-readable role line", () => {
    const writer = fixture().roles[1]!;
    const brief = agentBrief(writer, 'Notes for 2.4. Also write highlights.json.', [
      { path: 'changes/classified.md', size: 10, sha256: '' },
    ]);
    const [call] = agentScript({ role: 'writer', input: [user(brief)], tools: ['codex', 'codex-reply'] });
    assert.equal(call?.type, 'function_call');
    const prompt = (JSON.parse(call?.type === 'function_call' ? call.arguments : '{}') as { prompt: string }).prompt;
    assert.match(prompt, /^Role: Notes Writer\nRole id: writer\n/);
    assert.match(prompt, /- notes\/RELEASE_NOTES\.md \(required\): release notes grouped by kind/);
    assert.match(prompt, /- notes\/highlights\.json \(optional\)/, 'the optional file the task names');
    assert.match(prompt, /- changes\/classified\.md/, 'the files to read first');

    // Codex's own request (no x-dca headers, Codex's instructions) is placed by that line.
    const codexInput = [user('<environment_context>x</environment_context>'), user(prompt)];
    const caller = classify({}, { instructions: 'You are Codex, running in the Codex CLI' }, codexInput);
    assert.deepEqual([caller.kind, caller.role], ['codex', 'writer']);
    const action = codexScript(readCodexTurn(codexInput));
    assert.equal(action.label, 'apply_patch notes/RELEASE_NOTES.md');
    assert.match(action.draft.type === 'custom_tool_call' ? action.draft.input : '', /\+_Written by Notes Writer\./);
  });

  it('without the optional file in the task, asks only for the required ones', () => {
    const brief = agentBrief(fixture().roles[1]!, 'Notes for 2.4.', []);
    const [call] = agentScript({ role: 'writer', input: [user(brief)], tools: ['codex', 'codex-reply'] });
    assert.doesNotMatch(call?.type === 'function_call' ? call.arguments : '', /highlights/);
  });

  it('a role that writes no files answers in text', () => {
    const advisor = { title: 'Advisor', deliverables: [] };
    const [answer] = agentScript({
      role: 'advisor',
      input: [user(agentBrief(advisor, 'Goal: Plan a garden.\n- Pick plants', []))],
      tools: [],
    });
    assert.equal(answer?.type, 'message');
    assert.match(answer?.type === 'message' ? answer.text : '', /^Advisor: the goal of .* "Pick plants"/);
  });
});

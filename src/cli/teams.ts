/**
 * `durable-codex-agents teams` (`npm run teams`): the built-in teams in teams/*.yaml, each with its roles in gate order and its description.
 * `npm run teams -- FILE` checks a team file of your own the way start-run does (exit 2 and one line if it is bad).
 */
import path from 'node:path';
import { ConfigError } from '../shared/errors';
import { teamShape, type Team } from '../shared/team';
import { flag, type CliCommand } from './command';
import { builtinTeamNames, loadTeam, TEAMS_DIR } from './team-file';

export const teamsCommand: CliCommand = {
  name: 'teams',
  summary: 'list the built-in teams, or check team files of your own',
  declare: (cmd) =>
    cmd
      .argument('[files...]', 'team files or built-in team names to check (default: every built-in team)')
      .option('--json', 'print the teams as JSON (name, file, description, roles)'),
  action: ({ args, options }) => teams(args, flag(options, 'json')),
};

function describeTeam(team: Team, file: string): string[] {
  const lines = [`${team.name}  (${path.relative(process.cwd(), file) || file})`];
  if (team.description) lines.push(`  ${team.description}`);
  lines.push(`  ${teamShape(team)}`);
  for (const r of team.roles) {
    const files = r.deliverables.map((d) => (d.required ? d.path : `${d.path}?`)).join(', ') || '(answers in text)';
    const after = r.after.length ? `, after ${r.after.join(', ')}` : '';
    lines.push(`  - ${r.id} (${r.title}${after}): ${files}`);
  }
  return lines;
}

/** Describes the teams (checked as `run` checks them: a bad file is a ConfigError naming its line). */
export async function teams(refs: string[], json = false): Promise<number> {
  const names = refs.length ? refs : builtinTeamNames();
  if (names.length === 0) throw new ConfigError(`No team files in ${TEAMS_DIR}`);
  const loaded = [];
  for (const ref of names) loaded.push(await loadTeam(ref));
  if (json) {
    console.log(JSON.stringify(loaded.map(({ team, file }) => ({ ...team, file }))));
    return 0;
  }
  const out: string[] = [];
  for (const { team, file } of loaded) out.push(...describeTeam(team, file), '');
  if (!refs.length) out.push('Run one: npm run start-run -- --team NAME|FILE --task FILE (see docs/teams.md)');
  console.log(out.join('\n').trimEnd());
  return 0;
}

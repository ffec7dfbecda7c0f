/**
 * `npm run teams`: the built-in teams in teams/*.yaml, each with its roles in gate order and its description.
 * `npm run teams -- FILE` checks a team file of your own the way start-run does (exit 2 and one line if it is bad).
 */
import path from 'node:path';
import { ConfigError } from '../shared/errors';
import { teamShape, type Team } from '../shared/team';
import { builtinTeamNames, loadTeam, TEAMS_DIR } from './team-file';

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

async function main(): Promise<number> {
  const refs = process.argv.slice(2);
  const names = refs.length ? refs : builtinTeamNames();
  if (names.length === 0) throw new ConfigError(`No team files in ${TEAMS_DIR}`);
  const out: string[] = [];
  for (const ref of names) {
    const { team, file } = await loadTeam(ref);
    out.push(...describeTeam(team, file), '');
  }
  if (!refs.length) out.push('Run one: npm run start-run -- --team NAME|FILE --task FILE (see docs/teams.md)');
  console.log(out.join('\n').trimEnd());
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    const msg =
      err instanceof ConfigError ? err.message : err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    process.stderr.write(`teams: ${msg}\n`);
    process.exit(2);
  },
);

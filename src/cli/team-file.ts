/**
 * Team files at the edge: YAML text -> a checked Team, every refusal one line naming the file, the line and the
 * field (`teams/x.yaml:12: roles[1].after[0]: unknown role "foo"`). `--team NAME` means `teams/NAME.yaml`.
 */
import { readdirSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isNode, LineCounter, parseDocument, type Document } from 'yaml';
import { ConfigError } from '../shared/errors';
import { checkTeam, formatIssuePath, type Team, type TeamIssue } from '../shared/team';

export const TEAMS_DIR = path.join(__dirname, '..', '..', 'teams');
export const DEFAULT_TEAM = 'cookbook';
const MAX_TEAM_FILE_BYTES = 256 * 1024;

/** The line of the deepest node that exists on `at`'s path (1 when none does). */
function lineOf(doc: Document, lines: LineCounter, at: readonly (string | number)[]): number {
  for (let n = at.length; n >= 0; n--) {
    const node: unknown = doc.getIn(at.slice(0, n), true);
    if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
  }
  return 1;
}

/** Parses a team file's text; `file` is how errors name it. Throws a ConfigError with one line. */
export function parseTeamYaml(text: string, file: string): Team {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const yamlError = doc.errors[0];
  if (yamlError) {
    const line = lines.linePos(yamlError.pos[0]).line;
    throw new ConfigError(`${file}:${line}: invalid YAML: ${yamlError.message.split('\n')[0] ?? ''}`);
  }
  if (!isMap(doc.contents)) throw new ConfigError(`${file}:1: a team file is a mapping with name and roles`);
  const checked = checkTeam(doc.toJS());
  if (checked.ok) return checked.team;
  const first = checked.issues[0] as TeamIssue;
  const where = first.path;
  // A missing field has no node: name it and point at the object that lacks it.
  const line = lineOf(doc, lines, where);
  throw new ConfigError(`${file}:${line}: ${formatIssuePath(where)}: ${first.message}`);
}

/** Reads `--team FILE|NAME`: a path (contains `/` or ends in .yaml/.yml) or the name of a built-in team. */
export async function loadTeam(ref: string, teamsDir = TEAMS_DIR): Promise<{ team: Team; file: string }> {
  const isPath = /[\\/]/.test(ref) || /\.ya?ml$/i.test(ref);
  const file = isPath ? ref : path.join(teamsDir, `${ref}.yaml`);
  const shown = isPath ? ref : path.relative(process.cwd(), file) || file;
  let size: number;
  try {
    const s = await stat(file);
    if (!s.isFile()) throw new ConfigError(`Team file ${shown} is not a file`);
    size = s.size;
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const known = builtinTeamNames(teamsDir).join(', ');
    throw new ConfigError(
      isPath ? `Team file ${shown} not found` : `Unknown team "${ref}" (built-in teams: ${known}; or give a file)`,
      { cause: err },
    );
  }
  if (size > MAX_TEAM_FILE_BYTES) throw new ConfigError(`Team file ${shown} is too large (${size} bytes)`);
  return { team: parseTeamYaml(await readFile(file, 'utf8'), shown), file };
}

export function builtinTeamNames(teamsDir = TEAMS_DIR): string[] {
  try {
    return readdirSync(teamsDir)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.replace(/\.yaml$/, ''))
      .sort();
  } catch {
    return [];
  }
}

/** What the scripted content needs to know about a task list: name, goal, bullets by section, API routes. */
import { projectName } from '../text';

export interface TaskFacts {
  name: string;
  slug: string;
  goal: string;
  features: string[];
  constraints: string[];
  /** Role bullets, e.g. "Backend Developer: implement a minimal API". */
  roles: string[];
  /** Collection routes other than /health, e.g. "/scores". */
  collections: string[];
  isGame: boolean;
}

export function taskFacts(taskList: string): TaskFacts {
  const sections = bulletSections(taskList);
  const pick = (re: RegExp) => [...sections].filter(([h]) => re.test(h)).flatMap(([, b]) => b);
  const features = [...sections].filter(([h]) => !/role|constraint/i.test(h)).flatMap(([, b]) => b);
  const firstLine = taskList.split('\n').find((l) => l.trim() !== '' && !/^\s*[-*]\s/.test(l)) ?? '';
  const name = projectName(taskList);
  return {
    name,
    slug:
      name
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-|-$/g, '') || 'project',
    goal: firstLine.replace(/^\s*goal\s*:\s*/i, '').trim() || `Build ${name}.`,
    features: features.length > 0 ? features : taskList.split('\n').filter((l) => l.trim() !== ''),
    constraints: pick(/constraint/i),
    roles: pick(/role/i),
    collections: collectionRoutes(taskList),
    isGame: /\bgame\b/i.test(taskList),
  };
}

/** Bullets grouped by the heading line above them ("Constraints:", "## Roles"); "" for bullets before any heading. */
function bulletSections(text: string): Map<string, string[]> {
  const sections = new Map<string, string[]>();
  let heading = '';
  for (const line of text.split('\n')) {
    const bullet = /^\s*[-*]\s+(.+)$/.exec(line);
    if (bullet?.[1]) {
      const list = sections.get(heading) ?? [];
      list.push(bullet[1].trim());
      sections.set(heading, list);
    } else if (/:\s*$/.test(line) || /^#+\s/.test(line)) {
      heading = line
        .replace(/^#+\s*/, '')
        .replace(/:\s*$/, '')
        .trim();
    }
  }
  return sections;
}

/** Paths named with an HTTP method, e.g. "GET/POST /sessions", other than /health. */
function collectionRoutes(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(
    /\b(?:GET|POST|PUT|PATCH|DELETE)(?:\/(?:GET|POST|PUT|PATCH|DELETE))*\s+(\/[A-Za-z0-9_-]+)/g,
  )) {
    if (m[1] && m[1] !== '/health') out.add(m[1]);
  }
  return [...out];
}

/**
 * Whether an optional deliverable fits the task: a wireframe when one is asked for, game.js for games, and any other
 * team's optional file when the task names it (`highlights.json`).
 */
export function optionalFits(path: string, taskList: string): boolean {
  const game = /\bgame\b/i.test(taskList);
  if (path.endsWith('wireframe.md')) return /wireframe/i.test(taskList);
  if (path.endsWith('styles.css')) return true;
  if (path.endsWith('game.js')) return game;
  if (path.endsWith('main.js')) return !game;
  const base = path.split('/').pop() ?? path;
  return base !== '' && taskList.toLowerCase().includes(base.toLowerCase());
}

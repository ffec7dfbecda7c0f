/**
 * Content for any deliverable of any team: small, valid files of the path's kind, built from the task's facts, the
 * role that owns the file and the file's purpose. JS passes `node --check`, shell passes `bash -n`, JSON parses.
 */
import type { ContentContext } from './context';

const escapeHtml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** "Release Notes" from "docs/release_notes.md". */
export function fileTitle(path: string): string {
  const base = path.split('/').pop() ?? path;
  const stem = base.replace(/\.[^.]+$/, '') || base;
  return stem
    .split(/[-_.\s]+/)
    .filter(Boolean)
    .map((w) => (w === w.toUpperCase() ? w : w.charAt(0).toUpperCase() + w.slice(1)))
    .join(' ');
}

const points = (c: ContentContext): string[] => c.facts.features.slice(0, 8);
const byline = (c: ContentContext): string => (c.roleTitle ? `${c.roleTitle}` : 'the team');
const purposeOf = (path: string, c: ContentContext): string =>
  c.purpose?.trim() || `${fileTitle(path)} for ${c.facts.name}`;
/** Text safe inside a line comment or a single-quoted JS string. */
const plain = (s: string): string =>
  s
    .replace(/[\r\n]+/g, ' ')
    .replace(/\\/g, '/')
    .replace(/'/g, '’');

function markdown(path: string, c: ContentContext): string {
  const items = points(c);
  return `# ${c.facts.name}: ${fileTitle(path)}

_Written by ${byline(c)}. Purpose: ${purposeOf(path, c)}._

## Goal
${c.facts.goal}

## Points from the task
${(items.length ? items : [c.facts.goal]).map((p) => `- ${p}`).join('\n')}

## Notes
- Stays within the task list; nothing beyond it is assumed.
${c.facts.constraints.map((x) => `- Constraint: ${x}`).join('\n')}
`.replace(/\n{3,}/g, '\n\n');
}

function html(path: string, c: ContentContext): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${escapeHtml(`${c.facts.name}: ${fileTitle(path)}`)}</title>
  </head>
  <body>
    <header><h1>${escapeHtml(c.facts.name)}</h1></header>
    <main>
      <p>${escapeHtml(purposeOf(path, c))}</p>
      <ul>
${points(c)
  .map((p) => `        <li>${escapeHtml(p)}</li>`)
  .join('\n')}
      </ul>
    </main>
  </body>
</html>
`;
}

function javascript(path: string, c: ContentContext): string {
  const items = points(c).map((p) => `  '${plain(p)}',`);
  return `// ${plain(c.facts.name)}: ${plain(path)} (${plain(purposeOf(path, c))}), by ${plain(byline(c))}.
'use strict';

const ITEMS = [
${items.join('\n')}
];

/** One line per item of the task, numbered. */
function describe() {
  return ITEMS.map((item, i) => i + 1 + '. ' + item).join('\\n');
}

if (typeof module !== 'undefined' && module.exports) module.exports = { ITEMS, describe };
`;
}

function typescript(path: string, c: ContentContext): string {
  const items = points(c).map((p) => `  '${plain(p)}',`);
  return `// ${plain(c.facts.name)}: ${plain(path)} (${plain(purposeOf(path, c))}), by ${plain(byline(c))}.
export const ITEMS: readonly string[] = [
${items.join('\n')}
];

export function describe(): string {
  return ITEMS.map((item, i) => \`\${i + 1}. \${item}\`).join('\\n');
}
`;
}

function json(path: string, c: ContentContext): string {
  if (path.split('/').pop() === 'package.json') {
    const manifest = {
      name: c.facts.slug,
      version: '1.0.0',
      private: true,
      description: purposeOf(path, c),
      scripts: { start: 'node index.js' },
      license: 'MIT',
    };
    return `${JSON.stringify(manifest, null, 2)}\n`;
  }
  const body = { name: c.facts.name, file: path, purpose: purposeOf(path, c), author: byline(c), items: points(c) };
  return `${JSON.stringify(body, null, 2)}\n`;
}

function shell(path: string, c: ContentContext): string {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return `#!/usr/bin/env bash
# ${plain(c.facts.name)}: ${plain(path)} (${plain(purposeOf(path, c))}), by ${plain(byline(c))}.
set -eu
cd "$(dirname "$0")"
checks=0
for item in ${points(c)
    .slice(0, 5)
    .map((p) => quote(p))
    .join(' ')}; do
  checks=$((checks + 1))
  echo "check $checks: $item"
done
echo "All $checks checks listed"
`;
}

function css(path: string, c: ContentContext): string {
  return `/* ${plain(c.facts.name)}: ${plain(path)} (${plain(purposeOf(path, c))}) */
body {
  margin: 0 auto;
  max-width: 720px;
  padding: 16px;
  font-family: system-ui, sans-serif;
}
`;
}

function yamlFile(path: string, c: ContentContext): string {
  const q = (s: string) => JSON.stringify(s);
  return `# ${plain(c.facts.name)}: ${plain(path)}
name: ${q(c.facts.name)}
purpose: ${q(purposeOf(path, c))}
items:
${points(c)
  .map((p) => `  - ${q(p)}`)
  .join('\n')}
`;
}

/** The text of a file no template or generator knows, by its extension. */
export function contentByKind(path: string, c: ContentContext): string {
  const ext = /\.([A-Za-z0-9]+)$/.exec(path)?.[1]?.toLowerCase() ?? '';
  switch (ext) {
    case 'md':
    case 'markdown':
      return markdown(path, c);
    case 'html':
    case 'htm':
      return html(path, c);
    case 'js':
    case 'cjs':
    case 'mjs':
      return javascript(path, c);
    case 'ts':
      return typescript(path, c);
    case 'json':
      return json(path, c);
    case 'sh':
    case 'bash':
      return shell(path, c);
    case 'css':
      return css(path, c);
    case 'yaml':
    case 'yml':
      return yamlFile(path, c);
    default:
      return `${c.facts.name}: ${fileTitle(path)}\n\n${purposeOf(path, c)}\n\n${points(c)
        .map((p) => `- ${p}`)
        .join('\n')}\n`;
  }
}

/**
 * Content for any task list that has no hand-written template: small but valid files derived from the task text
 * (project name, goal, bullets, routes). Every file the pipeline expects has a generator; unknown paths get a
 * placeholder that fits their extension.
 */
import { COOKBOOK_TEAM } from '../../shared/builtin-teams';
import { teamRole } from '../../shared/team';
import type { ContentContext } from './context';
import { contentByKind } from './kinds';
import { optionalFits, type TaskFacts } from './task';

/** The cookbook's roles these generators write about. */
type MultiAgentRole = 'project_manager' | 'designer' | 'frontend' | 'backend' | 'tester';
const spec = (role: MultiAgentRole) => teamRole(COOKBOOK_TEAM, role);

type Generator = (c: ContentContext) => string;

const bullets = (items: readonly string[], fallback: string): string =>
  (items.length > 0 ? items : [fallback]).map((i) => `- ${i}`).join('\n');

const escapeHtml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const ROLE_ORDER: readonly MultiAgentRole[] = ['designer', 'frontend', 'backend', 'tester'];
const TASK_TITLES: Record<MultiAgentRole, string> = {
  project_manager: 'Requirements',
  designer: 'One-page UI/UX spec',
  frontend: 'Page and logic',
  backend: 'Minimal API',
  tester: 'Test plan and script',
};

function deliverablesOf(role: MultiAgentRole, taskList: string): string[] {
  return spec(role)
    .deliverables.filter((d) => d.required || optionalFits(d.path, taskList))
    .map((d) => `\`${d.path}\` (${d.purpose})`);
}

const roleNotes = (c: ContentContext, role: MultiAgentRole): string[] => {
  const word = spec(role).title.split(' ')[0] ?? role;
  return c.facts.roles.filter((r) => r.toLowerCase().startsWith(word.toLowerCase()));
};

const requirements: Generator = ({ facts }) => `# ${facts.name}: Requirements

## Product goal
${facts.goal}

## Target users
- People who want to use ${facts.name} in a browser.
- Beginners reading the code: small files, no frameworks.

## Key features
${bullets(facts.features, facts.goal)}

## Constraints
${bullets(facts.constraints, 'Keep every file small and readable.')}
- Backend: Node.js built-in \`http\` module, in-memory storage, \`GET /health\`${facts.collections.map((p) => `, \`GET/POST ${p}\``).join('')}.

## Assumptions
- The backend listens on \`http://localhost:3000\` (\`PORT\` overrides it).
`;

const testMd: Generator = (c) => {
  const sections = ROLE_ORDER.map((role) => {
    const owner = spec(role).title.split(' ')[0] ?? role;
    return `## [${owner}] ${TASK_TITLES[role]}
- Deliverables: ${deliverablesOf(role, c.taskList).join(', ')}.
- Acceptance criteria:
${criteria(c.facts, role)
  .map((x) => `  - ${x}`)
  .join('\n')}`;
  });
  return `# ${c.facts.name}: Tasks and acceptance criteria\n\n${sections.join('\n\n')}\n`;
};

function criteria(facts: TaskFacts, role: MultiAgentRole): string[] {
  switch (role) {
    case 'designer':
      return ['The spec describes the single page and every feature in REQUIREMENTS.md.', 'It names the element ids.'];
    case 'frontend':
      return [
        'Opening `frontend/index.html` shows the page from the design spec.',
        'The page shows whether the backend is reachable and still works when it is not.',
      ];
    case 'backend':
      return [
        '`npm start` in `backend/` starts the server with no dependencies.',
        '`GET /health` answers 200 `{"status":"ok"}`.',
        ...facts.collections.map((p) => `\`GET ${p}\` lists items; \`POST ${p}\` stores a JSON object (201) or 400.`),
      ];
    case 'tester':
      return ['`bash tests/test.sh` checks the API and exits non-zero on a failure.'];
    default:
      return [];
  }
}

const agentTasks: Generator = (c) => {
  const sections = ROLE_ORDER.map((role) => {
    const notes = roleNotes(c, role);
    return `## ${spec(role).title}
- Project name: ${c.facts.name}
- Deliverables: ${deliverablesOf(role, c.taskList).join(', ')}
${bullets(notes, 'Follow REQUIREMENTS.md and TEST.md; keep it small.')}`;
  });
  return `# ${c.facts.name}: Agent tasks\n\n${c.facts.goal}\n\n${sections.join('\n\n')}\n`;
};

const designSpec: Generator = ({ facts }) => `# ${facts.name}: UI/UX spec

## Layout
One page, centred, at most 720 px wide.
1. Header (\`header\`): the title "${facts.name}".
2. Main area (\`#app\`): one block per feature:
${facts.features.map((f) => `   - ${f}`).join('\n')}
3. Status line (\`#status\`): whether the backend at \`http://localhost:3000\` answers \`/health\`.

## Visual notes
- System sans-serif font, 16 px, dark text on a light background, one accent colour for buttons.
`;

const wireframe: Generator = ({ facts }) => `# ${facts.name}: Wireframe

\`\`\`
+------------------------------------------+
|  ${facts.name.slice(0, 38).padEnd(38)}  |
+------------------------------------------+
|  (main area: one block per feature)      |
|                                          |
+------------------------------------------+
|  Status: backend online / offline        |
+------------------------------------------+
\`\`\`
`;

// The frontend plan is fixed by the task (see optionalFits): styles.css always, game.js for games, else main.js.
const indexHtml: Generator = ({ facts }) => {
  const script = facts.isGame ? 'game.js' : 'main.js';
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${escapeHtml(facts.name)}</title>
    <link rel="stylesheet" href="styles.css" />
  </head>
  <body>
    <header><h1>${escapeHtml(facts.name)}</h1></header>
    <main id="app">
      <p>${escapeHtml(facts.goal)}</p>
      <ul>
${facts.features.map((f) => `        <li>${escapeHtml(f)}</li>`).join('\n')}
      </ul>
    </main>
    <p id="status">Backend: checking...</p>
    <script src="${script}"></script>
  </body>
</html>
`;
};

const stylesCss: Generator = () => `body {
  margin: 0 auto;
  max-width: 720px;
  padding: 16px;
  font-family: system-ui, sans-serif;
  font-size: 16px;
  color: #1f2933;
  background: #f5f7fa;
}

#status {
  color: #52606d;
}
`;

const mainJs: Generator = ({
  facts,
}) => `// ${facts.name}: page logic. The backend is optional; the page works without it.
const API_BASE = 'http://localhost:3000';
const statusEl = document.getElementById('status');

fetch(API_BASE + '/health')
  .then(function (response) {
    statusEl.textContent = response.ok ? 'Backend: online' : 'Backend: error ' + response.status;
  })
  .catch(function () {
    statusEl.textContent = 'Backend: offline';
  });
`;

const packageJson: Generator = ({ facts }) =>
  JSON.stringify(
    {
      name: `${facts.slug}-backend`,
      version: '1.0.0',
      private: true,
      description: `Minimal in-memory API for ${facts.name}`,
      main: 'server.js',
      scripts: { start: 'node server.js' },
      license: 'MIT',
    },
    null,
    2,
  ) + '\n';

const serverJs: Generator = ({
  facts,
}) => `// ${facts.name} API: GET /health${facts.collections.map((p) => `, GET/POST ${p}`).join('')}. Built-ins only, memory storage.
const http = require('node:http');

const PORT = Number(process.env.PORT) || 3000;
const collections = { ${facts.collections.map((p) => `'${p}': []`).join(', ')} };
const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type',
};

function sendJson(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/json', ...CORS });
  res.end(JSON.stringify(body));
}

const server = http.createServer((req, res) => {
  const path = new URL(req.url, 'http://localhost').pathname;
  if (req.method === 'OPTIONS') {
    res.writeHead(204, CORS);
    return res.end();
  }
  if (req.method === 'GET' && path === '/health') return sendJson(res, 200, { status: 'ok' });
  const items = collections[path];
  if (items && req.method === 'GET') return sendJson(res, 200, items);
  if (items && req.method === 'POST') {
    let data = '';
    req.on('data', (chunk) => (data += chunk));
    req.on('end', () => {
      let body;
      try {
        body = JSON.parse(data);
      } catch {
        return sendJson(res, 400, { error: 'Body must be valid JSON' });
      }
      if (body === null || typeof body !== 'object' || Array.isArray(body)) {
        return sendJson(res, 400, { error: 'Body must be a JSON object' });
      }
      items.push(body);
      sendJson(res, 201, body);
    });
    return;
  }
  sendJson(res, 404, { error: 'Not found' });
});

server.listen(PORT, () => console.log('${facts.name.replace(/'/g, '')} API listening on http://localhost:' + PORT));
`;

const testPlan: Generator = ({ facts }) => `# ${facts.name}: Test plan

## Automated - \`bash tests/test.sh\` (start the backend first: \`cd backend && npm start\`)
- [ ] \`GET /health\` answers 200.
${facts.collections.map((p) => `- [ ] \`POST ${p}\` with a JSON object answers 201 and \`GET ${p}\` lists it; bad JSON answers 400.`).join('\n')}

## Manual - open \`frontend/index.html\`
${facts.features.map((f) => `- [ ] ${f}`).join('\n')}
- [ ] The status line says whether the backend is online.
`;

const testSh: Generator = ({ facts }) => `#!/usr/bin/env bash
# ${facts.name} API smoke test. Start the backend first (cd backend && npm start). BASE_URL overrides the address.
set -u
BASE_URL="\${BASE_URL:-http://localhost:3000}"
failures=0

# check NAME EXPECTED_STATUS CURL_ARGS...
check() {
  local name="$1" expected="$2"
  shift 2
  local status
  status=$(curl -s -o /dev/null -w '%{http_code}' "$@")
  if [ "$status" = "$expected" ]; then echo "PASS $name"; else echo "FAIL $name (expected $expected, got $status)"; failures=$((failures + 1)); fi
}

check "GET /health" 200 "$BASE_URL/health"
${facts.collections
  .map(
    (p) => `check "POST ${p}" 201 -X POST -H 'Content-Type: application/json' --data '{"test":true}' "$BASE_URL${p}"
check "GET ${p}" 200 "$BASE_URL${p}"
check "POST ${p} bad JSON" 400 -X POST -H 'Content-Type: application/json' --data 'not json' "$BASE_URL${p}"`,
  )
  .join('\n')}

if [ "$failures" -gt 0 ]; then echo "$failures check(s) failed"; exit 1; fi
echo "All checks passed"
`;

export const GENERIC: Readonly<Record<string, Generator>> = {
  'REQUIREMENTS.md': requirements,
  'TEST.md': testMd,
  'AGENT_TASKS.md': agentTasks,
  'design/design_spec.md': designSpec,
  'design/wireframe.md': wireframe,
  'frontend/index.html': indexHtml,
  'frontend/styles.css': stylesCss,
  'frontend/main.js': mainJs,
  'frontend/game.js': mainJs,
  'backend/package.json': packageJson,
  'backend/server.js': serverJs,
  'tests/TEST_PLAN.md': testPlan,
  'tests/test.sh': testSh,
};

/** A file no generator knows: plausible content of its kind (Markdown, HTML, JS, JSON, shell, ...). */
export function placeholder(path: string, c: ContentContext): string {
  return contentByKind(path, c);
}

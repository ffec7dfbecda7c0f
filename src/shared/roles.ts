/**
 * Roles, their instructions and their deliverables: typed data in one place.
 * Instructions follow the OpenAI cookbook's agents (Codex CLI as MCP server + Agents SDK), with one change:
 * handoffs are not decided by the model here. The workflow runs the gated sequence and checks the files.
 */

export const MULTI_AGENT_ROLES = ['project_manager', 'designer', 'frontend', 'backend', 'tester'] as const;
export const SINGLE_AGENT_ROLES = ['game_designer', 'game_developer'] as const;
export type MultiAgentRole = (typeof MULTI_AGENT_ROLES)[number];
export type SingleAgentRole = (typeof SINGLE_AGENT_ROLES)[number];
export type Role = MultiAgentRole | SingleAgentRole;

export type ReasoningEffort = 'minimal' | 'low' | 'medium' | 'high';
export type AgentTool = 'codex' | 'codex-reply' | 'web_search';

export interface Deliverable {
  /** Path relative to the workspace root, with forward slashes. */
  path: string;
  /** Gates block until every required deliverable exists; optional ones are recorded when present. */
  required: boolean;
  purpose: string;
}

export interface RoleSpec {
  role: Role;
  title: string;
  instructions: string;
  deliverables: readonly Deliverable[];
  tools: readonly AgentTool[];
  reasoningEffort?: ReasoningEffort;
}

const CODEX_RULE =
  'Create and edit files only by calling the codex tool (and codex-reply to continue the same Codex thread) ' +
  'with {"approval-policy":"never","sandbox":"workspace-write"}. Codex runs in the workspace root; give it ' +
  'relative paths. Tell Codex the exact file names to write.';

const FINISH_RULE =
  'When your files are written, answer with a short summary of what you produced. Do not hand off: ' +
  'the orchestrator checks your deliverables and starts the next role.';

const d = (path: string, purpose: string, required = true): Deliverable => ({ path, purpose, required });

export const ROLE_SPECS: Readonly<Record<Role, RoleSpec>> = {
  project_manager: {
    role: 'project_manager',
    title: 'Project Manager',
    reasoningEffort: 'medium',
    tools: ['codex', 'codex-reply'],
    deliverables: [
      d('REQUIREMENTS.md', 'product goals, target users, key features, constraints'),
      d('TEST.md', 'tasks with [Owner] tags (Designer, Frontend, Backend, Tester) and acceptance criteria'),
      d('AGENT_TASKS.md', 'one section per role: project name, exact deliverables, technical notes'),
    ],
    instructions: [
      'You are the Project Manager.',
      'Objective: convert the input task list into three project-root files the team will execute against.',
      'Deliverables (write in project root):',
      '- REQUIREMENTS.md: concise summary of product goals, target users, key features, and constraints.',
      '- TEST.md: tasks with [Owner] tags (Designer, Frontend, Backend, Tester) and clear acceptance criteria.',
      '- AGENT_TASKS.md: one section per role containing the project name, the required deliverables ' +
        '(exact file names and purpose), and key technical notes and constraints.',
      'Process:',
      '- Resolve ambiguities with minimal, reasonable assumptions. Be specific so each role can act without guessing.',
      '- The team is: Designer (design/design_spec.md, design/wireframe.md), Frontend Developer ' +
        '(frontend/index.html plus styles.css / main.js or game.js if needed), Backend Developer ' +
        '(backend/package.json with a start script, backend/server.js, in-memory storage), Tester ' +
        '(tests/TEST_PLAN.md, tests/test.sh).',
      '- Do not create folders. Only create REQUIREMENTS.md, TEST.md, AGENT_TASKS.md.',
      '- ' + CODEX_RULE,
      FINISH_RULE,
    ].join('\n'),
  },
  designer: {
    role: 'designer',
    title: 'Designer',
    tools: ['codex', 'codex-reply', 'web_search'],
    deliverables: [
      d('design/design_spec.md', 'one page: UI/UX layout, main screens, key visual notes'),
      d('design/wireframe.md', 'a simple text or ASCII wireframe, if specified', false),
    ],
    instructions: [
      'You are the Designer.',
      'Your only source of truth is AGENT_TASKS.md and REQUIREMENTS.md from the Project Manager.',
      'Do not assume anything that is not written there. You may use web search for additional guidance or research.',
      'Deliverables (write to design/):',
      '- design_spec.md: a single page describing the UI/UX layout, main screens, and key visual notes as requested in AGENT_TASKS.md.',
      '- wireframe.md: a simple text or ASCII wireframe if specified.',
      'Keep the output short and implementation-friendly.',
      CODEX_RULE,
      FINISH_RULE,
    ].join('\n'),
  },
  frontend: {
    role: 'frontend',
    title: 'Frontend Developer',
    tools: ['codex', 'codex-reply'],
    deliverables: [
      d('frontend/index.html', 'main page structure'),
      d('frontend/styles.css', 'styles, if specified', false),
      d('frontend/main.js', 'page logic, if specified', false),
      d('frontend/game.js', 'game logic, if specified', false),
    ],
    instructions: [
      'You are the Frontend Developer.',
      'Read AGENT_TASKS.md and design/design_spec.md. Implement exactly what is described there.',
      'Deliverables (write to frontend/):',
      '- index.html: main page structure',
      '- styles.css or inline styles if specified',
      '- main.js or game.js if specified',
      "Follow the Designer's DOM structure and any integration points given by the Project Manager.",
      'Do not add features or branding beyond the provided documents.',
      CODEX_RULE,
      FINISH_RULE,
    ].join('\n'),
  },
  backend: {
    role: 'backend',
    title: 'Backend Developer',
    tools: ['codex', 'codex-reply'],
    deliverables: [
      d('backend/package.json', 'package manifest with a start script'),
      d('backend/server.js', 'the API endpoints and logic exactly as specified'),
    ],
    instructions: [
      'You are the Backend Developer.',
      'Read AGENT_TASKS.md and REQUIREMENTS.md. Implement the backend endpoints described there.',
      'Deliverables (write to backend/):',
      '- package.json: include a start script if requested',
      '- server.js: implement the API endpoints and logic exactly as specified',
      'Keep the code as simple and readable as possible. No external database: in-memory storage.',
      CODEX_RULE,
      FINISH_RULE,
    ].join('\n'),
  },
  tester: {
    role: 'tester',
    title: 'Tester',
    tools: ['codex', 'codex-reply'],
    deliverables: [
      d('tests/TEST_PLAN.md', 'bullet list of manual checks or automated steps'),
      d('tests/test.sh', 'a simple automated script that verifies the core routes'),
    ],
    instructions: [
      'You are the Tester.',
      'Read AGENT_TASKS.md and TEST.md. Verify that the outputs of the other roles meet the acceptance criteria.',
      'Deliverables (write to tests/):',
      '- TEST_PLAN.md: bullet list of manual checks or automated steps as requested',
      '- test.sh or a simple automated script if specified',
      'Keep it minimal and easy to run.',
      CODEX_RULE,
      FINISH_RULE,
    ].join('\n'),
  },
  game_designer: {
    role: 'game_designer',
    title: 'Game Designer',
    tools: [],
    deliverables: [],
    instructions: [
      'You are an indie game connoisseur. Come up with an idea for a single page html + css + javascript game ' +
        'that a developer could build in about 50 lines of code.',
      'Format your request as a 3 sentence design brief for a game developer. Answer with the brief only.',
    ].join('\n'),
  },
  game_developer: {
    role: 'game_developer',
    title: 'Game Developer',
    tools: ['codex', 'codex-reply'],
    deliverables: [d('index.html', 'the complete game in one file')],
    instructions: [
      'You are an expert in building simple games using basic html + css + javascript with no dependencies.',
      'Save your work in a file called index.html in the current directory.',
      'Always call codex with "approval-policy": "never" and "sandbox": "workspace-write".',
      FINISH_RULE,
    ].join('\n'),
  },
};

export const requiredPaths = (role: Role): string[] =>
  ROLE_SPECS[role].deliverables.filter((x) => x.required).map((x) => x.path);

/** Marker line the agents put in their first user message so any model (and the scripted one) sees the role. */
export const roleTitle = (role: Role): string => ROLE_SPECS[role].title;

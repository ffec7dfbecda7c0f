// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [
  'fs',
  'path',
  'os',
  'child_process',
  'crypto',
  'http',
  'https',
  'net',
  'stream',
  'util',
  'events',
  'url',
  'worker_threads',
  'process',
  'readline',
  'timers',
  'zlib',
  'dns',
  'tls',
];

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      'runs/**',
      'src/scripted-model/templates/**',
      'src/activities/codex/app-server/protocol/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { project: ['./tsconfig.test.json'], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's describe/it return promises the runner itself awaits.
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Workflow code is replayed deterministically in a sandbox: no I/O, no SDK clients.
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins
              .flatMap((m) => [m, `node:${m}`])
              .map((name) => ({ name, message: 'Workflows may not use Node builtins.' })),
            { name: 'openai', message: 'Model calls belong in activities.' },
          ],
          patterns: [
            { group: ['@modelcontextprotocol/*'], message: 'Codex calls belong in activities.' },
            { group: ['node:*'], message: 'Workflows may not use Node builtins.' },
            {
              group: ['../activities/*', '../activities'],
              allowTypeImports: true,
              message: 'Import activities as types only.',
            },
            {
              // Each workflow the worker creates evaluates its imports again: zod costs every one 10-25 ms.
              group: ['../shared/team', 'zod'],
              allowTypeImports: true,
              message: 'Import the team schema as types only (lookups are in ../shared/team-graph).',
            },
          ],
        },
      ],
    },
  },
  {
    // Run state changes and the Web UI's details go through the named transitions of src/workflows/run-state.ts.
    files: ['src/workflows/**/*.ts'],
    ignores: ['src/workflows/run-state.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "ImportSpecifier[imported.name='setCurrentDetails']",
          message: 'Publish the details through a transition of ./run-state.ts.',
        },
      ],
    },
  },
);

// Lint: typescript-eslint plus the layering of DESIGN §1 (the VS Code `code-layering` idea): the
// path of a file says what it may import. Each folder has an ALLOW-list (folders, packages, Node
// built-ins, electron, dynamic import()), checked on the RESOLVED import path by the local plugin
// in lint/layering.js (why a local plugin: see its header). lint/layering.test.ts plants each
// forbidden import and expects an error; the renderer may have no import cycle.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import treewall from './lint/layering.js';

const TESTS = ['**/*.test.ts', '**/*.test.tsx', '**/test-*.ts'];
const TEST_PACKAGES = ['vitest', 'fast-check'];

/**
 * One folder's allow-list. `tests` widens it for that folder's tests (test files and test-*.ts
 * helpers): they run under Vitest in Node.
 */
const layer = (name, files, allow, tests) => [
  {
    files,
    rules: { 'treewall/layering': ['error', { layer: name, ...allow }] },
  },
  ...(tests
    ? [
        {
          files: files.flatMap((f) => TESTS.map((t) => f.replace(/\*\*$/, '') + t)),
          rules: {
            'treewall/layering': [
              'error',
              {
                layer: `${name} (tests)`,
                ...allow,
                node: true,
                dynamicImport: true,
                folders: [...allow.folders, ...(tests.folders ?? [])],
                packages: [...(allow.packages ?? []), ...TEST_PACKAGES, ...(tests.packages ?? [])],
                why: allow.why,
              },
            ],
          },
        },
      ]
    : []),
];

// Globals that exist in Node (or only in Electron's Node) and must not be used in pure or browser
// code; the DOM-only and lib-only tsconfigs catch them too, lint says it at the line.
const nodeGlobals = [
  'process',
  'Buffer',
  'require',
  'module',
  '__dirname',
  '__filename',
  'global',
  'setImmediate',
].map((name) => ({ name, message: `${name} is Node's; this code runs without Node.` }));

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      '.tmp/**',
      'test-results/**',
      'playwright-report/**',
      'docs/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { treewall },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "CallExpression[callee.property.name='only'][callee.object.name=/^(it|test|describe)$/]",
          message: 'No focused tests.',
        },
      ],
    },
  },
  {
    files: ['bin/**/*.js', 'lint/**/*.js', 'electron/cli/commands/helper-bridge.js'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        setImmediate: 'readonly',
        clearTimeout: 'readonly',
      },
    },
  },

  ...layer(
    'shared/',
    ['shared/**'],
    {
      folders: ['shared'],
      packages: ['zod'],
      node: false,
      electron: false,
      dynamicImport: false,
      why: 'shared/ is pure: no I/O, no DOM, no Node, no electron, nothing outside shared/.',
    },
    // Tests may read golden files and spawn tools; the compiler's golden test lives beside it.
    { packages: ['plist'] },
  ),
  {
    files: ['shared/**'],
    ignores: TESTS,
    rules: { 'no-restricted-globals': ['error', ...nodeGlobals, 'window', 'document'] },
  },

  ...layer(
    'renderer/',
    ['renderer/**'],
    {
      folders: ['renderer', 'shared'],
      packages: ['react', 'react-dom', 'react-arborist', 'zustand', 'uplot', 'zod'],
      node: false,
      electron: false,
      dynamicImport: true,
      why: 'renderer/ is browser code: it reaches the backend only through window.treewall (shared/ipc).',
    },
    { folders: ['resources/default-document.ts', 'e2e/pages/documents.ts'] },
  ),
  {
    files: ['renderer/**'],
    ignores: TESTS,
    rules: {
      'no-restricted-globals': ['error', ...nodeGlobals],
      'treewall/no-cycle': ['error', { within: 'renderer' }],
    },
  },

  ...layer(
    'electron/preload/',
    ['electron/preload/**'],
    {
      folders: ['electron/preload', 'shared'],
      electron: true,
      node: false,
      why: 'The sandboxed preload exposes the contract and nothing else.',
    },
    {},
  ),
  ...layer(
    'electron/main/',
    ['electron/main/**'],
    {
      folders: ['electron/main', 'electron/common', 'shared'],
      electron: true,
      node: true,
      why: 'Electron main never imports the renderer, the helper or the host.',
    },
    {},
  ),

  // The plain-Node folders: never electron, never the renderer.
  ...layer(
    'electron/common/',
    ['electron/common/**'],
    {
      folders: ['electron/common', 'shared'],
      node: true,
      electron: false,
      why: 'electron/common is plain Node shared by main, host, helper and CLI.',
    },
    { folders: ['resources'] },
  ),
  ...layer(
    'electron/helper/',
    ['electron/helper/**'],
    {
      // The line framing it shares with its client (electron/common/helper-client.ts).
      folders: ['electron/helper', 'shared', 'electron/common/lines.ts'],
      // nodemailer: the Email action, to the SMTP relay of the helper's own configuration.
      packages: ['nodemailer'],
      node: true,
      electron: false,
      why: 'The helper runs as root in plain Node: only its own files, shared/ and nodemailer (Email).',
    },
    // Its tests talk to it through the client; bench/generate.ts: realistic documents; ws: the
    // fuzz run (fuzz.test.ts) drives `treewall serve` in front of the helper over its WebSocket.
    {
      folders: ['electron/testing', 'electron/common', 'resources', 'bench/generate.ts'],
      // smtp-server: the test relay the Email action sends to (actions.test.ts).
      packages: ['ws', 'smtp-server'],
    },
  ),
  ...layer(
    'electron/host/',
    ['electron/host/**'],
    {
      folders: ['electron/host', 'electron/common', 'shared'],
      packages: ['ws'],
      node: true,
      electron: false,
      why: 'The browser host is plain Node over electron/common.',
    },
    // Its tests drive it with the renderer's own WebSocket client, and start `treewall serve`
    // with the one test harness (electron/testing), as the helper's tests do.
    { folders: ['renderer/transport/ws-client.ts', 'electron/testing'], packages: ['ws'] },
  ),
  ...layer(
    'electron/cli/',
    ['electron/cli/**'],
    {
      folders: ['electron/cli', 'electron/common', 'electron/host', 'electron/helper', 'shared'],
      packages: ['vite'],
      node: true,
      electron: false,
      why: 'The CLI is plain Node.',
    },
    // Its tests run `treewall` as a user does, through the one test harness (electron/testing).
    { folders: ['electron/testing'] },
  ),
  ...layer(
    'electron/testing/',
    ['electron/testing/**'],
    {
      folders: ['electron/testing', 'electron/helper', 'electron/common', 'shared', 'resources'],
      packages: TEST_PACKAGES,
      node: true,
      electron: false,
      why: 'The kernel test host is plain Node.',
    },
    {},
  ),
  ...layer(
    'resources/',
    ['resources/**'],
    {
      folders: ['resources', 'shared', 'electron/common'],
      node: true,
      electron: false,
    },
    {},
  ),
  ...layer('e2e/', ['e2e/**'], {
    folders: [
      'e2e',
      'shared',
      'electron/common',
      'electron/helper',
      'electron/testing',
      'resources',
    ],
    packages: ['@playwright/test', 'playwright-core', 'vite'],
    node: true,
    electron: false,
    why: "End-to-end tests see the app only through the page (never the renderer's modules).",
  }),
  ...layer('bench/', ['bench/**'], {
    folders: [
      'bench',
      'shared',
      'electron/helper',
      'electron/testing',
      'electron/common',
      'e2e',
      'resources',
    ],
    packages: ['playwright-core', 'vite', 'vitest'],
    node: true,
    electron: false,
  }),
);

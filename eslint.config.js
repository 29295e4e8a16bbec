// Lint: typescript-eslint plus the layering of DESIGN §1, enforced with no-restricted-imports zones
// (the VS Code `code-layering` idea): the path of a file says what it may import.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'child_process', 'net', 'http', 'crypto', 'stream', 'util', 'url', 'events'];

const zone = (files, patterns, message) => ({
  files,
  rules: {
    'no-restricted-imports': ['error', { patterns: [{ group: patterns, message }] }],
  },
});

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.tmp/**', 'test-results/**', 'playwright-report/**', 'docs/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.property.name='only'][callee.object.name=/^(it|test|describe)$/]", message: 'No focused tests.' },
      ],
    },
  },
  {
    files: ['bin/**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  zone(
    ['shared/**'],
    [...nodeBuiltins, 'electron', 'react', 'react-dom', '**/electron/**', '**/renderer/**'],
    'shared/ is pure: no I/O, no DOM, no node:*, no electron, and it imports nothing outside shared/.',
  ),
  zone(
    ['renderer/**'],
    [...nodeBuiltins, 'electron', '**/electron/**'],
    'renderer/ talks to the backend only through window.treewall (shared/ipc); it never imports electron or node.',
  ),
  zone(
    ['electron/helper/**', 'electron/host/**', 'electron/cli/**', 'electron/common/**', 'electron/testing/**'],
    ['electron', '**/renderer/**', '**/electron/main/**', '**/electron/preload/**'],
    'The helper, host, CLI and their common/testing modules are plain Node: they never import electron or the renderer.',
  ),
  zone(
    ['electron/main/**', 'electron/preload/**'],
    ['**/renderer/**'],
    'Electron code never imports the renderer; the contract lives in shared/ipc.',
  ),
);

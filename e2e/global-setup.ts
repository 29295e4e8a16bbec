// Runtime: Node (Playwright global setup). Builds the renderer (and the Electron main and preload
// bundles, for the Electron smoke test) once per run, so every test's `treewall serve` starts with
// --no-build and serves exactly the code under test.
// Set TREEWALL_E2E_NO_BUILD=1 to reuse an existing dist/renderer while iterating.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export default async function globalSetup(): Promise<void> {
  const index = path.join(root, 'dist/renderer/index.html');
  if (process.env.TREEWALL_E2E_NO_BUILD === '1' && existsSync(index)) return;
  for (const mode of ['production', 'electron-main', 'electron-preload']) {
    await build({ configFile: path.join(root, 'vite.config.ts'), mode, logLevel: 'warn' });
  }
}

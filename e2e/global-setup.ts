// Runtime: Node (Playwright global setup). Builds the renderer (and the Electron main and preload
// bundles, for the Electron smoke test) once per run, so every test's `treewall serve` starts with
// --no-build and serves exactly the code under test.
// Set TREEWALL_E2E_NO_BUILD=1 to reuse an existing dist/renderer while iterating.
// First it checks for the browser, once: without it every test would fail the same way.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { chromiumPath } from '../electron/testing/prerequisites.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export default async function globalSetup(): Promise<void> {
  const browser = chromiumPath();
  if (!existsSync(browser)) {
    throw new Error(
      `The end-to-end tests drive Chromium at ${browser}, which is missing. ` +
        'Install it with `sudo apt-get install -y chromium` (or run `npm test`, which installs ' +
        'it as root), or point CHROMIUM=/path/to/chromium at another build. ' +
        '(Not `npx playwright install`: the tests use the system browser.)',
    );
  }
  const index = path.join(root, 'dist/renderer/index.html');
  if (process.env.TREEWALL_E2E_NO_BUILD === '1' && existsSync(index)) return;
  for (const mode of ['production', 'electron-main', 'electron-preload']) {
    await build({ configFile: path.join(root, 'vite.config.ts'), mode, logLevel: 'warn' });
  }
}

// Electron smoke test: launches the built app (npm run build) through Playwright's _electron and
// checks that a window opens on our page with window.treewall and nothing of Node in it.
// It reports itself skipped, with the reason, where the Electron binary is not downloaded.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { _electron as electron, expect, test } from '@playwright/test';
import { findElectronBinary } from '../electron/common/electron-binary.ts';
import { repoRoot } from './fixtures.ts';
import '../shared/ipc/window-global.ts';

const binary = findElectronBinary();
const mainFile = path.join(repoRoot, 'dist/electron/main/index.js');

test('Electron opens a sandboxed window exposing only window.treewall', async () => {
  test.skip(binary.path === null, binary.path === null ? binary.reason : '');
  test.skip(!existsSync(mainFile), `${mainFile} is missing: run npm run build`);
  const app = await electron.launch({
    executablePath: binary.path ?? undefined,
    // The repo as the app: package.json's main is the built main process.
    args: [repoRoot, '--no-sandbox'],
    env: { ...process.env, ELECTRON_ENABLE_LOGGING: '1' },
  });
  try {
    const page = await app.firstWindow();
    await expect(page).toHaveTitle(/treewall/i);
    const facts = await page.evaluate(async () => ({
      url: location.href,
      hasApi: typeof window.treewall?.invoke === 'function',
      hasRequire: typeof (window as unknown as { require?: unknown }).require !== 'undefined',
      hasProcess: typeof (window as unknown as { process?: unknown }).process !== 'undefined',
      info: await window.treewall.invoke('app:info', {}),
    }));
    expect(facts).toMatchObject({
      url: expect.stringMatching(/^app:\/\/treewall\//),
      hasApi: true,
      hasRequire: false,
      hasProcess: false,
      info: { ok: true, value: { host: 'electron', nativeDialogs: true } },
    });
  } finally {
    await app.close();
  }
});

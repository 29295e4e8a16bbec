// Runtime: Node (Playwright test fixtures). Every test gets its own `treewall serve` (a child
// process, exactly as a user starts it) on a free port, with a fresh temporary documents folder
// and state folder, and a page opened on the URL the server printed.
// Invariants: nothing is shared between tests (no recent files, no recovery files, no clipboard);
// the server is stopped and the folders removed even when a test fails.
//
// With a helper: `test.use({ withHelper: true })` starts `treewall helper` inside a fresh network
// namespace ("server", 10.77.0.2 / fd77::2) linked to a "client" namespace (10.77.0.1 / fd77::1)
// before the server, and points `treewall serve --socket` at it. The test gets it as `helper`:
//
//   test.use({ withHelper: true });
//   test('counts', async ({ app, helper }) => {
//     const l = await helper.server.listenTcp(22);
//     await helper.client.tcpConnect(helper.serverAddress, 22);
//   });
//
// Such tests skip, with the reason, where there is no root, `ip` or `nft`, and fail with it in a
// full run (`npm test` or CI). To use a helper started elsewhere,
// `test.use({ helperSocket: '/path/to/helper.sock' })`.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test as base, expect, type ConsoleMessage, type Page } from '@playwright/test';
import { kernelSkipReason } from '../electron/testing/netns.ts';
import { fullRunRequested } from '../electron/testing/prerequisites.ts';
import {
  startHelperInNamespace,
  startServe,
  type HelperInNamespace,
  type ServeHandle,
} from '../electron/testing/treewall-processes.ts';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// The starters live in electron/testing (the benchmarks use them too).
export {
  startHelperInNamespace,
  startServe,
  type HelperInNamespace,
  type ServeHandle,
  type ServeOptions,
} from '../electron/testing/treewall-processes.ts';

export interface TreewallFixtures {
  /** Start a helper in a network namespace for this test (see the top of this file). */
  withHelper: boolean;
  /** The helper's socket to serve with; overrides `withHelper`'s. */
  helperSocket: string | undefined;
  /** This test's helper when `withHelper` is on, else null. */
  helper: HelperInNamespace | null;
  serveArgs: string[];
  /** This test's `treewall serve`. */
  serve: ServeHandle;
  /** Console errors and uncaught page errors seen so far (a test may assert it stays empty). */
  consoleErrors: string[];
  /** `page`, already on the served app with the renderer mounted. */
  app: Page;
}

export const test = base.extend<TreewallFixtures>({
  withHelper: [false, { option: true }],
  helperSocket: [undefined, { option: true }],
  // While iterating: TREEWALL_E2E_RENDERER_DIR serves a renderer built elsewhere
  // (`vite build --outDir DIR`), leaving dist/ to whoever else runs the suite.
  serveArgs: [
    process.env.TREEWALL_E2E_RENDERER_DIR
      ? ['--renderer-dir', process.env.TREEWALL_E2E_RENDERER_DIR]
      : [],
    { option: true },
  ],

  helper: async ({ withHelper }, use, testInfo) => {
    if (!withHelper) return use(null);
    if (kernelSkipReason !== undefined) {
      // A full run (npm test, CI) fails here with the reason; a run by hand skips with it.
      const reason = `needs a helper in a namespace: ${kernelSkipReason}`;
      if (fullRunRequested()) throw new Error(reason);
      test.skip(true, reason);
    }
    const helper = await startHelperInNamespace();
    try {
      await use(helper);
    } finally {
      if (testInfo.status !== testInfo.expectedStatus) {
        await testInfo.attach('treewall-helper.log', {
          body: helper.output(),
          contentType: 'text/plain',
        });
      }
      await helper.stop();
    }
  },

  serve: async ({ helper, helperSocket, serveArgs }, use, testInfo) => {
    const socket = helperSocket ?? helper?.socket;
    const handle = await startServe({
      ...(socket ? { helperSocket: socket } : {}),
      extraArgs: serveArgs,
    });
    try {
      await use(handle);
    } finally {
      if (testInfo.status !== testInfo.expectedStatus) {
        await testInfo.attach('treewall-serve.log', {
          body: handle.output(),
          contentType: 'text/plain',
        });
      }
      await handle.stop();
    }
  },

  consoleErrors: async ({ page }, use) => {
    const errors: string[] = [];
    page.on('console', (message: ConsoleMessage) => {
      if (message.type() === 'error') errors.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
    await use(errors);
  },

  app: async ({ page, serve, consoleErrors }, use) => {
    void consoleErrors; // subscribe before navigation so nothing is missed
    await page.goto(serve.url);
    // The renderer mounts into #root; wait until it drew something.
    await expect(page.locator('#root > *').first()).toBeVisible();
    await use(page);
  },
});

export { expect };

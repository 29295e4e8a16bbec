// Runtime: Node (Playwright runner). End-to-end tests in Debian's Chromium against the browser
// host (`treewall serve`), plus the Electron smoke test where the Electron binary exists.
// NOTE: never `npx playwright install`: it downloads a browser and fails offline; the system
// Chromium (/usr/bin/chromium, apt package `chromium`) is the browser. Override with CHROMIUM=path.

import { defineConfig } from '@playwright/test';

const chromium = process.env.CHROMIUM ?? '/usr/bin/chromium';

export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  // The renderer is built once for the whole run (fixtures start `treewall serve --no-build`).
  globalSetup: './e2e/global-setup.ts',
  // Two cores shared with the kernel tests: one worker keeps timings honest and tests stable.
  workers: 1,
  fullyParallel: false,
  forbidOnly: true,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  outputDir: 'test-results',
  use: {
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1400, height: 900 },
    // Copy and paste go through navigator.clipboard on http://127.0.0.1 (a secure context).
    permissions: ['clipboard-read', 'clipboard-write'],
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: chromium,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    },
  },
  projects: [
    { name: 'chromium', testIgnore: '**/electron-*.spec.ts' },
    { name: 'electron', testMatch: '**/electron-*.spec.ts' },
  ],
});

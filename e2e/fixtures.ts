// Runtime: Node (Playwright test fixtures). Every test gets its own `treewall serve` (a child
// process, exactly as a user starts it) on a free port, with a fresh temporary documents folder
// and state folder, and a page opened on the URL the server printed.
// Invariants: nothing is shared between tests (no recent files, no recovery files, no clipboard);
// the server is stopped and the folders removed even when a test fails.
//
// Extend, don't fork: the helper/stats tests start a helper in a network namespace and hand its
// socket over with `test.use({ helperSocket })` or by overriding the `helperSocket` fixture:
//
//   export const test = base.extend<{ helper: MyHelper }>({
//     helper: async ({}, use) => { const h = await startHelperInNamespace(); await use(h); await h.stop(); },
//     helperSocket: async ({ helper }, use) => use(helper.socket),
//   });

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test as base, expect, type ConsoleMessage, type Page } from '@playwright/test';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface ServeHandle {
  /** The URL `treewall serve` printed: `http://127.0.0.1:PORT/?token=...`. */
  url: string;
  port: number;
  token: string;
  /** The documents folder (`--folder`); files the UI saves land here. */
  folder: string;
  /** Recent list and recovery files (`--state-dir`). */
  stateDir: string;
  /** The page URL that opens `file` (relative to `folder`) at startup. */
  urlFor(file: string): string;
  /** Put a document file into the folder before opening it. */
  writeFile(name: string, text: string): Promise<string>;
  /** Everything the server printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

export interface ServeOptions {
  folder?: string;
  stateDir?: string;
  /** The helper's socket; absent: a path nothing listens on (the app runs without a helper). */
  helperSocket?: string;
  extraArgs?: string[];
  /** How long to wait for the printed URL. */
  startTimeoutMs?: number;
}

/** Start `treewall serve --port 0 --no-build` and wait for the URL it prints. */
export async function startServe(options: ServeOptions = {}): Promise<ServeHandle> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'tw-e2e-'));
  const folder = options.folder ?? path.join(scratch, 'docs');
  const stateDir = options.stateDir ?? path.join(scratch, 'state');
  await mkdir(folder, { recursive: true });
  const args = [
    path.join(repoRoot, 'bin/treewall.js'),
    'serve',
    '--port',
    '0',
    '--no-build',
    '--folder',
    folder,
    '--state-dir',
    stateDir,
    '--socket',
    options.helperSocket ?? path.join(scratch, 'no-helper.sock'),
    ...(options.extraArgs ?? []),
  ];
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`treewall serve printed no URL in time:\n${output}`)),
      options.startTimeoutMs ?? 30_000,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /(http:\/\/\S+\?token=[\w-]+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`treewall serve exited with ${code} before printing its URL:\n${output}`));
    });
  });
  const parsed = new URL(url);
  const token = parsed.searchParams.get('token') ?? '';
  return {
    url,
    port: Number(parsed.port),
    token,
    folder,
    stateDir,
    urlFor: (file) => `${url}&path=${encodeURIComponent(file)}`,
    async writeFile(name, text) {
      const file = path.join(folder, name);
      await writeFile(file, text);
      return file;
    },
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(scratch, { recursive: true, force: true });
    },
  };
}

export interface TreewallFixtures {
  /** Options for the server; override with `test.use({ helperSocket: '/run/...' })`. */
  helperSocket: string | undefined;
  serveArgs: string[];
  /** This test's `treewall serve`. */
  serve: ServeHandle;
  /** Console errors and uncaught page errors seen so far (a test may assert it stays empty). */
  consoleErrors: string[];
  /** `page`, already on the served app with the renderer mounted. */
  app: Page;
}

export const test = base.extend<TreewallFixtures>({
  helperSocket: [undefined, { option: true }],
  serveArgs: [[], { option: true }],

  serve: async ({ helperSocket, serveArgs }, use, testInfo) => {
    const handle = await startServe({
      ...(helperSocket ? { helperSocket } : {}),
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

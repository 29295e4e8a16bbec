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

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test as base, expect, type ConsoleMessage, type Page } from '@playwright/test';
import { HelperClient } from '../electron/helper/client.ts';
import {
  kernelSkipReason,
  sweepStale,
  TestNet,
  type Namespace,
} from '../electron/testing/netns.ts';
import { fullRunRequested } from '../electron/testing/prerequisites.ts';

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

export interface HelperInNamespace {
  /** The namespace the helper (and its firewall) runs in, and the one traffic comes from. */
  server: Namespace;
  client: Namespace;
  serverAddress: string;
  clientAddress: string;
  serverAddress6: string;
  clientAddress6: string;
  /** The helper's Unix socket (in a private temporary folder). */
  socket: string;
  /** A client of its own, for tests that want to check the helper directly. */
  connect(): Promise<HelperClient>;
  /** What the helper printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** Start `treewall helper` inside a new "server" namespace linked to a "client" namespace. */
export async function startHelperInNamespace(): Promise<HelperInNamespace> {
  await sweepStale('e2e');
  const net = new TestNet('e2e');
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'tw-e2e-helper-'));
  let child: ChildProcess | undefined;
  let output = '';
  const stop = async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child!.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await net.cleanup();
    await rm(scratch, { recursive: true, force: true });
  };
  try {
    const client = await net.namespace('client');
    const server = await net.namespace('server');
    await net.link(client, server, {
      aAddresses: ['10.77.0.1/24', 'fd77::1/64'],
      bAddresses: ['10.77.0.2/24', 'fd77::2/64'],
    });
    const socket = path.join(scratch, 'helper.sock');
    child = spawn(
      'ip',
      [
        'netns',
        'exec',
        server.name,
        process.execPath,
        path.join(repoRoot, 'bin/treewall.js'),
        'helper',
        '--socket',
        socket,
        '--state-dir',
        path.join(scratch, 'state'),
      ],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    // Ready when its socket answers `status`.
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`treewall helper exited early:\n${output}`);
      try {
        const probe = await HelperClient.connect(socket, { timeoutMs: 500 });
        await probe.call('status', {});
        await probe.close();
        break;
      } catch (error) {
        if (Date.now() > deadline) {
          throw new Error(`treewall helper did not answer: ${(error as Error).message}\n${output}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    return {
      server,
      client,
      serverAddress: '10.77.0.2',
      clientAddress: '10.77.0.1',
      serverAddress6: 'fd77::2',
      clientAddress6: 'fd77::1',
      socket,
      connect: () => HelperClient.connect(socket),
      output: () => output,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

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

// Runtime: plain Node, tests and benchmarks. Starting treewall itself as a user would: `treewall
// serve` as a child process on a free port (ready when it prints its URL), and `treewall helper`
// (ready when its socket answers `status`), optionally inside a network namespace.
// One copy: the e2e fixtures (e2e/fixtures.ts) and the benchmarks (bench/treewall.ts) use these.
// Invariant: stop() ends the process and removes every folder the starter made, even when the
// caller fails half-way.

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HelperClient } from '../common/helper-client.ts';
import { HELPER_NODE_OPTIONS } from '../helper/server.ts';
import { sweepStale, TestNet, type Namespace } from './netns.ts';
import { startProcess, waitUntil } from './processes.ts';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TREEWALL = path.join(repoRoot, 'bin/treewall.js');

export interface ServeHandle {
  /** The URL `treewall serve` printed: `http://127.0.0.1:PORT/?token=...`. */
  url: string;
  port: number;
  token: string;
  /** The serve process's id (memory tests read /proc/PID/status). */
  pid: number;
  /** Whether the process is still running (robustness tests: it must survive what they send). */
  running(): boolean;
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
  /** Extra arguments (`--renderer-dir DIR` for a renderer built elsewhere). */
  extraArgs?: string[];
  /** How long to wait for the printed URL. */
  startTimeoutMs?: number;
}

/** Start `treewall serve --port 0 --no-build` and wait for the URL it prints. */
export async function startServe(options: ServeOptions = {}): Promise<ServeHandle> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'tw-serve-'));
  const folder = options.folder ?? path.join(scratch, 'docs');
  const stateDir = options.stateDir ?? path.join(scratch, 'state');
  await mkdir(folder, { recursive: true });
  const serve = startProcess(
    [
      process.execPath,
      TREEWALL,
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
    ],
    { cwd: repoRoot },
  );
  const stop = async () => {
    await serve.stop();
    await rm(scratch, { recursive: true, force: true });
  };
  let url: string;
  try {
    url = await waitUntil(
      async () => {
        const match = /(http:\/\/\S+\?token=[\w-]+)/.exec(serve.output());
        if (!match?.[1]) throw new Error('no URL printed yet');
        return match[1];
      },
      {
        what: 'treewall serve',
        process: serve,
        timeoutMs: options.startTimeoutMs ?? 30_000,
        intervalMs: 20,
      },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  const parsed = new URL(url);
  return {
    url,
    port: Number(parsed.port),
    token: parsed.searchParams.get('token') ?? '',
    pid: serve.child.pid ?? 0,
    running: () => serve.child.exitCode === null && serve.child.signalCode === null,
    folder,
    stateDir,
    urlFor: (file) => `${url}&path=${encodeURIComponent(file)}`,
    async writeFile(name, text) {
      const file = path.join(folder, name);
      await writeFile(file, text);
      return file;
    },
    output: serve.output,
    stop,
  };
}

export interface HelperProcess {
  /** The helper's own pid (`ip netns exec` execs it). */
  pid: number;
  /** Its Unix socket (in a private temporary folder). */
  socket: string;
  /** A client of its own. */
  connect(): Promise<HelperClient>;
  /** What the helper printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

export interface HelperOptions {
  /** Run it inside this network namespace (by name); absent: in the caller's. */
  namespace?: string;
  /** Extra node options (`--cpu-prof ...` to profile it). */
  nodeArgs?: string[];
  /** Copy its stderr to ours as it comes (its timings, while benchmarking). */
  echoStderr?: boolean;
}

/** Start `treewall helper` with a private socket and state folder; ready when `status` answers. */
export async function startHelper(options: HelperOptions = {}): Promise<HelperProcess> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'tw-helper-'));
  const socket = path.join(scratch, 'helper.sock');
  const argv = [
    process.execPath,
    // The node options the package's launcher gives the helper.
    ...HELPER_NODE_OPTIONS,
    ...(options.nodeArgs ?? []),
    TREEWALL,
    'helper',
    '--socket',
    socket,
    '--state-dir',
    path.join(scratch, 'state'),
  ];
  const helper = startProcess(
    options.namespace ? ['ip', 'netns', 'exec', options.namespace, ...argv] : argv,
    { cwd: repoRoot },
  );
  if (options.echoStderr) helper.child.stderr?.on('data', (d: string) => process.stderr.write(d));
  const stop = async () => {
    await helper.stop();
    await rm(scratch, { recursive: true, force: true });
  };
  try {
    await waitUntil(
      async () => {
        const probe = await HelperClient.connect(socket, { timeoutMs: 1000 });
        try {
          await probe.call('status', {});
        } finally {
          await probe.close();
        }
      },
      { what: 'treewall helper', process: helper },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    pid: helper.child.pid ?? 0,
    socket,
    connect: () => HelperClient.connect(socket),
    output: helper.output,
    stop,
  };
}

export interface HelperInNamespace extends HelperProcess {
  /** The namespace the helper (and its firewall) runs in, and the one traffic comes from. */
  server: Namespace;
  client: Namespace;
  serverAddress: string;
  clientAddress: string;
  serverAddress6: string;
  clientAddress6: string;
}

/** `treewall helper` inside a new "server" namespace linked to a "client" namespace. */
export async function startHelperInNamespace(area = 'e2e'): Promise<HelperInNamespace> {
  await sweepStale(area);
  const net = new TestNet(area);
  try {
    const client = await net.namespace('client');
    const server = await net.namespace('server');
    await net.link(client, server, {
      aAddresses: ['10.77.0.1/24', 'fd77::1/64'],
      bAddresses: ['10.77.0.2/24', 'fd77::2/64'],
    });
    const helper = await startHelper({ namespace: server.name });
    return {
      ...helper,
      server,
      client,
      serverAddress: '10.77.0.2',
      clientAddress: '10.77.0.1',
      serverAddress6: 'fd77::2',
      clientAddress6: 'fd77::1',
      stop: async () => {
        await helper.stop();
        await net.cleanup();
      },
    };
  } catch (error) {
    await net.cleanup();
    throw error;
  }
}

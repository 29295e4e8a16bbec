// Runtime: plain Node, tests and benchmarks. Starting treewall itself as a user would: `treewall
// serve` as a child process on a free port (ready when it prints its URL), and `treewall helper`
// (ready when its socket answers `status`), optionally inside a network namespace.
// One copy: the e2e fixtures (e2e/fixtures.ts) and the benchmarks (bench/treewall.ts) use these.
// Invariant: stop() ends the process and removes every folder the starter made, even when the
// caller fails half-way.

import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HelperClient } from '../common/helper-client.ts';
import { HELPER_NODE_OPTIONS } from '../helper/server.ts';
import { SERVE_NODE_OPTIONS } from '../common/document-files.ts';
import { sweepStale, TestNet, type Namespace } from './netns.ts';
import {
  run,
  startProcess,
  waitUntil,
  type ExecResult,
  type RunOptions,
  type Started,
} from './processes.ts';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TREEWALL = path.join(repoRoot, 'bin/treewall.js');

/**
 * Run `treewall ARGS` (the CLI, as a user runs it) to its end: its exit code (a non-zero one is
 * a result, not an error), stdout and stderr.
 */
export function runTreewall(args: string[], options: RunOptions = {}): Promise<ExecResult> {
  return run(process.execPath, [TREEWALL, ...args], { cwd: repoRoot, ...options, allowFail: true });
}

/** `runTreewall` for a synchronous test: the CLI to its end, its exit code, stdout and stderr. */
export function runTreewallSync(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [TREEWALL, ...args], { encoding: 'utf8', cwd: repoRoot });
  return { code: r.status ?? (r.signal ? 128 : -1), stdout: r.stdout, stderr: r.stderr };
}

export interface ServeHandle {
  /** The URL `treewall serve` printed: `http://127.0.0.1:PORT/?token=...`. */
  url: string;
  port: number;
  token: string;
  /** The serve process's id (memory tests read /proc/PID/status). */
  pid: number;
  /** Whether the process is still running (robustness tests: it must survive what they send). */
  running(): boolean;
  /** How it ended (resolves when it does): serve's own exit code after a signal. */
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
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
      // The node options the package's launcher gives serve.
      ...SERVE_NODE_OPTIONS,
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
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    serve.child.once('exit', (code, signal) => resolve({ code, signal })),
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
    exited: () => exit,
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
  /** The running helper's own pid (`ip netns exec` execs it); a restart changes it. */
  readonly pid: number;
  /** Its Unix socket (in a private temporary folder, or `options.folder`). */
  socket: string;
  /** Its state folder (`--state-dir`): pending confirm, active document, ... */
  stateDir: string;
  /** A client of its own. */
  connect(): Promise<HelperClient>;
  /** What the running helper printed since it (re)started, for failure messages and checks. */
  output(): string;
  /** Whether the current process is still running. */
  running(): boolean;
  /** How the current process ended (resolves when it does). */
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Send `signal` (default SIGTERM; SIGKILL: a crash) and wait until it ended. Socket path and
   * state folder stay, for `restart`. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /**
   * Start the helper again (ending the running one with SIGTERM first) with the same socket,
   * state folder and namespace, ready when `status` answers; `args` replace the first start's
   * extra arguments when given. Rejects, with what it printed, if it exits instead.
   */
  restart(args?: string[]): Promise<void>;
  /** End it and remove the folders the starter made. */
  stop(): Promise<void>;
}

export interface HelperOptions {
  /** Run it inside this network namespace (by name); absent: in the caller's. */
  namespace?: string;
  /** Extra helper arguments (`--log-group N`, `--allow-outbound URL`, `--apply-saved`). */
  args?: string[];
  /** Extra node options (`--cpu-prof ...` to profile it). */
  nodeArgs?: string[];
  /** Copy its stderr to ours as it comes (its timings, while benchmarking). */
  echoStderr?: boolean;
  /** Mode of the folder holding the socket (0o711: other users may reach the socket itself). */
  folderMode?: number;
  /** Files put into its state folder before it starts (`actions.conf`, `outbound-allow`). */
  stateFiles?: Record<string, string>;
}

/** Start `treewall helper` with a private socket and state folder; ready when `status` answers. */
export async function startHelper(options: HelperOptions = {}): Promise<HelperProcess> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'tw-helper-'));
  if (options.folderMode !== undefined) await chmod(scratch, options.folderMode);
  const socket = path.join(scratch, 'helper.sock');
  const stateDir = path.join(scratch, 'state');
  if (options.stateFiles) {
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    for (const [name, text] of Object.entries(options.stateFiles))
      await writeFile(path.join(stateDir, name), text);
  }
  let helper: Started | undefined;
  let exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> = Promise.resolve({
    code: null,
    signal: null,
  });
  const isRunning = () =>
    helper !== undefined && helper.child.exitCode === null && helper.child.signalCode === null;
  const launch = async (args: string[]) => {
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
      stateDir,
      ...args,
    ];
    const started = startProcess(
      options.namespace ? ['ip', 'netns', 'exec', options.namespace, ...argv] : argv,
      { cwd: repoRoot },
    );
    helper = started;
    exit = new Promise((resolve) =>
      started.child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    if (options.echoStderr)
      started.child.stderr?.on('data', (d: string) => process.stderr.write(d));
    await waitUntil(
      async () => {
        const probe = await HelperClient.connect(socket, { timeoutMs: 1000 });
        try {
          await probe.call('status', {});
        } finally {
          await probe.close();
        }
      },
      { what: 'treewall helper', process: started },
    );
  };
  const kill = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (!helper || !isRunning()) return;
    if (signal === 'SIGTERM') return helper.stop();
    helper.child.kill(signal);
    await exit;
  };
  const stop = async () => {
    await helper?.stop();
    await rm(scratch, { recursive: true, force: true });
  };
  let extra = options.args ?? [];
  try {
    await launch(extra);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    get pid() {
      return helper?.child.pid ?? 0;
    },
    socket,
    stateDir,
    connect: () => HelperClient.connect(socket),
    output: () => helper?.output() ?? '',
    running: isRunning,
    exited: () => exit,
    kill,
    async restart(args) {
      await kill();
      if (args) extra = args;
      await launch(extra);
    },
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
export async function startHelperInNamespace(
  area = 'e2e',
  options: Omit<HelperOptions, 'namespace'> = {},
): Promise<HelperInNamespace> {
  await sweepStale(area);
  const net = new TestNet(area);
  try {
    const client = await net.namespace('client');
    const server = await net.namespace('server');
    await net.link(client, server, {
      aAddresses: ['10.77.0.1/24', 'fd77::1/64'],
      bAddresses: ['10.77.0.2/24', 'fd77::2/64'],
    });
    const helper = await startHelper({ ...options, namespace: server.name });
    return {
      ...helper,
      // A getter: the pid after a restart.
      get pid() {
        return helper.pid;
      },
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

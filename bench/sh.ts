// Runtime: Node (benchmarks). Running programs: argument vectors only (never a shell), a
// promise per run, and private 0600 temporary files for nft (whose `-f -` fails from Node,
// PLATFORM-NOTES: stdin is a socket).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall time of the run in milliseconds. */
  ms: number;
}

export function run(
  argv: string[],
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  const [cmd, ...args] = argv;
  if (!cmd) throw new Error('run: empty command');
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: options.env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = options.timeoutMs
      ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs)
      : undefined;
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout,
        stderr,
        ms: performance.now() - started,
      });
    });
  });
}

/** Like run, but a non-zero exit is an error carrying the command and its stderr. */
export async function runOk(
  argv: string[],
  options: { timeoutMs?: number } = {},
): Promise<RunResult> {
  const r = await run(argv, options);
  if (r.code !== 0) {
    throw new Error(`${argv.join(' ')} exited ${r.code}: ${r.stderr.trim().slice(0, 2000)}`);
  }
  return r;
}

/** Start a long-running program; the caller stops it with stop(). */
export function start(argv: string[], env?: NodeJS.ProcessEnv): ChildProcess {
  const [cmd, ...args] = argv;
  if (!cmd) throw new Error('start: empty command');
  return spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
}

export function stop(child: ChildProcess, timeoutMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export const hasCommand = (name: string): boolean =>
  spawnSync('sh', ['-c', 'command -v "$1"', 'sh', name], { stdio: 'ignore' }).status === 0;

export const isRoot = (): boolean => process.getuid?.() === 0;

/** A private directory for temporary files; removed by the returned function. */
export function privateDir(prefix = 'tw-bench-'): {
  dir: string;
  file: (name: string, text: string) => string;
  remove: () => void;
} {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    file: (name, text) => {
      const path = join(dir, name);
      writeFileSync(path, text, { mode: 0o600 });
      return path;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

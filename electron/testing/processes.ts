// Runtime: plain Node, tests and benchmarks. Running programs for the test host: argument vectors
// only (never a shell), a promise per run, a child stopped politely then firmly, and waiting for
// something to become true by polling it (never a fixed sleep standing in for an event).
// One copy: netns.ts, the e2e fixtures and the benchmarks all use these.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall time of the run in milliseconds. */
  ms: number;
}

export interface RunOptions {
  /** Kill it (SIGKILL) after this long; default 30 s, 0: never. */
  timeoutMs?: number;
  /** Resolve with the non-zero exit instead of throwing. */
  allowFail?: boolean;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** How to decode its output (default utf8; latin1 shows every byte as one character). */
  encoding?: BufferEncoding;
}

/** Run `cmd args` to its end; a non-zero exit throws unless `allowFail`. */
export function run(cmd: string, args: string[], options: RunOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: options.env,
      cwd: options.cwd,
    });
    let stdout = '';
    let stderr = '';
    const encoding = options.encoding ?? 'utf8';
    child.stdout.setEncoding(encoding).on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding(encoding).on('data', (d: string) => (stderr += d));
    const limit = options.timeoutMs ?? 30_000;
    const timer = limit > 0 ? setTimeout(() => child.kill('SIGKILL'), limit) : undefined;
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result = {
        code: code ?? (signal ? 128 : -1),
        stdout,
        stderr,
        ms: performance.now() - started,
      };
      if (result.code !== 0 && !options.allowFail) {
        reject(
          new Error(
            `${cmd} ${args.join(' ')} exited ${result.code}: ${stderr.trim().slice(0, 2000)}`,
          ),
        );
      } else resolve(result);
    });
  });
}

/** A command on PATH, or an absolute path that exists. */
export function which(tool: string): boolean {
  if (tool.startsWith('/')) return existsSync(tool);
  return spawnSync('sh', ['-c', 'command -v "$1"', 'sh', tool], { stdio: 'ignore' }).status === 0;
}

export const isRoot = (): boolean => process.getuid?.() === 0;

/** A long-running program whose output is collected (for failure messages and readiness). */
export interface Started {
  child: ChildProcess;
  /** Everything it printed so far, stdout and stderr interleaved. */
  output(): string;
  /** SIGTERM, then SIGKILL after `timeoutMs`; resolves when it has exited. */
  stop(timeoutMs?: number): Promise<void>;
}

export function startProcess(
  argv: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Started {
  const [cmd, ...args] = argv;
  if (!cmd) throw new Error('startProcess: empty command');
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (output += d));
  return { child, output: () => output, stop: (timeoutMs) => stopProcess(child, timeoutMs) };
}

export function stopProcess(child: ChildProcess, timeoutMs = 5_000): Promise<void> {
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

/**
 * Poll `probe` until it resolves (its value is returned), the process it waits on exits, or
 * `timeoutMs` passes (then the last error, and the process's output, are in the message).
 */
export async function waitUntil<T>(
  probe: () => Promise<T>,
  options: { what: string; process?: Started; timeoutMs?: number; intervalMs?: number },
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = performance.now() + timeoutMs;
  const tail = () => (options.process ? `\n${options.process.output().slice(-2000)}` : '');
  for (;;) {
    const child = options.process?.child;
    if (child && (child.exitCode !== null || child.signalCode !== null)) {
      throw new Error(`${options.what}: exited (${child.exitCode ?? child.signalCode})${tail()}`);
    }
    try {
      return await probe();
    } catch (error) {
      if (performance.now() > deadline) {
        throw new Error(
          `${options.what}: not ready after ${timeoutMs} ms: ${(error as Error).message}${tail()}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
    }
  }
}

/**
 * Poll `fn` until it gives a value other than undefined (a throw or a rejection counts as "not
 * yet"), every `intervalMs`, for at most `timeoutMs`. The tests' way to wait for an event they
 * cannot subscribe to, instead of sleeping.
 */
export async function waitFor<T>(
  what: string,
  fn: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 15_000,
  intervalMs = 50,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await Promise.resolve()
      .then(fn)
      .catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

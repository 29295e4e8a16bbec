// Runtime: Node (benchmarks). Running programs, in the benchmarks' argv-first shape, over the one
// process toolkit of the test host (electron/testing/processes.ts): argument vectors only (never
// a shell), and private 0600 temporary files for nft (whose `-f -` fails from Node,
// PLATFORM-NOTES: stdin is a socket).

import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  run as runProcess,
  startProcess,
  stopProcess,
  type ExecResult,
} from '../electron/testing/processes.ts';

export { isRoot, which as hasCommand } from '../electron/testing/processes.ts';

export type RunResult = ExecResult;

const split = (argv: string[]): [string, string[]] => {
  const [cmd, ...args] = argv;
  if (!cmd) throw new Error('run: empty command');
  return [cmd, args];
};

/** Run to the end (no time limit unless given); a non-zero exit is a result, not an error. */
export function run(
  argv: string[],
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  const [cmd, args] = split(argv);
  return runProcess(cmd, args, { ...options, timeoutMs: options.timeoutMs ?? 0, allowFail: true });
}

/** Like run, but a non-zero exit is an error carrying the command and its stderr. */
export function runOk(argv: string[], options: { timeoutMs?: number } = {}): Promise<RunResult> {
  const [cmd, args] = split(argv);
  return runProcess(cmd, args, { timeoutMs: options.timeoutMs ?? 0 });
}

/** Start a long-running program; the caller stops it with stop(). */
export function start(argv: string[], env?: NodeJS.ProcessEnv): ChildProcess {
  return startProcess(argv, env ? { env } : {}).child;
}

export const stop = (child: ChildProcess, timeoutMs = 3000): Promise<void> =>
  stopProcess(child, timeoutMs);

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

/** Pacing between measurements (a benchmark's own rhythm, not a wait for an event). */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// Runtime: Node on Linux (benchmarks). CPU time of a process and everything it started, read
// from /proc: utime + stime of the process, cutime + cstime of its children that already exited
// (the kernel adds them there when they are reaped), plus the live descendants at this moment.

import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ; the kernel reports /proc times in these on every arch

function statFields(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces: split after it.
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

function children(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[] = [];
  try {
    tasks = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/);
  } catch {
    return out;
  }
  for (const t of tasks) if (t) out.push(Number(t));
  return out;
}

export interface CpuTimes {
  /** The process itself. */
  own: number;
  /** Its descendants: exited (reaped) and still running. */
  children: number;
}

/** Seconds of CPU used so far by `pid` and by its descendants, exited or alive. */
export function cpuTimes(pid: number): CpuTimes {
  const f = statFields(pid);
  if (!f) return { own: 0, children: 0 };
  // After the name: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14).
  const sum = (fields: number[]) =>
    fields.reduce((s, i) => s + Number(f[i] ?? 0), 0) / TICKS_PER_SECOND;
  const live = children(pid).reduce((s, c) => s + cpuSeconds(c), 0);
  return { own: sum([11, 12]), children: sum([13, 14]) + live };
}

export const cpuSeconds = (pid: number): number => {
  const t = cpuTimes(pid);
  return t.own + t.children;
};

/** Seconds of CPU of `pid`'s children that exited and were reaped (cutime + cstime). */
export function exitedChildrenCpu(pid: number = process.pid): number {
  const f = statFields(pid);
  return f ? (Number(f[13] ?? 0) + Number(f[14] ?? 0)) / TICKS_PER_SECOND : 0;
}

/** CPU time one task has run so far, in seconds (/proc/PID/schedstat: nanoseconds, no steal
 * time; a kernel thread such as ksoftirqd too). */
export const taskCpuSeconds = (pid: number): number =>
  Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e9;

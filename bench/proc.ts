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

/** Seconds of CPU used so far by `pid` and its descendants, exited or alive. */
export function cpuSeconds(pid: number): number {
  const f = statFields(pid);
  if (!f) return 0;
  // After the name: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14).
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(f[i] ?? 0), 0);
  return ticks / TICKS_PER_SECOND + children(pid).reduce((s, c) => s + cpuSeconds(c), 0);
}

// Runtime: plain Node, as root. Long-lived children that must die with the helper, and the
// recovery of what a helper that died anyway left behind.
// Invariant: a child started with `spawnTied` does not outlive the helper, however the helper
// ends (kill -9 included). tcpdump drops to its own user at start, and a change of credentials
// clears PR_SET_PDEATHSIG, so the death signal is set (setpriv) on a small root shell that stays
// tcpdump's parent and ends it; under systemd the unit's KillMode=control-group ends the whole
// group as well. Where setpriv is missing, `killOrphans` at the next start is what is left.

import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { systemProgram } from './programs.ts';

/**
 * The shell between the helper and the program: runs it, passes TERM/HUP/INT on to it (the
 * parent-death signal arrives as TERM), and exits with its status. `d` covers a signal that
 * arrives before the program's pid is known.
 */
const TIE_SCRIPT = [
  'd=',
  'trap \'d=1; [ -n "$c" ] && kill -TERM "$c" 2>/dev/null\' TERM HUP INT',
  '"$0" "$@" & c=$!',
  '[ -n "$d" ] && kill -TERM "$c" 2>/dev/null',
  'wait "$c"; s=$?',
  // wait returns early when a trap ran: wait for the program's real end.
  'while kill -0 "$c" 2>/dev/null; do wait "$c"; s=$?; done',
  'exit "$s"',
].join('\n');

/** How a tied child is started: `setpriv --pdeathsig TERM -- sh -c SCRIPT PROGRAM ARGS...`. */
export function tiedCommand(
  program: string,
  args: string[],
  setpriv = systemProgram('setpriv'),
  sh = '/bin/sh',
): { command: string; args: string[] } {
  const shell = [sh, '-c', TIE_SCRIPT, program, ...args];
  if (!existsSync(setpriv)) return { command: shell[0]!, args: shell.slice(1) };
  return { command: setpriv, args: ['--pdeathsig', 'TERM', '--', ...shell] };
}

/** spawn(), with the child tied to the helper's life (see the file's invariant). `kill()` on
 * the returned process ends the program too (the shell passes the signal on). */
export function spawnTied(program: string, args: string[], options: SpawnOptions): ChildProcess {
  const tied = tiedCommand(program, args);
  return spawn(tied.command, tied.args, options);
}

interface ProcInfo {
  pid: number;
  ppid: number;
  state: string;
  argv: string[];
}

function procInfo(pid: number): ProcInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // pid (comm) state ppid ...: comm may hold spaces and parentheses; the last ')' ends it.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    return { pid, ppid: Number(rest[1]), state: rest[0]!, argv };
  } catch {
    return undefined;
  }
}

const netns = (pid: number | 'self'): string | undefined => {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`);
  } catch {
    return undefined;
  }
};

/**
 * Processes an earlier helper left running in this network namespace that `matches` (by argv):
 * reparented to init (parent 1), or children of an orphaned tie shell. Never a live helper's
 * own child: their parent is that helper.
 */
export function findOrphans(matches: (argv: string[]) => boolean): number[] {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  const ours = netns('self');
  const found: number[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const p = procInfo(Number(name));
    if (!p || p.state === 'Z' || !matches(p.argv)) continue;
    const parent = p.ppid === 1 ? undefined : procInfo(p.ppid);
    const orphaned =
      p.ppid === 1 ||
      (parent !== undefined && parent.ppid === 1 && parent.argv.includes(TIE_SCRIPT));
    if (orphaned && netns(p.pid) === ours) found.push(p.pid);
  }
  return found;
}

/** End the orphans `findOrphans` finds (TERM, then KILL after a second). Returns their pids. */
export async function killOrphans(matches: (argv: string[]) => boolean): Promise<number[]> {
  const pids = findOrphans(matches);
  for (const pid of pids) signal(pid, 'SIGTERM');
  const until = Date.now() + 1000;
  while (pids.some(alive) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  for (const pid of pids.filter(alive)) signal(pid, 'SIGKILL');
  return pids;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone already
  }
}

const alive = (pid: number): boolean => {
  const p = procInfo(pid);
  return p !== undefined && p.state !== 'Z';
};

// Runtime: Node, root (benchmarks). Two network namespaces joined by a veth pair: a client
// (`a`, 10.99.0.1) and a server (`b`, 10.99.0.2) where firewall rules are loaded. Names start
// with `tw-bench-<pid>-` so leftovers of a crashed run are recognised (their pid is dead) and
// removed; nothing outside these namespaces is ever touched, and no packet leaves them.

import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { run, runOk } from './sh.ts';

export const CLIENT_ADDRESS = '10.99.0.1';
export const SERVER_ADDRESS = '10.99.0.2';
/** The interface name inside both namespaces. */
export const LINK = 'twb0';

export interface BenchNet {
  client: string;
  server: string;
  /** argv prefix that runs a command inside a namespace. */
  inClient: (argv: string[]) => string[];
  inServer: (argv: string[]) => string[];
  remove: () => Promise<void>;
}

const PREFIX = 'tw-bench-';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Remove namespaces left by benchmark runs whose process is gone. */
export async function removeLeftovers(): Promise<void> {
  let names: string[] = [];
  try {
    names = readdirSync('/run/netns');
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(PREFIX)) continue;
    const pid = Number(name.slice(PREFIX.length).split('-')[0]);
    if (Number.isInteger(pid) && pid > 0 && !alive(pid)) await run(['ip', 'netns', 'del', name]);
  }
}

const live = new Set<BenchNet>();
let exitHooked = false;

function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  // NOTE: synchronous cleanup on the way out, so an interrupted run leaves no namespaces behind.
  const cleanup = () => {
    for (const net of live) {
      for (const ns of [net.client, net.server]) {
        spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      }
    }
    live.clear();
  };
  process.on('exit', cleanup);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      cleanup();
      process.exit(130);
    });
  }
}

export async function createBenchNet(): Promise<BenchNet> {
  hookExit();
  await removeLeftovers();
  const tag = `${PREFIX}${process.pid}-${randomBytes(3).toString('hex')}`;
  const client = `${tag}-a`;
  const server = `${tag}-b`;
  const net: BenchNet = {
    client,
    server,
    inClient: (argv) => ['ip', 'netns', 'exec', client, ...argv],
    inServer: (argv) => ['ip', 'netns', 'exec', server, ...argv],
    remove: async () => {
      live.delete(net);
      await run(['ip', 'netns', 'del', client]);
      await run(['ip', 'netns', 'del', server]);
    },
  };
  live.add(net);
  try {
    await runOk(['ip', 'netns', 'add', client]);
    await runOk(['ip', 'netns', 'add', server]);
    // Created inside the client namespace, so no interface ever appears in the root namespace.
    await runOk([
      'ip',
      '-n',
      client,
      'link',
      'add',
      LINK,
      'type',
      'veth',
      'peer',
      'name',
      LINK,
      'netns',
      server,
    ]);
    for (const [ns, address] of [
      [client, CLIENT_ADDRESS],
      [server, SERVER_ADDRESS],
    ] as const) {
      await runOk(['ip', '-n', ns, 'addr', 'add', `${address}/24`, 'dev', LINK]);
      await runOk(['ip', '-n', ns, 'link', 'set', LINK, 'up']);
      await runOk(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    }
    return net;
  } catch (error) {
    await net.remove();
    throw error;
  }
}

// Runtime: Node, root (benchmarks). Two network namespaces joined by a veth pair: a client
// (`a`, 10.99.0.1) and a server (`b`, 10.99.0.2) where firewall rules are loaded. Built on the test
// host's TestNet (electron/testing/netns.ts): names `tw-bench-<pid>-<rand>-a|b`, leftovers of a
// crashed run (dead pid) swept first, everything deleted at exit even on Ctrl-C; nothing outside
// these namespaces is ever touched, and no packet leaves them.

import { sweepStale, TestNet } from '../electron/testing/netns.ts';

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

export async function createBenchNet(): Promise<BenchNet> {
  await sweepStale('bench');
  const net = new TestNet('bench');
  net.removeAtExit();
  try {
    const client = await net.namespace('a');
    const server = await net.namespace('b');
    await net.link(client, server, {
      aName: LINK,
      bName: LINK,
      aAddresses: [`${CLIENT_ADDRESS}/24`],
      bAddresses: [`${SERVER_ADDRESS}/24`],
    });
    return {
      client: client.name,
      server: server.name,
      inClient: (argv) => ['ip', 'netns', 'exec', client.name, ...argv],
      inServer: (argv) => ['ip', 'netns', 'exec', server.name, ...argv],
      remove: () => net.cleanup(),
    };
  } catch (error) {
    await net.cleanup();
    throw error;
  }
}

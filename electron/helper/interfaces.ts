// Runtime: plain Node (the helper, as root). The host's network interfaces as the helper sees
// them (in its own network namespace): the Document Settings dialog offers them for the
// external/internal lists. Read-only: /sys/class/net for every name and its state (an interface
// without addresses is listed too), os.networkInterfaces() for the addresses.

import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import type { HelperResult } from '../../shared/ipc/helper-protocol.ts';

export async function listInterfaces(
  sysNet = '/sys/class/net',
): Promise<HelperResult<'interfaces'>> {
  const addresses = os.networkInterfaces();
  let names: string[];
  try {
    names = await readdir(sysNet);
  } catch {
    names = Object.keys(addresses);
  }
  const interfaces = await Promise.all(
    names.sort().map(async (name) => {
      const state = await readFile(`${sysNet}/${name}/operstate`, 'utf8').catch(() => 'unknown');
      return {
        name,
        // `unknown` is what loopback and many virtual interfaces report while working.
        up: state.trim() !== 'down',
        addresses: (addresses[name] ?? []).map(
          (a) => `${a.address}/${a.cidr?.split('/')[1] ?? ''}`,
        ),
      };
    }),
  );
  return { interfaces };
}

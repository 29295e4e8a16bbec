// Runtime: plain Node (CLI). `treewall stop`: remove treewall's nftables table (only it).

import { reportOutcomes, runFleet } from '../fleet.ts';
import { EXIT, printJson, runWithClient, UsageError } from '../support.ts';

export const summary = "Remove treewall's rules from the kernel (other tables untouched)";

export const usage = `usage: treewall stop [--socket PATH] [--json]
       [--host NAME]... [--group GROUP]... [--fleet FILE] [--ssh-config FILE]  (a fleet over ssh)

Deletes \`table inet treewall\`; rules of other tools (Docker, libvirt, firewalld) stay. The
document is kept: \`treewall revert\` puts it back.

exit codes: 0 ok, 3 helper unreachable, 1 other`;

export function run(args: string[]): Promise<number> {
  const fleet = runFleet('stop', args, usage, async ({ client, hosts, parsed: p }) => {
    if (p.positional.length > 0) throw new UsageError(`unexpected argument '${p.positional[0]}'`);
    return reportOutcomes(
      await client.call(hosts, 'stop', {}),
      p.json,
      () => "stopped: treewall's table removed",
    );
  });
  if (fleet) return fleet;
  return runWithClient('stop', args, usage, async (client, p) => {
    if (p.positional.length > 0) throw new UsageError(`unexpected argument '${p.positional[0]}'`);
    const status = await client.call('stop', {});
    if (p.json) printJson(status);
    else console.log('stopped: treewall rules removed; `treewall revert` restores them');
    return EXIT.ok;
  });
}

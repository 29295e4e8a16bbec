// Runtime: plain Node (CLI). `treewall revert`: re-apply the rules that were in force before the
// last apply (or, during a confirm timeout, roll back at once).

import { reportOutcomes, runFleet } from '../fleet.ts';
import { EXIT, printJson, runWithClient, shortTime, UsageError } from '../support.ts';

export const summary = 'Re-apply the previous rules';

export const usage = `usage: treewall revert [--socket PATH] [--json]
       [--host NAME]... [--group GROUP]... [--fleet FILE] [--ssh-config FILE]  (a fleet over ssh)

Restores the document that was active before the last apply (or stop). During a confirm
timeout it rolls back at once. Running it twice goes back and forth.

exit codes: 0 ok, 3 helper unreachable, 1 other (nothing to revert to)`;

export function run(args: string[]): Promise<number> {
  const fleet = runFleet('revert', args, usage, async ({ client, hosts, parsed: p }) => {
    if (p.positional.length > 0) throw new UsageError(`unexpected argument '${p.positional[0]}'`);
    return reportOutcomes(await client.call(hosts, 'revert', {}), p.json, (s) =>
      s.active
        ? `reverted: ${s.ruleCount} rules in force since ${shortTime(s.appliedAt)}`
        : 'reverted: no treewall rules in force (firewall off)',
    );
  });
  if (fleet) return fleet;
  return runWithClient('revert', args, usage, async (client, p) => {
    if (p.positional.length > 0) throw new UsageError(`unexpected argument '${p.positional[0]}'`);
    const status = await client.call('revert', {});
    if (p.json) printJson(status);
    else if (status.active)
      console.log(
        `reverted: ${status.ruleCount} rules in force since ${shortTime(status.appliedAt)}`,
      );
    else console.log('reverted: no treewall rules are in force (the firewall is off)');
    return EXIT.ok;
  });
}

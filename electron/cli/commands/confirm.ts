// Runtime: plain Node (CLI). `treewall confirm`: keep the rules applied with --confirm-timeout.

import { reportOutcomes, runFleet } from '../fleet.ts';
import { EXIT, printJson, runWithClient, UsageError } from '../support.ts';

export const summary = 'Keep the rules of the last apply --confirm-timeout';

export const usage = `usage: treewall confirm [--socket PATH] [--json]
       [--host NAME]... [--group GROUP]... [--fleet FILE] [--ssh-config FILE]  (a fleet over ssh)

Cancels the pending rollback of \`treewall apply FILE --confirm-timeout S\`. Without a pending
confirm it does nothing and says so.

exit codes: 0 ok, 3 helper unreachable, 1 other`;

export function run(args: string[]): Promise<number> {
  const fleet = runFleet('confirm', args, usage, async ({ client, hosts, parsed: p }) => {
    if (p.positional.length > 0) throw new UsageError(`unexpected argument '${p.positional[0]}'`);
    return reportOutcomes(
      await client.call(hosts, 'confirm', {}),
      p.json,
      (s) =>
        `${s.pendingConfirm ? 'still pending' : 'confirmed'}: ${s.ruleCount ?? 0} rules in force`,
    );
  });
  if (fleet) return fleet;
  return runWithClient('confirm', args, usage, async (client, p) => {
    if (p.positional.length > 0) throw new UsageError(`unexpected argument '${p.positional[0]}'`);
    const before = await client.call('status', {});
    const status = await client.call('confirm', {});
    if (p.json) printJson(status);
    else
      console.log(
        before.pendingConfirm
          ? 'confirmed: the applied rules stay in force'
          : 'nothing to confirm (no apply is waiting for a confirm)',
      );
    return EXIT.ok;
  });
}

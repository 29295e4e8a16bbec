// Runtime: plain Node (CLI). `treewall show-active`: the active document as the helper applied it,
// checked against the kernel, printed as NeXT text (or XML, or JSON).

import { documentToOpenStep, documentToXml } from '../../../shared/plist/document.ts';
import { reportOutcomes, runFleet } from '../fleet.ts';
import { EXIT, printJson, runWithClient, shortTime, UsageError } from '../support.ts';

export const summary = 'Print the rules in force (as a document), checked against the kernel';

export const usage = `usage: treewall show-active [--xml | --nft] [--socket PATH] [--json]
       [--host NAME]... [--group GROUP]... [--fleet FILE] [--ssh-config FILE]  (a fleet over ssh)

Prints the active document as NeXT text (--xml: XML property list, --nft: the table as nft
lists it). Warns when the kernel's table no longer matches what treewall applied.

exit codes: 0 ok, 3 helper unreachable, 1 other (nothing applied)`;

function runOnFleet(args: string[]): Promise<number> | null {
  return runFleet(
    'show-active',
    args,
    usage,
    async ({ client, hosts, parsed: p }) => {
      if (p.positional.length > 0) throw new UsageError(`unexpected argument '${p.positional[0]}'`);
      const outcomes = await client.call(hosts, 'showActive', { withText: p.options.nft === true });
      if (p.json) return reportOutcomes(outcomes, true, () => '');
      for (const o of outcomes) {
        console.log(`==> ${o.host} <==`);
        if (!o.ok) console.log(`FAILED  ${o.error.code}: ${o.error.message}`);
        else if (!o.value.document) console.log('(no rules applied by treewall)');
        else {
          if (!o.value.matchesKernel)
            console.log('# WARNING: the kernel no longer holds exactly these rules');
          console.log(`# applied ${shortTime(o.value.appliedAt)}`);
          if (p.options.nft) process.stdout.write(o.value.text);
          else if (p.options.xml) process.stdout.write(documentToXml(o.value.document));
          else process.stdout.write(documentToOpenStep(o.value.document) + '\n');
        }
      }
      return outcomes.every((o) => o.ok) ? EXIT.ok : EXIT.other;
    },
    { flags: ['xml', 'nft'] },
  );
}

export function run(args: string[]): Promise<number> {
  const fleet = runOnFleet(args);
  if (fleet) return fleet;
  return runWithClient(
    'show-active',
    args,
    usage,
    async (client, p) => {
      if (p.positional.length > 0) throw new UsageError(`unexpected argument '${p.positional[0]}'`);
      const r = await client.call('showActive', {});
      if (p.json) {
        printJson(r);
        return EXIT.ok;
      }
      if (!r.document) {
        console.error('no rules applied by treewall (apply one with `treewall apply FILE`)');
        return EXIT.other;
      }
      if (!r.matchesKernel) {
        console.error(
          'WARNING: the kernel no longer holds exactly these rules (changed outside treewall, or stopped)',
        );
      }
      if (p.options.nft) process.stdout.write(r.text);
      else if (p.options.xml) process.stdout.write(documentToXml(r.document));
      else {
        console.error(`# applied ${shortTime(r.appliedAt)}`);
        process.stdout.write(documentToOpenStep(r.document) + '\n');
      }
      return EXIT.ok;
    },
    { flags: ['xml', 'nft'] },
  );
}

// Runtime: plain Node (CLI). `treewall show-active`: the active document as the helper applied it,
// checked against the kernel, printed as NeXT text (or XML, or JSON).

import { documentToOpenStep, documentToXml } from '../../../shared/plist/document.ts';
import { EXIT, printJson, runWithClient, shortTime, UsageError } from '../support.ts';

export const summary = 'Print the rules in force (as a document), checked against the kernel';

export const usage = `usage: treewall show-active [--xml | --nft] [--socket PATH] [--json]

Prints the active document as NeXT text (--xml: XML property list, --nft: the table as nft
lists it). Warns when the kernel's table no longer matches what treewall applied.

exit codes: 0 ok, 3 helper unreachable, 1 other (nothing applied)`;

export function run(args: string[]): Promise<number> {
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

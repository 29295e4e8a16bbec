// Runtime: plain Node (CLI). `treewall apply FILE [--confirm-timeout S]`: reads a document (XML or
// NeXT text) and sends it to the helper, which validates, compiles and applies it in one
// transaction. With --confirm-timeout the previous rules come back unless `treewall confirm`
// arrives within S seconds.

import { promises as fs } from 'node:fs';
import { parseDocumentText } from '../../../shared/plist/document.ts';
import type { FirewallDocument } from '../../../shared/model/types.ts';
import { decodeText } from '../../common/document-files.ts';
import {
  EXIT,
  intOption,
  noteInvalidUtf8,
  printJson,
  runWithClient,
  shortTime,
  UsageError,
} from '../support.ts';

export const summary = 'Apply a document through the helper (optionally with a confirm timeout)';

export const usage = `usage: treewall apply FILE [--confirm-timeout SECONDS] [--socket PATH] [--json]

FILE is an XML document (treewall's or IPNetSentryX's) or NeXT property-list text. The helper
validates and compiles it and replaces treewall's nftables table in one transaction; on any
problem nothing changes. With --confirm-timeout (1-3600), run \`treewall confirm\` within that
time or the previous rules are restored (protection against locking yourself out).

exit codes: 0 applied, 2 bad input (file, document), 3 helper unreachable, 1 other`;

async function readDocument(file: string): Promise<FirewallDocument> {
  let text: string;
  try {
    const bytes = await fs.readFile(file);
    text = decodeText(bytes);
    noteInvalidUtf8('apply', file, bytes, text);
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    return parseDocumentText(text);
  } catch (error) {
    throw new UsageError(`${file} is not a treewall document: ${(error as Error).message}`);
  }
}

export function run(args: string[]): Promise<number> {
  return runWithClient(
    'apply',
    args,
    usage,
    async (client, p) => {
      const file = p.positional[0];
      if (!file || p.positional.length > 1) throw new UsageError('give exactly one FILE');
      const timeout = intOption(p, 'confirm-timeout', 1, 3600);
      const document = await readDocument(file);
      const status = await client.call(
        'apply',
        timeout === undefined ? { document } : { document, confirmTimeoutSeconds: timeout },
      );
      if (p.json) printJson(status);
      else {
        console.log(`applied ${file}: ${status.ruleCount} rules at ${shortTime(status.appliedAt)}`);
        for (const w of status.warnings) console.log(`  warning: rule ${w.number}: ${w.message}`);
        if (status.pendingConfirm) {
          console.log(
            `run \`treewall confirm\` before ${shortTime(status.pendingConfirm.deadline)} to keep these rules; ` +
              'otherwise the previous rules come back',
          );
        }
      }
      return EXIT.ok;
    },
    { valued: ['confirm-timeout'] },
  );
}

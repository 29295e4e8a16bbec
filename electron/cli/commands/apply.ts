// Runtime: plain Node (CLI). `treewall apply FILE [--confirm-timeout S]`: reads a document (XML or
// NeXT text) and sends it to the helper, which validates, compiles and applies it in one
// transaction. With --confirm-timeout the previous rules come back unless `treewall confirm`
// arrives within S seconds.

import { promises as fs } from 'node:fs';
import { parseDocumentText } from '../../../shared/plist/document.ts';
import type { FirewallDocument } from '../../../shared/model/types.ts';
import { CONFIRM_TIMEOUT_SECONDS } from '../../../shared/ipc/helper-protocol.ts';
import { decodeText } from '../../common/document-files.ts';
import { documentFingerprint } from '../../common/fleet-client.ts';
import { recordApplied, reportOutcomes, runFleet } from '../fleet.ts';
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
       [--host NAME]... [--group GROUP]... [--fleet FILE] [--ssh-config FILE]  (a fleet over ssh)

FILE is an XML document (treewall's or IPNetSentryX's) or NeXT property-list text. The helper
validates and compiles it and replaces treewall's nftables table in one transaction; on any
problem nothing changes. With --confirm-timeout (1-3600), run \`treewall confirm\` within that
time or the previous rules are restored (protection against locking yourself out).

Over a fleet (--host/--group, see docs/fleet.md): a staged rollout. The canary (--canary NAME,
else the group's canary in the fleet file, else the first host) is applied with the confirm
timeout (default 120 s), health-probed (a new ssh session reaches its helper, which still holds
the new rules; --ask: you confirm at the terminal) and confirmed; then the other hosts in
parallel, each with its own confirm timeout, probed and confirmed. A host we lose contact with
restores its previous rules at its deadline. A failed canary stops the rollout.

exit codes: 0 applied, 2 bad input (file, document), 3 helper unreachable, 1 other
            (fleet: 0 every host applied and confirmed, 1 any host failed)`;

export async function readDocument(file: string): Promise<FirewallDocument> {
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

async function ask(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

function runOnFleet(args: string[]): Promise<number> | null {
  return runFleet(
    'apply',
    args,
    usage,
    async ({ client, hosts, parsed: p, group, fleetFile }) => {
      const file = p.positional[0];
      if (!file || p.positional.length > 1) throw new UsageError('give exactly one FILE');
      const timeout =
        intOption(p, 'confirm-timeout', CONFIRM_TIMEOUT_SECONDS.min, CONFIRM_TIMEOUT_SECONDS.max) ??
        CONFIRM_TIMEOUT_SECONDS.default;
      const canary = typeof p.options.canary === 'string' ? p.options.canary : undefined;
      if (canary !== undefined && !hosts.some((h) => h.name === canary)) {
        throw new UsageError(`--canary ${canary} is not one of the selected hosts`);
      }
      const document = await readDocument(file);
      const result = await client.rollout(hosts, document, {
        confirmTimeoutSeconds: timeout,
        canary,
        group,
        confirmCanary: p.options.ask
          ? async (probe) =>
              ask(
                `${probe.host}: ${probe.ok ? 'the health probe passed' : `the health probe failed (${probe.error?.message})`}; ` +
                  `keep the new rules there and go on with the other hosts? [y/N] `,
              )
          : undefined,
        onProgress: (e) => {
          if (p.json) return;
          const detail = e.error
            ? `: ${e.error.message}`
            : e.deadline && e.phase === 'applied'
              ? ` (confirm before ${shortTime(e.deadline)})`
              : '';
          console.error(`${e.host}${e.canary ? ' (canary)' : ''}: ${e.phase}${detail}`);
        },
      });
      await recordApplied(
        fleetFile,
        result.hosts.flatMap((o) =>
          o.ok
            ? [
                {
                  host: o.host,
                  fingerprint: o.value.fingerprint,
                  appliedAt: o.value.status.appliedAt ?? '',
                  file,
                },
              ]
            : [],
        ),
      );
      return reportOutcomes(
        result.hosts,
        p.json,
        (v) => `applied ${v.status.ruleCount} rules, confirmed${v.canary ? ' (canary)' : ''}`,
        { canary: result.canary, fingerprint: documentFingerprint(document) },
      );
    },
    { valued: ['confirm-timeout', 'canary'], flags: ['ask'] },
  );
}

export function run(args: string[]): Promise<number> {
  const fleet = runOnFleet(args);
  if (fleet) return fleet;
  return runWithClient(
    'apply',
    args,
    usage,
    async (client, p) => {
      const file = p.positional[0];
      if (!file || p.positional.length > 1) throw new UsageError('give exactly one FILE');
      const timeout = intOption(
        p,
        'confirm-timeout',
        CONFIRM_TIMEOUT_SECONDS.min,
        CONFIRM_TIMEOUT_SECONDS.max,
      );
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

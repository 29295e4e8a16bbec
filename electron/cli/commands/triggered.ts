// Runtime: plain Node (CLI). `treewall triggered list|add|remove|flush|import|export`: the
// triggered-address tables (banned, authorized and kept addresses) in the kernel.

import { promises as fs } from 'node:fs';
import { TRIGGERED_TYPES, type TriggeredKind } from '../../../shared/ipc/helper-protocol.ts';
import { reportOutcomes, runFleet } from '../fleet.ts';
import { EXIT, intOption, printJson, runWithClient, shortTime, UsageError } from '../support.ts';

export const summary = 'List, add, remove, flush, import or export triggered addresses';

export const usage = `usage: treewall triggered list [--type T]
       treewall triggered add ADDRESS [--type T] [--duration SECONDS]
       treewall triggered remove ADDRESS [--type T]
       treewall triggered flush [--type T]
       treewall triggered import FILE|-        (tab-separated, as export writes it)
       treewall triggered export [--type T]    (tab-separated text on stdout)
  all with [--socket PATH] [--json]
       [--host NAME]... [--group GROUP]... [--fleet FILE] [--ssh-config FILE]  (a fleet over ssh)

T is trigger (default for add), authorize or address. --duration 0 means never expires; without
it the document's default trigger duration applies.

Over a fleet (--host/--group, see docs/fleet.md): list, add, remove and flush on every selected
host, one row (or, for list, one section) per host.

exit codes: 0 ok, 2 bad input, 3 helper unreachable, 1 other (fleet: any host failed)`;

function typeOption(raw: string | true | undefined): TriggeredKind | undefined {
  if (raw === undefined) return undefined;
  if (raw === true || !(TRIGGERED_TYPES as readonly string[]).includes(raw)) {
    throw new UsageError(`--type must be one of ${TRIGGERED_TYPES.join(', ')}`);
  }
  return raw as TriggeredKind;
}

async function readInput(file: string): Promise<string> {
  if (file !== '-')
    return fs
      .readFile(file, 'utf8')
      .catch((e: Error) => Promise.reject(new UsageError(`cannot read ${file}: ${e.message}`)));
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function runOnFleet(args: string[]): Promise<number> | null {
  return runFleet(
    'triggered',
    args,
    usage,
    async ({ client, hosts, parsed: p }) => {
      const [verb, arg, ...rest] = p.positional;
      if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}'`);
      const type = typeOption(p.options.type);
      const typeParam = type ? { type } : {};
      const address = () => {
        if (!arg) throw new UsageError(`triggered ${verb} needs an ADDRESS`);
        return arg;
      };
      switch (verb) {
        case 'list': {
          const outcomes = await client.call(hosts, 'triggered.list', typeParam);
          if (p.json) return reportOutcomes(outcomes, true, () => '');
          for (const o of outcomes) {
            console.log(`==> ${o.host} <==`);
            if (!o.ok) console.log(`FAILED  ${o.error.code}: ${o.error.message}`);
            else if (o.value.entries.length === 0) console.log('no triggered addresses');
            else
              for (const e of o.value.entries)
                console.log(
                  `${e.address}\t${e.type}\t${e.ruleNumber ?? '-'}\texpires ${shortTime(e.expiresAt)}`,
                );
          }
          return outcomes.every((o) => o.ok) ? EXIT.ok : EXIT.other;
        }
        case 'add': {
          const duration = intOption(p, 'duration', 0, 10 * 365 * 86400);
          const params = {
            address: address(),
            ...typeParam,
            ...(duration === undefined ? {} : { durationSeconds: duration }),
          };
          return reportOutcomes(
            await client.call(hosts, 'triggered.add', params),
            p.json,
            (r) => `added ${r.added}`,
          );
        }
        case 'remove':
          return reportOutcomes(
            await client.call(hosts, 'triggered.remove', { address: address(), ...typeParam }),
            p.json,
            (r) => `removed ${r.removed}`,
          );
        case 'flush':
          return reportOutcomes(
            await client.call(hosts, 'triggered.flush', typeParam),
            p.json,
            (r) => `removed ${r.removed}`,
          );
        default:
          throw new UsageError(
            verb === 'import' || verb === 'export'
              ? `triggered ${verb} works on one helper at a time: give one --host, or run it on that host`
              : `unknown subcommand '${verb ?? ''}'`,
          );
      }
    },
    { valued: ['type', 'duration'] },
  );
}

export function run(args: string[]): Promise<number> {
  const fleet = runOnFleet(args);
  if (fleet) return fleet;
  return runWithClient(
    'triggered',
    args,
    usage,
    async (client, p) => {
      const [verb, arg, ...rest] = p.positional;
      if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}'`);
      const type = typeOption(p.options.type);
      const typeParam = type ? { type } : {};
      const needArg = (what: string) => {
        if (!arg) throw new UsageError(`triggered ${verb} needs ${what}`);
        return arg;
      };
      switch (verb) {
        case 'list': {
          const { entries } = await client.call('triggered.list', typeParam);
          if (p.json) printJson(entries);
          else if (entries.length === 0) console.log('no triggered addresses');
          else {
            console.log(
              [
                'address'.padEnd(40),
                'type'.padEnd(10),
                'rule'.padEnd(12),
                'hits'.padStart(6),
                '  expires',
              ].join(''),
            );
            for (const e of entries) {
              console.log(
                e.address.padEnd(40) +
                  e.type.padEnd(10) +
                  (e.ruleNumber ?? '-').padEnd(12) +
                  String(e.hits ?? '-').padStart(6) +
                  '  ' +
                  (e.expiresAt ? shortTime(e.expiresAt) : 'never'),
              );
            }
          }
          return EXIT.ok;
        }
        case 'add': {
          const duration = intOption(p, 'duration', 0, 10 * 365 * 86400);
          const r = await client.call('triggered.add', {
            address: needArg('an ADDRESS'),
            ...typeParam,
            ...(duration === undefined ? {} : { durationSeconds: duration }),
          });
          if (p.json) printJson(r);
          else console.log(`added ${arg} (${type ?? 'trigger'})`);
          return EXIT.ok;
        }
        case 'remove': {
          const r = await client.call('triggered.remove', {
            address: needArg('an ADDRESS'),
            ...typeParam,
          });
          if (p.json) printJson(r);
          else
            console.log(
              r.removed > 0
                ? `removed ${arg} from ${r.removed} table(s)`
                : `${arg} is in no triggered table`,
            );
          return r.removed > 0 || p.json ? EXIT.ok : EXIT.other;
        }
        case 'flush': {
          const r = await client.call('triggered.flush', typeParam);
          if (p.json) printJson(r);
          else console.log(`removed ${r.removed} address(es)`);
          return EXIT.ok;
        }
        case 'import': {
          const text = await readInput(needArg('a FILE (or - for stdin)'));
          const r = await client.call('triggered.import', { text });
          if (p.json) printJson(r);
          else {
            console.log(`imported ${r.added} address(es)`);
            for (const s of r.skipped) console.error(`  line ${s.line}: skipped: ${s.message}`);
          }
          return r.skipped.length > 0 ? EXIT.badInput : EXIT.ok;
        }
        case 'export': {
          const r = await client.call('triggered.export', typeParam);
          if (p.json) printJson(r);
          else process.stdout.write(r.text);
          return EXIT.ok;
        }
        default:
          throw new UsageError(verb ? `unknown subcommand '${verb}'` : 'give a subcommand');
      }
    },
    { valued: ['type', 'duration'] },
  );
}

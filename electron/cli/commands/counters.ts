// Runtime: plain Node (CLI). `treewall counters [--watch]`: per-rule packet and byte counts.

import type { Rule } from '../../../shared/model/types.ts';
import {
  EXIT,
  intOption,
  printJson,
  runWithClient,
  untilInterrupted,
  UsageError,
} from '../support.ts';

export const summary = 'Print per-rule counters (--watch: stream changes)';

export const usage = `usage: treewall counters [--watch] [--interval MS] [--socket PATH] [--json]

Prints packets and bytes matched by each rule of the active document, by rule number. With
--watch, prints the rules whose counts changed every --interval ms (default 1000, minimum 200)
until Ctrl-C; with --json, one JSON object per tick. In JSON each rule's entry, keyed by its id,
carries its current outline number and name beside the counts:
  { "at": ..., "counters": { "<id>": { "number": "2.6.1", "name": "ssh", "packets": 3, "bytes": 180 } } }

exit codes: 0 ok, 2 bad options, 3 helper unreachable, 1 other (nothing applied)`;

/** Each rule's name by id, in the active document. */
export function namesById(rules: readonly Rule[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (list: readonly Rule[]): void => {
    for (const r of list) {
      out[r.id] = r.name;
      walk(r.children);
    }
  };
  walk(rules ?? []);
  return out;
}

/** Counter entries with the rule's current number and name beside the counts (a script cannot
 * tell rules apart by id alone). A rule the active document no longer has gets neither. */
export function labelled<T extends object>(
  byId: Record<string, T>,
  numbers: Record<string, string>,
  names: Record<string, string>,
): Record<string, T & { number?: string; name?: string }> {
  const out: Record<string, T & { number?: string; name?: string }> = {};
  for (const id of Object.keys(byId)) {
    const number = numbers[id];
    const name = names[id];
    out[id] = {
      ...(number === undefined ? {} : { number }),
      ...(name === undefined ? {} : { name }),
      ...byId[id]!,
    };
  }
  return out;
}

export function run(args: string[]): Promise<number> {
  return runWithClient(
    'counters',
    args,
    usage,
    async (client, p) => {
      if (p.positional.length > 0) throw new UsageError(`unexpected argument '${p.positional[0]}'`);
      const interval = intOption(p, 'interval', 200, 60_000);
      const active = await client.call('showActive', { withText: false });
      const numbers = active.numbers;
      const names = namesById(active.document?.rules);
      const label = (id: string) => numbers[id] ?? id;
      const byNumber = (a: string, b: string) =>
        label(a).localeCompare(label(b), undefined, { numeric: true });
      const snapshot = await client.call('counters', {});
      if (!p.options.watch) {
        if (p.json)
          printJson({ ...snapshot, counters: labelled(snapshot.counters, numbers, names) });
        else {
          console.log('rule'.padEnd(16) + 'packets'.padStart(14) + 'bytes'.padStart(16));
          for (const id of Object.keys(snapshot.counters).sort(byNumber)) {
            const c = snapshot.counters[id]!;
            console.log(
              label(id).padEnd(16) + String(c.packets).padStart(14) + String(c.bytes).padStart(16),
            );
          }
        }
        return EXIT.ok;
      }
      client.on('counters:tick', (tick) => {
        if (p.json) {
          console.log(JSON.stringify({ ...tick, changed: labelled(tick.changed, numbers, names) }));
          return;
        }
        const ids = Object.keys(tick.changed)
          .filter((id) => tick.changed[id]!.dPackets > 0)
          .sort(byNumber);
        if (ids.length === 0) return;
        const parts = ids.map(
          (id) => `${label(id)} +${tick.changed[id]!.dPackets} (${tick.changed[id]!.packets})`,
        );
        console.log(`${tick.at.slice(11, 19)}  ${parts.join('  ')}`);
      });
      await client.call(
        'countersSubscribe',
        interval === undefined ? {} : { intervalMs: interval },
      );
      return untilInterrupted(client);
    },
    { valued: ['interval'], flags: ['watch'] },
  );
}

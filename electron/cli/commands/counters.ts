// Runtime: plain Node (CLI). `treewall counters [--watch]`: per-rule packet and byte counts.

import type { Rule } from '../../../shared/model/types.ts';
import { sumCounters } from '../../../shared/fleet/results.ts';
import { runFleet } from '../fleet.ts';
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
       [--host NAME]... [--group GROUP]... [--fleet FILE] [--ssh-config FILE]  (a fleet over ssh)

Prints packets and bytes matched by each rule of the active document, by rule number. With
--watch, prints the rules whose counts changed every --interval ms (default 1000, minimum 200)
until Ctrl-C; with --json, one JSON object per tick. In JSON each rule's entry, keyed by its id,
carries its current outline number and name beside the counts:
  { "at": ..., "counters": { "<id>": { "number": "2.6.1", "name": "ssh", "packets": 3, "bytes": 180 } } }

Over a fleet (--host/--group, see docs/fleet.md): one column per host and their sum per rule
(rules are matched by id: one document applied to many hosts adds up); --watch prints each
host's changes prefixed by its name. JSON: {ok, sum: {counters, hosts}, hosts: [{host, ok, value}]}.

exit codes: 0 ok, 2 bad options, 3 helper unreachable, 1 other (nothing applied; fleet: any host
failed)`;

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

function runOnFleet(args: string[]): Promise<number> | null {
  return runFleet(
    'counters',
    args,
    usage,
    async ({ client, hosts, parsed: p }) => {
      if (p.positional.length > 0) throw new UsageError(`unexpected argument '${p.positional[0]}'`);
      const interval = intOption(p, 'interval', 200, 60_000);
      // Numbers and names from each host's active document (the same document: the same ids).
      const outcomes = await client.each(hosts, async (c) => {
        const active = await c.client.call('showActive', { withText: false });
        const snapshot = await c.client.call('counters', {});
        return { active, snapshot };
      });
      const numbers: Record<string, string> = {};
      const names: Record<string, string> = {};
      for (const o of outcomes) {
        if (!o.ok) continue;
        Object.assign(numbers, o.value.active.numbers);
        Object.assign(names, namesById(o.value.active.document?.rules));
      }
      const label = (id: string) => numbers[id] ?? id;
      const failed = outcomes.filter((o) => !o.ok);
      if (!p.options.watch) {
        const sum = sumCounters(outcomes.flatMap((o) => (o.ok ? [o.value.snapshot] : [])));
        if (p.json) {
          printJson({
            ok: failed.length === 0,
            sum: { hosts: sum.hosts, counters: labelled(sum.counters, numbers, names) },
            hosts: outcomes.map((o) =>
              o.ok
                ? {
                    host: o.host,
                    ok: true,
                    value: {
                      ...o.value.snapshot,
                      counters: labelled(o.value.snapshot.counters, numbers, names),
                    },
                    ms: o.ms,
                  }
                : o,
            ),
          });
        } else {
          const ok = outcomes.flatMap((o) => (o.ok ? [o] : []));
          const width = Math.max(10, ...ok.map((o) => o.host.length + 2));
          console.log(
            'rule'.padEnd(16) +
              'packets (sum)'.padStart(14) +
              'bytes (sum)'.padStart(16) +
              ok.map((o) => o.host.padStart(width)).join(''),
          );
          const ids = Object.keys(sum.counters).sort((a, b) =>
            label(a).localeCompare(label(b), undefined, { numeric: true }),
          );
          for (const id of ids) {
            const c = sum.counters[id]!;
            console.log(
              label(id).padEnd(16) +
                String(c.packets).padStart(14) +
                String(c.bytes).padStart(16) +
                ok
                  .map((o) => String(o.value.snapshot.counters[id]?.packets ?? '-').padStart(width))
                  .join(''),
            );
          }
          for (const o of failed)
            if (!o.ok) console.error(`${o.host}: FAILED ${o.error.code}: ${o.error.message}`);
        }
        return failed.length === 0 ? EXIT.ok : EXIT.other;
      }
      const watch = client.watchCounters(
        hosts,
        interval ?? 1000,
        (host, tick) => {
          if (p.json) {
            console.log(
              JSON.stringify({ host, ...tick, changed: labelled(tick.changed, numbers, names) }),
            );
            return;
          }
          const ids = Object.keys(tick.changed).filter((id) => tick.changed[id]!.dPackets > 0);
          if (ids.length === 0) return;
          const parts = ids.map(
            (id) => `${label(id)} +${tick.changed[id]!.dPackets} (${tick.changed[id]!.packets})`,
          );
          console.log(`${tick.at.slice(11, 19)}  ${host}  ${parts.join('  ')}`);
        },
        (host, error) => console.error(`${host}: FAILED ${error.code}: ${error.message}`),
      );
      const ready = await watch.ready;
      if (ready.every((o) => !o.ok)) {
        await watch.stop();
        return EXIT.other;
      }
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      await watch.stop();
      return ready.every((o) => o.ok) ? EXIT.ok : EXIT.other;
    },
    { valued: ['interval'], flags: ['watch'] },
  );
}

export function run(args: string[]): Promise<number> {
  const fleet = runOnFleet(args);
  if (fleet) return fleet;
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

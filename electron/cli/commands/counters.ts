// Runtime: plain Node (CLI). `treewall counters [--watch]`: per-rule packet and byte counts.

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
until Ctrl-C; with --json, one JSON object per tick.

exit codes: 0 ok, 2 bad options, 3 helper unreachable, 1 other (nothing applied)`;

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
      const label = (id: string) => numbers[id] ?? id;
      const byNumber = (a: string, b: string) =>
        label(a).localeCompare(label(b), undefined, { numeric: true });
      const snapshot = await client.call('counters', {});
      if (!p.options.watch) {
        if (p.json) printJson(snapshot);
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
          console.log(JSON.stringify(tick));
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

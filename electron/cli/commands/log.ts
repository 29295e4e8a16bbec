// Runtime: plain Node (CLI). `treewall log [--follow]`: packets logged by the active rules
// (NFLOG, read by the helper), one line each.

import type { LogEventData } from '../../../shared/ipc/helper-protocol.ts';
import { EXIT, runWithClient, untilInterrupted, UsageError } from '../support.ts';

export const summary = 'Stream logged packets (rule, action, addresses, ports)';

export const usage = `usage: treewall log [--follow] [--count N] [--socket PATH] [--json]

Prints one line per packet that a rule logs (Log, and Delete/Reject/Drop connection/Trigger
unless a Dont log matched), as the helper reads them from NFLOG. The kernel keeps no history:
only packets logged while this runs appear. Without --follow, stops after --count events
(default 10); with --follow, runs until Ctrl-C. --json prints one JSON object per event.

exit codes: 0 ok, 2 bad options, 3 helper unreachable, 1 other (no tcpdump for the helper)`;

export const formatLogEvent = (e: LogEventData): string => {
  const port = (a: string | null, p: number | null) =>
    a === null ? '?' : p === null ? a : a.includes(':') ? `[${a}]:${p}` : `${a}:${p}`;
  const iface = e.direction === 'outbound' ? e.outInterface : e.inInterface;
  return [
    e.time.slice(11, 23),
    (e.ruleNumber ?? e.ruleId ?? '?').padEnd(10),
    e.action.padEnd(8),
    (e.direction === 'outbound' ? 'out' : e.direction === 'inbound' ? 'in' : '-').padEnd(4),
    (iface ?? '-').padEnd(8),
    (e.protocol ?? '-').padEnd(5),
    `${port(e.src, e.srcPort)} > ${port(e.dst, e.dstPort)}`,
    `len ${e.length}`,
  ].join(' ');
};

export function run(args: string[]): Promise<number> {
  return runWithClient(
    'log',
    args,
    usage,
    async (client, p) => {
      if (p.positional.length > 0) throw new UsageError(`unexpected argument '${p.positional[0]}'`);
      const raw = p.options.count;
      const count = raw === undefined ? 10 : Number(raw);
      if (!Number.isInteger(count) || count < 1)
        throw new UsageError('--count must be a positive whole number');
      const follow = p.options.follow === true;
      let seen = 0;
      let finish: ((code: number) => void) | undefined;
      client.on('log:event', (e) => {
        console.log(p.json ? JSON.stringify(e) : formatLogEvent(e));
        if (!follow && ++seen >= count) finish?.(EXIT.ok);
      });
      const r = await client.call('logSubscribe', {});
      if (r.reader === 'unavailable') {
        console.error(
          'treewall log: the helper cannot read NFLOG (is tcpdump installed on the helper machine?)',
        );
        return EXIT.other;
      }
      if (!p.json)
        console.error(`# NFLOG group ${r.group}; waiting for logged packets (Ctrl-C to stop)`);
      return Promise.race([
        untilInterrupted(client),
        new Promise<number>((resolve) => (finish = resolve)),
      ]);
    },
    { valued: ['count'], flags: ['follow'] },
  );
}

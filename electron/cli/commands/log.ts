// Runtime: plain Node (CLI). `treewall log [--follow]`: packets logged by the active rules
// (NFLOG, read by the helper), one line each.

import type { LogEventData } from '../../../shared/ipc/helper-protocol.ts';
import type { HostConnection } from '../../common/fleet-client.ts';
import { runFleet } from '../fleet.ts';
import { EXIT, runWithClient, untilInterrupted, UsageError } from '../support.ts';

export const summary = 'Stream logged packets (rule, action, addresses, ports)';

export const usage = `usage: treewall log [--follow] [--count N] [--socket PATH] [--json]
       [--host NAME]... [--group GROUP]... [--fleet FILE] [--ssh-config FILE]  (a fleet over ssh)

Prints one line per packet that a rule logs (Log, and Delete/Reject/Drop connection/Trigger
unless a Dont log matched), as the helper reads them from NFLOG. The kernel keeps no history:
only packets logged while this runs appear. Without --follow, stops after --count events
(default 10); with --follow, runs until Ctrl-C. --json prints one JSON object per event.

Over a fleet (--host/--group, see docs/fleet.md): every selected host's events, each line
prefixed by the host's name (JSON: a "host" key); --count counts events from all hosts.

exit codes: 0 ok, 2 bad options, 3 helper unreachable, 1 other (no tcpdump for the helper;
fleet: any host failed)`;

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

function runOnFleet(args: string[]): Promise<number> | null {
  return runFleet(
    'log',
    args,
    usage,
    async ({ client, hosts, parsed: p }) => {
      if (p.positional.length > 0) throw new UsageError(`unexpected argument '${p.positional[0]}'`);
      const raw = p.options.count;
      const count = raw === undefined ? 10 : Number(raw);
      if (!Number.isInteger(count) || count < 1)
        throw new UsageError('--count must be a positive whole number');
      const follow = p.options.follow === true;
      let seen = 0;
      let failed = 0;
      let finish: ((code: number) => void) | undefined;
      const done = new Promise<number>((resolve) => (finish = resolve));
      const connections: HostConnection[] = [];
      const fail = (host: string, message: string) => {
        failed++;
        console.error(`${host}: FAILED ${message}`);
        if (failed === hosts.length) finish?.(EXIT.other);
      };
      await Promise.all(
        hosts.map(async (host) => {
          try {
            const c = await client.connect(host);
            connections.push(c);
            c.client.on('log:event', (e) => {
              console.log(
                p.json
                  ? JSON.stringify({ host: host.name, ...e })
                  : `${host.name}  ${formatLogEvent(e)}`,
              );
              if (!follow && ++seen >= count) finish?.(EXIT.ok);
            });
            c.client.onClose(
              (error) => error && fail(host.name, `${error.code}: ${error.message}`),
            );
            const r = await c.client.call('logSubscribe', {}, { timeoutMs: 30_000 });
            if (r.reader === 'unavailable')
              fail(host.name, 'the helper cannot read NFLOG (no tcpdump there?)');
          } catch (error) {
            const e = error as { code?: string; message: string };
            fail(host.name, `${e.code ?? 'error'}: ${e.message}`);
          }
        }),
      );
      if (!p.json)
        console.error(
          `# waiting for logged packets on ${hosts.length - failed} host(s) (Ctrl-C to stop)`,
        );
      const onSignal = () => finish?.(EXIT.ok);
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const code = await done;
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await Promise.all(connections.map((c) => c.close()));
      return failed > 0 ? EXIT.other : code;
    },
    { valued: ['count'], flags: ['follow'] },
  );
}

export function run(args: string[]): Promise<number> {
  const fleet = runOnFleet(args);
  if (fleet) return fleet;
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

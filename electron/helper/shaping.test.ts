// Issue 13 C: Rate limit in / out with real bulk TCP transfers (iperf3) between namespaces, the
// firewall (a real helper) in the "server" namespace. Rate limit out shapes (HTB class on the
// leaving interface, never a drop), Rate limit in polices (nft `limit rate over ... drop`, TCP
// backs off): each holds a transfer within 0.5x-1.3x of the rate, while an unmatched transfer
// runs far faster. The helper creates its qdisc only where the root qdisc is the kernel's default,
// leaves a qdisc someone else set, and stop and a rollback give the interfaces back what they had.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRule } from '../../shared/model/tree.ts';
import { DEFAULT_SETTINGS, type FirewallDocument, type Rule } from '../../shared/model/types.ts';
import type { HelperClient } from '../common/helper-client.ts';
import { kernelSkipReason, kernelTestsAvailable, type Namespace } from '../testing/netns.ts';
import { fullRunRequested } from '../testing/prerequisites.ts';
import { waitFor, which } from '../testing/processes.ts';
import { startHelperInNamespace, type HelperInNamespace } from '../testing/treewall-processes.ts';

const RATE = 2_000_000; // bit/s: the rules say `2M`, as IPNetSentryX writes it
const doc = (rules: Rule[]): FirewallDocument => ({ rules, settings: { ...DEFAULT_SETTINGS } });
const shapedOut = createRule({
  id: 'out',
  property: 'Dest port',
  relation: '==',
  value: '5201',
  action: 'Rate limit out',
  parameter: '2M',
});
const policedIn = createRule({
  id: 'in',
  property: 'Dest port',
  relation: '==',
  value: '5202',
  action: 'Rate limit in',
  parameter: '2M',
});
const haveIperf = which('iperf3');
if (!haveIperf && fullRunRequested()) throw new Error('iperf3 is needed for the rate limit test');

/** Bits per second the receiving side saw, from `iperf3 -J` in `from` to `to` on `port`. */
async function transfer(
  from: Namespace,
  to: Namespace,
  address: string,
  port: number,
  seconds: number,
): Promise<number> {
  const server = to.exec(['iperf3', '-s', '-1', '-p', String(port)]);
  let result: { code: number; stdout: string; stderr: string } | undefined;
  for (let i = 0; i < 40; i++) {
    await new Promise((r) => setTimeout(r, 100));
    // The first second is left out (-O 1): a policing bucket holds one second of the rate, which
    // a new flow may take at once; what is measured is the rate held after it.
    result = await from.exec([
      'iperf3',
      '-c',
      address,
      '-p',
      String(port),
      '-t',
      String(seconds),
      '-O',
      '1',
      '-J',
    ]);
    if (result.code === 0) break;
  }
  await server;
  const report = JSON.parse(result!.stdout) as {
    end: { sum_received: { bits_per_second: number } };
  };
  return report.end.sum_received.bits_per_second;
}

describe.skipIf(!kernelTestsAvailable || !haveIperf)(
  `Rate limit in / out with bulk TCP between namespaces${kernelSkipReason ? ` (${kernelSkipReason})` : ''}`,
  () => {
    let h: HelperInNamespace;
    let client: HelperClient;
    const roots = async (): Promise<string[]> => {
      const r = await h.server.exec(['tc', '-j', 'qdisc', 'show']);
      return (
        JSON.parse(r.stdout) as { kind: string; handle: string; dev: string; root?: boolean }[]
      )
        .filter((q) => q.root && q.dev !== 'lo')
        .map((q) => `${q.dev} ${q.kind} ${q.handle}`)
        .sort();
    };
    let before: string[];

    beforeAll(async () => {
      h = await startHelperInNamespace('ratelimit');
      // An interface with a qdisc someone else set: treewall must leave it alone.
      await h.server.exec([
        'ip',
        'link',
        'add',
        'other0',
        'type',
        'veth',
        'peer',
        'name',
        'other1',
      ]);
      await h.server.exec(['ip', 'link', 'set', 'other0', 'up']);
      const tbf = await h.server.exec([
        'tc',
        'qdisc',
        'add',
        'dev',
        'other0',
        'root',
        'handle',
        '1:',
        'tbf',
        'rate',
        '1mbit',
        'burst',
        '10k',
        'latency',
        '50ms',
      ]);
      expect(tbf.code, tbf.stderr).toBe(0);
      client = await h.connect();
      before = await roots();
    }, 60_000);

    afterAll(async () => {
      await client?.close();
      await h?.stop();
    });

    it('shapes outbound and polices inbound TCP near the rate; an unmatched transfer is not held', async () => {
      await client.call('apply', { document: doc([shapedOut, policedIn]) });
      const status = await client.call('status', {});
      expect(status.warnings.map((w) => w.message)).toEqual([
        expect.stringMatching(
          /interface other0 is not shaped: it has a root qdisc treewall did not create \(tbf 1:\)/,
        ),
      ]);
      const shaped = await roots();
      expect(shaped.find((q) => q.startsWith('other0'))).toBe('other0 tbf 1:');
      expect(shaped.filter((q) => q.endsWith('htb 7477:'))).toHaveLength(shaped.length - 1);

      const out = await transfer(h.server, h.client, h.clientAddress, 5201, 3);
      const inbound = await transfer(h.client, h.server, h.serverAddress, 5202, 3);
      const free = await transfer(h.server, h.client, h.clientAddress, 5203, 1);
      const report = `out ${(out / 1e6).toFixed(2)} Mbit/s, in ${(inbound / 1e6).toFixed(2)} Mbit/s, unmatched ${(free / 1e6).toFixed(1)} Mbit/s (rate 2 Mbit/s)`;
      console.log(`rate limits: ${report}`);
      expect(out, report).toBeGreaterThan(0.5 * RATE);
      expect(out, report).toBeLessThan(1.3 * RATE);
      expect(inbound, report).toBeGreaterThan(0.5 * RATE);
      expect(inbound, report).toBeLessThan(1.3 * RATE);
      expect(free, report).toBeGreaterThan(10 * RATE);
    }, 40_000);

    it('stop and a rollback give the interfaces back the qdiscs they had', async () => {
      await client.call('stop', {});
      expect(await roots()).toEqual(before);
      // An unconfirmed apply of the shaping rules on top of a document without them.
      await client.call('apply', { document: doc([policedIn]) });
      expect(await roots()).toEqual(before);
      await client.call('apply', { document: doc([shapedOut]), confirmTimeoutSeconds: 2 });
      expect((await roots()).some((q) => q.endsWith('htb 7477:'))).toBe(true);
      await waitFor(
        'the rollback',
        async () => ((await client.call('status', {})).pendingConfirm === null ? true : undefined),
        15_000,
      );
      expect(await roots()).toEqual(before);
    }, 30_000);
  },
);

// Runtime: vitest, root only. Issue 13 A with real packets: Masquerade (a "VM" namespace behind
// the host reaches an outside namespace with the host's address), Port forward (a port on the
// host reaches a service on the VM, IPv4 and IPv6), the IP forwarding check, and Route to (a
// packet the host sends leaves by the chosen next hop; stop removes treewall's rule and table).
// Expectations are written out here, not taken from the evaluator.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../shared/compiler/index.ts';
import { doc, rule } from '../../shared/evaluator/test-rules.ts';
import type { FirewallDocument } from '../../shared/model/types.ts';
import { forwardingWarning, readForwarding, syncRoutes } from '../helper/routing.ts';
import { kernelSkipReason, sweepStale, TestNet, type Namespace } from './netns.ts';
import { fullRunRequested } from './prerequisites.ts';
import { waitFor } from './processes.ts';
import { startHelper } from './treewall-processes.ts';

function compiled(d: FirewallDocument) {
  const result = compile(d);
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.problems)}`);
  return result;
}

// A kernel test that cannot run must fail loudly where a full run is asked for (CI).
if (kernelSkipReason !== undefined && fullRunRequested()) {
  it('NAT and Route to kernel tests can run here', () => {
    throw new Error(`NAT and Route to kernel tests cannot run: ${kernelSkipReason}`);
  });
}

/**
 * Count SYNs arriving in `ns` per (source, port): a table `syns` with one counter rule per
 * expectation, read back by its comment. Robust where the listener's remote address is not (a
 * connection closed at once has none left to read).
 */
async function watchSyns(ns: Namespace, watched: [string, string, number][]): Promise<void> {
  const lines = [
    'add table inet syns',
    'add chain inet syns c { type filter hook input priority 0; }',
    ...watched.map(
      ([name, saddr, port]) =>
        `add rule inet syns c ${saddr.includes(':') ? 'ip6' : 'ip'} saddr ${saddr} tcp dport ${port} tcp flags syn counter comment "${name}"`,
    ),
  ];
  await ns.sh(`nft -f - <<'EOF'\n${lines.join('\n')}\nEOF`);
}

async function synCounts(ns: Namespace): Promise<Record<string, number>> {
  const out = await ns.nft(['list', 'chain', 'inet', 'syns', 'c']);
  const counts: Record<string, number> = {};
  for (const m of out.matchAll(/counter packets (\d+) bytes \d+ comment "([^"]+)"/g))
    counts[m[2]!] = Number(m[1]);
  return counts;
}

describe.skipIf(kernelSkipReason !== undefined)(
  `NAT for VMs and Route to in the kernel ${kernelSkipReason ?? ''}`,
  () => {
    const net = new TestNet('natroute');
    let vm: Namespace;
    let host: Namespace;
    let outside: Namespace;
    let hop1: Namespace;
    let hop2: Namespace;
    beforeAll(async () => {
      await sweepStale('natroute');
      vm = await net.namespace('vm');
      host = await net.namespace('host');
      outside = await net.namespace('outside');
      hop1 = await net.namespace('hop1');
      hop2 = await net.namespace('hop2');
      // vm (10.9.0.2, fd09::2) -- int0 host ext0 -- outside (10.8.0.2, fd08::2). The outside
      // namespace has no route back to the VM's network: only the host's address reaches it.
      await net.link(vm, host, {
        aName: 'eth0',
        bName: 'int0',
        aAddresses: ['10.9.0.2/24', 'fd09::2/64'],
        bAddresses: ['10.9.0.1/24', 'fd09::1/64'],
      });
      await net.link(host, outside, {
        aName: 'ext0',
        bName: 'eth0',
        aAddresses: ['10.8.0.1/24', 'fd08::1/64'],
        bAddresses: ['10.8.0.2/24', 'fd08::2/64'],
      });
      await net.link(host, hop1, {
        aName: 'nh1',
        bName: 'eth0',
        aAddresses: ['10.71.0.1/24'],
        bAddresses: ['10.71.0.2/24'],
      });
      await net.link(host, hop2, {
        aName: 'nh2',
        bName: 'eth0',
        aAddresses: ['10.72.0.1/24'],
        bAddresses: ['10.72.0.2/24'],
      });
      await vm.sh('ip route add default via 10.9.0.1 && ip -6 route add default via fd09::1');
      // The main table sends 10.50.0.0/16 to hop1; Route to will send some of it to hop2.
      await host.exec(['ip', 'route', 'add', '10.50.0.0/16', 'via', '10.71.0.2']);
      // Each hop counts what it receives for 10.50.0.0/16.
      for (const hop of [hop1, hop2]) {
        await hop.sh(
          "nft add table ip seen && nft 'add chain ip seen c { type filter hook prerouting priority 0; }' && nft add rule ip seen c ip daddr 10.50.0.0/16 counter",
        );
      }
    }, 60_000);
    afterAll(() => net.cleanup());

    const seenBy = async (hop: Namespace): Promise<number> => {
      const out = await hop.nft(['list', 'chain', 'ip', 'seen', 'c']);
      return Number(/counter packets (\d+)/.exec(out)?.[1] ?? 'NaN');
    };

    it('IP forwarding off is reported for a document that translates, never switched', async () => {
      const d = doc([rule('Source net', '10.9.0.0/24', 'Masquerade', [], { id: 'masq' })]);
      const c = compiled(d);
      expect(c.forwarding).toEqual({ ruleId: 'masq', number: '1', action: 'Masquerade' });
      await host.exec(['sysctl', '-qw', 'net.ipv4.ip_forward=0', 'net.ipv6.conf.all.forwarding=0']);
      const read = async (p: string): Promise<string> => (await host.exec(['cat', p])).stdout;
      const off = await readForwarding(read);
      expect(off).toEqual({ ipv4: false, ipv6: false });
      expect(forwardingWarning(c.forwarding, off)).toMatch(
        /Masquerade \(rule 1\) needs IP forwarding, but net\.ipv4\.ip_forward and net\.ipv6\.conf\.all\.forwarding are 0/,
      );
      // Still off: treewall only read it.
      expect(await readForwarding(read)).toEqual({ ipv4: false, ipv6: false });
      await host.exec(['sysctl', '-qw', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1']);
      expect(forwardingWarning(c.forwarding, await readForwarding(read))).toBeUndefined();
    });

    it('Masquerade: the VM reaches the outside with the host address; Port forward: a host port reaches the VM (IPv4 and IPv6)', async () => {
      const d = doc(
        [
          rule(
            'Interface',
            'external',
            '->',
            [
              rule('Dest port', '2222', 'Port forward', [], {
                id: 'pf4',
                parameter: '10.9.0.2:22',
              }),
              rule('Dest port', '8080', 'Port forward', [], {
                id: 'pf6',
                parameter: '[fd09::2]:80',
              }),
              rule('Dest port', '8081', 'Port forward', [], { id: 'here', parameter: ':7070' }),
            ],
            { id: 'ext' },
          ),
          rule('Interface', 'internal', 'Masquerade', [], { id: 'masq' }),
          rule('Connection state', 'established,related', 'Pass', [], { id: 'est' }),
          // Everything else arriving from outside is deleted: the forwarded flows pass anyway.
          rule('Direction', 'inbound', '->', [
            rule('Interface', 'external', 'Delete no log', [], { id: 'wall' }),
          ]),
          // And the host's own service on 7070 may not answer: except the redirected flow.
          rule('Direction', 'outbound', '->', [
            rule('Source port', '7070', 'Delete no log', [], { id: 'mute' }),
          ]),
        ],
        { externalInterfaces: ['ext0'], internalInterfaces: ['int0'] },
      );
      await host.loadNft(compiled(d).nft);
      await watchSyns(outside, [
        ['host4', '10.8.0.1', 7000],
        ['host6', 'fd08::1', 7000],
        ['vm4', '10.9.0.2', 7000],
        ['vm6', 'fd09::2', 7000],
      ]);
      await watchSyns(vm, [
        ['out4', '10.8.0.2', 22],
        ['out6', 'fd08::2', 80],
      ]);
      const out = await outside.listenTcp(7000);
      const ssh = await vm.listenTcp(22);
      const web = await vm.listenTcp(80);
      const local = await host.listenTcp(7070);
      const wait = { timeoutMs: 1500 };
      try {
        // VM -> outside, IPv4 and IPv6: the server sees the host's external address.
        expect((await vm.tcpConnect('10.8.0.2', 7000, wait)).result).toBe('connected');
        expect((await vm.tcpConnect('fd08::2', 7000, wait)).result).toBe('connected');
        // outside -> host:2222 reaches the VM's port 22, past the wall; IPv6 :8080 -> VM :80.
        expect((await outside.tcpConnect('10.8.0.1', 2222, wait)).result).toBe('connected');
        expect((await outside.tcpConnect('fd08::1', 8080, wait)).result).toBe('connected');
        // :PORT redirects to this host; the flow passes both ways (its answers leave by output).
        expect((await outside.tcpConnect('10.8.0.1', 8081, wait)).result).toBe('connected');
        expect((await outside.tcpConnect('fd08::1', 8081, wait)).result).toBe('connected');
        // Another port of the host from outside: the wall deletes it.
        expect((await outside.tcpConnect('10.8.0.1', 2223, { timeoutMs: 500 })).result).toBe(
          'timeout',
        );
        // The IPv4 target does not translate IPv6, nor the IPv6 one IPv4.
        expect((await outside.tcpConnect('fd08::1', 2222, { timeoutMs: 500 })).result).toBe(
          'timeout',
        );
      } finally {
        for (const l of [out, ssh, web, local]) await l.close();
      }
      // What the servers saw: the host's addresses from the VM, the client's own at the VM.
      expect(await synCounts(outside)).toEqual({ host4: 1, host6: 1, vm4: 0, vm6: 0 });
      expect(await synCounts(vm)).toEqual({ out4: 1, out6: 1 });
      const listing = await host.nft(['list', 'chain', 'inet', 'treewall', 'nat_pre']);
      expect(listing).toContain('dnat ip to 10.9.0.2:22');
    });

    it('Route to: a packet the host sends leaves by the chosen next hop; stop removes the rule and table', async () => {
      const d = doc([
        rule('Direction', 'outbound', '->', [
          rule('Dest net', '10.50.1.0/24', 'Route to', [], { id: 'via2', parameter: '10.72.0.2' }),
        ]),
      ]);
      const c = compiled(d);
      expect(c.routes).toHaveLength(1);
      await host.loadNft(c.nft);
      const inNs = async (family: 4 | 6, lines: string[], force: boolean): Promise<void> => {
        const script = `ip -${family} ${force ? '-force ' : ''}-batch - <<'EOF'\n${lines.join('\n')}\nEOF`;
        const r = await host.sh(script, { allowFail: true });
        if (r.code !== 0) throw new Error(r.stderr);
      };
      expect(await syncRoutes(c.routes, inNs)).toBeUndefined();
      const before = [await seenBy(hop1), await seenBy(hop2)];
      // What the two hops counted since `before`, once they counted `sent` datagrams in all.
      const seen = (sent: number) =>
        waitFor(`${sent} datagrams at the hops`, async () => {
          const got = [(await seenBy(hop1)) - before[0]!, (await seenBy(hop2)) - before[1]!];
          return got[0]! + got[1]! >= sent ? got : undefined;
        });
      // 10.50.1.9 matches the rule: hop2. 10.50.2.9 does not: the main table's hop1.
      await host.udpSend('10.50.1.9', 9, { payload: 'x' });
      await host.udpSend('10.50.2.9', 9, { payload: 'x' });
      expect(await seen(2)).toEqual([1, 1]);
      await host.udpSend('10.50.1.10', 9, { payload: 'x' });
      expect(await seen(3)).toEqual([1, 2]);
      const rules = (await host.exec(['ip', 'rule', 'show'])).stdout;
      expect(rules).toMatch(/27100:\s+from all fwmark 0x4000000\/0x6c000000 lookup 27100/);
      // Stop: treewall's rule and table go; the main table and other rules stay.
      expect(await syncRoutes([], inNs)).toBeUndefined();
      expect((await host.exec(['ip', 'rule', 'show'])).stdout).not.toContain('27100');
      expect((await host.exec(['ip', 'route', 'show', 'table', '27100'])).stdout.trim()).toBe('');
      expect((await host.exec(['ip', 'route', 'show'])).stdout).toContain(
        '10.50.0.0/16 via 10.71.0.2',
      );
      await host.nft(['delete', 'table', 'inet', 'treewall']);
      await host.udpSend('10.50.1.11', 9, { payload: 'x' });
      expect(await seen(4)).toEqual([2, 2]);
    });

    it('the helper sets the routing at apply, reports IP forwarding off, and stop removes both', async () => {
      await host.exec(['sysctl', '-qw', 'net.ipv4.ip_forward=0', 'net.ipv6.conf.all.forwarding=1']);
      const helper = await startHelper({ namespace: host.name });
      const client = await helper.connect();
      try {
        const d = doc([
          rule('Source net', '10.9.0.0/24', 'Masquerade', [], { id: 'masq' }),
          rule('Direction', 'outbound', '->', [
            rule('Dest net', '10.50.1.0/24', 'Route to', [], { id: 'rt', parameter: '10.72.0.2' }),
          ]),
        ]);
        // Hostile targets: refused with the rule named, nothing applied.
        const hostile = doc([
          rule('Dest port', '2222', 'Port forward', [], { parameter: '10.9.0.2:70000' }),
          rule('Dest port', '2223', 'Port forward', [], { parameter: '"; flush ruleset' }),
        ]);
        const refused = await client.call('apply', { document: hostile }).catch((e: unknown) => e);
        expect(refused).toMatchObject({ code: 'invalid-document' });
        const named = (refused as { problems?: { number: string; message: string }[] }).problems;
        expect(named?.map((p) => p.number)).toEqual(['1', '2']);
        expect(named?.[0]?.message).toMatch(/70000/);
        expect((await client.call('status', {})).active).toBe(false);
        const applied = await client.call('apply', { document: d });
        expect(applied.routes).toEqual({ tables: [27100], error: null });
        expect(applied.forwarding).toMatchObject({ ipv4: false, ipv6: true });
        expect(applied.forwarding?.message).toMatch(
          /^Masquerade \(rule 1\) needs IP forwarding, but net\.ipv4\.ip_forward is 0/,
        );
        expect((await host.exec(['ip', 'rule', 'show'])).stdout).toContain('lookup 27100');
        expect((await host.exec(['ip', 'route', 'show', 'table', '27100'])).stdout).toContain(
          'default via 10.72.0.2',
        );
        // Never switched: still off after the apply.
        expect((await host.exec(['sysctl', '-n', 'net.ipv4.ip_forward'])).stdout.trim()).toBe('0');
        await host.exec(['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
        expect((await client.call('status', {})).forwarding?.message).toBeNull();
        const stopped = await client.call('stop', {});
        expect(stopped.routes).toEqual({ tables: [], error: null });
        expect((await host.exec(['ip', 'rule', 'show'])).stdout).not.toContain('27100');
        expect((await host.exec(['ip', 'route', 'show', 'table', '27100'])).stdout.trim()).toBe('');
      } finally {
        await client.close();
        await helper.stop();
      }
    }, 60_000);
  },
);

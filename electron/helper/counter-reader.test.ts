// Kernel test (root): the netlink counter reader and nft's own listing give the same per-rule
// counts, for named counters and for verdict-map elements (ports, port ranges, IPv4 and IPv6
// prefixes), after real traffic.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../shared/compiler/index.ts';
import { createRule, parentIndex } from '../../shared/model/tree.ts';
import { DEFAULT_SETTINGS, type FirewallDocument, type Rule } from '../../shared/model/types.ts';
import {
  kernelSkipReason,
  kernelTestsAvailable,
  sweepStale,
  TestNet,
  type Namespace,
} from '../testing/netns.ts';
import { CounterReader, mapGuards } from './counter-reader.ts';
import { CounterTracker } from './counters.ts';
import { Nft } from './nft.ts';

const r = (id: string, p: Partial<Rule>): Rule => createRule({ id, ...p });

const document: FirewallDocument = {
  settings: { ...DEFAULT_SETTINGS },
  rules: [
    r('inb', {
      property: 'Direction',
      value: 'inbound',
      action: '->',
      children: [
        // A run of Dest port leaves ending in a verdict: one verdict map with element counters.
        r('p7001', { property: 'Dest port', value: '7001', action: 'Pass' }),
        r('p7002', { property: 'Dest port', value: '7002', action: 'Pass' }),
        r('p7010', { property: 'Dest port', value: '7010-7019', action: 'Pass' }),
        r('p7100', { property: 'Dest port', value: '7100', action: 'Pass' }),
        r('ping', { property: 'Protocol', value: 'icmp', action: '->' }),
      ],
    }),
    r('out', {
      property: 'Direction',
      value: 'outbound',
      action: '->',
      children: [
        r('n1', { property: 'Dest net', value: '10.78.0.0/30', action: 'Pass' }),
        r('n2', { property: 'Dest net', value: '10.78.1.0/24', action: 'Pass' }),
        r('n3', { property: 'Dest net', value: 'fd78::/64', action: 'Pass' }),
        r('n4', { property: 'Dest net', value: '192.0.2.0/24', action: 'Pass' }),
      ],
    }),
    // Never matches (no GRE here): a counter object that stays at zero.
    r('gre', { property: 'Protocol', value: '47', action: '->' }),
  ],
};

describe.skipIf(!kernelTestsAvailable)(
  `netlink counter reader${kernelSkipReason ? ` (${kernelSkipReason})` : ''}`,
  () => {
    const net = new TestNet('helpercr');
    let a: Namespace;
    let b: Namespace;
    let dir: string;
    let nft: Nft;

    beforeAll(async () => {
      await sweepStale('helpercr');
      a = await net.namespace('a');
      b = await net.namespace('b');
      await net.link(a, b, {
        aAddresses: ['10.78.0.1/30', 'fd78::1/64'],
        bAddresses: ['10.78.0.2/30', 'fd78::2/64'],
      });
      dir = mkdtempSync(join(tmpdir(), 'tw-helpercr-'));
      nft = new Nft({ run: (args) => b.exec(['nft', ...args], { allowFail: true }) }, dir);
    });
    afterAll(async () => {
      await net.cleanup();
      rmSync(dir, { recursive: true, force: true });
    });

    it('agrees with nft on every rule after traffic', async () => {
      const compiled = compile(document);
      if (!compiled.ok) throw new Error(JSON.stringify(compiled.problems));
      expect(Object.values(compiled.objects).some((o) => o.elements?.length)).toBe(true);
      await nft.applyJson(compiled.nft);
      await a.udpSend('10.78.0.2', 7001);
      await a.udpSend('10.78.0.2', 7001);
      await a.udpSend('10.78.0.2', 7015);
      await a.udpSend('10.78.0.2', 7100);
      await a.ping('10.78.0.2');
      await b.ping('10.78.0.1'); // outbound from b to 10.78.0.0/30 (n1)
      await b.ping('fd78::1'); // outbound to fd78::/64 (n3)

      // Neighbour discovery on the veth may add packets at any time: the netlink reading must lie
      // between two nft readings taken before and after it, rule by rule.
      const viaNft = new CounterReader(nft, [], false);
      const before = await viaNft.read(compiled.objects);
      expect(viaNft.lastPath).toBe('nft');
      const viaNetlink = new CounterReader(nft, ['ip', 'netns', 'exec', b.name, 'python3']);
      const fromNetlink = await viaNetlink.read(compiled.objects);
      expect(viaNetlink.lastPath).toBe('netlink');
      const after = await viaNft.read(compiled.objects);
      const between = (
        reading: Record<string, { packets: number; bytes: number }>,
        low: typeof reading,
        high: typeof reading,
      ): void => {
        expect(Object.keys(reading).sort()).toEqual(Object.keys(low).sort());
        for (const [id, v] of Object.entries(reading)) {
          expect(v.packets, id).toBeGreaterThanOrEqual(low[id]!.packets);
          expect(v.packets, id).toBeLessThanOrEqual(high[id]!.packets);
          expect(v.bytes, id).toBeGreaterThanOrEqual(low[id]!.bytes);
          expect(v.bytes, id).toBeLessThanOrEqual(high[id]!.bytes);
        }
      };
      between(fromNetlink, before, after);

      // The second reading is changed-only (just what moved comes over the pipe): every rule
      // must still have its value, moved or not, including one map element among several.
      await a.udpSend('10.78.0.2', 7002);
      await a.udpSend('10.78.0.2', 7002);
      await a.udpSend('10.78.0.2', 7012);
      // The helper folds readings into a CounterTracker, which keeps the rules a reading omits.
      const tracker = new CounterTracker();
      tracker.reset(compiled.objects, {});
      tracker.update(fromNetlink);
      const before2 = await viaNft.read(compiled.objects);
      const second = await viaNetlink.read(compiled.objects);
      expect(viaNetlink.lastPath).toBe('netlink');
      const after2 = await viaNft.read(compiled.objects);
      viaNetlink.stop();
      // Rules that moved, each with its whole value (quiet elements sharing a netlink message
      // with one that moved come along; here the maps are small, one message each).
      expect(second.p7002!.packets).toBe(2);
      expect(second.p7010!.packets).toBe(2);
      tracker.update(second);
      const merged = tracker.totals();
      between(merged, before2, after2);
      expect(merged.p7001!.packets).toBe(2);
      expect(merged.p7100!.packets).toBe(1);
      expect(fromNetlink.p7001).toEqual({ packets: 2, bytes: expect.any(Number) });
      expect(fromNetlink.p7010!.packets).toBe(1);
      expect(fromNetlink.p7100!.packets).toBe(1);
      expect(fromNetlink.p7002!.packets).toBe(0);
      expect(fromNetlink.ping!.packets).toBe(2); // echo request from a, echo reply to b's ping
      expect(fromNetlink.n1!.packets).toBeGreaterThanOrEqual(1);
      expect(fromNetlink.n3!.packets).toBeGreaterThanOrEqual(1);
      expect(fromNetlink.n2!.packets).toBe(0);
    });

    it('quick readings dump only the maps whose guards moved, full ones every map', async () => {
      const compiled = compile(document);
      if (!compiled.ok) throw new Error(JSON.stringify(compiled.problems));
      await nft.applyJson(compiled.nft);
      const parents = parentIndex(document.rules);
      const port = compiled.objects.p7002!.elements![0]!.map;
      expect(mapGuards(compiled.objects, parents).guards[port]).toEqual({
        c: [compiled.objects.inb!.counter],
        m: [],
      });
      expect(compiled.objects.gre!.counter).toBeDefined();
      // The port map as if its rules were children of the GRE rule, whose counter never moves:
      // a quick reading does not dump it, so it cannot see the packets it counted.
      const graft = new Map(parents);
      for (const id of ['p7001', 'p7002', 'p7010', 'p7100']) graft.set(id, document.rules[2]!);
      const reader = new CounterReader(nft, ['ip', 'netns', 'exec', b.name, 'python3']);
      const tracker = new CounterTracker();
      tracker.reset(compiled.objects, {});
      await tracker.read(reader, { parents: graft });
      expect(tracker.totals().p7002!.packets).toBe(0);
      await a.udpSend('10.78.0.2', 7002);
      await tracker.read(reader, { parents: graft, quick: true });
      expect(tracker.totals().p7002!.packets).toBe(0);
      await tracker.read(reader, { parents: graft });
      expect(tracker.totals().p7002!.packets).toBe(1);
      // With the real tree, the Direction rule counted the packet, so its map is dumped at once.
      await a.udpSend('10.78.0.2', 7002);
      await a.udpSend('10.78.0.2', 7015);
      await tracker.read(reader, { parents, quick: true });
      expect(tracker.totals().p7002!.packets).toBe(2);
      expect(tracker.totals().p7010!.packets).toBe(1);
      // ... and again at the next quick reading (a reading may fall between the parent's count
      // and the child's), after which a quiet table dumps no map: the totals stay as they are.
      await tracker.read(reader, { parents, quick: true });
      await tracker.read(reader, { parents, quick: true });
      const quick = tracker.totals();
      await tracker.read(reader, { parents });
      expect(reader.lastPath).toBe('netlink');
      reader.stop();
      for (const id of ['p7001', 'p7002', 'p7010', 'p7100', 'gre'])
        expect(tracker.totals()[id], id).toEqual(quick[id]);
    });

    it('reads an absent table as no counters, without giving up netlink', async () => {
      const compiled = compile(document);
      if (!compiled.ok) throw new Error('compile');
      const absent = new Nft(
        { run: (args) => b.exec(['nft', ...args], { allowFail: true }) },
        dir,
        'twabsent',
      );
      const reader = new CounterReader(absent, ['ip', 'netns', 'exec', b.name, 'python3']);
      expect(await reader.read(compiled.objects)).toEqual({});
      expect(reader.lastPath).toBe('netlink');
      expect(reader.lastError).toBeNull();
      reader.stop();
    });

    it('falls back to nft when the reader cannot run', async () => {
      const compiled = compile(document);
      if (!compiled.ok) throw new Error('compile');
      const broken = new CounterReader(nft, ['/nonexistent/python3']);
      const values = await broken.read(compiled.objects);
      expect(broken.lastPath).toBe('nft');
      expect(broken.lastError).toMatch(/cannot run|exited/);
      expect(values.p7001).toBeDefined();
    });
  },
);

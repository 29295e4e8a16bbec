// Runtime: vitest, root only. Small cases the differential test found (shrunk), kept so they stay
// fixed. Each pins the outcome explicitly and requires kernel and evaluator to agree.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePacketSpec, type Packet } from '../../shared/evaluator/index.ts';
import { doc, rule } from '../../shared/evaluator/test-rules.ts';
import type { FirewallDocument } from '../../shared/model/types.ts';
import { DataPlane, dataPlaneSkipReason } from './dataplane.ts';
import { runCase } from './differential.ts';
import { sweepStale, TestNet } from './netns.ts';
import { predict } from './oracle.ts';

const pkt = (spec: string): Packet => {
  const r = parsePacketSpec(spec);
  if (!r.ok) throw new Error(`${spec}: ${r.error}`);
  return r.value;
};

describe.skipIf(dataPlaneSkipReason !== undefined)(
  `differential regressions ${dataPlaneSkipReason ?? ''}`,
  () => {
    const net = new TestNet('evalreg');
    let dp: DataPlane;
    beforeAll(async () => {
      await sweepStale('evalreg');
      dp = await DataPlane.create(net);
    });
    afterAll(() => net.cleanup());

    async function agree(d: FirewallDocument, packets: Packet[]) {
      const result = await runCase(dp, d, packets);
      expect(result.refused).toBeUndefined();
      expect(result.disagreements).toEqual([]);
      return predict(d, packets).packets;
    }

    // Seed 20261124. The reset answering a SYN acknowledges its payload too, and nf_reject writes
    // it with traffic class 0, so the DSCP rule above does not see the reset and it leaves.
    it('a rejected IPv6 SYN with payload and DSCP 10 is answered by a reset with DSCP 0', async () => {
      // (Under a `->` parent: a Trigger parent would decide first and its Reject child would
      // change nothing, DESIGN §3.4.)
      const d = doc([
        rule('DSCP', '8-16', '->', [rule('IP version', '4', 'Reject', [], { relation: '!=' })]),
      ]);
      const out = await agree(d, [
        pkt(
          'in eth1 tcp [fd70:0:0:1::1]:1000 > [fd60::1]:8080 flags syn,ecn,cwr len 160 ttl 1 dscp 10',
        ),
      ]);
      expect(out.map((p) => [p.delivered, p.replied])).toEqual([[false, true]]);
      expect(out[0]!.replies[0]!.packet).toMatchObject({ dscp: 0, tcpFlags: ['rst', 'ack'] });
    });

    // Seed 20261124, outbound. An ICMPv6 unreachable quotes the IPv6 header with its traffic class.
    it('a rejected outbound IPv6 UDP datagram with DSCP 10 comes back as an unreachable over lo', async () => {
      const d = doc([rule('IP version', '4', 'Reject', [], { relation: '!=' })]);
      const out = await agree(d, [
        pkt('out eth0 udp [fd60::a]:1000 > [fd70::b]:113 len 48 ttl 128 dscp 10'),
      ]);
      // The unreachable is itself IPv6: rejected on its way out over lo, so nothing comes back.
      expect(out.map((p) => [p.delivered, p.replied])).toEqual([[false, false]]);
    });

    // Found by a mutation check: an Exit group with no Group above ends the top level.
    it('an Exit group with no Group above ends the walk: the default policy passes the packet', async () => {
      const d = doc([
        rule('TCP header flags', 'syn,-ack', '->', [
          rule('TTL', '64', '->', [rule('Protocol', '6 (TCP)', 'Exit group')], {
            relation: '!=',
          }),
          rule('Any', '', 'Drop connection'),
        ]),
      ]);
      const out = await agree(d, [
        pkt('in eth0 tcp 10.70.0.3:12155 > 10.60.0.4:137 flags syn,ecn,cwr len 48 ttl 1'),
      ]);
      expect(out.map((p) => [p.delivered, p.replied])).toEqual([[true, false]]);
    });

    // Seed 20261129: the forward hook sees a routed packet after the router decremented its TTL
    // (both tests: on arrival and on departure, DESIGN §3.9).
    it('a routed packet sent with TTL 64 is judged with TTL 63, on arrival and on departure', async () => {
      const d = doc([rule('TTL', '64', 'Group', [], { relation: '!=', id: 'ttl' })], {
        defaultPolicy: 'pass',
      });
      const out = await agree(d, [
        pkt('routed eth1 eth0 udp 10.71.0.4:18548 > 10.70.0.3:41747 len 36'),
      ]);
      expect(out[0]!.evaluation.matched).toEqual(['ttl', 'ttl']);
      expect(out[0]!.delivered).toBe(true);
    });

    // Seeds 20261125 and 20261153, IP option lists: rawsend.py padded a source route with EOL,
    // which ends the list, and wrote it used up (length 3), which nftables cannot parse (it reads
    // options as a socket would set them); now one hop (the destination) and NOP padding.
    it('a SYN with loose source route and record route options: == 3,7 holds, Reject resets', async () => {
      const d = doc([rule('IP options', '3,7', 'Reject', [], { id: 'both' })]);
      const out = await agree(d, [
        pkt('in eth1 tcp 10.71.0.10:40000 > 10.60.0.3:139 flags syn len 52 options 3,7'),
      ]);
      expect(out.map((p) => [p.delivered, p.replied])).toEqual([[false, true]]);
      expect(out[0]!.evaluation.matched).toEqual(['both']);
    });

    // Seed 20300059 (long mode), a compiler bug (notes for sem-kernel, 04:15): Trigger records the
    // source BEFORE its side-effect walk (kft.c KFT_tableAction: KFT_triggerPacket, then the
    // Delete that walks the children), so its child `Include != triggered` already finds the
    // host and does not match. The kernel recorded after the walk and counted the child.
    it('a Trigger records before its children run: its Include != triggered child does not match', async () => {
      const d = doc([
        rule(
          'Dest port',
          '0-1023',
          'Trigger',
          [rule('Include', 'triggered', 'Delete', [], { relation: '!=', id: 'notyet' })],
          { relation: '<=', parameter: 'unlimited', id: 'trap' },
        ),
      ]);
      const out = await agree(d, [
        pkt(
          'in eth1 tcp 10.71.0.2:2000 > 10.60.0.10:53 flags none len 56 ttl 128 dscp 46 tcpoptions 3,5',
        ),
      ]);
      expect(out[0]!.evaluation.matched).toEqual(['trap']);
      expect(out[0]!.evaluation.verdictRuleId).toBe('trap');
    });

    // Found by a mutation check: an IPv6 packet is outside an IPv4 prefix.
    it('Source net != 10.70.0.0/29 holds for an IPv6 packet', async () => {
      const d = doc(
        [rule('Source net', '10.70.0.0/29', 'Log', [], { relation: '!=', id: 'notv4' })],
        { defaultPolicy: 'delete' },
      );
      const out = await agree(d, [
        pkt('out eth1 udp [fd60::4]:2000 > [fd70:0:0:1::1]:137 len 48 ttl 128 dscp 46'),
      ]);
      expect(out[0]!.evaluation.matched).toEqual(['notv4']);
      expect(out[0]!.delivered).toBe(false);
    });
  },
);

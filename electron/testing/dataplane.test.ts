// Runtime: vitest, root only. The probe harness itself, against hand-written nft rules (no
// compiler involved): delivered, dropped and rejected probes in both directions, IPv4 and IPv6.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePacketSpec, type Packet } from '../../shared/evaluator/packet.ts';
import { DataPlane, dataPlaneSkipReason } from './dataplane.ts';
import { sweepStale, TestNet } from './netns.ts';

const p = (spec: string): Packet => {
  const r = parsePacketSpec(spec);
  if (!r.ok) throw new Error(r.error);
  return r.value;
};

const RULES = `
table inet probe {
  chain in { type filter hook input priority 0; policy accept;
    tcp dport 23 drop
    meta l4proto tcp tcp dport 113 reject with tcp reset
    udp dport 137 reject
    meta l4proto icmp icmp type echo-request reject
    meta l4proto ipv6-icmp icmpv6 type echo-request reject
  }
  chain out { type filter hook output priority 0; policy accept;
    tcp dport 25 drop
    meta l4proto tcp tcp dport 26 reject with tcp reset
    udp dport 27 reject
  }
}
`;

describe.skipIf(dataPlaneSkipReason !== undefined)(
  `data plane probes ${dataPlaneSkipReason ?? ''}`,
  () => {
    const net = new TestNet('evaldp');
    let dp: DataPlane;
    beforeAll(async () => {
      await sweepStale('evaldp');
      dp = await DataPlane.create(net);
      await dp.fw.loadNft(RULES);
    });
    afterAll(() => net.cleanup());

    it('tells delivered, dropped and rejected probes apart, in order, in both directions', async () => {
      const cases: [string, boolean, boolean][] = [
        ['in eth0 tcp 10.70.0.5:40000 > 10.60.0.1:22 flags syn', true, false],
        ['in eth1 tcp 10.71.0.5:40000 > 10.60.0.2:23 flags syn', false, false],
        ['in eth0 tcp 10.70.0.5:40001 > 10.60.0.1:113 flags syn', false, true],
        ['in eth0 tcp 10.70.0.5:40001 > 10.60.0.1:113 flags ack,psh', false, true],
        ['in eth0 tcp 10.70.0.5:40001 > 10.60.0.1:113 flags rst', false, false],
        ['in eth1 udp 10.71.0.9:5000 > 10.60.0.3:137', false, true],
        ['in eth1 udp 10.71.0.9:5000 > 10.60.0.3:138', true, false],
        ['in eth0 icmp 10.70.0.5 > 10.60.0.1 type echo-request', false, true],
        ['in eth0 icmp 10.70.0.5 > 10.60.0.1 type echo-reply', true, false],
        ['in eth0 tcp [fd70::5]:40000 > [fd60::1]:113 flags syn', false, true],
        ['in eth1 udp [fd70:0:0:1::7]:40000 > [fd60::1]:137', false, true],
        ['in eth1 udp [fd70:0:0:1::7]:40000 > [fd60::1]:53', true, false],
        ['in eth0 icmpv6 fd70::5 > fd60::1 type echo-request', false, true],
        ['out eth0 tcp 10.60.0.1:40000 > 10.70.0.5:80 flags syn', true, false],
        ['out eth1 tcp 10.60.0.1:40000 > 10.71.0.5:25 flags syn', false, false],
        ['out eth0 tcp 10.60.0.1:40000 > 10.70.0.5:26 flags syn', false, true],
        ['out eth0 udp 10.60.0.1:40000 > 10.70.0.5:27', false, true],
        ['out eth1 udp [fd60::1]:40000 > [fd70:0:0:1::5]:27', false, true],
        ['out eth0 tcp [fd60::1]:40000 > [fd70::5]:80 flags syn', true, false],
      ];
      const fates = await dp.send(cases.map(([spec]) => p(spec)));
      expect(fates).toEqual(cases.map(([, delivered, replied]) => ({ delivered, replied })));
    });
  },
);

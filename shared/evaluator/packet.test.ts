// Runtime: vitest (pure). The one-line packet form: parse, format, round trip, clear errors.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatPacket, parsePacketSpec, type Packet } from './packet.ts';

describe('parsePacketSpec', () => {
  it('reads the example of the CLI', () => {
    const r = parsePacketSpec('in eth0 tcp 10.0.0.5:40000 > 10.0.0.1:22 flags syn');
    expect(r).toEqual({
      ok: true,
      value: {
        direction: 'inbound',
        inInterface: 'eth0',
        ipVersion: 4,
        src: '10.0.0.5',
        dst: '10.0.0.1',
        protocol: 6,
        srcPort: 40000,
        dstPort: 22,
        tcpFlags: ['syn'],
        length: 40,
        ttl: 64,
        dscp: 0,
        fragmentOffset: 0,
        ipOptions: [],
      },
    });
  });

  it('reads IPv6 in brackets, ICMP names, options and a quoted payload', () => {
    const v6 = parsePacketSpec('out wg0 udp [2001:DB8::1]:5353 > [ff02::fb]:5353 len 120');
    expect(v6.ok && v6.value).toMatchObject({
      direction: 'outbound',
      outInterface: 'wg0',
      src: '2001:db8::1',
      length: 120,
    });
    const icmp = parsePacketSpec('in icmp 2001:db8::1 > 2001:db8::2 type echo-request');
    expect(icmp.ok && icmp.value).toMatchObject({ protocol: 58, icmpType: 128, ipVersion: 6 });
    const p = parsePacketSpec(
      'in eth0 tcp 1.2.3.4:1 > 5.6.7.8:80 flags ack,psh payload "GET / \\"x\\""',
    );
    expect(p.ok && p.value.payload && String.fromCharCode(...p.value.payload)).toBe('GET / "x"');
    expect(p.ok && p.value.length).toBe(40 + 9);
  });

  it.each([
    ['sideways eth0 tcp 1.2.3.4:1 > 5.6.7.8:2', 'in, out or routed'],
    ['in eth0 tcp 1.2.3.4:1 5.6.7.8:2', '">"'],
    ['in eth0 tcp 1.2.3.400:1 > 5.6.7.8:2', '1.2.3.400'],
    ['in eth0 tcp 1.2.3.4:99999 > 5.6.7.8:2', '99999'],
    ['in eth0 icmp 1.2.3.4:5 > 5.6.7.8', 'no ports'],
    ['in eth0 udp 1.2.3.4:1 > 5.6.7.8:2 flags syn', 'tcp packets'],
    ['in eth0 tcp 1.2.3.4:1 > 5.6.7.8:2 flags sin', '"sin"'],
    ['in eth0 tcp 1.2.3.4:1 > [::1]:2', 'mix'],
    ['in eth0 tcp 1.2.3.4:1 > 5.6.7.8:2 colour red', '"colour"'],
    ['in eth0 tcp 1.2.3.4:1 > 5.6.7.8:2 ttl', 'ttl needs a value'],
  ])('%s -> error mentioning %s', (spec, fragment) => {
    const r = parsePacketSpec(spec);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(fragment);
  });
});

describe('formatPacket', () => {
  const packet = fc
    .record({
      direction: fc.constantFrom('inbound' as const, 'outbound' as const),
      iface: fc.option(fc.constantFrom('eth0', 'wg1', 'lo'), { nil: undefined }),
      v6: fc.boolean(),
      a: fc.integer({ min: 1, max: 254 }),
      b: fc.integer({ min: 1, max: 254 }),
      protocol: fc.constantFrom(6, 17, 1, 47),
      sport: fc.integer({ min: 0, max: 65535 }),
      dport: fc.integer({ min: 0, max: 65535 }),
      flags: fc.subarray(['fin', 'syn', 'rst', 'psh', 'ack', 'urg', 'ecn', 'cwr'] as const),
      ttl: fc.integer({ min: 0, max: 255 }),
      len: fc.integer({ min: 20, max: 1500 }),
    })
    .map((r): Packet => {
      const protocol = r.protocol === 1 && r.v6 ? 58 : r.protocol;
      const p: Packet = {
        direction: r.direction,
        ipVersion: r.v6 ? 6 : 4,
        src: r.v6 ? `fd00::${r.a.toString(16)}` : `10.0.0.${r.a}`,
        dst: r.v6 ? `fd00::${r.b.toString(16)}` : `10.0.1.${r.b}`,
        protocol,
        length: r.len,
        ttl: r.ttl,
        dscp: 0,
        fragmentOffset: 0,
        ipOptions: [],
      };
      if (r.iface) p[r.direction === 'inbound' ? 'inInterface' : 'outInterface'] = r.iface;
      if (protocol === 6 || protocol === 17)
        Object.assign(p, { srcPort: r.sport, dstPort: r.dport });
      if (protocol === 6) p.tcpFlags = [...r.flags];
      if (protocol === 1 || protocol === 58) Object.assign(p, { icmpType: 3, icmpCode: 1 });
      return p;
    });

  it('parse(format(p)) is p', () => {
    fc.assert(
      fc.property(packet, (p) => {
        expect(parsePacketSpec(formatPacket(p))).toEqual({ ok: true, value: p });
      }),
    );
  });
});

// The NFLOG pcap decoder (tcpdump -w - on nflog:N): records in any chunking, garbage refused.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PcapNflogDecoder, summarizePacket } from './nflog.ts';

/* ---- a synthetic NFLOG pcap stream ---- */

function tlv(type: number, value: Buffer): Buffer {
  const len = 4 + value.length;
  const out = Buffer.alloc((len + 3) & ~3);
  out.writeUInt16LE(len, 0);
  out.writeUInt16LE(type, 2);
  value.copy(out, 4);
  return out;
}

function ipv4Udp(src: number[], dst: number[], sport: number, dport: number): Buffer {
  const p = Buffer.alloc(28);
  p[0] = 0x45;
  p.writeUInt16BE(28, 2);
  p[8] = 64;
  p[9] = 17;
  Buffer.from(src).copy(p, 12);
  Buffer.from(dst).copy(p, 16);
  p.writeUInt16BE(sport, 20);
  p.writeUInt16BE(dport, 22);
  return p;
}

function nflogRecord(prefix: string, hook: number, payload: Buffer, indev?: number): Buffer {
  const hdr = Buffer.from([0x08, 0x00, hook, 0]);
  const parts = [Buffer.from([2, 0, 0x0b, 0xb9]), tlv(1, hdr), tlv(10, Buffer.from(prefix + '\0'))];
  if (indev !== undefined) {
    const v = Buffer.alloc(4);
    v.writeUInt32BE(indev);
    parts.push(tlv(4, v));
  }
  const ts = Buffer.alloc(16);
  ts.writeBigUInt64BE(1_700_000_000n, 0);
  ts.writeBigUInt64BE(250_000n, 8);
  parts.push(tlv(3, ts), tlv(9, payload));
  return Buffer.concat(parts);
}

function pcap(records: Buffer[]): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(262144, 16);
  header.writeUInt32LE(239, 20);
  const out: Buffer[] = [header];
  for (const r of records) {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(1_700_000_001, 0);
    h.writeUInt32LE(r.length, 8);
    h.writeUInt32LE(r.length, 12);
    out.push(h, r);
  }
  return Buffer.concat(out);
}

describe('PcapNflogDecoder', () => {
  const stream = pcap([
    nflogRecord('rule_a', 1, ipv4Udp([10, 0, 0, 1], [10, 0, 0, 2], 4000, 53), 7),
    nflogRecord('x'.repeat(63), 3, ipv4Udp([192, 168, 1, 1], [8, 8, 8, 8], 1, 2)),
  ]);

  it('decodes prefix, hook, interface, time and payload, in any chunking', () => {
    for (const size of [1, 3, 16, 1000]) {
      const d = new PcapNflogDecoder();
      const got = [];
      for (let i = 0; i < stream.length; i += size)
        got.push(...d.push(stream.subarray(i, i + size)));
      expect(d.error).toBeUndefined();
      expect(got).toHaveLength(2);
      expect(got[0]).toMatchObject({
        prefix: 'rule_a',
        hook: 1,
        inIfindex: 7,
        outIfindex: null,
        timeMs: 1_700_000_000_250,
      });
      expect(summarizePacket(got[0]!.payload)).toEqual({
        version: 4,
        protocol: 'udp',
        src: '10.0.0.1',
        dst: '10.0.0.2',
        srcPort: 4000,
        dstPort: 53,
        length: 28,
      });
      expect(got[1]).toMatchObject({ prefix: 'x'.repeat(63), hook: 3 });
    }
  });

  it('refuses a stream that is not NFLOG and never throws on garbage', () => {
    const eth = Buffer.from(stream);
    eth.writeUInt32LE(1, 20);
    const d = new PcapNflogDecoder();
    expect(d.push(eth)).toEqual([]);
    expect(d.error).toMatch(/not NFLOG/);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const g = new PcapNflogDecoder();
        g.push(Buffer.concat([stream.subarray(0, 24), Buffer.from(bytes)]));
      }),
    );
  });

  it('summarizes IPv6 with the shortest address text', () => {
    const p = Buffer.alloc(48);
    p[0] = 0x60;
    p.writeUInt16BE(8, 4);
    p[6] = 6;
    Buffer.from('fd000000000000000000000000000001', 'hex').copy(p, 8);
    Buffer.from('20010db8000000010000000000000000', 'hex').copy(p, 24);
    p.writeUInt16BE(443, 40);
    p.writeUInt16BE(22, 42);
    expect(summarizePacket(p)).toEqual({
      version: 6,
      protocol: 'tcp',
      src: 'fd00::1',
      dst: '2001:db8:0:1::',
      srcPort: 443,
      dstPort: 22,
      length: 48,
    });
    expect(summarizePacket(Buffer.from([0x45]))).toMatchObject({ version: null, src: null });
  });
});

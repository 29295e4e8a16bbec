// Unit tests of the helper's pure parts (no root, no kernel): framing, the NFLOG pcap decoder,
// counter bookkeeping, triggered-table text, the table fingerprint and timer rules.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRule } from '../../shared/model/tree.ts';
import type { Rule } from '../../shared/model/types.ts';
import { CounterTracker, diffTotals } from './counters.ts';
import { LineSplitter } from './lines.ts';
import { PcapNflogDecoder, summarizePacket } from './nflog.ts';
import { tableFingerprint } from './nft.ts';
import { SYSTEM_DIRS, systemProgram } from './programs.ts';
import { TimerRules, type TimerFire } from './timers.ts';
import { exportTsv, importTsv } from './triggered.ts';

describe('LineSplitter', () => {
  it('splits lines however the bytes are chunked', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc
            .string({ unit: 'grapheme', maxLength: 20 })
            .filter((s) => !s.includes('\n') && s.trim() !== ''),
        ),
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1 }),
        (lines, cuts) => {
          const bytes = Buffer.from(lines.map((l) => l + '\n').join(''));
          const splitter = new LineSplitter(1024);
          const out: string[] = [];
          let at = 0;
          let i = 0;
          while (at < bytes.length) {
            const n = cuts[i++ % cuts.length]!;
            for (const e of splitter.push(bytes.subarray(at, at + n)))
              if (e.kind === 'line') out.push(e.text);
            at += n;
          }
          expect(out).toEqual(lines.map((l) => l.replace(/\r$/, '')));
        },
      ),
    );
  });

  it('reports an oversized line once, as soon as it passes the limit, then resumes', () => {
    const s = new LineSplitter(10);
    expect(s.push(Buffer.from('0123456'))).toEqual([]);
    expect(s.push(Buffer.from('789abc'))).toEqual([{ kind: 'oversized', bytes: 13 }]);
    expect(s.push(Buffer.from('more and more'))).toEqual([]);
    expect(s.push(Buffer.from('x\nok\n'))).toEqual([{ kind: 'line', text: 'ok' }]);
    expect(s.pending()).toBe(0);
  });
});

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

describe('CounterTracker', () => {
  const objects = {
    a: { key: 'a', counter: 'c_a', chains: [] },
    b: { key: 'b', counter: 'c_b', chains: [] },
  };

  it('stays monotonic when the kernel resets and carries totals into the next table', () => {
    const t = new CounterTracker();
    t.reset(objects, {});
    t.update({ a: { packets: 5, bytes: 500 }, b: { packets: 1, bytes: 10 } });
    t.update({ a: { packets: 2, bytes: 200 }, b: { packets: 1, bytes: 10 } }); // nft reset counters
    expect(t.totals()).toEqual({ a: { packets: 7, bytes: 700 }, b: { packets: 1, bytes: 10 } });
    // Next table keeps only `a`.
    const base = t.carryOver({ a: objects.a });
    expect(base).toEqual({ a: { packets: 7, bytes: 700 } });
    t.reset({ a: objects.a }, base);
    t.update({ a: { packets: 1, bytes: 60 } });
    expect(t.totals()).toEqual({ a: { packets: 8, bytes: 760 } });
  });

  it('a watch tells each subscriber what diffTotals against its last tick would', () => {
    const ids = ['a', 'b', 'c', 'd'];
    const objectsOf = (keep: boolean[]) =>
      Object.fromEntries(
        ids
          .filter((_, i) => keep[i])
          .map((id) => [id, { key: id, counter: `c_${id}`, chains: [] }]),
      );
    const value = fc.record({ packets: fc.nat(50), bytes: fc.nat(5000) });
    const step = fc.oneof(
      fc.record({
        kind: fc.constant('update' as const),
        reading: fc.dictionary(fc.constantFrom(...ids), value),
      }),
      fc.record({
        kind: fc.constant('reset' as const),
        keep: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
        // A saved base (a restart) need not be what was counted: take one sometimes.
        base: fc.option(fc.dictionary(fc.constantFrom(...ids), value), { nil: undefined }),
      }),
      fc.record({ kind: fc.constant('tick' as const) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 25 }), fc.nat(25), (steps, watchFrom) => {
        const t = new CounterTracker();
        t.reset(objectsOf([true, true, true, false]), {});
        let watch: ReturnType<CounterTracker['watch']> | undefined;
        let told: Record<string, { packets: number; bytes: number }> = {};
        steps.forEach((s, i) => {
          if (i === watchFrom) watch = t.watch();
          if (s.kind === 'update') t.update(s.reading);
          else if (s.kind === 'reset') {
            const next = objectsOf(s.keep);
            t.reset(next, s.base ?? t.carryOver(next));
          } else if (watch) {
            expect(watch.take()).toEqual(diffTotals(told, t.totals()));
            told = t.totals();
          }
        });
      }),
      { numRuns: 2000 },
    );
  });

  it('counts a rule whose id is __proto__ like any other', () => {
    const t = new CounterTracker();
    t.reset(JSON.parse('{"__proto__": {"key": "p", "counter": "c_p", "chains": []}}'), {});
    const watch = t.watch();
    t.update(JSON.parse('{"__proto__": {"packets": 3, "bytes": 30}}'));
    expect(Object.keys(t.totals())).toEqual(['__proto__']);
    const tick = watch.take();
    expect(Object.keys(tick.changed)).toEqual(['__proto__']);
    expect(JSON.parse(JSON.stringify(tick.changed))).toEqual(
      JSON.parse('{"__proto__": {"packets": 3, "bytes": 30, "dPackets": 3, "dBytes": 30}}'),
    );
  });

  it('diffTotals lists what changed and new rules, and sums the deltas', () => {
    const d = diffTotals(
      { a: { packets: 1, bytes: 10 }, b: { packets: 2, bytes: 20 } },
      { a: { packets: 4, bytes: 40 }, b: { packets: 2, bytes: 20 }, c: { packets: 0, bytes: 0 } },
    );
    expect(d.changed).toEqual({
      a: { packets: 4, bytes: 40, dPackets: 3, dBytes: 30 },
      c: { packets: 0, bytes: 0, dPackets: 0, dBytes: 0 },
    });
    expect(d.totals).toEqual({ dPackets: 3, dBytes: 30 });
  });
});

describe('triggered text', () => {
  it('round-trips export through import', () => {
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const text = exportTsv([
      {
        address: '10.0.0.1',
        type: 'trigger',
        ruleId: 'r',
        ruleNumber: '2.1.2',
        triggeredAt: null,
        hits: 3,
        expiresAt: future,
      },
      {
        address: 'fd00::1',
        type: 'authorize',
        ruleId: null,
        ruleNumber: null,
        triggeredAt: null,
        hits: null,
        expiresAt: null,
      },
    ]);
    const { entries, skipped } = importTsv(text);
    expect(skipped).toEqual([]);
    expect(entries[0]).toMatchObject({ address: '10.0.0.1', type: 'trigger' });
    expect(entries[0]!.durationSeconds).toBeGreaterThan(3590);
    expect(entries[1]).toEqual({ address: 'fd00::1', type: 'authorize' });
  });

  it('accepts a bare address list and names the lines it skips', () => {
    const { entries, skipped } = importTsv(
      '# banned\n192.0.2.7\n\nnot-an-address\n198.51.100.1\tfriend\n203.0.113.9\ttrigger\t\t\t\t2000-01-01T00:00:00Z\n',
    );
    expect(entries).toEqual([{ address: '192.0.2.7', type: 'trigger' }]);
    expect(skipped.map((s) => s.line)).toEqual([4, 5, 6]);
  });
});

describe('tableFingerprint', () => {
  const list = (packets: number, elems: string[], extraRule = false) => ({
    nftables: [
      { metainfo: { version: '1.0.6' } },
      { table: { family: 'inet', name: 'treewall', handle: 1 } },
      {
        counter: {
          family: 'inet',
          name: 'c_a',
          table: 'treewall',
          handle: 2,
          packets,
          bytes: packets * 10,
        },
      },
      { set: { family: 'inet', name: 'trig4', table: 'treewall', handle: 3, elem: elems } },
      ...(extraRule
        ? [
            {
              rule: { family: 'inet', table: 'treewall', chain: 'input', expr: [{ accept: null }] },
            },
          ]
        : []),
    ],
  });
  it('ignores counters, handles and dynamic set contents but not rules', () => {
    expect(tableFingerprint(list(1, []))).toBe(tableFingerprint(list(99, ['10.0.0.1'])));
    expect(tableFingerprint(list(1, []))).not.toBe(tableFingerprint(list(1, [], true)));
  });
});

describe('TimerRules', () => {
  const r = (id: string, p: Partial<Rule>): Rule => createRule({ id, ...p });
  const rules = [
    r('probe', {
      property: 'Idle seconds',
      relation: '>=',
      value: '60',
      action: 'URL',
      parameter: 'ping://192.0.2.1',
    }),
    r('server', {
      property: 'Source net',
      value: '192.0.2.1',
      action: '->',
      children: [
        r('down', {
          property: 'Parent idle seconds',
          relation: '>=',
          value: '200',
          action: 'Notify',
          children: [r('reset', { property: 'Any', action: 'Reset parent' })],
        }),
        r('busy', { property: 'Parent match count', relation: '>=', value: '3', action: 'Alert' }),
      ],
    }),
  ];
  const numbers = new Map([
    ['probe', '1'],
    ['server', '2'],
    ['down', '2.1'],
    ['reset', '2.1.1'],
    ['busy', '2.2'],
  ]);

  it('fires Idle seconds periodically, Parent tests once per edge, and runs Any children', () => {
    const fired: TimerFire[] = [];
    const t = new TimerRules((f) => fired.push(f));
    const t0 = 1_000_000;
    t.reset(rules, numbers, t0);
    const lastChange = new Map([['server', t0]]);
    const at = (s: number, packets: number) => {
      fired.length = 0;
      t.tick({ server: { packets, bytes: packets * 100 } }, lastChange, t0 + s * 1000);
      return fired.map((f) => f.rule.id);
    };
    expect(at(30, 0)).toEqual([]);
    expect(at(60, 0)).toEqual(['probe']);
    expect(at(61, 0)).toEqual([]);
    expect(at(120, 0)).toEqual(['probe']);
    lastChange.set('server', t0 + 121_000);
    expect(at(122, 3)).toEqual(['busy']); // count reached 3: fires once
    expect(at(123, 4)).toEqual([]);
    expect(at(330, 4)).toEqual(['probe', 'down', 'reset']); // idle 209 s; Any child fires too
    expect(at(331, 4)).toEqual([]);
    expect(fired).toEqual([]);
    expect(t.rules.map((x) => x.number)).toEqual(['1', '2.1', '2.2']);
  });

  it('fires Parent match rate when the rate of the parent reaches the value', () => {
    const fired: string[] = [];
    const t = new TimerRules((f) => fired.push(f.rule.id));
    const doc = [
      r('srv', {
        property: 'Source net',
        value: '192.0.2.1',
        action: '->',
        children: [
          r('flood', {
            property: 'Parent match rate',
            relation: '>=',
            value: '10',
            action: 'Alert',
          }),
          r('bulk', {
            property: 'Parent match rate',
            relation: '>=',
            value: '1 kbytes/s',
            action: 'Alert',
          }),
        ],
      }),
    ];
    t.reset(
      doc,
      new Map([
        ['srv', '1'],
        ['flood', '1.1'],
        ['bulk', '1.2'],
      ]),
      0,
    );
    const tick = (s: number, packets: number, bytes: number) =>
      t.tick({ srv: { packets, bytes } }, new Map(), s * 1000);
    tick(1, 0, 0);
    tick(2, 5, 500); // 5 packets/s, 500 bytes/s
    expect(fired).toEqual([]);
    tick(3, 20, 700); // 15 packets/s
    expect(fired).toEqual(['flood']);
    tick(4, 40, 2700); // still flooding: no repeat; 2000 bytes/s
    expect(fired).toEqual(['flood', 'bulk']);
  });

  it('reports each rule flag (its test holds) when it changes: the ping-flood limit', () => {
    const changes: string[] = [];
    const t = new TimerRules(
      () => undefined,
      (id, holds) => changes.push(`${id} ${holds ? 'on' : 'off'}`),
    );
    const doc = [
      r('echo', {
        property: 'ICMP type',
        value: '8 (echo request)',
        action: '->',
        children: [
          r('quiet', {
            property: 'Parent idle seconds',
            relation: '>=',
            value: '30',
            action: 'Reset parent',
          }),
          r('flood', {
            property: 'Parent match count',
            relation: '>=',
            value: '50',
            action: 'Delete no log',
          }),
        ],
      }),
    ];
    const numbers = new Map([
      ['echo', '1'],
      ['quiet', '1.1'],
      ['flood', '1.2'],
    ]);
    t.reset(doc, numbers, 0);
    const lastChange = new Map<string, number>();
    const tick = (s: number, packets: number) => {
      if (packets > 0) lastChange.set('echo', s * 1000);
      changes.length = 0;
      // The service runs Reset parent when 'quiet' fires; here the fire callback does nothing.
      t.tick({ echo: { packets, bytes: packets * 84 } }, lastChange, s * 1000);
      return [...changes];
    };
    expect(tick(1, 10)).toEqual([]);
    expect(tick(2, 60)).toEqual(['flood on']);
    expect(t.flags).toEqual(['flood']);
    expect(tick(3, 70)).toEqual([]); // still flooding: no change, no repeat
    t.resetParent(doc[0]!, { echo: { packets: 70, bytes: 0 } }, 40_000);
    expect(tick(40, 70)).toEqual(['flood off']);
    expect(t.flags).toEqual([]);
    // An apply starts over: every flag false (the new table's set is empty), no events.
    expect(tick(41, 200)).toEqual(['flood on']);
    t.reset(doc, numbers, 42_000);
    expect(t.flags).toEqual([]);
  });
});

describe('systemProgram', () => {
  it('finds programs in the fixed system directories and never through PATH', () => {
    // A directory first in PATH with an executable `sh` in it (sh exists in /bin everywhere).
    const dir = mkdtempSync(path.join(tmpdir(), 'tw-path-'));
    const before = process.env.PATH;
    try {
      writeFileSync(path.join(dir, 'sh'), '#!/bin/false\n');
      chmodSync(path.join(dir, 'sh'), 0o755);
      process.env.PATH = `${dir}:${before ?? ''}`;
      const sh = systemProgram('sh');
      expect(SYSTEM_DIRS.map((d) => path.join(d, 'sh'))).toContain(sh);
      expect(sh.startsWith(dir)).toBe(false);
    } finally {
      process.env.PATH = before;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives a path that fails to spawn for a program that is not installed', () => {
    expect(systemProgram('treewall-no-such-program')).toBe('/usr/sbin/treewall-no-such-program');
    expect(() => systemProgram('../bin/sh')).toThrow(/bare program name/);
  });
});

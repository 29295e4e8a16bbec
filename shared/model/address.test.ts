import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIPv4, formatIPv6, parseAddressMatch, parseIPv4, parseIPv6 } from './address.ts';

const u128 = fc.bigInt({ min: 0n, max: (1n << 128n) - 1n });
/** 128-bit values with long zero runs, where `::` placement matters. */
const sparse128 = fc
  .array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), {
    minLength: 8,
    maxLength: 8,
  })
  .map((groups) => groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n));

describe('address text', () => {
  it('IPv4 text round-trips', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 0xffffffffn }), (v) => {
        expect(parseIPv4(formatIPv4(v))).toBe(v);
      }),
    );
  });
  it('IPv6 text round-trips, canonical text is stable and uses :: once at most', () => {
    fc.assert(
      fc.property(fc.oneof(u128, sparse128), (v) => {
        const text = formatIPv6(v);
        expect(parseIPv6(text)).toBe(v);
        expect(formatIPv6(parseIPv6(text)!)).toBe(text);
        expect(text.split('::').length).toBeLessThanOrEqual(2);
        expect(text).toBe(text.toLowerCase());
      }),
    );
  });
  it('a prefix covers its address, and its first address has no host bits', () => {
    fc.assert(
      fc.property(u128, fc.integer({ min: 0, max: 128 }), (v, len) => {
        const r = parseAddressMatch('Source net', `${formatIPv6(v)}/${len}`);
        if (!r.ok) throw new Error(r.error);
        const { first, last } = r.value;
        expect(first <= v && v <= last).toBe(true);
        expect(last - first + 1n).toBe(1n << BigInt(128 - len));
      }),
    );
  });
  it('IPv4 matches (read in numbers) agree with bigint arithmetic: prefixes, ranges, singles', () => {
    const u32 = fc.bigInt({ min: 0n, max: 0xffffffffn });
    fc.assert(
      fc.property(u32, u32, fc.integer({ min: 0, max: 32 }), (a, b, len) => {
        const size = 1n << BigInt(32 - len);
        const prefix = parseAddressMatch('Source net', `${formatIPv4(a)}/${len}`);
        expect(prefix).toEqual({
          ok: true,
          value: {
            family: 4,
            kind: 'prefix',
            address: formatIPv4(a - (a % size)),
            prefixLength: len,
            first: a - (a % size),
            last: a - (a % size) + size - 1n,
          },
        });
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(parseAddressMatch('Source net', `${formatIPv4(lo)}-${formatIPv4(hi)}`)).toEqual({
          ok: true,
          value: {
            family: 4,
            kind: 'range',
            address: formatIPv4(lo),
            end: formatIPv4(hi),
            first: lo,
            last: hi,
          },
        });
        expect(parseAddressMatch('Source net', formatIPv4(a))).toEqual({
          ok: true,
          value: { family: 4, kind: 'single', address: formatIPv4(a), first: a, last: a },
        });
      }),
    );
  });
  it('IPv4 texts outside the common forms: leading zeros as decimal, netmasks, spaces, errors', () => {
    const value = (text: string) => {
      const r = parseAddressMatch('Source net', text);
      return r.ok ? [r.value.address, r.value.first, r.value.last] : r.error;
    };
    expect(value('010.001.000.009')).toEqual(['10.1.0.9', 0x0a010009n, 0x0a010009n]);
    expect(value('10.1.2.3/255.255.0.0')).toEqual(['10.1.0.0', 0x0a010000n, 0x0a01ffffn]);
    expect(value(' 10.1.2.3 / 24 ')).toEqual(['10.1.2.0', 0x0a010200n, 0x0a0102ffn]);
    expect(value('10.0.0.1 - 10.0.0.9')).toEqual(['10.0.0.1', 0x0a000001n, 0x0a000009n]);
    expect(value('10.0.0.0/0')).toEqual(['0.0.0.0', 0n, 0xffffffffn]);
    expect(value('10.0.0.256')).toBe('Source net 10.0.0.256 is not an IPv4 or IPv6 address');
    expect(value('10.0.0.0/33')).toBe('Source net prefix length 33 is out of range (0-32)');
    expect(value('10.0.0.9-10.0.0.1')).toBe(
      'Source net range 10.0.0.9-10.0.0.1 ends before it starts',
    );
    expect(value('10.0.0.1-::1')).toBe('Source net range 10.0.0.1-::1 mixes IPv4 and IPv6');
    expect(value('1.2.3.4.')).toBe('Source net 1.2.3.4. is not an IPv4 or IPv6 address');
    expect(value('1..2.3')).toBe('Source net 1..2.3 is not an IPv4 or IPv6 address');
    expect(value('1.2.3.1234')).toBe('Source net 1.2.3.1234 is not an IPv4 or IPv6 address');
  });
});

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
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { xmlValue } from '../plist/test-arbitraries.ts';
import { decodeWire, encodeWire } from './wire.ts';

describe('wire', () => {
  it('round-trips every property-list value, dates and data included, at any depth', () => {
    fc.assert(
      fc.property(xmlValue, (value) => {
        const message = { id: 1, result: { ok: true, value: { extra: value, list: [value] } } };
        expect(decodeWire(encodeWire(message))).toEqual(message);
      }),
      { numRuns: 500 },
    );
  });

  it('writes plain JSON when there is nothing to tag, and tags what JSON cannot carry', () => {
    const plain = { a: [1, 'x', { b: null, c: true }] };
    expect(encodeWire(plain)).toBe(JSON.stringify(plain));
    const deep = { a: [{ b: [{ c: new Uint8Array([1, 2, 3]) }] }], d: new Date(0) };
    const text = encodeWire(deep);
    expect(text).toContain('\\u0000bytes');
    expect(text).toContain('\\u0000date');
    expect(decodeWire(text)).toEqual(deep);
  });
});

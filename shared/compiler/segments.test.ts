// Runtime: vitest (pure). disjointSegments against the obvious quadratic cut.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { disjointSegments, type Span } from './segments.ts';

/** Greedy in list order: a segment ends before the first span overlapping one already in it. */
const slowSegments = (spans: Span[]): number[] => {
  const lengths: number[] = [];
  let start = 0;
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i] as Span;
    const hit = spans
      .slice(start, i)
      .some((t) => t.family === s.family && t.lo <= s.hi && s.lo <= t.hi);
    if (hit) {
      lengths.push(i - start);
      start = i;
    }
  }
  lengths.push(spans.length - start);
  return lengths;
};

const spanArb = fc
  .tuple(fc.constantFrom(0, 4, 6), fc.bigInt(0n, 40n), fc.bigInt(0n, 6n))
  .map(([family, lo, width]): Span => ({ family, lo, hi: lo + width }));

describe('disjointSegments', () => {
  it('cuts exactly where the quadratic greedy cut does', () => {
    fc.assert(
      fc.property(fc.array(spanArb, { minLength: 1, maxLength: 60 }), (spans) => {
        expect(disjointSegments(spans)).toEqual(slowSegments(spans));
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps a disjoint list whole and cuts before a repeated network', () => {
    const s = (lo: number, hi = lo): Span => ({ family: 4, lo: BigInt(lo), hi: BigInt(hi) });
    expect(disjointSegments([s(1), s(3), s(5, 9), s(10)])).toEqual([4]);
    expect(disjointSegments([s(1), s(3), s(5, 9), s(1), s(7), s(20)])).toEqual([3, 3]);
    expect(disjointSegments([s(1), s(3), s(5, 9), s(1), s(1), s(20)])).toEqual([3, 1, 2]);
    // Families never overlap each other.
    expect(disjointSegments([s(1), { family: 6, lo: 1n, hi: 1n }])).toEqual([2]);
  });
});

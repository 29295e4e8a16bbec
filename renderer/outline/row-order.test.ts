// Runtime: Node (vitest). row-order.ts plans how the outline's rows go back into document order
// after a scroll: only the rows outside the longest run already in order move, a bounded number
// per step, the pinned (focused) row never, and repeated steps always end in order.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keptInPlace, planMoves } from './row-order.ts';

/** Applies planned moves to a list of element names, as insertBefore does. */
function apply(order: string[], moves: Array<[number, number | null]>): string[] {
  const names = moves.map(([i, before]): [string, string | null] => [
    order[i]!,
    before === null ? null : order[before]!,
  ]);
  const out = [...order];
  for (const [el, before] of names) {
    out.splice(out.indexOf(el), 1);
    out.splice(before === null ? out.length : out.indexOf(before), 0, el);
  }
  return out;
}

/** Length of the longest non-decreasing subsequence, the slow way. */
function longestRun(keys: number[]): number {
  const best = keys.map(() => 1);
  for (let i = 0; i < keys.length; i++)
    for (let j = 0; j < i; j++)
      if (keys[j]! <= keys[i]!) best[i] = Math.max(best[i]!, best[j]! + 1);
  return Math.max(0, ...best);
}

const distinctKeys = fc.uniqueArray(fc.integer({ min: 0, max: 400 }), { maxLength: 80 });

describe('row order after a scroll', () => {
  it('ends in order, moving only the rows outside the longest ordered run', () => {
    fc.assert(
      fc.property(distinctKeys, fc.integer({ min: 1, max: 20 }), (keys, budget) => {
        const key = new Map(keys.map((k) => [`r${k}`, k]));
        let order = keys.map((k) => `r${k}`);
        let moved = 0;
        for (let step = 0; step < keys.length + 2; step++) {
          const moves = planMoves(
            order.map((n) => key.get(n)!),
            null,
            budget,
          );
          expect(moves.length).toBeLessThanOrEqual(budget);
          if (moves.length === 0) break;
          moved += moves.length;
          order = apply(order, moves);
        }
        expect(order.map((n) => key.get(n))).toEqual([...keys].sort((a, b) => a - b));
        expect(moved).toBe(keys.length - longestRun(keys));
      }),
    );
  });

  it('never moves the pinned row and still ends in order', () => {
    fc.assert(
      fc.property(
        distinctKeys.filter((k) => k.length > 0),
        fc.nat(),
        fc.integer({ min: 1, max: 20 }),
        (keys, pick, budget) => {
          const key = new Map(keys.map((k) => [`r${k}`, k]));
          const focused = `r${keys[pick % keys.length]}`;
          let order = keys.map((k) => `r${k}`);
          for (let step = 0; step < keys.length + 2; step++) {
            const moves = planMoves(
              order.map((n) => key.get(n)!),
              order.indexOf(focused),
              budget,
            );
            if (moves.length === 0) break;
            for (const [i] of moves) expect(order[i]).not.toBe(focused);
            order = apply(order, moves);
          }
          expect(order.map((n) => key.get(n))).toEqual([...keys].sort((a, b) => a - b));
        },
      ),
    );
  });

  it('moves the rotated block, not the rest, after a scroll down', () => {
    // 70 rows; the top 45 were handed to the rules below: their elements come first.
    const keys = [
      ...Array.from({ length: 45 }, (_, i) => 25 + i),
      ...Array.from({ length: 25 }, (_, i) => i),
    ];
    const keep = keptInPlace(keys);
    expect(keep.filter((k) => !k).length).toBe(25);
  });
});

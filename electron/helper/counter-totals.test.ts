// A full reading's per-rule values (`fullTotals`): with `zeros`, found through the program's
// index instead of a walk of every rule; held to the walk (every rule from the reply, the rest
// of those the kernel counts at zero) on random programs and replies.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RuleObjects } from '../../shared/compiler/index.ts';
import {
  emptyNetlinkValues,
  fullTotals,
  mergeNetlink,
  totalsFromNetlink,
  type NetlinkReply,
} from './counter-reader.ts';
import type { Totals } from './counters.ts';

/** What a full reading with `zeros` gave before: every rule from the reply, zeros filled in. */
function walked(reply: NetlinkReply, objects: Record<string, RuleObjects>): Totals {
  const totals = totalsFromNetlink(mergeNetlink(reply, emptyNetlinkValues()), objects);
  for (const [id, o] of Object.entries(objects))
    if (!totals[id] && (o.counter || (o.elements?.length ?? 0) > 0))
      totals[id] = { packets: 0, bytes: 0 };
  return totals;
}

const MAPS = ['m_a', 'm_b'];
const FIRSTS = ['1', '22', '80', '443', '3232235776'];

const program = fc
  .array(
    fc.record({
      counter: fc.option(fc.constantFrom('c_1', 'c_2', 'c_3', 'c_4'), { nil: undefined }),
      elements: fc.array(
        fc.record({ map: fc.constantFrom(...MAPS), first: fc.constantFrom(...FIRSTS) }),
        {
          maxLength: 3,
        },
      ),
    }),
    { maxLength: 12 },
  )
  .map((rules) => {
    const objects: Record<string, RuleObjects> = Object.create(null) as Record<string, RuleObjects>;
    rules.forEach((r, i) => {
      objects[i === 3 ? '__proto__' : `r${i}`] = {
        key: `k${i}`,
        chains: [],
        ...(r.counter ? { counter: r.counter } : {}),
        ...(r.elements.length > 0
          ? { elements: r.elements.map((e) => ({ ...e, last: e.first })) }
          : {}),
      };
    });
    return objects;
  });

const value = fc.tuple(fc.nat(1000), fc.nat(100000));
const reply = fc.record({
  counters: fc.dictionary(fc.constantFrom('c_1', 'c_2', 'c_3', 'c_4', 'c_9'), value),
  elements: fc.dictionary(
    fc.constantFrom(...MAPS, 'm_z'),
    fc.array(
      fc.tuple(
        fc.constantFrom(...FIRSTS).map((f) => BigInt(f).toString(16)),
        fc.constantFrom(0, 1),
        fc.nat(1000),
        fc.nat(100000),
        fc.constant(null),
      ),
      { maxLength: 4 },
    ),
  ),
});

describe('fullTotals', () => {
  it('gives what the walk of every rule gave, with zeros and without', () => {
    fc.assert(
      fc.property(program, reply, fc.boolean(), (objects, r, zeros) => {
        const full = { ok: true, ...r, ...(zeros ? { zeros: true } : {}) } as NetlinkReply;
        const seen = emptyNetlinkValues();
        const got = fullTotals(full, seen, objects);
        const want = zeros
          ? walked(full, objects)
          : totalsFromNetlink(mergeNetlink(full, emptyNetlinkValues()), objects);
        expect({ ...got }).toEqual({ ...want });
        // What the reader keeps for the changed-only readings that follow.
        expect(seen).toEqual(mergeNetlink(full, emptyNetlinkValues()));
      }),
    );
  });
});

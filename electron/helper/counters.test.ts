// Counter bookkeeping: monotonic totals across kernel resets, per-subscriber deltas.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CounterReader } from './counter-reader.ts';
import { CounterTracker, diffTotals, type Totals } from './counters.ts';

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

describe('CounterTracker.readEvery', () => {
  const objects = { a: { key: 'a', counter: 'c_a', chains: [] } };
  /** A reader whose readings are answered by hand, in order. */
  const manual = () => {
    const asked: { quick: boolean; answer: (t: Totals) => void }[] = [];
    const reader = {
      read: (_objects: unknown, options: { quick?: boolean } = {}) =>
        new Promise<Totals>((resolve) =>
          asked.push({ quick: options.quick === true, answer: resolve }),
        ),
    } as unknown as CounterReader;
    return { asked, reader };
  };

  it('joins a reading of every counter asked and not answered yet; not a quick one, nor one of the table before', async () => {
    const t = new CounterTracker();
    t.reset(objects, {});
    const { asked, reader } = manual();
    const first = t.read(reader);
    const joined = t.readEvery(reader);
    expect(asked).toHaveLength(1);
    asked[0]!.answer({ a: { packets: 3, bytes: 30 } });
    await Promise.all([first, joined]);
    expect(t.totals()).toEqual({ a: { packets: 3, bytes: 30 } });
    // Answered: the next one is a reading of its own.
    const own = t.readEvery(reader);
    expect(asked).toHaveLength(2);
    asked[1]!.answer({ a: { packets: 4, bytes: 40 } });
    await own;
    // A quick reading in flight may leave maps out: not joined.
    const quick = t.read(reader, { quick: true });
    const every = t.readEvery(reader);
    expect(asked).toHaveLength(4);
    asked[2]!.answer({});
    asked[3]!.answer({ a: { packets: 5, bytes: 50 } });
    await Promise.all([quick, every]);
    expect(t.totals()).toEqual({ a: { packets: 5, bytes: 50 } });
    // A reading of the table before a reset is not this table's.
    const old = t.read(reader);
    t.reset(objects, {});
    const fresh = t.readEvery(reader);
    expect(asked).toHaveLength(6);
    asked[4]!.answer({ a: { packets: 9, bytes: 90 } });
    asked[5]!.answer({ a: { packets: 1, bytes: 10 } });
    await Promise.all([old, fresh]);
    expect(t.totals()).toEqual({ a: { packets: 1, bytes: 10 } });
  });
});

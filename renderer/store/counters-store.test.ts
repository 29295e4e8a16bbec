import { beforeEach, describe, expect, it } from 'vitest';
import type { CounterTick } from '../../shared/ipc/app-api.ts';
import {
  applySnapshot,
  applyTick,
  countingStopped,
  hasHistory,
  rateHistory,
  resetCountersStore,
  setBaseline,
  useCountersStore,
} from './counters-store.ts';

const s = () => useCountersStore.getState();

/** A tick from cumulative totals, as the helper sends it (deltas against `previous`). */
function tick(
  totals: Record<string, [packets: number, bytes: number]>,
  previous: Record<string, [number, number]> = {},
  intervalMs = 1000,
): CounterTick {
  const changed: CounterTick['changed'] = {};
  let dp = 0;
  let db = 0;
  for (const [id, [packets, bytes]] of Object.entries(totals)) {
    const [pp, pb] = previous[id] ?? [0, 0];
    changed[id] = { packets, bytes, dPackets: packets - pp, dBytes: bytes - pb };
    dp += packets - pp;
    db += bytes - pb;
  }
  return {
    at: new Date(1_700_000_000_000 + s().tick * 1000).toISOString(),
    intervalMs,
    changed,
    totals: { dPackets: dp, dBytes: db },
  };
}

beforeEach(resetCountersStore);

describe('counters store', () => {
  it('keeps totals, rates and the last-second highlight per rule', () => {
    applyTick(tick({ a: [10, 600], b: [0, 0] }, {}, 2000));
    const a = s().counters.get('a')!;
    expect(a).toMatchObject({
      packets: 10,
      bytes: 600,
      packetsPerSecond: 5,
      bitsPerSecond: 2400,
      hot: true,
    });
    expect(a.lastMatch).toBe(1_700_000_000_000);
    // A rule the kernel counts with nothing yet: counted, but no entry (no row re-renders).
    expect(s().counters.has('b')).toBe(false);
    expect(s().counted).toEqual(new Set(['a', 'b']));
    expect(s().totalPacketsPerSecond).toBe(5);
  });

  it('shows counts between ticks at once; rates and histories wait for the tick', () => {
    applyTick(tick({ a: [10, 600], b: [0, 0] }));
    const before = s();
    // Counts (partial): a moved by 2 since the tick, b by 1 for the first time.
    applyTick({ ...tick({ a: [12, 720], b: [1, 60] }, { a: [10, 600] }), partial: true });
    expect(s().tick).toBe(before.tick);
    expect(s().totalPacketsPerSecond).toBe(before.totalPacketsPerSecond);
    expect(s().counters.get('a')).toMatchObject({ packets: 12, bytes: 720, packetsPerSecond: 10 });
    expect(s().counters.get('b')).toMatchObject({
      packets: 1,
      bytes: 60,
      packetsPerSecond: 0,
      hot: true,
    });
    expect(rateHistory('a', 'packets', 2)).toEqual(Float32Array.from([0, 10]));
    expect(hasHistory('b')).toBe(false);
    // The tick carries its whole interval's increase: the rates are over it, not since the counts.
    applyTick(tick({ a: [15, 900], b: [1, 60] }, { a: [10, 600] }));
    expect(s().counters.get('a')).toMatchObject({ packets: 15, packetsPerSecond: 5 });
    expect(s().counters.get('b')).toMatchObject({ packets: 1, packetsPerSecond: 1, hot: true });
    expect(rateHistory('a', 'packets', 2)).toEqual(Float32Array.from([10, 5]));
    expect(s().totalPacketsPerSecond).toBe(6);
    // Counts of nothing new change nothing (no re-render).
    const counters = s().counters;
    applyTick({ ...tick({}, {}), partial: true });
    expect(s().counters).toBe(counters);
  });

  it('when counting stops, keeps the totals and drops highlights, rates and the counted set', () => {
    applyTick(tick({ a: [10, 600], b: [0, 0] }));
    countingStopped();
    expect(s().counters.get('a')).toMatchObject({
      packets: 10,
      bytes: 600,
      packetsPerSecond: 0,
      bitsPerSecond: 0,
      hot: false,
    });
    expect(s().counted.size).toBe(0);
    expect(s().totalPacketsPerSecond).toBe(0);
    expect(s().totalBitsPerSecond).toBe(0);
  });

  it('clears the rate and highlight one tick later, and leaves unchanged rules untouched', () => {
    applyTick(tick({ a: [10, 600], c: [1, 60] }));
    const c = s().counters.get('c')!;
    applyTick(tick({ c: [2, 120] }, { c: [1, 60] }));
    // `a` did not match in this tick: same totals, no rate, no highlight.
    expect(s().counters.get('a')).toMatchObject({ packets: 10, packetsPerSecond: 0, hot: false });
    const a = s().counters.get('a')!;
    expect(s().counters.get('c')).not.toBe(c);
    // A third tick without `a`: its entry object is the same one (its row does not render).
    applyTick(tick({ c: [3, 180] }, { c: [2, 120] }));
    expect(s().counters.get('a')).toBe(a);
  });

  it('counts from the baseline after an apply or a reset, and never below zero', () => {
    applyTick(tick({ a: [10, 600] }));
    setBaseline('reset', 42);
    expect(s().counters.size).toBe(0);
    expect(s().baseline).toEqual({ kind: 'reset', at: 42 });
    applyTick(tick({ a: [13, 780] }, { a: [10, 600] }));
    expect(s().counters.get('a')).toMatchObject({ packets: 3, bytes: 180 });
    // A kernel that counts this id from zero again (totals below the baseline) restarts at zero.
    applyTick(tick({ a: [2, 120] }, { a: [0, 0] }));
    expect(s().counters.get('a')).toMatchObject({ packets: 2, bytes: 120 });
  });

  it('takes a snapshot as totals since the baseline and learns which rules are counted', () => {
    applySnapshot({
      at: 'x',
      counters: { a: { packets: 5, bytes: 300 }, z: { packets: 0, bytes: 0 } },
    });
    expect(s().counters.get('a')).toMatchObject({ packets: 5, bytes: 300, hot: false });
    expect(s().counters.has('z')).toBe(false);
    expect(s().counted).toEqual(new Set(['a', 'z']));
  });

  it('keeps a per-second history with zeros for the ticks in between', () => {
    applyTick(tick({ a: [4, 240] }));
    applyTick(tick({ b: [1, 60] }));
    applyTick(tick({ b: [2, 120] }, { b: [1, 60] }));
    applyTick(tick({ a: [6, 360] }, { a: [4, 240] }));
    expect([...rateHistory('a', 'packets', 5)]).toEqual([0, 4, 0, 0, 2]);
    expect([...rateHistory('a', 'bytes', 4)]).toEqual([240, 0, 0, 120]);
    expect([...rateHistory(null, 'packets', 4)]).toEqual([4, 1, 1, 2]);
    expect([...rateHistory('never', 'packets', 3)]).toEqual([0, 0, 0]);
    // A rule named with zero counts (every counted rule, in the first tick) has no history.
    applyTick(tick({ idle: [0, 0] }));
    expect(hasHistory('idle')).toBe(false);
    expect(hasHistory('a')).toBe(true);
  });
});

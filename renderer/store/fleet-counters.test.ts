import { describe, expect, it } from 'vitest';
import { createFleetCounters } from './fleet-counters.ts';

const tick = (changed: Record<string, [number, number, number, number]>) => ({
  at: '2026-12-07T06:00:00.000Z',
  intervalMs: 1000,
  changed: Object.fromEntries(
    Object.entries(changed).map(([id, [packets, bytes, dPackets, dBytes]]) => [
      id,
      { packets, bytes, dPackets, dBytes },
    ]),
  ),
  totals: { dPackets: 0, dBytes: 0 },
});

describe('fleet counters', () => {
  it('sums the selected hosts per rule id, whatever order snapshots and ticks came in', () => {
    const f = createFleetCounters();
    f.snapshot('a', {
      at: '',
      counters: { r1: { packets: 5, bytes: 500 }, r2: { packets: 1, bytes: 60 } },
    });
    f.tick('b', tick({ r1: [3, 300, 3, 300], r3: [7, 700, 7, 700] }));
    f.snapshot('c', { at: '', counters: { r1: { packets: 100, bytes: 1 } } });
    f.tick('a', tick({ r1: [6, 600, 1, 100] }));
    expect(f.sum(['a', 'b']).counters).toEqual({
      r1: { packets: 9, bytes: 900 },
      r2: { packets: 1, bytes: 60 },
      r3: { packets: 7, bytes: 700 },
    });
    expect(f.sum(['c']).counters).toEqual({ r1: { packets: 100, bytes: 1 } });
    expect(f.hostTotal('a')).toEqual({ packets: 7, bytes: 660 });
  });

  it('flushes one combined tick: deltas of every selected host added, totals summed', () => {
    const f = createFleetCounters();
    f.tick('a', tick({ r1: [2, 200, 2, 200] }));
    f.tick('b', tick({ r1: [4, 400, 4, 400], r2: [1, 10, 1, 10] }));
    f.tick('a', tick({ r1: [3, 300, 1, 100] }));
    f.tick('x', tick({ r1: [50, 5000, 50, 5000] })); // not selected: not in the flush
    const t = f.flush(['a', 'b'], 1000)!;
    expect(t.changed).toEqual({
      r1: { packets: 7, bytes: 700, dPackets: 7, dBytes: 700 },
      r2: { packets: 1, bytes: 10, dPackets: 1, dBytes: 10 },
    });
    expect(t.totals).toEqual({ dPackets: 8, dBytes: 710 });
    expect(f.flush(['a', 'b'], 1000)).toBeNull();
    f.forget('b');
    expect(f.sum(['a', 'b']).counters).toEqual({ r1: { packets: 3, bytes: 300 } });
  });
});

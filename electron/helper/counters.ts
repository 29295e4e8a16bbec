// Runtime: plain Node, as root. Per-rule counter totals over the life of a rule id.
// Invariant: totals per rule id never go down while the helper knows the rule. The kernel's
// counters start at zero in every newly applied table (apply replaces the table), and anyone may
// reset them (`nft reset counters`), so the total is `base + kernel`: at apply, the last kernel
// reading of every id the new document keeps is folded into `base`; when a kernel value goes down
// between readings, the reading before the drop is folded in. Packets counted between the last
// reading and the apply are the only ones lost (a window of one nft call).

import type { CounterValues } from '../../shared/compiler/counters.ts';
import type { RuleObjects } from '../../shared/compiler/index.ts';
import type { CounterReader } from './counter-reader.ts';

export type Totals = Record<string, CounterValues>;

export class CounterTracker {
  private base: Totals = {};
  private kernel: Totals = {};
  private objects: Record<string, RuleObjects> = {};
  /** Bumped by reset(): a reading that started before an apply must not land after it. */
  private generation = 0;
  /** When each rule's total last went up (ms), for the timer rules' "idle" tests. */
  readonly lastChange = new Map<string, number>();

  /** Start counting a newly applied table. `base` restores totals saved by an earlier run. */
  reset(objects: Record<string, RuleObjects>, base: Totals): void {
    this.generation++;
    this.objects = objects;
    this.base = {};
    for (const id of Object.keys(objects)) if (base[id]) this.base[id] = { ...base[id] };
    this.kernel = {};
  }

  /** The base the next table should start from: current totals of the ids it keeps. */
  carryOver(nextObjects: Record<string, RuleObjects>): Totals {
    const totals = this.totals();
    const out: Totals = {};
    for (const id of Object.keys(nextObjects)) if (totals[id]) out[id] = totals[id];
    return out;
  }

  clear(): void {
    this.reset({}, {});
  }

  /** Read the kernel once and fold the values in. */
  async read(reader: CounterReader): Promise<void> {
    if (Object.keys(this.objects).length === 0) return;
    const generation = this.generation;
    const values = await reader.read(this.objects);
    if (generation !== this.generation) return;
    this.update(values);
  }

  /** Fold one kernel reading in (exposed for tests). */
  update(reading: Totals, now = Date.now()): void {
    for (const [id, value] of Object.entries(reading)) {
      const before = this.kernel[id];
      if (before && (value.packets < before.packets || value.bytes < before.bytes)) {
        // Reset behind our back: keep what was counted before it.
        const b = (this.base[id] ??= { packets: 0, bytes: 0 });
        b.packets += before.packets;
        b.bytes += before.bytes;
      }
      if (!before || value.packets !== before.packets) this.lastChange.set(id, now);
      this.kernel[id] = { packets: value.packets, bytes: value.bytes };
    }
  }

  totals(): Totals {
    const out: Totals = {};
    for (const id of Object.keys(this.objects)) {
      const b = this.base[id];
      const k = this.kernel[id];
      if (!b && !k) continue;
      out[id] = {
        packets: (b?.packets ?? 0) + (k?.packets ?? 0),
        bytes: (b?.bytes ?? 0) + (k?.bytes ?? 0),
      };
    }
    return out;
  }
}

/** What changed between two totals, as `counters:tick` carries it. */
export function diffTotals(
  before: Totals,
  after: Totals,
): {
  changed: Record<string, { packets: number; bytes: number; dPackets: number; dBytes: number }>;
  totals: { dPackets: number; dBytes: number };
} {
  const changed: Record<
    string,
    { packets: number; bytes: number; dPackets: number; dBytes: number }
  > = {};
  let dp = 0;
  let db = 0;
  for (const [id, v] of Object.entries(after)) {
    const b = before[id];
    const dPackets = v.packets - (b?.packets ?? 0);
    const dBytes = v.bytes - (b?.bytes ?? 0);
    if (dPackets === 0 && dBytes === 0 && b) continue;
    changed[id] = { packets: v.packets, bytes: v.bytes, dPackets, dBytes };
    dp += dPackets;
    db += dBytes;
  }
  return { changed, totals: { dPackets: dp, dBytes: db } };
}

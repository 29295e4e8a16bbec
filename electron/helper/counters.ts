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

/** A map by rule id with no prototype: a rule id such as `__proto__` (which RULE_ID_PATTERN
 * allows) must be a key like any other, not the object's prototype. */
const byId = <T>(): Record<string, T> => Object.create(null) as Record<string, T>;

export class CounterTracker {
  private base: Totals = byId();
  private kernel: Totals = byId();
  private objects: Record<string, RuleObjects> = byId();
  /** base + kernel of every rule that has a value; an entry is replaced, never changed. */
  private sums: Totals = byId();
  private readonly watches = new Set<CounterWatch>();
  /** Bumped by reset(): a reading that started before an apply must not land after it. */
  private generation = 0;
  /** The reading asked last and not answered yet (`readEvery`). */
  private inflight: { generation: number; every: boolean; done: Promise<void> } | null = null;
  /** When each rule's total last went up (ms), for the timer rules' "idle" tests. */
  readonly lastChange = new Map<string, number>();

  /** Start counting a newly applied table. `base` restores totals saved by an earlier run. */
  reset(objects: Record<string, RuleObjects>, base: Totals): void {
    this.generation++;
    this.objects = objects;
    this.base = byId();
    const before = this.sums;
    this.sums = byId();
    for (const id of Object.keys(objects)) {
      const b = base[id];
      if (b) {
        this.base[id] = { ...b };
        this.sums[id] = { packets: b.packets, bytes: b.bytes };
      }
    }
    this.kernel = byId();
    // Every rule of the new table is news to a watcher until it has compared it; a rule that
    // left is forgotten at its next take() unless it came back by then.
    for (const w of this.watches) {
      for (const id of Object.keys(objects)) w.dirty.add(id);
      for (const id of Object.keys(before)) if (!this.sums[id]) w.gone.add(id);
    }
  }

  /** The base the next table should start from: current totals of the ids it keeps. */
  carryOver(nextObjects: Record<string, RuleObjects>): Totals {
    const out: Totals = byId();
    for (const id of Object.keys(nextObjects)) {
      const v = this.sums[id];
      if (v) out[id] = { packets: v.packets, bytes: v.bytes };
    }
    return out;
  }

  clear(): void {
    this.reset({}, {});
  }

  /** Read the kernel once and fold the values in (options: `CounterReader.read`'s). */
  async read(reader: CounterReader, options?: Parameters<CounterReader['read']>[1]): Promise<void> {
    // (No Object.keys of 10,000 ids up to 4 times a second to see that there are none.)
    let none = true;
    for (const _ in this.objects) {
      none = false;
      break;
    }
    if (none) return;
    const generation = this.generation;
    const done = reader.read(this.objects, options).then((values) => {
      if (generation === this.generation) this.update(values);
    });
    const entry = { generation, every: options?.quick !== true, done };
    this.inflight = entry;
    try {
      await done;
    } finally {
      if (this.inflight === entry) this.inflight = null;
    }
  }

  /**
   * A reading of every counter of this table folded in: the one asked last and not answered yet
   * when it is not a quick one (an apply right after another joins the first's full reading
   * instead of queueing one more behind it in the reader), else a new one.
   */
  readEvery(reader: CounterReader): Promise<void> {
    const f = this.inflight;
    if (f && f.every && f.generation === this.generation) return f.done;
    return this.read(reader);
  }

  /** Fold one kernel reading in (exposed for tests). Costs what the reading holds. */
  update(reading: Totals, now = Date.now()): void {
    for (const [id, value] of Object.entries(reading)) {
      if (!Object.hasOwn(this.objects, id)) continue;
      const before = this.kernel[id];
      if (before && (value.packets < before.packets || value.bytes < before.bytes)) {
        // Reset behind our back: keep what was counted before it.
        const b = (this.base[id] ??= { packets: 0, bytes: 0 });
        b.packets += before.packets;
        b.bytes += before.bytes;
      }
      if (!before || value.packets !== before.packets) this.lastChange.set(id, now);
      this.kernel[id] = { packets: value.packets, bytes: value.bytes };
      const b = this.base[id];
      const packets = (b?.packets ?? 0) + value.packets;
      const bytes = (b?.bytes ?? 0) + value.bytes;
      const old = this.sums[id];
      if (old && old.packets === packets && old.bytes === bytes) continue;
      this.sums[id] = { packets, bytes };
      for (const w of this.watches) w.dirty.add(id);
    }
  }

  /** Totals by rule id (a copy). */
  totals(): Totals {
    return Object.assign(byId<CounterValues>(), this.sums);
  }

  /** Totals by rule id, without copying: read it now, never keep or change it. */
  current(): Readonly<Totals> {
    return this.sums;
  }

  /** A consumer of changes (one per counter subscriber): `take()` gives what changed since. */
  watch(): CounterWatch {
    const w = new CounterWatch(this);
    for (const id of Object.keys(this.sums)) w.dirty.add(id);
    this.watches.add(w);
    return w;
  }

  /** Stop marking changes for watchers not in `keep` (gone subscribers). */
  keepWatching(keep: ReadonlySet<CounterWatch>): void {
    for (const w of this.watches) if (!keep.has(w)) this.watches.delete(w);
  }
}

export type CounterChanges = ReturnType<typeof diffTotals>;

/**
 * What one subscriber has been told. `take()` answers what `diffTotals(told, totals())` would,
 * but looks only at the rules whose totals changed since (a quiet 10,000-rule table: a few),
 * instead of walking every rule every tick.
 */
export class CounterWatch {
  /** Rules whose totals may differ from what this watcher was told. */
  readonly dirty = new Set<string>();
  /** Rules that left the totals (an apply dropped them) since the last take(). */
  readonly gone = new Set<string>();
  private readonly told = new Map<string, CounterValues>();

  constructor(private readonly tracker: CounterTracker) {}

  take(): CounterChanges {
    const sums = this.tracker.current();
    const changed: CounterChanges['changed'] = byId();
    let dp = 0;
    let db = 0;
    // What the subscriber was told is the totals of its last tick: rules absent now are new
    // again if they come back.
    for (const id of this.gone) if (!sums[id]) this.told.delete(id);
    this.gone.clear();
    for (const id of this.dirty) {
      const v = sums[id];
      if (!v) continue;
      const b = this.told.get(id);
      const dPackets = v.packets - (b?.packets ?? 0);
      const dBytes = v.bytes - (b?.bytes ?? 0);
      if (dPackets === 0 && dBytes === 0 && b) continue;
      changed[id] = { packets: v.packets, bytes: v.bytes, dPackets, dBytes };
      this.told.set(id, v); // entries of `sums` are replaced, never changed
      dp += dPackets;
      db += dBytes;
    }
    this.dirty.clear();
    return { changed, totals: { dPackets: dp, dBytes: db } };
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
  > = byId();
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

// Runtime: browser (renderer/). Per-rule counters, kept apart from the document store so a tick
// every second re-renders only the statistics cells whose numbers changed, never the tree model.
// Invariants:
// - An entry object is replaced only when something a cell shows changed (a tick that moved the
//   rule, or the tick after, which clears its rate and highlight): a row's selector keeps
//   returning the same value and the row does not render.
// - Counts are the helper's totals minus a baseline kept HERE (client-side): the baseline is set
//   at every apply (so "never matched since apply" means what it says) and by "Reset counters".
//   The kernel's counters are never reset, so other windows and the CLI keep their own view.
// - The history (sparklines, traffic chart) lives in fixed-size typed arrays outside the store:
//   HISTORY_SECONDS samples per rule that ever matched, indexed by tick number modulo the size.

import { create } from 'zustand';
import type { CounterSnapshot, CounterTick } from '../../shared/ipc/app-api.ts';

/** Samples kept per rule (one per tick, about one a second): the last five minutes. */
export const HISTORY_SECONDS = 300;

export interface RuleCounters {
  /** Since the baseline (the last apply, or the user's reset). */
  packets: number;
  bytes: number;
  /** Epoch milliseconds of the last tick that saw this rule match, if any since the baseline. */
  lastMatch?: number;
  /** Over the last tick. */
  packetsPerSecond: number;
  bitsPerSecond: number;
  /** Matched during the last tick (about the last second): the row is highlighted. */
  hot: boolean;
}

interface CountersState {
  counters: ReadonlyMap<string, RuleCounters>;
  /** Ticks seen since the page loaded; sparklines follow it. */
  tick: number;
  /** Epoch ms of the tick. */
  tickAt: number;
  /** Totals over every rule in the last tick. */
  totalPacketsPerSecond: number;
  totalBitsPerSecond: number;
  /** What the baseline is and since when (epoch ms); null: the helper's lifetime totals. */
  baseline: { kind: 'apply' | 'reset'; at: number } | null;
  /** Rules the kernel counts (the helper's last snapshot): only these can be "never matched". */
  counted: ReadonlySet<string>;
}

export const useCountersStore = create<CountersState>()(() => ({
  counters: new Map(),
  tick: 0,
  tickAt: 0,
  totalPacketsPerSecond: 0,
  totalBitsPerSecond: 0,
  baseline: null,
  counted: new Set(),
}));

/** The counters of one rule, or undefined while it never matched since the baseline. */
export const useCounters = (ruleId: string): RuleCounters | undefined =>
  useCountersStore((s) => s.counters.get(ruleId));

/* ---- raw totals, baseline and history (module state: not rendered directly) ---- */

interface Totals {
  packets: number;
  bytes: number;
}
/** The helper's totals by rule id, as last seen. */
const raw = new Map<string, Totals>();
/** Totals at the baseline. */
let base = new Map<string, Totals>();
/** Rules highlighted by the previous tick: the next tick clears them unless they match again. */
let hotIds = new Set<string>();

interface History {
  packets: Float32Array;
  bytes: Float32Array;
  /** The last tick written. */
  last: number;
}
const histories = new Map<string, History>();
const totalHistory: History = {
  packets: new Float32Array(HISTORY_SECONDS),
  bytes: new Float32Array(HISTORY_SECONDS),
  last: 0,
};
const tickTimes = new Float64Array(HISTORY_SECONDS);

function record(h: History, tick: number, packets: number, bytes: number): void {
  // Ticks in between saw no change: zero their slots (at most one full turn).
  for (let t = Math.max(h.last + 1, tick - HISTORY_SECONDS + 1); t < tick; t++) {
    h.packets[t % HISTORY_SECONDS] = 0;
    h.bytes[t % HISTORY_SECONDS] = 0;
  }
  h.packets[tick % HISTORY_SECONDS] = packets;
  h.bytes[tick % HISTORY_SECONDS] = bytes;
  h.last = tick;
}

/** The rule matched at least once since the page loaded (it has a history to draw). */
export const hasHistory = (ruleId: string): boolean => histories.has(ruleId);

/**
 * Per-second rates of one rule (or of all rules with `null`) over the last `count` ticks, oldest
 * first, ending at the current tick. Rules that never matched give zeros.
 */
export function rateHistory(
  ruleId: string | null,
  what: 'packets' | 'bytes',
  count = HISTORY_SECONDS,
): Float32Array {
  const { tick } = useCountersStore.getState();
  const n = Math.min(count, HISTORY_SECONDS);
  const out = new Float32Array(n);
  const h = ruleId === null ? totalHistory : histories.get(ruleId);
  if (!h) return out;
  const series = h[what];
  for (let i = 0; i < n; i++) {
    const t = tick - (n - 1) + i;
    if (t <= 0 || t > h.last || t <= tick - HISTORY_SECONDS) continue;
    out[i] = series[t % HISTORY_SECONDS] ?? 0;
  }
  return out;
}

/** Epoch seconds of the last `count` ticks, oldest first (0 before the first tick). */
export function tickTimeline(count = HISTORY_SECONDS): Float64Array {
  const { tick } = useCountersStore.getState();
  const n = Math.min(count, HISTORY_SECONDS);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = tick - (n - 1) + i;
    out[i] = t > 0 ? (tickTimes[t % HISTORY_SECONDS] ?? 0) : 0;
  }
  return out;
}

const since = (id: string, t: Totals): Totals => {
  const b = base.get(id);
  // A rule id the kernel counts from zero again (a baseline above the total) restarts at zero.
  if (!b || b.packets > t.packets) return t;
  return { packets: t.packets - b.packets, bytes: t.bytes - b.bytes };
};

/**
 * Counts between ticks (`partial`): the new totals of the rules that moved, shown at once and
 * lit; rates, histories and the tick number wait for the tick, whose increases cover its whole
 * interval.
 */
function applyCounts(tick: CounterTick): void {
  const state = useCountersStore.getState();
  const at = Date.parse(tick.at) || Date.now();
  let next: Map<string, RuleCounters> | undefined;
  for (const [id, c] of Object.entries(tick.changed)) {
    raw.set(id, { packets: c.packets, bytes: c.bytes });
    const sinceBase = since(id, c);
    const previous = (next ?? state.counters).get(id);
    if (!previous && sinceBase.packets === 0 && sinceBase.bytes === 0) continue;
    next ??= new Map(state.counters);
    const matched = c.dPackets > 0;
    next.set(id, {
      packetsPerSecond: 0,
      bitsPerSecond: 0,
      ...previous,
      packets: sinceBase.packets,
      bytes: sinceBase.bytes,
      ...(matched ? { lastMatch: at } : {}),
      hot: matched || (previous?.hot ?? false),
    });
  }
  if (next) useCountersStore.setState({ counters: next });
}

/** One `counters:tick` from the helper. */
export function applyTick(tick: CounterTick): void {
  if (tick.partial) {
    applyCounts(tick);
    return;
  }
  const state = useCountersStore.getState();
  const at = Date.parse(tick.at) || Date.now();
  const seconds = Math.max(0.001, tick.intervalMs / 1000);
  const n = state.tick + 1;
  const next = new Map(state.counters);
  const nextHot = new Set<string>();
  for (const [id, c] of Object.entries(tick.changed)) {
    raw.set(id, { packets: c.packets, bytes: c.bytes });
    const sinceBase = since(id, c);
    let h = histories.get(id);
    // A history only for rules that matched once: the first tick names every counted rule.
    if (!h && c.dPackets > 0) {
      h = {
        packets: new Float32Array(HISTORY_SECONDS),
        bytes: new Float32Array(HISTORY_SECONDS),
        last: 0,
      };
      histories.set(id, h);
    }
    const pps = c.dPackets / seconds;
    const Bps = c.dBytes / seconds;
    if (h) record(h, n, pps, Bps);
    const matched = c.dPackets > 0;
    const previous = next.get(id);
    // Rules with nothing since the baseline get no entry (the first tick names every counted
    // rule with zeros): the map, copied each tick, holds only rules that matched.
    if (!previous && sinceBase.packets === 0 && sinceBase.bytes === 0) continue;
    next.set(id, {
      packets: sinceBase.packets,
      bytes: sinceBase.bytes,
      ...(matched
        ? { lastMatch: at }
        : previous?.lastMatch
          ? { lastMatch: previous.lastMatch }
          : {}),
      packetsPerSecond: pps,
      bitsPerSecond: Bps * 8,
      hot: matched,
    });
    if (matched) nextHot.add(id);
  }
  // Rules that matched in the previous tick and not in this one: rate back to zero, no highlight.
  for (const id of hotIds) {
    if (nextHot.has(id) || Object.hasOwn(tick.changed, id)) continue;
    const e = next.get(id);
    if (e) next.set(id, { ...e, packetsPerSecond: 0, bitsPerSecond: 0, hot: false });
  }
  hotIds = nextHot;
  // A tick names every rule the kernel counts the first time it sees it (with zero counts).
  let counted = state.counted;
  for (const id of Object.keys(tick.changed)) {
    if (counted.has(id)) continue;
    if (counted === state.counted) counted = new Set(counted);
    (counted as Set<string>).add(id);
  }
  record(totalHistory, n, tick.totals.dPackets / seconds, tick.totals.dBytes / seconds);
  tickTimes[n % HISTORY_SECONDS] = at / 1000;
  useCountersStore.setState({
    counters: next,
    tick: n,
    tickAt: at,
    totalPacketsPerSecond: tick.totals.dPackets / seconds,
    totalBitsPerSecond: (tick.totals.dBytes / seconds) * 8,
    counted,
  });
}

/** The helper's totals (at connect): counts without rates. */
export function applySnapshot(snapshot: CounterSnapshot): void {
  const next = new Map(useCountersStore.getState().counters);
  for (const [id, c] of Object.entries(snapshot.counters)) {
    raw.set(id, { packets: c.packets, bytes: c.bytes });
    const s = since(id, c);
    const previous = next.get(id);
    if (s.packets === 0 && !previous) continue;
    next.set(id, {
      packetsPerSecond: 0,
      bitsPerSecond: 0,
      hot: false,
      ...previous,
      packets: s.packets,
      bytes: s.bytes,
    });
  }
  useCountersStore.setState({ counters: next, counted: new Set(Object.keys(snapshot.counters)) });
}

/** Count from now on: after an apply (`apply`) or when the user resets the counters (`reset`). */
export function setBaseline(kind: 'apply' | 'reset', at = Date.now()): void {
  // Rates and their history stay: they do not depend on the baseline.
  base = new Map(raw);
  hotIds = new Set();
  useCountersStore.setState({
    counters: new Map(),
    baseline: { kind, at },
    totalPacketsPerSecond: 0,
    totalBitsPerSecond: 0,
  });
}

/**
 * No rules in force any more (rolled back to none, stopped, the helper gone): nothing counts, so
 * no rule is lit, no rate runs and no rule is "counted"; the totals stay (the cells show them as
 * not in force). The next apply's baseline starts again from the helper's totals.
 */
export function countingStopped(): void {
  const state = useCountersStore.getState();
  if (
    !hotIds.size &&
    !state.counted.size &&
    !state.totalPacketsPerSecond &&
    !state.totalBitsPerSecond
  )
    return;
  const next = new Map(state.counters);
  for (const [id, c] of next)
    if (c.hot || c.packetsPerSecond || c.bitsPerSecond)
      next.set(id, { ...c, hot: false, packetsPerSecond: 0, bitsPerSecond: 0 });
  hotIds = new Set();
  useCountersStore.setState({
    counters: next,
    counted: new Set(),
    totalPacketsPerSecond: 0,
    totalBitsPerSecond: 0,
  });
}

/** Forget everything (tests; a different helper). */
export function resetCountersStore(): void {
  raw.clear();
  base = new Map();
  hotIds = new Set();
  histories.clear();
  totalHistory.packets.fill(0);
  totalHistory.bytes.fill(0);
  totalHistory.last = 0;
  tickTimes.fill(0);
  useCountersStore.setState({
    counters: new Map(),
    tick: 0,
    tickAt: 0,
    totalPacketsPerSecond: 0,
    totalBitsPerSecond: 0,
    baseline: null,
    counted: new Set(),
  });
}

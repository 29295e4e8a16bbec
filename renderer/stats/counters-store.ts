// Runtime: browser (renderer/). Per-rule counters, kept apart from the document store so a tick
// every second re-renders only the statistics cells that subscribe, never the tree model.
// The statistics engineer fills `counters` from the helper's stream; until then it stays empty.

import { create } from 'zustand';

export interface RuleCounters {
  packets: number;
  bytes: number;
  /** Epoch milliseconds of the last match, if known. */
  lastMatch?: number;
}

interface CountersState {
  counters: ReadonlyMap<string, RuleCounters>;
}

export const useCountersStore = create<CountersState>()(() => ({ counters: new Map() }));

/** The counters of one rule, or undefined while none are known. */
export const useCounters = (ruleId: string): RuleCounters | undefined =>
  useCountersStore((s) => s.counters.get(ruleId));

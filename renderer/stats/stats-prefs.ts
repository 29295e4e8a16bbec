// Runtime: browser (renderer/). How the statistics column looks beyond the document's selected
// statistic: sparklines and subtree totals. A preference of this browser (localStorage), not of
// the document, since it changes nothing about the firewall.

import { create } from 'zustand';

interface StatsPrefs {
  /** A sparkline of the last minutes beside each number. */
  sparklines: boolean;
  /** A collapsed rule shows the sum over its descendants (Σ) instead of its own counter. */
  subtreeTotals: boolean;
  set(patch: Partial<Pick<StatsPrefs, 'sparklines' | 'subtreeTotals'>>): void;
}

const KEY = 'treewall.statsPrefs';

function load(): Pick<StatsPrefs, 'sparklines' | 'subtreeTotals'> {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) ?? '{}') as Record<string, unknown>;
    return { sparklines: v.sparklines !== false, subtreeTotals: v.subtreeTotals === true };
  } catch {
    return { sparklines: true, subtreeTotals: false };
  }
}

export const useStatsPrefs = create<StatsPrefs>()((set, get) => ({
  ...load(),
  set(patch) {
    set(patch);
    const { sparklines, subtreeTotals } = get();
    try {
      localStorage.setItem(KEY, JSON.stringify({ sparklines, subtreeTotals }));
    } catch {
      // Storage full or refused: the preference lasts for this page only.
    }
  },
}));

// Runtime: browser (renderer/). What the live views add to an outline row: the highlight of a
// rule that matched in the last second, and the simulator's path marks. One hook, two selectors
// returning primitives: a tick re-renders only rows whose highlight changed.

import { pathMark, useSimStore } from '../simulator/sim-store.ts';
import { useCountersStore } from '../store/counters-store.ts';

export interface RowLive {
  /** Extra class names for the row (`hit`, `sim-verdict`, `sim-matched`, `sim-tested`). */
  className: string;
  /** Data attributes for tests and styles. */
  attrs: { 'data-hit'?: 'true'; 'data-sim'?: string };
}

export function useRowLive(ruleId: string): RowLive {
  const hot = useCountersStore((s) => s.counters.get(ruleId)?.hot === true);
  const mark = useSimStore((s) => pathMark(s.simulation, ruleId));
  const classes = [hot ? 'hit' : '', mark ? `sim-${mark}` : ''].filter(Boolean).join(' ');
  return {
    className: classes,
    attrs: {
      ...(hot ? { 'data-hit': 'true' as const } : {}),
      ...(mark ? { 'data-sim': mark } : {}),
    },
  };
}

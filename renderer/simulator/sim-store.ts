// Runtime: browser (renderer/). The simulator's last result, which the outline rows read to
// highlight the path a packet takes (tested, matched, the rule that decided).
// Invariant: the sets are rebuilt only when a simulation runs or is cleared, and a row's
// selector returns a string, so running one re-renders only the rows whose mark changed.

import { create } from 'zustand';
import type { Evaluation } from '../../shared/evaluator/index.ts';

export type PathMark = 'verdict' | 'matched' | 'tested';

export interface Simulation {
  /** The packet as the user wrote it (or as a log event became it). */
  spec: string;
  evaluation: Evaluation;
  tested: ReadonlySet<string>;
  matched: ReadonlySet<string>;
}

interface SimState {
  simulation: Simulation | null;
  /** The packet line in the simulator's field (a log event can fill it). */
  spec: string;
  setSpec(spec: string): void;
  show(spec: string, evaluation: Evaluation): void;
  clear(): void;
}

export const useSimStore = create<SimState>()((set) => ({
  simulation: null,
  spec: 'in eth0 tcp 192.0.2.7:40000 > 10.0.0.1:22 flags syn',
  setSpec: (spec) => set({ spec }),
  show: (spec, evaluation) =>
    set({
      simulation: {
        spec,
        evaluation,
        tested: new Set(evaluation.tested),
        matched: new Set(evaluation.matched),
      },
    }),
  clear: () => set({ simulation: null }),
}));

export function pathMark(sim: Simulation | null, ruleId: string): PathMark | null {
  if (!sim) return null;
  if (sim.evaluation.verdictRuleId === ruleId) return 'verdict';
  if (sim.matched.has(ruleId)) return 'matched';
  if (sim.tested.has(ruleId)) return 'tested';
  return null;
}

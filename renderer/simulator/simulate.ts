// Runtime: browser (renderer/). Judge a packet line against the rules in the editor and show the
// result (the simulator panel, the log's "Simulate", and re-runs after edits all come here).
// What went wrong is shown in the Simulator panel and cleared by the next packet judged.

import { evaluate, parsePacketSpec } from '../../shared/evaluator/index.ts';
import { useDocumentStore } from '../store/document-store.ts';
import { jumpToRule } from '../common/jump.ts';
import { reportPanel } from '../common/panel-error.tsx';
import { useSimStore } from './sim-store.ts';

/** Returns the parse error, or null when the packet was judged. `reveal` selects and scrolls to
 * the deciding rule (or the last matched one). */
export function simulateSpec(spec: string, reveal = true): string | null {
  const sim = useSimStore.getState();
  sim.setSpec(spec);
  const packet = parsePacketSpec(spec);
  if (!packet.ok) {
    sim.clear();
    reportPanel('simulator', packet.error);
    return packet.error;
  }
  reportPanel('simulator', null);
  const evaluation = evaluate(useDocumentStore.getState().document, packet.value);
  sim.show(spec, evaluation);
  const focus = evaluation.verdictRuleId ?? evaluation.matched[evaluation.matched.length - 1];
  if (reveal && focus) jumpToRule(focus);
  return null;
}

/** A packet that could not even be written as a line (a log event without addresses, ...). */
export function simulateFailed(why: string): void {
  useSimStore.getState().clear();
  reportPanel('simulator', why);
}

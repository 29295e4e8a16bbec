// Runtime: browser (renderer/). Judge a packet line against the rules in the editor and show the
// result (the simulator panel, the log's "Simulate", and re-runs after edits all come here).

import { evaluate, parsePacketSpec } from '../../shared/evaluator/index.ts';
import { useDocumentStore } from '../store/document-store.ts';
import { jumpToRule } from '../common/jump.ts';
import { useSimStore } from './sim-store.ts';

/** Returns the parse error, or null when the packet was judged. `reveal` selects and scrolls to
 * the deciding rule (or the last matched one). */
export function simulateSpec(spec: string, reveal = true): string | null {
  const sim = useSimStore.getState();
  sim.setSpec(spec);
  const packet = parsePacketSpec(spec);
  if (!packet.ok) {
    sim.clear();
    return packet.error;
  }
  const evaluation = evaluate(useDocumentStore.getState().document, packet.value);
  sim.show(spec, evaluation);
  const focus = evaluation.verdictRuleId ?? evaluation.matched[evaluation.matched.length - 1];
  if (reveal && focus) jumpToRule(focus);
  return null;
}

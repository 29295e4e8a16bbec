// Runtime: pure (shared/). Port forward: the arrival translation that runs before the filter walk
// (as IPNetSentryX's NAT ran before its filter: "connections are between actual endpoints so NAT
// first for inbound", kft.c `KFT_processPacket`). See docs/vocabulary.md, "Port forward".
// Invariant: only the path's conditions are read (the rule's own and its enabled ancestors'); the
// compiler refuses a path that tests anything with state, so reading them changes nothing.

import type { FirewallDocument, Rule } from '../model/types.ts';
import { ruleParameter, type Scratch } from './state.ts';

export interface Translation {
  rule: Rule;
  /** Destination after the translation. */
  dst: string;
  dstPort?: number;
}

/**
 * The first enabled Port forward rule, in outline order, whose path holds for a packet as it
 * arrives, and where it sends the packet; undefined when none does (the packet goes on to the
 * filter walk). `test` is the caller's own reading of one rule's condition.
 */
export function arrivalTranslation(
  doc: FirewallDocument,
  s: Scratch,
  test: (s: Scratch, rule: Rule, parent: Rule | undefined) => boolean,
): Translation | undefined {
  if (s.packet.direction !== 'inbound') return undefined;
  const search = (rules: readonly Rule[], parent: Rule | undefined): Translation | undefined => {
    for (const rule of rules) {
      if (!rule.enabled) continue;
      if (rule.action === 'Port forward') {
        const t = translate(rule, s);
        if (t && test(s, rule, parent)) return t;
        continue;
      }
      // A rule with no Port forward below it need not be tested (tests here have no effect).
      if (!hasForward(rule.children)) continue;
      if (!test(s, rule, parent)) continue;
      const found = search(rule.children, rule);
      if (found) return found;
    }
    return undefined;
  };
  return search(doc.rules, undefined);
}

function hasForward(rules: readonly Rule[]): boolean {
  return rules.some((r) => r.enabled && (r.action === 'Port forward' || hasForward(r.children)));
}

/** Where the rule sends this packet; undefined when its target does not apply to it. */
function translate(rule: Rule, s: Scratch): Translation | undefined {
  const p = ruleParameter(rule);
  if (!p.ok || p.value.kind !== 'forward') return undefined;
  const t = p.value;
  const packet = s.packet;
  if (t.family !== undefined && t.family !== packet.ipVersion) return undefined;
  const hasPorts = packet.protocol === 6 || packet.protocol === 17;
  if (t.port !== undefined && !hasPorts) return undefined;
  const out: Translation = { rule, dst: t.address ?? packet.dst };
  const port = t.port ?? packet.dstPort;
  if (port !== undefined) out.dstPort = port;
  return out;
}

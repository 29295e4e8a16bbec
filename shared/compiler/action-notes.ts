// Runtime: pure (shared/). What documentProblems says about actions whose effect is not what
// their name suggests on this platform (issue 13 C), as notes on enabled rules:
// - Rate limit in, and Rate limit out with a packet rate or `per source`, police: packets over
//   the rate are deleted (a verdict, not logged), where IPNetSentryX paced TCP and never dropped.
// (A byte-rate Rate limit out shapes, as the original meant: no note. What depends on the
// helper's configuration, an Email without SMTP relay, a Script outside its scripts folder, is
// said by the helper at apply: a warning, or a refusal naming the rule.)

import { rateLimitShapes } from '../model/rate-limit.ts';
import { effectivelyEnabledIds, numberRules, walk } from '../model/tree.ts';
import type { FirewallDocument, Problem } from '../model/types.ts';
import { cachedParameter, type ParseCache } from '../model/values.ts';

export function actionNotes(doc: FirewallDocument, cache: ParseCache): Problem[] {
  const out: Problem[] = [];
  let enabled: Set<string> | undefined;
  let numbers: Map<string, string> | undefined;
  walk(doc.rules, (rule) => {
    if (rule.action !== 'Rate limit in' && rule.action !== 'Rate limit out') return;
    const p = cachedParameter(cache, rule.action, rule.parameter);
    if (!p.ok || p.value.kind !== 'rate' || rateLimitShapes(rule.action, p.value)) return;
    enabled ??= effectivelyEnabledIds(doc.rules);
    if (!enabled.has(rule.id)) return;
    numbers ??= numberRules(doc.rules);
    const direction = rule.action === 'Rate limit in' ? 'inbound' : 'outbound';
    const why =
      rule.action === 'Rate limit in'
        ? 'arriving traffic cannot be shaped before the firewall sees it'
        : 'only a byte rate for all sources together is shaped';
    out.push({
      ruleId: rule.id,
      number: numbers.get(rule.id) ?? '',
      field: 'action',
      message: `${rule.action} polices: ${direction} packets over the rate are deleted (not logged) and TCP backs off; IPNetSentryX paced instead, ${why}`,
    });
  });
  return out;
}

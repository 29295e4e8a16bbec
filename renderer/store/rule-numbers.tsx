// Runtime: browser (renderer/). A rule's number now, by its id: log events, triggered entries and
// the simulator's list from the log carry the number the rule had when the helper saw it, which
// later edits change. Numbered once per document (cached by the rules array), shared by every
// row that asks.

import { numberRules } from '../../shared/model/tree.ts';
import type { Rule } from '../../shared/model/types.ts';
import { useDocumentStore } from './document-store.ts';

const cache = new WeakMap<readonly Rule[], Map<string, string>>();

export function currentNumbers(rules: readonly Rule[]): Map<string, string> {
  let numbers = cache.get(rules);
  if (!numbers) cache.set(rules, (numbers = numberRules(rules as Rule[])));
  return numbers;
}

/** What a list shows for a rule it names: its current number, or the old one marked gone. */
export function useRuleNumber(
  ruleId: string | null,
  numberThen: string | null,
): { text: string; title?: string; gone: boolean } {
  const now = useDocumentStore((s) =>
    ruleId ? (currentNumbers(s.document.rules).get(ruleId) ?? null) : null,
  );
  if (now !== null)
    return {
      text: now,
      gone: false,
      ...(numberThen && numberThen !== now ? { title: `Rule ${numberThen} when it happened` } : {}),
    };
  if (!ruleId) return { text: numberThen ?? '?', gone: false };
  return {
    text: numberThen ?? '?',
    gone: true,
    title: 'This rule is no longer in the outline (the number is the one it had then)',
  };
}

/** A rule number in a list: current, or the old one struck through when the rule is gone. */
export function RuleNumber(props: { ruleId: string | null; numberThen: string | null }) {
  const n = useRuleNumber(props.ruleId, props.numberThen);
  return (
    <span className={n.gone ? 'rule-gone' : undefined} title={n.title} data-testid="rule-ref">
      {n.text}
    </span>
  );
}

// Runtime: browser (renderer/). Rule id -> outline number and name for the live panels, built
// once per rules array (the document store shares untouched subtrees, so an edit builds a new
// index and an unchanged document reuses the old one).

import type { Rule } from '../../shared/model/types.ts';

export interface RuleInfo {
  number: string;
  name: string;
  rule: Rule;
}

const cache = new WeakMap<readonly Rule[], Map<string, RuleInfo>>();

export function ruleIndex(rules: readonly Rule[]): Map<string, RuleInfo> {
  let index = cache.get(rules);
  if (index) return index;
  index = new Map();
  const walk = (list: readonly Rule[], prefix: string) => {
    list.forEach((rule, i) => {
      const number = `${prefix}${i + 1}`;
      index!.set(rule.id, { number, name: rule.name, rule });
      if (rule.children.length) walk(rule.children, `${number}.`);
    });
  };
  walk(rules, '');
  cache.set(rules, index);
  return index;
}

/** A rule as a person names it: `2.6.1.1.17 Disable all other inbound connections`. */
export function describeRule(info: RuleInfo | undefined): string {
  if (!info) return '';
  const r = info.rule;
  return info.name
    ? `${info.number} ${info.name}`
    : `${info.number} ${r.property} ${r.relation} ${r.value} → ${r.action}`.trim();
}

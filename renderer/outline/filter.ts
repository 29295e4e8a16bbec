// Runtime: browser (renderer/). The search/filter box: the rules that match the term, shown with
// their ancestors, everything expanded. Numbers then come from the whole document, not from the
// filtered view, so 2.6.1.1.17 stays 2.6.1.1.17 while filtering.

import type { Rule } from '../../shared/model/types.ts';
import { useDocumentStore } from '../store/document-store.ts';
import { numberRules } from '../store/model-ops.ts';

export interface FilteredView {
  rules: Rule[];
  numbers: Map<string, string>;
  matches: number;
  /** The rules that match the term themselves (the others shown are their ancestors). */
  matched: Set<string>;
}

const matchesTerm = (r: Rule, number: string, term: string): boolean =>
  number === term ||
  number.startsWith(`${term}.`) ||
  [r.name, r.property, r.relation, r.value, r.action, r.parameter].some((f) =>
    f.toLowerCase().includes(term),
  );

export function filterRules(rules: Rule[], rawTerm: string): FilteredView {
  const term = rawTerm.trim().toLowerCase();
  const numbers = numberRules(rules);
  let matches = 0;
  const matched = new Set<string>();
  const walk = (list: Rule[]): Rule[] => {
    const out: Rule[] = [];
    for (const r of list) {
      const children = walk(r.children);
      const self = matchesTerm(r, numbers.get(r.id) ?? '', term);
      if (self) {
        matches++;
        matched.add(r.id);
      }
      if (self || children.length) out.push({ ...r, children, expanded: true });
    }
    return out;
  };
  return { rules: walk(rules), numbers, matches, matched };
}

let memo: { rules: Rule[]; term: string; view: FilteredView } | null = null;

/** The filtered view for the current document and term (memoised on both). */
export function filteredView(rules: Rule[], term: string): FilteredView {
  if (!memo || memo.rules !== rules || memo.term !== term) {
    memo = { rules, term, view: filterRules(rules, term) };
  }
  return memo.view;
}

/** Numbers to show while a filter is on; null when the outline shows the document itself. */
export function useFilterNumbers(): Map<string, string> | null {
  return useDocumentStore((s) =>
    s.filter.trim() ? filteredView(s.document.rules, s.filter).numbers : null,
  );
}

/** This row matches the filter itself (marked), rather than being shown as an ancestor. */
export function useFilterMatch(id: string): boolean {
  return useDocumentStore((s) =>
    s.filter.trim() ? filteredView(s.document.rules, s.filter).matched.has(id) : false,
  );
}

/** "3 of 120 rules match" while a filter is on, else null. */
export function useFilterCount(): string | null {
  return useDocumentStore((s) => {
    if (!s.filter.trim()) return null;
    const view = filteredView(s.document.rules, s.filter);
    const total = view.numbers.size;
    return `${view.matches.toLocaleString()} of ${total.toLocaleString()} ${total === 1 ? 'rule' : 'rules'} match`;
  });
}

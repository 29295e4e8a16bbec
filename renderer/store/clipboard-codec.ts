// Runtime: browser (renderer/). Rules <-> NeXT property-list clipboard text, and which rules a
// copy takes from the outline.
// The text format itself is shared/plist/clipboard.ts; this file decides what is copied.

import type { Rule } from '../../shared/model/types.ts';
import { clipboardTextToRules, rulesToClipboardText } from '../../shared/plist/clipboard.ts';
import { newRuleId } from './model-ops.ts';

export const rulesToText = (rules: readonly Rule[], numbers?: readonly string[]): string =>
  rulesToClipboardText(rules, numbers);

/** Parse clipboard text; throws PlistSyntaxError (line, column) or RuleFormatError. */
export const textToRules = (text: string): Rule[] =>
  clipboardTextToRules(text, { newId: newRuleId });

/**
 * What Copy takes, following the walk-through: a selected collapsed rule brings its whole subtree;
 * a selected expanded rule brings only its selected descendants. Unselected rules between a
 * selected ancestor and selected descendants are skipped, their selected children lifted.
 */
export function rulesForCopy(rules: readonly Rule[], selected: ReadonlySet<string>): Rule[] {
  const out: Rule[] = [];
  for (const r of rules) {
    if (selected.has(r.id)) {
      out.push(r.expanded ? { ...r, children: rulesForCopy(r.children, selected) } : r);
    } else if (r.children.length) {
      out.push(...rulesForCopy(r.children, selected));
    }
  }
  return out;
}

// Runtime: browser (renderer/), pure. The busiest rules for the traffic view: top-k in one pass.

import type { RuleCounters } from '../store/counters-store.ts';
import type { RuleInfo } from '../common/rule-index.ts';

export const TOP = 8;

/** Rules that only hold others (`->`, Group) count everything below them: they would fill the
 * list. The top lists rank the rules that do something to the packet. */
const CONTAINERS = new Set(['->', 'Group']);

export function topRules(
  counters: ReadonlyMap<string, RuleCounters>,
  index: Map<string, RuleInfo>,
  by: 'packets' | 'bytes',
) {
  // Top-k by insertion into a list of TOP: one pass, O(rules), no sort of 100,000 entries.
  const list: [string, RuleCounters][] = [];
  for (const entry of counters) {
    const value = entry[1][by];
    if (value <= 0 || (list.length === TOP && value <= list[TOP - 1]![1][by])) continue;
    const action = index.get(entry[0])?.rule.action;
    if (!action || CONTAINERS.has(action)) continue;
    let i = list.length;
    while (i > 0 && list[i - 1]![1][by] < value) i--;
    list.splice(i, 0, entry);
    if (list.length > TOP) list.pop();
  }
  return list;
}

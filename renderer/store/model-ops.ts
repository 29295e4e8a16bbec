// Runtime: browser (renderer/). The tree operations the document store is built from: the pure
// ops of shared/model/tree.ts, plus the few compositions the outline needs (a whole subtree's
// disclosure, a rule's location).
// Invariant: every function returns a new rules array that shares every untouched subtree with its
// input (structural sharing), so undo snapshots and React memoisation stay cheap, and returns its
// input unchanged when there is nothing to do (the store then records no undo step).

import type { Rule } from '../../shared/model/types.ts';
import {
  canDrop as canDropAt,
  copySubtree,
  createRule,
  deleteRules,
  findById,
  insertBefore,
  insertChild,
  insertSibling,
  moveRules,
  newRuleId,
  numberRules,
  pathOf,
  setEnabled,
  setExpanded as setExpandedIds,
  updateRule,
  walk,
} from '../../shared/model/tree.ts';

export {
  copySubtree,
  deleteRules,
  insertBefore,
  insertSibling,
  moveRules,
  newRuleId,
  numberRules,
  setEnabled,
  updateRule,
};

export type RuleUpdate = Partial<Omit<Rule, 'id' | 'children'>>;

/** A new rule as the outline makes it: `Any == ->`, collapsed (it has no children yet). */
export const blankRule = (): Rule => createRule({ expanded: false });

export const findRule = (rules: readonly Rule[], id: string): Rule | null =>
  findById(rules, id) ?? null;

export const findPath = (rules: readonly Rule[], id: string): number[] | null =>
  pathOf(rules, id) ?? null;

/** Insert as the first children of `parentId` (expanding it), where the user is looking. */
export const insertFirstChild = (
  rules: Rule[],
  parentId: string,
  inserted: readonly Rule[],
): Rule[] => insertChild(rules, parentId, inserted, 0);

/** Open or close one rule, or (recursive) it and every rule below it that has children. */
export function setExpanded(
  rules: Rule[],
  id: string,
  expanded: boolean,
  recursive = false,
): Rule[] {
  if (!recursive) return setExpandedIds(rules, [id], expanded);
  const root = findById(rules, id);
  if (!root) return rules;
  const ids: string[] = [root.id];
  walk(root.children, (r) => void (r.children.length > 0 && ids.push(r.id)));
  return setExpandedIds(rules, ids, expanded);
}

/** Open or close every rule that has children. */
export function setAllExpanded(rules: Rule[], expanded: boolean): Rule[] {
  const ids: string[] = [];
  walk(rules, (r) => void (r.children.length > 0 && r.expanded !== expanded && ids.push(r.id)));
  return setExpandedIds(rules, ids, expanded);
}

/** May `dragIds` be dropped into `parentId` (null: top level)? Index-free, for disableDrop. */
export const canDrop = (
  rules: readonly Rule[],
  dragIds: readonly string[],
  parentId: string | null,
): boolean => canDropAt(rules, dragIds, parentId, 0);

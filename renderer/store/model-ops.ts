// Runtime: browser (renderer/). The tree operations the document store is built from.
// Invariant: every function is pure and returns a new rules array that shares every untouched
// subtree with its input (structural sharing), so undo snapshots and React memoisation stay cheap.
//
// NOTE: this is the renderer's seam over shared/model. Until the model engineer's pure tree ops
// land, the few operations the outline needs are written here; the store only ever calls the
// names exported from this file, so switching to shared/model is a change here alone.

import type { Rule } from '../../shared/model/types.ts';

export type RuleUpdate = Partial<Omit<Rule, 'id' | 'children'>>;

let counter = 0;
/** A fresh rule id, unique within a session (ids only need to be unique in a document). */
export const newRuleId = (): string =>
  `r${Date.now().toString(36)}${(counter++).toString(36)}${Math.random().toString(36).slice(2, 6)}`;

export const blankRule = (): Rule => ({
  id: newRuleId(),
  enabled: true,
  name: '',
  property: 'Any',
  relation: '==',
  value: '',
  action: '->',
  parameter: '',
  children: [],
  expanded: false,
});

/** Where a rule sits: the chain of indexes from the top level down to it. */
export function findPath(rules: readonly Rule[], id: string): number[] | null {
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i]!;
    if (r.id === id) return [i];
    if (r.children.length) {
      const sub = findPath(r.children, id);
      if (sub) return [i, ...sub];
    }
  }
  return null;
}

export function findRule(rules: readonly Rule[], id: string): Rule | null {
  const path = findPath(rules, id);
  if (!path) return null;
  let list: readonly Rule[] = rules;
  let rule: Rule | undefined;
  for (const i of path) {
    rule = list[i];
    list = rule?.children ?? [];
  }
  return rule ?? null;
}

/** Replace the list of children at `parentPath` ([] is the top level) by `fn(list)`. */
function mapListAt(rules: Rule[], parentPath: number[], fn: (list: Rule[]) => Rule[]): Rule[] {
  if (parentPath.length === 0) return fn(rules);
  const [head, ...rest] = parentPath as [number, ...number[]];
  const parent = rules[head]!;
  const copy = rules.slice();
  copy[head] = { ...parent, children: mapListAt(parent.children, rest, fn) };
  return copy;
}

/** Replace the rule with `id` by `fn(rule)`; returns the input when the id is unknown. */
export function mapRule(rules: Rule[], id: string, fn: (rule: Rule) => Rule): Rule[] {
  const path = findPath(rules, id);
  if (!path) return rules;
  const index = path[path.length - 1]!;
  return mapListAt(rules, path.slice(0, -1), (list) => {
    const copy = list.slice();
    copy[index] = fn(list[index]!);
    return copy;
  });
}

export const updateRule = (rules: Rule[], id: string, update: RuleUpdate): Rule[] =>
  mapRule(rules, id, (r) => ({ ...r, ...update }));

export const setEnabled = (rules: Rule[], ids: readonly string[], enabled: boolean): Rule[] =>
  ids.reduce((acc, id) => updateRule(acc, id, { enabled }), rules);

const setExpandedDeep = (rule: Rule, expanded: boolean): Rule => ({
  ...rule,
  expanded: rule.children.length ? expanded : rule.expanded,
  children: rule.children.map((c) => setExpandedDeep(c, expanded)),
});

export const setExpanded = (
  rules: Rule[],
  id: string,
  expanded: boolean,
  recursive = false,
): Rule[] =>
  mapRule(rules, id, (r) => (recursive ? setExpandedDeep(r, expanded) : { ...r, expanded }));

export const setAllExpanded = (rules: Rule[], expanded: boolean): Rule[] =>
  rules.map((r) => setExpandedDeep(r, expanded));

/** Insert `inserted` into the list of `parentId` (null: top level) at `index`. */
export function insertAt(
  rules: Rule[],
  parentId: string | null,
  index: number,
  inserted: readonly Rule[],
): Rule[] {
  const parentPath = parentId === null ? [] : findPath(rules, parentId);
  if (!parentPath) return rules;
  return mapListAt(rules, parentPath, (list) => [
    ...list.slice(0, index),
    ...inserted,
    ...list.slice(index),
  ]);
}

/** The parent id (null at the top level) and index of a rule. */
export function locate(
  rules: Rule[],
  id: string,
): { parentId: string | null; index: number } | null {
  const path = findPath(rules, id);
  if (!path) return null;
  let parentId: string | null = null;
  let list: readonly Rule[] = rules;
  for (const i of path.slice(0, -1)) {
    parentId = list[i]!.id;
    list = list[i]!.children;
  }
  return { parentId, index: path[path.length - 1]! };
}

export const insertSibling = (
  rules: Rule[],
  afterId: string,
  inserted: readonly Rule[],
): Rule[] => {
  const at = locate(rules, afterId);
  return at ? insertAt(rules, at.parentId, at.index + 1, inserted) : [...rules, ...inserted];
};

export const insertBefore = (
  rules: Rule[],
  beforeId: string,
  inserted: readonly Rule[],
): Rule[] => {
  const at = locate(rules, beforeId);
  return at ? insertAt(rules, at.parentId, at.index, inserted) : [...inserted, ...rules];
};

export const insertChild = (rules: Rule[], parentId: string, inserted: readonly Rule[]): Rule[] =>
  mapRule(insertAt(rules, parentId, 0, inserted), parentId, (r) => ({ ...r, expanded: true }));

export function deleteRules(rules: Rule[], ids: readonly string[]): Rule[] {
  const gone = new Set(ids);
  const prune = (list: Rule[]): Rule[] => {
    let changed = false;
    const out: Rule[] = [];
    for (const r of list) {
      if (gone.has(r.id)) {
        changed = true;
        continue;
      }
      const children = r.children.length ? prune(r.children) : r.children;
      if (children !== r.children) changed = true;
      out.push(children === r.children ? r : { ...r, children });
    }
    return changed ? out : list;
  };
  return prune(rules);
}

/** Is `id` the rule `ancestorId` or below it? */
function isWithin(rules: Rule[], ancestorId: string, id: string): boolean {
  const a = findRule(rules, ancestorId);
  return a !== null && (a.id === id || findPath(a.children, id) !== null);
}

export const canDrop = (
  rules: Rule[],
  dragIds: readonly string[],
  parentId: string | null,
): boolean => parentId === null || !dragIds.some((d) => isWithin(rules, d, parentId));

/**
 * Move `dragIds` (in outline order) into `parentId` at `index`, where index counts the parent's
 * children before the move (react-arborist's convention).
 */
export function moveRules(
  rules: Rule[],
  dragIds: readonly string[],
  parentId: string | null,
  index: number,
): Rule[] {
  if (!canDrop(rules, dragIds, parentId)) return rules;
  const moving = dragIds.map((id) => findRule(rules, id)).filter((r): r is Rule => r !== null);
  const siblings = parentId === null ? rules : (findRule(rules, parentId)?.children ?? []);
  const before = siblings.slice(0, index).filter((r) => dragIds.includes(r.id)).length;
  const pruned = deleteRules(rules, dragIds);
  return insertAt(pruned, parentId, index - before, moving);
}

/** A deep copy with fresh ids (duplicate, paste). */
export const copySubtree = (rule: Rule): Rule => ({
  ...rule,
  id: newRuleId(),
  children: rule.children.map(copySubtree),
});

/** Outline numbers (`2.6.1`) for every rule, keyed by id. */
export function numberRules(rules: readonly Rule[]): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (list: readonly Rule[], prefix: string) =>
    list.forEach((r, i) => {
      const n = prefix ? `${prefix}.${i + 1}` : `${i + 1}`;
      out.set(r.id, n);
      walk(r.children, n);
    });
  walk(rules, '');
  return out;
}

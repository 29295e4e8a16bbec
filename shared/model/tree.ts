// Runtime: pure (shared/). Tree operations on the rule outline, shared by the editor's store and
// the helper. Invariants: inputs are never mutated; only the path from the root to a change is
// copied (every untouched subtree keeps its object identity, which is what lets the editor at
// 100,000 rules re-render only what changed); an operation that changes nothing returns the very
// same array it was given. Numbers (`2.6.1.1.17`) are derived from positions, never stored.

import type { Rule } from './types.ts';

/** Rule ids: short, safe in kernel object names and file names. */
export const RULE_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

/** A position: indices from the top level down (`[1, 5, 0]` is rule 2.6.1). */
export type RulePath = readonly number[];

/* ------------------------------------------------------------------------------------------ */
/* Ids and new rules                                                                          */
/* ------------------------------------------------------------------------------------------ */

interface RandomSource {
  getRandomValues(array: Uint8Array): Uint8Array;
}

function hasRandomValues(value: unknown): value is RandomSource {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { getRandomValues?: unknown }).getRandomValues === 'function'
  );
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/**
 * Ten random base36 characters, the first a letter (so a kernel name built from it never starts
 * with a digit). Web Crypto where the runtime has it (browsers, Node >= 19), else Math.random:
 * ids need to be unique, not secret.
 */
export function newRuleId(): string {
  const source = (globalThis as { crypto?: unknown }).crypto;
  const bytes = new Uint8Array(24);
  if (hasRandomValues(source)) source.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  let id = '';
  for (const b of bytes) {
    // Rejection sampling keeps the characters uniform (252 = 7 * 36).
    if (b >= 252) continue;
    const alphabet = id === '' ? 26 : 36;
    id += ALPHABET[b % alphabet];
    if (id.length === 10) return id;
  }
  // Vanishingly rare (more than 14 of 24 bytes rejected): top up from Math.random.
  while (id.length < 10) id += ALPHABET[Math.floor(Math.random() * 26)];
  return id;
}

/** A new rule with every field filled in: `Any == ->`, enabled, expanded, a fresh id. */
export function createRule(partial: Partial<Rule> = {}): Rule {
  return {
    id: partial.id ?? newRuleId(),
    enabled: partial.enabled ?? true,
    name: partial.name ?? '',
    property: partial.property ?? 'Any',
    relation: partial.relation ?? '==',
    value: partial.value ?? '',
    action: partial.action ?? '->',
    parameter: partial.parameter ?? '',
    children: partial.children ?? [],
    expanded: partial.expanded ?? true,
    ...(partial.extra ? { extra: partial.extra } : {}),
  };
}

/** A deep copy of a subtree with fresh ids (paste, duplicate). `makeId` is for tests. */
export function copySubtree(rule: Rule, makeId: () => string = newRuleId): Rule {
  return { ...rule, id: makeId(), children: rule.children.map((c) => copySubtree(c, makeId)) };
}

/** copySubtree for a list. */
export const copyRules = (rules: readonly Rule[], makeId: () => string = newRuleId): Rule[] =>
  rules.map((r) => copySubtree(r, makeId));

/* ------------------------------------------------------------------------------------------ */
/* Reading                                                                                    */
/* ------------------------------------------------------------------------------------------ */

/** Visit every rule in outline order (pre-order). Return `false` from `visit` to skip children. */
export function walk(
  rules: readonly Rule[],
  visit: (rule: Rule, path: RulePath, parent: Rule | null) => void | boolean,
): void {
  const go = (list: readonly Rule[], prefix: number[], parent: Rule | null): void => {
    for (let i = 0; i < list.length; i++) {
      const rule = list[i] as Rule;
      prefix.push(i);
      if (visit(rule, prefix.slice(), parent) !== false && rule.children.length > 0) {
        go(rule.children, prefix, rule);
      }
      prefix.pop();
    }
  };
  go(rules, [], null);
}

/** Every rule in outline order; with `onlyVisible`, the children of collapsed rules are left out. */
export function flatten(rules: readonly Rule[], options: { onlyVisible?: boolean } = {}): Rule[] {
  const out: Rule[] = [];
  const go = (list: readonly Rule[]): void => {
    for (const rule of list) {
      out.push(rule);
      if (rule.children.length > 0 && (!options.onlyVisible || rule.expanded)) go(rule.children);
    }
  };
  go(rules);
  return out;
}

export function countRules(rules: readonly Rule[]): number {
  let n = 0;
  for (const rule of rules) n += 1 + countRules(rule.children);
  return n;
}

/** Each rule's parent by id (null for a top-level rule). */
export function parentIndex(rules: readonly Rule[]): Map<string, Rule | null> {
  const parents = new Map<string, Rule | null>();
  walk(rules, (rule, _path, parent) => void parents.set(rule.id, parent));
  return parents;
}

/** The path of the rule with this id, or undefined. */
export function pathOf(rules: readonly Rule[], id: string): number[] | undefined {
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i] as Rule;
    if (rule.id === id) return [i];
    if (rule.children.length > 0) {
      const sub = pathOf(rule.children, id);
      if (sub) return [i, ...sub];
    }
  }
  return undefined;
}

export function ruleAt(rules: readonly Rule[], path: RulePath): Rule | undefined {
  let list = rules;
  let rule: Rule | undefined;
  for (const i of path) {
    rule = list[i];
    if (!rule) return undefined;
    list = rule.children;
  }
  return rule;
}

export function findById(rules: readonly Rule[], id: string): Rule | undefined {
  const path = pathOf(rules, id);
  return path ? ruleAt(rules, path) : undefined;
}

/** The parent of a rule: null for a top-level rule, undefined if the id is not in the tree. */
export function parentOf(rules: readonly Rule[], id: string): Rule | null | undefined {
  const path = pathOf(rules, id);
  if (!path) return undefined;
  return path.length === 1 ? null : (ruleAt(rules, path.slice(0, -1)) ?? null);
}

export const formatNumber = (path: RulePath): string => path.map((i) => i + 1).join('.');

/** `2.6.1.1.17` for a rule id, or undefined. */
export function numberOf(rules: readonly Rule[], id: string): string | undefined {
  const path = pathOf(rules, id);
  return path ? formatNumber(path) : undefined;
}

/** Every rule's number by id, in one pass (the outline's number column, counters, problems). */
export function numberRules(rules: readonly Rule[]): Map<string, string> {
  const numbers = new Map<string, string>();
  const go = (list: readonly Rule[], prefix: string): void => {
    for (let i = 0; i < list.length; i++) {
      const rule = list[i] as Rule;
      const number = prefix === '' ? String(i + 1) : `${prefix}.${i + 1}`;
      numbers.set(rule.id, number);
      if (rule.children.length > 0) go(rule.children, number);
    }
  };
  go(rules, '');
  return numbers;
}

/** The rule with this number (`2.6.1`), or undefined. */
export function findByNumber(rules: readonly Rule[], number: string): Rule | undefined {
  if (!/^\d+(\.\d+)*$/.test(number)) return undefined;
  return ruleAt(
    rules,
    number.split('.').map((n) => Number(n) - 1),
  );
}

/** Ids of the rules that take part in evaluation: enabled, with every ancestor enabled (§3.2). */
export function effectivelyEnabledIds(rules: readonly Rule[]): Set<string> {
  const out = new Set<string>();
  const go = (list: readonly Rule[]): void => {
    for (const rule of list) {
      if (!rule.enabled) continue;
      out.add(rule.id);
      go(rule.children);
    }
  };
  go(rules);
  return out;
}

/** Is `id` inside the subtree of `ancestorId` (or the same rule)? */
export function isInSubtree(rules: readonly Rule[], ancestorId: string, id: string): boolean {
  const ancestor = findById(rules, ancestorId);
  return ancestor ? ancestor.id === id || findById(ancestor.children, id) !== undefined : false;
}

/* ------------------------------------------------------------------------------------------ */
/* Structural sharing helpers                                                                 */
/* ------------------------------------------------------------------------------------------ */

/** Apply `fn` to the child list at `parentPath` ([] = top level), copying only the path. */
function withChildrenAt(
  rules: Rule[],
  parentPath: RulePath,
  fn: (children: Rule[]) => Rule[],
): Rule[] {
  if (parentPath.length === 0) return fn(rules);
  const [i = 0, ...rest] = parentPath;
  const node = rules[i];
  if (!node) return rules;
  const children = withChildrenAt(node.children, rest, fn);
  if (children === node.children) return rules;
  const copy = rules.slice();
  copy[i] = { ...node, children };
  return copy;
}

/**
 * Rebuild the tree with `fn` applied to every rule (children first), copying a list only when
 * something in it changed. `fn` returns the rule itself to leave it alone, or null to remove it.
 */
function mapTree(rules: Rule[], fn: (rule: Rule) => Rule | null): Rule[] {
  let out: Rule[] | undefined;
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i] as Rule;
    let next: Rule | null = rule;
    const children = rule.children.length > 0 ? mapTree(rule.children, fn) : rule.children;
    if (children !== rule.children) next = { ...rule, children };
    next = fn(next);
    if (next !== rule && !out) out = rules.slice(0, i);
    if (out && next) out.push(next);
  }
  return out ?? rules;
}

const asArray = <T>(x: T | readonly T[]): T[] => (Array.isArray(x) ? [...(x as T[])] : [x as T]);

/* ------------------------------------------------------------------------------------------ */
/* Editing                                                                                    */
/* ------------------------------------------------------------------------------------------ */

/** Insert rules right after the rule `afterId`, as its siblings. Unknown id: unchanged. */
export function insertSibling(
  rules: Rule[],
  afterId: string,
  newRules: Rule | readonly Rule[],
): Rule[] {
  const path = pathOf(rules, afterId);
  if (!path) return rules;
  const index = (path[path.length - 1] ?? 0) + 1;
  return withChildrenAt(rules, path.slice(0, -1), (list) => [
    ...list.slice(0, index),
    ...asArray(newRules),
    ...list.slice(index),
  ]);
}

/** Insert rules right before the rule `beforeId` (IPNetSentryX: option-New). */
export function insertBefore(
  rules: Rule[],
  beforeId: string,
  newRules: Rule | readonly Rule[],
): Rule[] {
  const path = pathOf(rules, beforeId);
  if (!path) return rules;
  const index = path[path.length - 1] ?? 0;
  return withChildrenAt(rules, path.slice(0, -1), (list) => [
    ...list.slice(0, index),
    ...asArray(newRules),
    ...list.slice(index),
  ]);
}

/**
 * Insert rules as children of `parentId` (null: the top level) at `index` (default: after the
 * last child). The parent is expanded so the new rules show. Unknown parent: unchanged.
 */
export function insertChild(
  rules: Rule[],
  parentId: string | null,
  newRules: Rule | readonly Rule[],
  index?: number,
): Rule[] {
  return insertInto(rules, parentId, asArray(newRules), index, true);
}

function insertInto(
  rules: Rule[],
  parentId: string | null,
  items: readonly Rule[],
  index: number | undefined,
  expand: boolean,
): Rule[] {
  const at = (list: Rule[]): Rule[] => {
    const i = Math.max(0, Math.min(index ?? list.length, list.length));
    return [...list.slice(0, i), ...items, ...list.slice(i)];
  };
  if (parentId === null) return at(rules);
  const path = pathOf(rules, parentId);
  if (!path) return rules;
  return withChildrenAt(rules, path.slice(0, -1), (list) => {
    const i = path[path.length - 1] ?? 0;
    const parent = list[i] as Rule;
    const copy = list.slice();
    copy[i] = { ...parent, expanded: expand || parent.expanded, children: at(parent.children) };
    return copy;
  });
}

/** Remove these rules with their subtrees. Unknown ids are ignored. */
export function deleteRules(rules: Rule[], ids: Iterable<string>): Rule[] {
  const set = new Set(ids);
  if (set.size === 0) return rules;
  return mapTree(rules, (rule) => (set.has(rule.id) ? null : rule));
}

/** Replace fields of one rule (not its id or children). A patch that changes nothing: unchanged. */
export function updateRule(
  rules: Rule[],
  id: string,
  patch: Partial<Omit<Rule, 'id' | 'children'>>,
): Rule[] {
  const path = pathOf(rules, id);
  if (!path) return rules;
  const rule = ruleAt(rules, path) as Rule;
  const keys = Object.keys(patch) as (keyof typeof patch)[];
  if (keys.every((k) => rule[k] === patch[k])) return rules;
  const i = path[path.length - 1] ?? 0;
  return withChildrenAt(rules, path.slice(0, -1), (list) => {
    const copy = list.slice();
    copy[i] = { ...rule, ...patch, id: rule.id, children: rule.children };
    return copy;
  });
}

function setFlag(
  rules: Rule[],
  ids: Iterable<string>,
  key: 'enabled' | 'expanded',
  value: boolean,
): Rule[] {
  const set = new Set(ids);
  if (set.size === 0) return rules;
  // One id: walk only its path. Many: one pass over the tree.
  if (set.size === 1) {
    const [id = ''] = set;
    const rule = findById(rules, id);
    return rule && rule[key] !== value ? updateRule(rules, id, { [key]: value }) : rules;
  }
  return mapTree(rules, (rule) =>
    set.has(rule.id) && rule[key] !== value ? { ...rule, [key]: value } : rule,
  );
}

/** Check or uncheck rules. A disabled rule takes its whole subtree out of evaluation (§3.2). */
export const setEnabled = (rules: Rule[], ids: Iterable<string>, enabled: boolean): Rule[] =>
  setFlag(rules, ids, 'enabled', enabled);

/** Open or close rules' disclosure triangles. */
export const setExpanded = (rules: Rule[], ids: Iterable<string>, expanded: boolean): Rule[] =>
  setFlag(rules, ids, 'expanded', expanded);

/** What a selection of ids stands for in the tree (see `select`). */
interface Selection {
  /** The rules of `ids` that are not inside another rule of `ids`, in outline order. */
  moved: Rule[];
  /** The path of each of `moved`. */
  paths: RulePath[];
  /** Every id inside the moved subtrees (the moved rules included). */
  found: Set<string>;
}

/**
 * The selection `ids` in the tree. The walk stops once every id is accounted for, so a selection
 * near the top does not read the rest of a 100,000-rule outline (a drop in the editor runs this).
 */
function select(rules: readonly Rule[], ids: ReadonlySet<string>): Selection {
  const moved: Rule[] = [];
  const paths: RulePath[] = [];
  const found = new Set<string>();
  let left = ids.size;
  const collect = (rule: Rule): void => {
    if (ids.has(rule.id) && !found.has(rule.id)) left--;
    found.add(rule.id);
    for (const child of rule.children) collect(child);
  };
  const stack: number[] = [];
  const go = (list: readonly Rule[]): void => {
    for (let i = 0; i < list.length && left > 0; i++) {
      const rule = list[i] as Rule;
      if (ids.has(rule.id)) {
        moved.push(rule);
        paths.push([...stack, i]);
        collect(rule);
      } else if (rule.children.length > 0) {
        stack.push(i);
        go(rule.children);
        stack.pop();
      }
    }
  };
  go(rules);
  return { moved, paths, found };
}

/** The rules of `ids` that are not inside another rule of `ids`, in outline order. */
const topMost = (rules: readonly Rule[], ids: ReadonlySet<string>): Rule[] =>
  select(rules, ids).moved;

function dropAllowed(
  rules: readonly Rule[],
  ids: ReadonlySet<string>,
  selection: Selection,
  parentId: string | null,
  index: number,
): boolean {
  if (ids.size === 0 || !Number.isInteger(index) || index < 0) return false;
  for (const id of ids) if (!selection.found.has(id)) return false;
  if (parentId === null) return index <= rules.length;
  if (selection.found.has(parentId)) return false;
  const parent = findById(rules, parentId);
  return parent !== undefined && index <= parent.children.length;
}

/**
 * May these rules be dropped into `parentId` (null: top level) at `index`? Refused: no rules,
 * an unknown id, an unknown parent, a parent inside one of the moved subtrees (a rule cannot
 * contain itself), an index outside 0..(number of children).
 */
export function canDrop(
  rules: readonly Rule[],
  ids: readonly string[],
  parentId: string | null,
  index: number,
): boolean {
  const set = new Set(ids);
  return dropAllowed(rules, set, select(rules, set), parentId, index);
}

/** Above this many moved rules, removing them is one pass over the tree rather than one per path. */
const REMOVE_BY_PATH_LIMIT = 64;

/**
 * Move rules (with their subtrees) to be children of `parentId` (null: top level) at `index`.
 * `index` counts positions in the target's child list as it is before the move, the way
 * react-arborist's onMove reports it. Moved rules keep their outline order. When a rule and one
 * of its descendants are both selected, the descendant travels inside its ancestor.
 * Disclosure states are left alone (the editor may open the target). A move that canDrop
 * refuses returns the tree unchanged.
 */
export function moveRules(
  rules: Rule[],
  ids: readonly string[],
  parentId: string | null,
  index: number,
): Rule[] {
  const set = new Set(ids);
  const selection = select(rules, set);
  if (!dropAllowed(rules, set, selection, parentId, index)) return rules;
  const { moved, paths } = selection;
  const movedIds = new Set(moved.map((r) => r.id));
  const targetBefore = parentId === null ? rules : (findById(rules, parentId) as Rule).children;
  // Moved rules that sat before the insertion point in the target list shift it left.
  let at = index;
  for (let i = 0; i < index && i < targetBefore.length; i++) {
    if (movedIds.has((targetBefore[i] as Rule).id)) at--;
  }
  // Dropped where they already are (the same parent, in order, from the same place): no edit.
  if (moved.every((rule, k) => targetBefore[at + k] === rule)) return rules;
  let without = rules;
  if (moved.length <= REMOVE_BY_PATH_LIMIT) {
    // Last path first: removing a rule never shifts the path of one before it in outline order
    // (none of the moved rules is inside another).
    for (let k = paths.length - 1; k >= 0; k--) {
      const path = paths[k] as RulePath;
      const i = path[path.length - 1] ?? 0;
      without = withChildrenAt(without, path.slice(0, -1), (list) => [
        ...list.slice(0, i),
        ...list.slice(i + 1),
      ]);
    }
  } else {
    without = deleteRules(rules, movedIds);
  }
  return insertInto(without, parentId, moved, at, false);
}

/**
 * Make each rule the last child of its previous sibling (Tab in the outline). A rule without a
 * previous sibling stays. Selected siblings end up together under the same new parent.
 */
export function indentRules(rules: Rule[], ids: readonly string[]): Rule[] {
  let out = rules;
  for (const rule of topMost(rules, new Set(ids))) {
    const path = pathOf(out, rule.id);
    if (!path || (path[path.length - 1] ?? 0) === 0) continue;
    const prevPath = [...path.slice(0, -1), (path[path.length - 1] ?? 0) - 1];
    const prev = ruleAt(out, prevPath) as Rule;
    out = moveRules(out, [rule.id], prev.id, prev.children.length);
  }
  return out;
}

/** Move each rule up one level, right after its parent (Shift-Tab). Top-level rules stay. */
export function outdentRules(rules: Rule[], ids: readonly string[]): Rule[] {
  let out = rules;
  for (const rule of topMost(rules, new Set(ids)).reverse()) {
    const path = pathOf(out, rule.id);
    if (!path || path.length < 2) continue;
    const parentPath = path.slice(0, -1);
    const grandParent =
      parentPath.length === 1 ? null : (ruleAt(out, parentPath.slice(0, -1)) as Rule);
    out = moveRules(
      out,
      [rule.id],
      grandParent?.id ?? null,
      (parentPath[parentPath.length - 1] ?? 0) + 1,
    );
  }
  return out;
}

// Runtime: browser (renderer/). Rule validation for the outline, cached by rule object: thanks to
// structural sharing an edit re-validates only the rules it replaced, so counting every problem of
// a 100,000-rule document after a toggle costs a walk, not 100,000 parses. The checks themselves
// are shared/model's; Apply uses the full validateDocument (ids, settings) without any cache.

import type { Problem, Rule } from '../../shared/model/types.ts';
import { validateRule, type RuleContext } from '../../shared/model/validate.ts';
import { formatNumber, pathOf } from '../../shared/model/tree.ts';

export type RuleProblem = Pick<Problem, 'field' | 'message'>;

const NONE: readonly RuleProblem[] = [];

/** The four contexts a rule can sit in: inside a Group or not, below a parent or not. */
const slotOf = (insideGroup: boolean, hasParent: boolean) =>
  (insideGroup ? 1 : 0) + (hasParent ? 2 : 0);

/**
 * Problems by rule, one map per context (a rule nearly always sits in one). NOTE: the values are
 * shared arrays (NONE when a rule has no problem), never an object per rule: at 100,000 rules a
 * small array per rule was ~20 MiB, a third of the page's heap, which every major garbage
 * collection while editing had to mark and move.
 */
const cache = [0, 1, 2, 3].map(() => new WeakMap<Rule, readonly RuleProblem[]>());

/** The problems of one rule's own fields, where it sits (inside a Group, below a parent). */
export const ruleProblems = (rule: Rule, context: RuleContext = {}): readonly RuleProblem[] =>
  problemsIn(rule, !!context.insideGroup, !!context.hasParent, context);

function problemsIn(
  rule: Rule,
  insideGroup: boolean,
  hasParent: boolean,
  /** As the caller gave it (built only on a miss otherwise: the count calls this per rule). */
  context?: RuleContext,
): readonly RuleProblem[] {
  const bySlot = cache[slotOf(insideGroup, hasParent)]!;
  let found = bySlot.get(rule);
  if (!found) {
    const problems = validateRule(rule, '', context ?? { insideGroup, hasParent }).map(
      ({ field, message }) => ({
        field,
        message,
      }),
    );
    found = problems.length ? problems : NONE;
    bySlot.set(rule, found);
  }
  return found;
}

/** Every rule's own problems in outline order, with numbers (the status bar's count). */
export function documentProblems(rules: readonly Rule[]): Problem[] {
  const out: Problem[] = [];
  const walk = (list: readonly Rule[], prefix: string, insideGroup: boolean) =>
    list.forEach((r, i) => {
      const number = prefix ? `${prefix}.${i + 1}` : `${i + 1}`;
      for (const p of ruleProblems(r, { insideGroup, hasParent: prefix !== '' })) {
        out.push({ ruleId: r.id, number, ...p });
      }
      if (r.children.length) walk(r.children, number, insideGroup || r.action === 'Group');
    });
  walk(rules, '', false);
  return out;
}

/** A candidate edit's problem for one field, for validation as you type (not cached). */
export const fieldProblem = (
  rule: Rule,
  field: RuleProblem['field'],
  context: RuleContext = {},
): string | undefined => validateRule(rule, '', context).find((p) => p.field === field)?.message;

/** Rules and problems in the subtree of a rule with children, by context (a leaf's are its own
 * problems, cached above, so leaves get no entry here). */
const subtreeCache = [0, 1, 2, 3].map(() => new WeakMap<Rule, readonly [number, number]>());

/** A subtree being counted: its rule, where it sits, the next child to visit, totals so far. */
interface Open {
  rule: Rule;
  insideGroup: boolean;
  hasParent: boolean;
  next: number;
  rules: number;
  problems: number;
}

/** How long the count runs before it lets the page paint and handle input. */
const SLICE_MS = 8;

/**
 * How many rules and problems the document has, for the status bar. After an edit only the
 * subtrees it replaced are counted again (structural sharing: totals are cached per subtree
 * object); the first count of a large document validates every rule, so it is a resumable walk
 * (explicit stack, post-order) that yields to the browser every few milliseconds, even inside
 * one huge group. Resolves null if `stale()` turns true.
 */
export async function countRulesAndProblems(
  rules: readonly Rule[],
  stale: () => boolean,
): Promise<{ rules: number; problems: number } | null> {
  let total = 0;
  let problems = 0;
  let slice = performance.now();
  let steps = 0;
  const stack: Open[] = [];
  /** Adds a finished subtree's totals to its parent, or to the document's. */
  const finish = (r: number, p: number) => {
    const parent = stack[stack.length - 1];
    if (parent) {
      parent.rules += r;
      parent.problems += p;
    } else {
      total += r;
      problems += p;
    }
  };
  /** Counts `rule` from the cache, or opens it for a visit of its children. */
  const enter = (rule: Rule, insideGroup: boolean, hasParent: boolean) => {
    if (rule.children.length === 0)
      return finish(1, problemsIn(rule, insideGroup, hasParent).length);
    const cached = subtreeCache[slotOf(insideGroup, hasParent)]!.get(rule);
    if (cached) return finish(cached[0], cached[1]);
    stack.push({
      rule,
      insideGroup,
      hasParent,
      next: 0,
      rules: 1,
      problems: problemsIn(rule, insideGroup, hasParent).length,
    });
  };
  for (const rule of rules) {
    enter(rule, false, false);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.next < top.rule.children.length) {
        const childGroup = top.insideGroup || top.rule.action === 'Group';
        enter(top.rule.children[top.next++]!, childGroup, true);
      } else {
        stack.pop();
        subtreeCache[slotOf(top.insideGroup, top.hasParent)]!.set(top.rule, [
          top.rules,
          top.problems,
        ]);
        finish(top.rules, top.problems);
      }
      if (++steps % 256 === 0 && performance.now() - slice > SLICE_MS) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        if (stale()) return null;
        slice = performance.now();
      }
    }
  }
  return { rules: total, problems };
}

/** The first problem of one rule where it sits, as the status bar shows it for the selected
 * row ("3.1: Dest port ..."), so a row's problem is readable without hovering; null if none. */
export function problemOfRule(rules: readonly Rule[], id: string): string | null {
  const path = pathOf(rules, id);
  if (!path) return null;
  let list = rules;
  let insideGroup = false;
  for (let depth = 0; depth < path.length; depth++) {
    const r = list[path[depth]!]!;
    if (depth === path.length - 1) {
      const p = ruleProblems(r, { insideGroup, hasParent: depth > 0 })[0];
      return p ? `${formatNumber(path)}: ${p.message}` : null;
    }
    insideGroup ||= r.action === 'Group';
    list = r.children;
  }
  return null;
}

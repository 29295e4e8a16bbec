// Runtime: browser (renderer/). Rule validation for the outline, cached by rule object: thanks to
// structural sharing an edit re-validates only the rules it replaced, so listing every problem of
// a 100,000-rule document after a toggle costs a walk, not 100,000 parses.
//
// NOTE: seam over shared/model's validateRule; until it lands only a few checks live here.

import type { Problem, Rule } from '../../shared/model/types.ts';

export type RuleProblem = Pick<Problem, 'field' | 'message'>;

const cache = new WeakMap<Rule, readonly RuleProblem[]>();
const NONE: readonly RuleProblem[] = [];

function check(rule: Rule): readonly RuleProblem[] {
  const out: RuleProblem[] = [];
  if (rule.property === 'Source port' || rule.property === 'Dest port') {
    const m = /^\s*(\d+)(?:\s*-\s*(\d+))?\s*(\(.*\))?\s*$/.exec(rule.value);
    if (!m)
      out.push({
        field: 'value',
        message: `${rule.property} "${rule.value}" is not a port or range`,
      });
    else
      for (const p of [m[1], m[2]])
        if (p !== undefined && Number(p) > 65535)
          out.push({ field: 'value', message: `${rule.property} ${p} is out of range (0-65535)` });
  }
  return out.length ? out : NONE;
}

/** The problems of one rule (its own fields only; not its children). */
export function ruleProblems(rule: Rule): readonly RuleProblem[] {
  let p = cache.get(rule);
  if (!p) {
    p = check(rule);
    cache.set(rule, p);
  }
  return p;
}

/** Every problem in the document, in outline order, with rule numbers. */
export function documentProblems(rules: readonly Rule[]): Problem[] {
  const out: Problem[] = [];
  const walk = (list: readonly Rule[], prefix: string) =>
    list.forEach((r, i) => {
      const number = prefix ? `${prefix}.${i + 1}` : `${i + 1}`;
      for (const p of ruleProblems(r)) out.push({ ruleId: r.id, number, ...p });
      if (r.children.length) walk(r.children, number);
    });
  walk(rules, '');
  return out;
}

/** A candidate edit's problems for one field, for validation as you type. */
export const fieldProblem = (rule: Rule, field: RuleProblem['field']): string | undefined =>
  ruleProblems(rule).find((p) => p.field === field)?.message;

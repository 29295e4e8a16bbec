import { describe, expect, it } from 'vitest';
import { parseParameter } from '../shared/model/parameters.ts';
import type { Rule } from '../shared/model/types.ts';
import { formatProblem, validateDocument } from '../shared/model/validate.ts';
import { parseValue } from '../shared/model/values.ts';
import { countRules, generateDocument } from './generate.ts';

const flatten = (rules: Rule[]): Rule[] => rules.flatMap((r) => [r, ...flatten(r.children)]);

describe('generateDocument', () => {
  it.each([100, 1_000, 1_234, 10_000])('builds exactly %i rules with unique ids', (size) => {
    const doc = generateDocument(size);
    const all = flatten(doc.rules);
    expect(countRules(doc.rules)).toBe(size);
    expect(new Set(all.map((r) => r.id)).size).toBe(size);
  });

  it('writes only values and parameters the model parses', () => {
    const problems = flatten(generateDocument(10_000).rules).flatMap((r) => {
      const v = parseValue(r.property, r.value);
      const p = parseParameter(r.action, r.parameter);
      return [...(v.ok ? [] : [`${r.id}: ${v.error}`]), ...(p.ok ? [] : [`${r.id}: ${p.error}`])];
    });
    expect(problems).toEqual([]);
  });

  it('is deterministic given the ids', () => {
    const sequential = () => {
      let n = 0;
      return () => `r${(n += 1)}`;
    };
    expect(generateDocument(2_000, { makeId: sequential() })).toEqual(
      generateDocument(2_000, { makeId: sequential() }),
    );
  });

  it('validates without problems', () => {
    expect(validateDocument(generateDocument(10_000)).map(formatProblem)).toEqual([]);
  });

  it('lists the benchmark port among the services that pass', () => {
    const ports = flatten(generateDocument(1_000).rules)
      .filter((r) => r.property === 'Dest port' && r.action === 'Exit group')
      .map((r) => r.value);
    expect(ports).toContain('5201');
  });
});

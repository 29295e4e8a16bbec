import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { documentFromXml } from '../plist/document.ts';
import {
  ORIGINAL_CONSTRUCTS as N,
  ORIGINAL_STYLE_DOCUMENT,
} from '../plist/test-original-document.ts';
import { DEFAULT_SETTINGS, type FirewallDocument, type Rule } from '../model/types.ts';
import { parseParameter, parseValue } from '../model/values.ts';
import { ACTION_NAMES, PROPERTY_NAMES, RELATION_NAMES } from '../model/vocabulary.ts';
import { ACTION_INFO, PROPERTY_INFO } from '../model/vocabulary-table.ts';
import { compile } from './index.ts';
import { countBySeverity, documentProblems } from './problems.ts';
import { doc, r } from './golden/cases.ts';

const at = (rules: Rule[], number: string): Rule => {
  let list = rules;
  let found: Rule | undefined;
  for (const part of number.split('.')) {
    found = list[Number(part) - 1];
    if (!found) throw new Error(`no rule ${number}`);
    list = found.children;
  }
  return found!;
};

const original = (): FirewallDocument => documentFromXml(ORIGINAL_STYLE_DOCUMENT);

describe('a document written the way IPNetSentryX writes its own', () => {
  it('reads whole, names first, Break as Exit group, no enabled key as off', () => {
    const { rules } = original();
    expect(at(rules, N.skip).action).toBe('++');
    expect(at(rules, N.keepInvalid).action).toBe('Keep invalid');
    expect(at(rules, N.includeInvalid)).toMatchObject({ property: 'Include', value: 'invalid' });
    expect(at(rules, N.exitGroup).action).toBe('Exit group');
    expect(at(rules, N.deleteNoLog).action).toBe('Delete no log');
    expect(at(rules, N.ipOptions).property).toBe('IP options');
    expect(at(rules, N.fragment).property).toBe('Fragment offset');
    expect(at(rules, N.noEnabledKey).enabled).toBe(false);
    expect(at(rules, N.modem).enabled).toBe(false);
  });

  it('parses its values as the original does', () => {
    const { rules } = original();
    const value = (n: string) => {
      const r = at(rules, n);
      const v = parseValue(r.property, r.value);
      if (!v.ok) throw new Error(v.error);
      return v.value;
    };
    const parameter = (n: string) => {
      const r = at(rules, n);
      const v = parseParameter(r.action, r.parameter);
      if (!v.ok) throw new Error(v.error);
      return v.value;
    };
    expect(value(N.nestedComment)).toEqual({ kind: 'range', range: { min: 631, max: 631 } });
    expect(value(N.deleteNoLog)).toEqual({ kind: 'range', range: { min: 5353, max: 5353 } });
    expect(value(N.exitGroup)).toEqual({ kind: 'range', range: { min: 22, max: 22 } });
    expect(value(N.leadingNumber)).toMatchObject({ kind: 'protocol', number: 17 });
    expect(value(N.ipOptions)).toEqual({ kind: 'ipOptions', options: [7, 9] });
    expect(value(N.loopback)).toEqual({ kind: 'interface', name: 'lo' });
    expect(value(N.modem)).toEqual({ kind: 'interface', name: 'ppp1' });
    expect(value(N.dateEpoch)).toMatchObject({ kind: 'dateTime', epochSeconds: 1893456000 });
    expect(parameter(N.rateIn)).toMatchObject({ kind: 'rate', rate: { amount: 8000 } });
    expect(parameter(N.rateOut)).toMatchObject({ kind: 'rate', rate: { amount: 187500 } });
    for (const n of [N.keepInvalid, N.trigger, N.email, N.resetParent, N.url]) {
      expect(parameter(n).kind).toBe('note');
    }
  });

  it('has no false problem: validation finds only notes; the compiler refuses per rule', () => {
    const doc = original();
    const problems = documentProblems(doc);
    const errors = problems.filter((p) => p.severity === 'error');
    // What the kernel cannot do yet, each refused by its own number (++, Keep invalid and
    // Include == invalid may compile once the compiler has them).
    const mayRefuse = new Set<string>([N.skip, N.keepInvalid, N.includeInvalid]);
    expect(errors.filter((p) => !mayRefuse.has(p.number))).toEqual([]);
    // Data content compiles into fixed-offset compares (shared/compiler/content.ts), Delay into
    // a queue the helper's worker serves (shared/compiler/delay.ts).
    expect(errors.map((p) => p.number)).not.toContain(N.dataContent);
    expect(errors.map((p) => p.number)).not.toContain(N.delay);
    for (const p of errors) expect(p.ruleId).toBe(at(doc.rules, p.number).id);
    // Notes: the free-text parameters, and the rules that are off.
    const notes = problems.filter((p) => p.severity === 'note');
    expect(notes.map((p) => p.number)).toEqual(
      expect.arrayContaining([N.keepInvalid, N.trigger, N.email, N.resetParent, N.url]),
    );
    for (const p of notes) {
      const onlyNote =
        [N.keepInvalid, N.trigger, N.email, N.resetParent, N.url].includes(p.number as never) ||
        p.message.endsWith('(the rule is off)');
      expect(onlyNote, `${p.number}: ${p.message}`).toBe(true);
    }
  });

  it('with its payload and Delay rules off, compile and check say the same', () => {
    const doc = original();
    at(doc.rules, N.dataContent).enabled = false;
    at(doc.rules, N.delay).enabled = false;
    const result = compile(doc);
    const errors = documentProblems(doc).filter((p) => p.severity === 'error');
    if (result.ok) expect(errors).toEqual([]);
    else {
      expect(errors.map((p) => [p.number, p.message])).toEqual(
        result.problems.map((p) => [p.number, p.message]),
      );
      for (const p of result.problems)
        expect([N.skip, N.keepInvalid, N.includeInvalid]).toContain(p.number);
    }
  });
});

describe('documentProblems', () => {
  const rule = (over: Partial<Rule>): Rule => ({
    id: `r${Math.random().toString(36).slice(2, 10)}`,
    enabled: true,
    name: '',
    property: 'Any',
    relation: '==',
    value: '',
    action: '->',
    parameter: '',
    children: [],
    expanded: false,
    ...over,
  });
  const doc = (rules: Rule[]): FirewallDocument => ({ rules, settings: { ...DEFAULT_SETTINGS } });

  it('shows compiler refusals and warnings, and problems of rules that are off as notes', () => {
    const delayWithChild = (): Rule =>
      rule({ action: 'Delay', children: [rule({ action: 'Log' })] });
    const d = doc([
      delayWithChild(),
      rule({ property: 'Interface', value: 'external', action: 'Pass' }),
      rule({ enabled: false, property: 'Dest port', value: '70000' }),
      rule({ enabled: false, children: [delayWithChild()] }),
    ]);
    const problems = documentProblems(d);
    expect(problems.map((p) => [p.number, p.severity])).toEqual([
      ['1', 'error'],
      ['2', 'warning'],
      ['3', 'note'],
      ['4.1', 'note'],
    ]);
    expect(problems[2]!.message).toBe(
      'Dest port 70000 is out of range (0-65535) (the rule is off)',
    );
    expect(countBySeverity(problems)).toEqual({ error: 1, warning: 1, note: 2 });
    expect(compile(d).ok).toBe(false);
  });

  it('lists a problem validation and the compiler both find once', () => {
    const problems = documentProblems(doc([rule({ property: 'Dest port', value: 'x' })]));
    expect(problems).toHaveLength(1);
  });

  // Any document: when compile refuses it, check has an error, and every compiler refusal is in
  // the list, by rule id and number.
  const values = [
    ...new Set(PROPERTY_NAMES.flatMap((p) => PROPERTY_INFO[p].examples)),
    'x',
    '70000',
    '',
  ];
  const parameters = [
    ...new Set(ACTION_NAMES.flatMap((a) => ACTION_INFO[a].parameterExamples)),
    '',
    'some words',
    '100K',
  ];
  const level = (depth: number): fc.Arbitrary<Rule> =>
    fc.record({
      id: fc.constant(''),
      enabled: fc.boolean(),
      name: fc.constant(''),
      property: fc.constantFrom(...PROPERTY_NAMES),
      relation: fc.constantFrom(...RELATION_NAMES),
      value: fc.constantFrom(...values),
      action: fc.constantFrom(...ACTION_NAMES),
      parameter: fc.constantFrom(...parameters),
      children: depth === 0 ? fc.constant([]) : fc.array(level(depth - 1), { maxLength: 3 }),
      expanded: fc.constant(false),
    });
  const ruleArb = level(2);
  const withIds = (rules: Rule[], n = { i: 0 }): Rule[] =>
    rules.map((r) => ({ ...r, id: `g${n.i++}`, children: withIds(r.children, n) }));

  it('agrees with compile on generated documents over the whole vocabulary', () => {
    fc.assert(
      fc.property(fc.array(ruleArb, { maxLength: 5 }), (generated) => {
        const d = doc(withIds(generated));
        const result = compile(d);
        const problems = documentProblems(d);
        const errors = problems.filter((p) => p.severity === 'error');
        // No error: it compiles. (Validation may refuse more than the compiler does, e.g. a
        // relation the property does not take; Apply runs both, so check = Apply.)
        if (errors.length === 0) expect(result.ok).toBe(true);
        if (!result.ok) {
          for (const p of result.problems) {
            expect(errors).toContainEqual(
              expect.objectContaining({ ruleId: p.ruleId, number: p.number }),
            );
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('issue 13: NAT and Route to in documentProblems (what the editor and treewall check show)', () => {
  const rule = (id: string, over: Partial<Rule>): Rule => ({
    id,
    enabled: true,
    name: '',
    property: 'Dest port',
    relation: '==',
    value: '2222',
    action: 'Port forward',
    parameter: '',
    children: [],
    expanded: true,
    ...over,
  });
  it('names the rule for a hostile Port forward target and for a Route to on arriving packets', () => {
    const doc: FirewallDocument = {
      rules: [
        rule('a', { parameter: '10.0.0.2:70000' }),
        rule('b', { parameter: 'evil"; flush ruleset' }),
        rule('c', { parameter: '10.0.0.2\n:22' }),
        rule('d', { action: 'Route to', parameter: '10.0.0.1' }),
        rule('e', { action: 'Route to', parameter: 'not a hop at all' }),
      ],
      settings: { ...DEFAULT_SETTINGS },
    };
    const problems = documentProblems(doc);
    const of = (id: string) => problems.filter((p) => p.ruleId === id);
    expect(of('a')[0]).toMatchObject({ number: '1', field: 'parameter' });
    expect(of('a')[0]?.message).toMatch(/70000/);
    expect(of('b')[0]?.message).toMatch(/not an IPv4 or IPv6 address/);
    expect(of('c').length).toBeGreaterThan(0);
    expect(of('d')[0]?.message).toMatch(/Route to reaches arriving packets/);
    expect(of('e')[0]?.message).toMatch(/Route to/);
    expect(compile(doc).ok).toBe(false);
  });
});

describe('documentProblems: Rate limit semantics (issue 13 C)', () => {
  it('notes the Rate limits that police; a byte-rate Rate limit out shapes and gets none', () => {
    const d = doc([
      r('in', 'Dest port', '==', '80', 'Rate limit in', [], { parameter: '2M' }),
      r('out', 'Dest port', '==', '81', 'Rate limit out', [], { parameter: '2M' }),
      r('pps', 'Dest port', '==', '82', 'Rate limit out', [], { parameter: '50/s' }),
    ]);
    const notes = documentProblems(d).filter((p) => p.severity === 'note');
    expect(notes.map((p) => [p.number, p.message.replace(/:.*/, '')])).toEqual([
      ['1', 'Rate limit in polices'],
      ['3', 'Rate limit out polices'],
    ]);
  });
});

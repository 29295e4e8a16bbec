import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PlistValue, Rule } from '../model/types.ts';
import { parseOpenStep, serializeOpenStep } from './openstep.ts';
import { RuleFormatError, rulesFromPlist, rulesToPlist } from './rules.ts';
import { ruleTree } from './test-arbitraries.ts';

let n = 0;
const newId = (): string => `t-${++n}`;

function rule(fields: Partial<Rule>): Rule {
  return {
    id: 'x',
    enabled: true,
    name: '',
    property: 'Any',
    relation: '==',
    value: '',
    action: '->',
    parameter: '',
    children: [],
    expanded: false,
    ...fields,
  };
}

describe('rulesFromPlist', () => {
  it('trusts names over numbers, and uses numbers only when a name is missing', () => {
    const [r] = rulesFromPlist(
      [
        {
          propertyName: 'Dest port',
          property: '2',
          relationName: '!=',
          relation: '0',
          filterAction: '5',
        },
      ],
      { newId },
    );
    expect(r).toMatchObject({ property: 'Dest port', relation: '!=', action: 'Delete' });
    // Codes are the original's menu positions (FilterEntry.m, separators counted).
    const [byCode] = rulesFromPlist([{ property: 16, relation: 0, filterAction: 12 }], { newId });
    expect(byCode).toMatchObject({ property: 'TCP header flags', relation: '==', action: 'Delay' });
    const [spelled] = rulesFromPlist([{ property: 11, filterAction: 22 }], { newId });
    expect(spelled).toMatchObject({ property: 'Fragment offset', action: 'Script' });
    // A separator's code is no entry.
    expect(() => rulesFromPlist([{ property: 7 }], { newId })).toThrow(/unknown property code 7/);
  });

  it('reads IPNetSentryX aliases: Break is Exit group, IPNetRouterX property spellings', () => {
    const rules = rulesFromPlist(
      [
        { filterActionName: 'Break', propertyName: 'IPFragmentOffset' },
        { filterActionName: 'Don\u2019t log', propertyName: 'IPOptions' },
        { filterActionName: 'delete no log', propertyName: 'TCPHeaderFlags', relationName: 'a=a' },
      ],
      { newId },
    );
    expect(rules.map((r) => [r.action, r.property])).toEqual([
      ['Exit group', 'Fragment offset'],
      ['Dont log', 'IP options'],
      ['Delete no log', 'TCP header flags'],
    ]);
    expect(rules[2]!.relation).toBe('a=A');
  });

  it.each([
    ['1', true],
    ['0', false],
    [1, true],
    [0, false],
    [true, true],
    [false, false],
    ['YES', true],
    [undefined, false],
  ])('reads enabled = %j as %j (a rule without enabled is disabled)', (enabled, expected) => {
    const dict: PlistValue = enabled === undefined ? {} : { enabled };
    expect(rulesFromPlist([dict], { newId })[0]!.enabled).toBe(expected);
  });

  it('names the rule and the name when a property, relation or action is unknown', () => {
    const tree: PlistValue = [
      { children: [{}, { children: [{ propertyName: 'Phase of moon' }] }] },
    ];
    expect(() => rulesFromPlist(tree, { newId })).toThrow(
      new RuleFormatError('1.2.1', "unknown property 'Phase of moon'"),
    );
    expect(() =>
      rulesFromPlist([{ nodeNumber: '2.6', filterActionName: 'Explode' }], { newId }),
    ).toThrow("rule 2.6: unknown action 'Explode'");
    expect(() => rulesFromPlist([{ relationName: '~=' }], { newId })).toThrow(
      "rule 1: unknown relation '~='",
    );
    expect(() => rulesFromPlist([{ property: 99 }], { newId })).toThrow(
      'rule 1: unknown property code 99',
    );
    // An unknown name with a code the original's menu holds is read by the code, as the
    // original's reader does; with a code that says nothing either, both are named.
    const [fallback] = rulesFromPlist(
      [
        {
          propertyName: 'Phase of moon',
          property: 19,
          filterActionName: 'Explode',
          filterAction: 5,
        },
      ],
      { newId },
    );
    expect(fallback).toMatchObject({ property: 'Dest port', action: 'Delete' });
    expect(() =>
      rulesFromPlist([{ propertyName: 'Phase of moon', property: 7 }], { newId }),
    ).toThrow("rule 1: unknown property 'Phase of moon' (and code 7)");
    expect(() => rulesFromPlist([{ enabled: 'maybe' }], { newId })).toThrow(
      'rule 1: enabled must be 1 or 0',
    );
    expect(() => rulesFromPlist(['text'], { newId })).toThrow('rule 1: expected a rule dictionary');
    expect(() => rulesFromPlist([{ children: 'x' }], { newId })).toThrow(
      'rule 1: children must be an array',
    );
  });

  it('keeps unknown keys in extra, drops derived ones, and writes the unknown ones back', () => {
    const [r] = rulesFromPlist(
      [{ nodeCount: '3', nodeNumber: '9', colour: 'red', notes: ['a', { b: 'c' }] }],
      {
        newId,
      },
    );
    expect(r!.extra).toEqual({ colour: 'red', notes: ['a', { b: 'c' }] });
    const [dict] = rulesToPlist([r!]);
    expect(dict).toMatchObject({ colour: 'red', notes: ['a', { b: 'c' }] });
    expect(dict).not.toHaveProperty('nodeCount');
  });

  it('keeps ids, gives fresh ones to rules without, and never lets two rules share one', () => {
    const rules = rulesFromPlist([{ ruleId: 'a' }, {}, { ruleId: 'a' }], {
      newId: () => 'fresh' + ++n,
    });
    expect(rules[0]!.id).toBe('a');
    expect(rules[1]!.id).toMatch(/^fresh/);
    expect(rules[2]!.id).toMatch(/^fresh/);
    expect(new Set(rules.map((r) => r.id)).size).toBe(3);
    // Kernel names derive from ids: an id outside [A-Za-z0-9_-]{1,32} is replaced.
    const [odd] = rulesFromPlist([{ ruleId: 'a b; drop' }], { newId: () => 'safe' });
    expect(odd!.id).toBe('safe');
    const [generated] = rulesFromPlist([{}]);
    expect(generated!.id).toMatch(/^[a-z][a-z0-9]{9}$/);
    const stuck = rulesFromPlist([{}, {}, {}], { newId: () => 'same' });
    expect(new Set(stuck.map((r) => r.id)).size).toBe(3);
    const pasted = rulesFromPlist([{ ruleId: 'a' }], { keepIds: false, newId: () => 'new' });
    expect(pasted[0]!.id).toBe('new');
  });
});

describe('rulesToPlist', () => {
  it('writes Exit group under the name and code the original maps to it, and reads it back', () => {
    const plist = rulesToPlist([rule({ action: 'Exit group' })]);
    const text = serializeOpenStep(plist);
    // The newest original knows `Exit group`; older ones fall back to code 3, their `Break`.
    expect(text).toContain('filterActionName = "Exit group";');
    expect(text).toContain('filterAction = 3;');
    expect(rulesFromPlist(parseOpenStep(text), { newId })[0]?.action).toBe('Exit group');
  });

  it('writes the IPNetSentryX keys, codes beside names, and leaves out empty fields', () => {
    const dict = rulesToPlist(
      [
        rule({
          id: 'r1',
          property: 'TCP header flags',
          value: 'rst',
          action: 'Delay',
          expanded: true,
        }),
      ],
      { numbers: ['2.3.1'] },
    )[0];
    expect(dict).toEqual({
      enabled: '1',
      expandedState: '1',
      filterAction: '12',
      filterActionName: 'Delay',
      nodeNumber: '2.3.1',
      property: '16',
      propertyName: 'TCP header flags',
      propertyValue: 'rst',
      relation: '0',
      relationName: '==',
      ruleId: 'r1',
    });
    const xml = rulesToPlist([rule({ enabled: false, children: [rule({ id: 'c' })] })], {
      style: 'xml',
      includeIds: false,
    })[0]!;
    expect(xml).toMatchObject({ enabled: false, filterAction: 0, property: 0, relation: 0 });
    expect(xml.children).toEqual([expect.objectContaining({ nodeNumber: '1.1', enabled: true })]);
  });

  it('round-trips generated trees through dictionaries and NeXT text unchanged', () => {
    fc.assert(
      fc.property(ruleTree('text'), (rules) => {
        const text = serializeOpenStep(rulesToPlist(rules));
        expect(rulesFromPlist(parseOpenStep(text), { newId })).toEqual(rules);
      }),
      { numRuns: 300 },
    );
  });
});

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { clipboardTextToRules, rulesToClipboardText } from './clipboard.ts';
import { PlistSyntaxError } from './openstep.ts';
import { RuleFormatError } from './rules.ts';
import { ruleTree, withoutIds } from './test-arbitraries.ts';
import { WALKTHROUGH_RULE_2_3, unindented } from './test-fixtures.ts';

let n = 0;
const newId = (): string => `p-${++n}`;

describe('clipboard', () => {
  it('pastes the walk-through rule 2.3 as exactly that rule and its child', () => {
    const rules = clipboardTextToRules(WALKTHROUGH_RULE_2_3, { newId });
    expect(withoutIds(rules)).toEqual([
      {
        id: '',
        enabled: true,
        name: 'promiscuous resets',
        property: 'Direction',
        relation: '==',
        value: 'inbound',
        action: '->',
        parameter: '',
        expanded: false,
        children: [
          {
            id: '',
            enabled: true,
            name: '',
            property: 'TCP header flags',
            relation: '==',
            value: 'rst',
            action: 'Delay',
            parameter: '',
            expanded: true,
            children: [],
          },
        ],
      },
    ]);
    expect(rules[0]!.id).not.toBe(rules[0]!.children[0]!.id);
  });

  it('copies rule 2.3 back to the walk-through text, line for line, with the newer codes', () => {
    const rules = clipboardTextToRules(WALKTHROUGH_RULE_2_3, { newId });
    const text = rulesToClipboardText(rules, ['2.3']);
    // The walk-through was written by an older version (Delay 7, TCP header flags 14); treewall
    // writes the codes of the newest FilterEntry.m menus. Every other line is the same.
    const newer = unindented(WALKTHROUGH_RULE_2_3)
      .replace('filterAction = 7;', 'filterAction = 12;')
      .replace('property = 14;', 'property = 16;');
    expect(unindented(text)).toBe(newer);
    expect(withoutIds(clipboardTextToRules(text, { newId }))).toEqual(withoutIds(rules));
  });

  it('pastes a single rule dictionary written by hand, with comments', () => {
    const rules = clipboardTextToRules(
      '// ssh from the office\n{ nodeName = "office ssh"; propertyName = "Dest port"; propertyValue = 22; filterActionName = Pass; enabled = 1; }',
      { newId },
    );
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({
      name: 'office ssh',
      property: 'Dest port',
      value: '22',
      action: 'Pass',
      enabled: true,
    });
  });

  it('pastes the rules of a whole document pasted as text', () => {
    const text =
      '{ firewallOn = 1; filterTable = { children = ( { nodeName = a; ruleId = keep; }, { nodeName = b; } ); }; }';
    const rules = clipboardTextToRules(text, { newId });
    expect(rules.map((r) => r.name)).toEqual(['a', 'b']);
    expect(rules[0]!.id).toMatch(/^p-/);
  });

  it('gives malformed or unknown text a clear error', () => {
    expect(() => clipboardTextToRules('(\n{ enabled = 1 }\n)')).toThrow(PlistSyntaxError);
    expect(() => clipboardTextToRules('( { propertyName = Colour; } )')).toThrow(RuleFormatError);
    expect(() => clipboardTextToRules('( { propertyName = Colour; } )')).toThrow(
      "rule 1: unknown property 'Colour'",
    );
  });

  it('round-trips generated trees: paste(copy(rules)) is the same rules with fresh ids', () => {
    fc.assert(
      fc.property(ruleTree('text'), (rules) => {
        const pasted = clipboardTextToRules(rulesToClipboardText(rules), { newId });
        expect(withoutIds(pasted)).toEqual(withoutIds(rules));
        const ids = new Set<string>();
        const walk = (list: typeof pasted): void =>
          list.forEach((r) => {
            expect(r.id).toMatch(/^p-/);
            ids.add(r.id);
            walk(r.children);
          });
        walk(pasted);
      }),
      { numRuns: 200 },
    );
  });
});

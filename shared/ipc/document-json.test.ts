import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ruleTree, xmlValue } from '../plist/test-arbitraries.ts';
import { DEFAULT_SETTINGS, type FirewallDocument, type Rule } from '../model/types.ts';
import { moveRules, setEnabled, updateRule } from '../model/tree.ts';
import { DocumentJsonEncoder } from './document-json.ts';
import { decodeWire } from './wire.ts';

const ids = (rules: readonly Rule[]): string[] => rules.flatMap((r) => [r.id, ...ids(r.children)]);

describe('DocumentJsonEncoder', () => {
  it('writes what decodeWire reads back as the same document (dates and data included)', () => {
    fc.assert(
      fc.property(ruleTree('xml'), fc.option(xmlValue, { nil: undefined }), (rules, extra) => {
        const document: FirewallDocument = { rules, settings: { ...DEFAULT_SETTINGS } };
        if (extra !== undefined) document.extra = { someKey: extra };
        expect(decodeWire(new DocumentJsonEncoder().encode(document)!)).toEqual(document);
      }),
      { numRuns: 300 },
    );
  });

  it('after edits (structural sharing), reuses what it wrote and still writes the new document', () => {
    fc.assert(
      fc.property(ruleTree('xml'), fc.nat(), fc.nat(), (rules, a, b) => {
        const all = ids(rules);
        fc.pre(all.length >= 2);
        const encoder = new DocumentJsonEncoder();
        let document: FirewallDocument = { rules, settings: { ...DEFAULT_SETTINGS } };
        encoder.encode(document);
        const first = all[a % all.length]!;
        const second = all[b % all.length]!;
        document = { ...document, rules: setEnabled(document.rules, [first], false) };
        expect(decodeWire(encoder.encode(document)!)).toEqual(document);
        document = { ...document, rules: updateRule(document.rules, second, { name: 'edited' }) };
        expect(decodeWire(encoder.encode(document)!)).toEqual(document);
        const moved = moveRules(document.rules, [second], null, 0);
        if (moved) document = { ...document, rules: moved };
        expect(decodeWire(encoder.encode(document)!)).toEqual(document);
      }),
      { numRuns: 200 },
    );
  });

  it('a budget that runs out returns null, and the next call finishes from where it stopped', () => {
    const leaves = (n: number, prefix: string): Rule[] =>
      Array.from({ length: n }, (_, i) => ({
        id: `${prefix}${i}`,
        enabled: true,
        name: `rule ${i}`,
        property: 'Protocol',
        relation: '==',
        value: '6',
        action: 'Pass',
        parameter: '',
        children: [],
        expanded: false,
      }));
    const document: FirewallDocument = {
      rules: [{ ...leaves(1, 'g')[0]!, children: leaves(3000, 'r'), expanded: true }],
      settings: { ...DEFAULT_SETTINGS },
    };
    const encoder = new DocumentJsonEncoder();
    let calls = 0;
    let text: string | null = null;
    while (text === null) {
      calls++;
      text = encoder.encode(document, () => true);
    }
    expect(calls).toBeGreaterThan(2);
    expect(decodeWire(text)).toEqual(document);
  });
});

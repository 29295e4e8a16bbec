import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, type FirewallDocument, type Rule } from '../model/types.ts';
import { createRule } from '../model/tree.ts';
import { documentFromPlist, documentFromXml, documentToXml } from './document.ts';
import { ruleTree } from './test-arbitraries.ts';
import { parseXmlPlistText } from './xml.ts';
import { documentFromXmlFast } from './xml-rules.ts';

/** What the general path makes of `text` (with a fixed id generator): a document or its error. */
function general(text: string, maxDepth?: number): unknown {
  let n = 0;
  try {
    return documentFromPlist(parseXmlPlistText(text, maxDepth ? { maxDepth } : {}), {
      newId: () => `new${++n}`,
    });
  } catch (error) {
    return { error: String(error) };
  }
}

/** The same through documentFromXml, which takes the shortcut when it applies. */
function fast(text: string): unknown {
  let n = 0;
  try {
    return documentFromXml(text, { newId: () => `new${++n}` });
  } catch (error) {
    return { error: String(error) };
  }
}

const shortcut = (text: string, maxDepth = 1000) =>
  documentFromXmlFast(
    text,
    (rest) => parseXmlPlistText(rest, { maxDepth }),
    (value) => documentFromPlist(value),
    maxDepth,
  );

/** The rules without their unknown keys (which the shortcut leaves to the general path). */
const withoutExtra = (rules: Rule[]): Rule[] =>
  rules.map(({ extra: _extra, ...rule }) => ({ ...rule, children: withoutExtra(rule.children) }));

const documents = fc
  .record({
    rules: ruleTree('xml'),
    firewallOn: fc.boolean(),
    extra: fc.boolean(),
    ruleExtras: fc.boolean(),
  })
  .map(({ rules, firewallOn, extra, ruleExtras }) => {
    const doc: FirewallDocument = {
      rules: ruleExtras ? rules : withoutExtra(rules),
      settings: { ...DEFAULT_SETTINGS, firewallOn },
    };
    if (extra) doc.extra = { SentryDocument_note: 'kept', filterTable: { nodeName: 'root' } };
    return doc;
  });

const leaf = (id: string, over: Partial<Rule> = {}): Rule =>
  createRule({ id, property: 'Dest port', value: '22', action: 'Pass', expanded: false, ...over });

describe('the XML rule-tree shortcut against the general reader', () => {
  it('reads what treewall writes as the general path does, and takes most of it', () => {
    let taken = 0;
    let runs = 0;
    fc.assert(
      fc.property(documents, (doc) => {
        const xml = documentToXml(doc);
        runs++;
        if (shortcut(xml) !== undefined) taken++;
        expect(fast(xml)).toEqual(general(xml));
      }),
      { numRuns: 400 },
    );
    // Rules with unknown keys are left to the general path (half the documents have some, and
    // most of those one at least); the rest are taken.
    expect(taken).toBeGreaterThan(runs / 3);
  });

  it('gives the same document or the same error for mutated documents', () => {
    fc.assert(
      fc.property(
        documents,
        fc.nat(),
        fc.constantFrom(
          '',
          '<',
          '&',
          '&amp;',
          '&#65;',
          '\r',
          '\n\t',
          'x',
          ' ',
          '<true/>',
          '<false/>',
          '<string>1</string>',
          '<integer>3</integer>',
          '<key>ruleId</key>',
          '<key>enabled</key>',
          '<key>other</key>',
          '</dict>',
          '<array/>',
          '<!-- c -->',
          '<![CDATA[x]]>',
        ),
        (doc, at, insert) => {
          const xml = documentToXml(doc);
          const start = xml.indexOf('<key>filterTable</key>');
          // Mostly inside the rule tree, where the shortcut reads.
          const cut = start + (at % (xml.length - start));
          const mutated = xml.slice(0, cut) + insert + xml.slice(cut + 1);
          expect(fast(mutated)).toEqual(general(mutated));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('leaves ids to make up, names in other spellings, codes without names and unknown keys as the general path reads them', () => {
    const doc: FirewallDocument = {
      settings: DEFAULT_SETTINGS,
      rules: [leaf('a', { children: [leaf('b'), leaf('c')], action: 'Group', expanded: true })],
    };
    const xml = documentToXml(doc);
    const variants = [
      xml.replace('<string>b</string>', '<string>a</string>'), // a duplicate id
      xml.replace('<string>b</string>', '<string>not an id!</string>'),
      xml.replace('<string>Dest port</string>', '<string>dest PORT</string>'),
      xml.replace('<string>Dest port</string>', '<string>Bogus</string>'),
      xml.replace(/<key>propertyName<\/key>\s*<string>Dest port<\/string>/, ''),
      xml.replace(
        '<key>ruleId</key>',
        '<key>treewallOther</key><string>x</string><key>ruleId</key>',
      ),
      xml.replace('<true/>', '<string>YES</string>'),
      xml.replace('<string>22</string>', '<string>a &lt; b &amp; c</string>'),
      xml.replace('<string>22</string>', '<string>&#50;2</string>'),
    ];
    for (const text of variants) {
      expect(text).not.toBe(xml);
      expect(fast(text)).toEqual(general(text));
    }
    expect(shortcut(xml)).toEqual(general(xml));
  });

  it('reads a menu name the same way however often, and in whichever spelling, it comes', () => {
    // The shortcut remembers each spelling as written and compares later ones in place.
    const rules = ['a', 'b', 'c', 'd', 'e', 'f'].map((id) => leaf(id, { action: 'Group' }));
    const xml = documentToXml({ settings: DEFAULT_SETTINGS, rules });
    const spell = (text: string, spellings: string[]) => {
      let i = 0;
      return text.replace(
        /<string>Dest port<\/string>/g,
        () => `<string>${spellings[i++]}</string>`,
      );
    };
    const variants = [
      spell(xml, ['Dest port', 'Dest port', ' Dest port', 'Dest port ', 'dest PORT', 'Dest port']),
      spell(xml, ['Dest port', 'Dest port&amp;', 'Dest port', 'Dest port', 'Dest port', 'x']),
      spell(xml, ['Dest port', 'Dest port', 'Dest porta', 'Dest por', 'Dest port', 'Dest port']),
      spell(xml, ['Dest port', 'Dest port', 'Dest port', 'Dest port', 'Dest port', 'Dest\rport']),
      xml.replace(/<string>Group<\/string>/g, (m, at: number) =>
        at % 2 === 0 ? '<string>Gr&#111;up</string>' : m,
      ),
      xml.replaceAll('<string>==</string>', '<string>&#61;=</string>'),
      xml.replaceAll('<string>Group</string>', '<string>group</string>'),
    ];
    for (const text of variants) {
      expect(text).not.toBe(xml);
      expect(fast(text)).toEqual(general(text));
    }
    // Taken when every spelling resolves and is written plainly.
    expect(shortcut(variants[0]!)).toEqual(general(variants[0]!));
    expect(shortcut(variants[6]!)).toEqual(general(variants[6]!));
  });

  it('tells a duplicate id among thousands (the id table grows several times)', () => {
    const rules = Array.from({ length: 9000 }, (_, i) => leaf(`r${i}`));
    const xml = documentToXml({ settings: DEFAULT_SETTINGS, rules });
    expect(shortcut(xml)).toEqual(general(xml));
    for (const [from, to] of [
      ['r8999', 'r0'],
      ['r8999', 'r4500'],
      ['r2048', 'r2047'],
      ['r1', 'r8000'],
    ] as const) {
      const text = xml.replace(`<string>${from}</string>`, `<string>${to}</string>`);
      expect(shortcut(text)).toBeUndefined();
      expect(fast(text)).toEqual(general(text));
    }
  });

  it('keeps the general reader’s nesting limit', () => {
    let rule = leaf('d0');
    for (let i = 1; i < 12; i++) rule = leaf(`d${i}`, { action: 'Group', children: [rule] });
    const xml = documentToXml({ settings: DEFAULT_SETTINGS, rules: [rule] });
    for (let maxDepth = 20; maxDepth <= 32; maxDepth++) {
      const expected = general(xml, maxDepth);
      const taken = shortcut(xml, maxDepth);
      if (taken !== undefined) expect(taken).toEqual(expected);
      else expect(typeof expected === 'object' && expected !== null).toBe(true);
    }
    // Deep enough for the general path to refuse: the shortcut does not read it either.
    expect(general(xml, 20)).toMatchObject({ error: expect.stringContaining('nesting') });
    expect(shortcut(xml, 20)).toBeUndefined();
    expect(shortcut(xml, 32)).toEqual(general(xml, 32));
  });
});

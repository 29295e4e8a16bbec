// Issue 12 items 6 and 7: text that the kernel (nft's JSON parser) or a terminal cannot take is
// refused by validation with the rule's number, cleaned at the model's edge (documents and
// clipboard text), and escaped in text output.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clipboardTextToRules } from '../plist/clipboard.ts';
import { documentToOpenStep, documentToXml, parseDocumentText } from '../plist/document.ts';
import { cleanName, escapeControls, nameProblem } from './text.ts';
import { createRule } from './tree.ts';
import { DEFAULT_SETTINGS, type FirewallDocument, type Rule } from './types.ts';
import { formatProblem, validateDocument } from './validate.ts';

// eslint-disable-next-line no-control-regex
const BAD = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const LONE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

let seq = 0;
const rule = (partial: Partial<Rule>): Rule => createRule({ id: `t${++seq}`, ...partial });
const doc = (rules: Rule[]): FirewallDocument => ({ rules, settings: { ...DEFAULT_SETTINGS } });

/** Any UTF-16 string, with controls, ESC sequences and lone surrogates often. */
const hostileText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({
    unit: fc.constantFrom(
      'a',
      ' ',
      '\u001b',
      '[',
      '2',
      'J',
      '\u0000',
      '\ud800',
      '\udc00',
      '\u009b',
      '\u202e',
      '\t',
      '\n',
      'é',
      '😀',
    ),
    maxLength: 20,
  }),
);

describe('names at the model edge', () => {
  it('cleanName leaves no control, layout or lone surrogate, keeps ordinary text, is idempotent', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        const clean = cleanName(text);
        expect(clean).not.toMatch(BAD);
        expect(clean).not.toMatch(LONE);
        expect(cleanName(clean)).toBe(clean);
        expect(nameProblem(clean)).toBeUndefined();
      }),
      { seed: 12_7, numRuns: 2000 },
    );
    expect(cleanName('Block Telnet (23) — ok 😀')).toBe('Block Telnet (23) — ok 😀');
    expect(cleanName('a\tb\nc')).toBe('a b c');
    expect(cleanName('x\u001b[31mred')).toBe('x[31mred');
    expect(cleanName('a\ud800b')).toBe('a\ufffdb');
  });

  it('a document whose names carry ESC sequences, NUL and lone surrogates reads clean', () => {
    // NeXT text can spell every UTF-16 unit; an XML document may carry a raw ESC.
    const text = documentToOpenStep(
      doc([
        rule({ name: 'evil\u001b]0;pwned\u0007\u001b[2J', action: 'Pass' }),
        rule({ name: 'a\ud800\u0000b' }),
      ]),
    );
    const read = parseDocumentText(text);
    expect(read.rules.map((r) => r.name)).toEqual(['evil]0;pwned[2J', 'a\ufffdb']);
    expect(validateDocument(read)).toEqual([]);
    const xml = documentToXml(doc([rule({ name: 'PLACEHOLDER' })])).replace(
      'PLACEHOLDER',
      'x\u001b[2Jy',
    );
    expect(parseDocumentText(xml).rules[0]!.name).toBe('x[2Jy');
  });

  it('clipboard text with a control character in nodeName pastes clean', () => {
    const rules = clipboardTextToRules(
      '({nodeName = "x\\U001b[2Jy"; propertyName = Any; relationName = "=="; filterActionName = Pass; enabled = 1;})',
    );
    expect(rules[0]!.name).toBe('x[2Jy');
  });
});

describe('validation refuses what nft or a terminal cannot take, naming the rule', () => {
  const cases: [Partial<Rule>, RegExp][] = [
    [{ name: 'a\u0000b' }, /^rule 2: Name contains a NUL character/],
    [{ name: 'a\ud800b' }, /^rule 2: Name contains a lone surrogate \(U\+D800/],
    [{ name: 'x\u001b[31m' }, /^rule 2: Name contains a control or layout character \(U\+001B\)/],
    [
      { name: 'right\u202eleft' },
      /^rule 2: Name contains a control or layout character \(U\+202E\)/,
    ],
    [
      { property: 'Interface', value: '*' },
      /^rule 2: Interface "\*" alone is not an interface name/,
    ],
    [
      { action: 'Trigger', parameter: '1000000 days' },
      /^rule 2: Trigger duration 1000000 days is longer than the kernel takes/,
    ],
    [
      { action: 'Keep address', parameter: '9999999999999' },
      /^rule 2: Keep address duration .* longer than the kernel takes/,
    ],
    [
      { action: 'Authorize', parameter: '99999999999999999999' },
      /^rule 2: Authorize duration .* longer than the kernel takes/,
    ],
    [
      { property: 'Data content', value: 'a\u0000b' },
      /^rule 2: Data content contains a NUL character/,
    ],
    [{ action: 'Log', parameter: 'x\udc00' }, /^rule 2: Log parameter contains a lone surrogate/],
  ];
  it.each(cases)('%j', (partial, message) => {
    const problems = validateDocument(doc([rule({ action: 'Pass' }), rule(partial)]));
    expect(problems.map(formatProblem).join('\n')).toMatch(message);
  });

  it('accepts the longest duration it allows and ordinary names', () => {
    expect(
      validateDocument(
        doc([
          rule({ name: 'Ban 😀 (100 years)', action: 'Trigger', parameter: '36500 days' }),
          rule({ property: 'Interface', value: 'eth*' }),
        ]),
      ),
    ).toEqual([]);
  });

  it('the default trigger duration is bounded the same way', () => {
    const d = doc([]);
    d.settings.defaultTriggerDuration = 1e13;
    expect(validateDocument(d).map((p) => p.message)).toEqual([
      expect.stringMatching(/Default trigger duration .* longer than the kernel takes/),
    ]);
  });
});

describe('escapeControls (text output)', () => {
  it('leaves no control but newline and tab, and stays valid inside JSON strings', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        const out = escapeControls(text);
        expect(out.replace(/[\n\t]/g, '')).not.toMatch(BAD);
        expect(out).not.toMatch(LONE);
        const json = escapeControls(JSON.stringify({ text }));
        expect(JSON.parse(json)).toEqual({ text });
      }),
      { seed: 12_7, numRuns: 2000 },
    );
    expect(escapeControls('a\u001b[2Jb\n')).toBe('a\\u001b[2Jb\n');
  });
});

// Runtime: tests only (fast-check generators shared by the codec tests). Never imported by
// application code. Invariant: every generated value is representable in the format it is
// generated for, so a round-trip failure is a codec bug, never a generator artefact.

import fc from 'fast-check';
import { cleanName } from '../model/text.ts';
import type { PlistValue, Rule } from '../model/types.ts';
import { ACTION_NAMES, PROPERTY_NAMES, RELATION_NAMES } from '../model/vocabulary.ts';
import { KNOWN_KEYS } from './rules.ts';

/** Strings that stress the writers: quotes, backslashes, newlines, controls, non-ASCII. */
export const trickyString = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom(
    '',
    ' ',
    '"',
    '\\',
    '\n',
    '\t',
    '\r\n',
    '\\U00e9',
    '/* no */',
    '// no',
    'a=b;',
    'é😀',
    '\u0000',
    '\ud800',
    '<key>',
    ']]>',
    '&amp;',
  ),
  fc.stringMatching(/^[A-Za-z0-9_.:$/-]{1,8}$/),
);

// eslint-disable-next-line no-control-regex
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF\uD800-\uDFFF]/;
/** Strings an XML property list can hold (XML 1.0 has no way to write U+0001 or a lone surrogate). */
export const xmlString = trickyString.map((s) =>
  [...s].filter((c) => !NOT_XML.test(c) || c.length === 2).join(''),
);

/** Everything OpenStep text can hold: strings, data, arrays, dictionaries. */
export const openStepValue: fc.Arbitrary<PlistValue> = fc.letrec<{ value: PlistValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    trickyString,
    fc.uint8Array({ maxLength: 9 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(trickyString, tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** Everything an XML property list round-trips exactly (dates at whole seconds, finite numbers). */
export const xmlValue: fc.Arbitrary<PlistValue> = fc.letrec<{ value: PlistValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    xmlString,
    fc.integer(),
    fc
      .double({ noNaN: true, noDefaultInfinity: true })
      // plist writes whole numbers as <integer> with toString(), which turns 1e21 into text
      // parseInt cannot read; documents hold no such numbers.
      .filter((d) => !Object.is(d, -0) && !(Number.isInteger(d) && Math.abs(d) >= 1e21)),
    fc.boolean(),
    fc.uint8Array({ maxLength: 9 }),
    fc.integer({ min: 0, max: 4_000_000_000 }).map((s) => new Date(s * 1000)),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(
      xmlString.filter((k) => k !== '__proto__'),
      tie('value'),
      { maxKeys: 3 },
    ),
  ),
})).value;

const RULE_KEYS = KNOWN_KEYS;

/** Rule trees with arbitrary text in every free field and unknown keys in `extra`. Ids are
 * made unique afterwards (`g-1`, `g-2`, ... in outline order). */
export function ruleTree(format: 'text' | 'xml', maxDepth = 3): fc.Arbitrary<Rule[]> {
  const text = format === 'xml' ? xmlString : trickyString;
  const extraValue = format === 'xml' ? xmlValue : openStepValue;
  const extra = fc.option(
    fc
      .dictionary(
        text.filter((k) => !RULE_KEYS.has(k) && k !== '__proto__'),
        extraValue,
        { minKeys: 1, maxKeys: 2 },
      )
      .filter((d) => Object.keys(d).length > 0),
    { nil: undefined, freq: 3 },
  );
  const rule = (children: fc.Arbitrary<Rule[]>): fc.Arbitrary<Rule> =>
    fc
      .record({
        enabled: fc.boolean(),
        // Names are cleaned when read (control characters, lone surrogates: model/text.ts).
        name: text.map(cleanName),
        property: fc.constantFrom(...PROPERTY_NAMES),
        relation: fc.constantFrom(...RELATION_NAMES),
        value: text,
        action: fc.constantFrom(...ACTION_NAMES),
        parameter: text,
        children,
        expanded: fc.boolean(),
        extra,
      })
      .map((r) => {
        const out: Rule = { id: '', ...r, extra: undefined };
        if (r.extra) out.extra = r.extra;
        else delete out.extra;
        return out;
      });
  const level = (depth: number): fc.Arbitrary<Rule[]> =>
    fc.array(depth <= 0 ? rule(fc.constant([])) : rule(level(depth - 1)), {
      maxLength: depth === maxDepth ? 4 : 3,
    });
  return level(maxDepth).map((rules) => {
    let n = 0;
    const number = (list: Rule[]): void =>
      list.forEach((r) => {
        r.id = `g-${++n}`;
        number(r.children);
      });
    number(rules);
    return rules;
  });
}

/** The same rules with ids blanked, for comparing pasted rules (which get fresh ids). */
export function withoutIds(rules: readonly Rule[]): Rule[] {
  return rules.map((r) => ({ ...r, id: '', children: withoutIds(r.children) }));
}

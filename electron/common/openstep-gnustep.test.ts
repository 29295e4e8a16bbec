// Differential test of the NeXT/OpenStep codec (shared/plist/openstep.ts) against GNUstep's
// reader and writer (`pl`, from gnustep-base-runtime): text we write must mean to GNUstep what it
// means to us, and text with escapes must decode to the same strings in both readers.
// Known GNUstep differences, excluded from the generators: it refuses lone surrogates, octal
// escapes above \177 and spaces inside a data group of 4 bytes (`<0a0b 0c>`; our writer spaces
// only between groups, as Apple does), drops U+FEFF, and reads U+FFFE as a byte-swapped BOM.

import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseOpenStep, serializeOpenStep, type PlistValue } from '../../shared/plist/openstep.ts';
import { openStepValue } from '../../shared/plist/test-arbitraries.ts';

const hasPl = spawnSync('pl', [], { input: '()', encoding: 'utf8' }).status === 0;

/** GNUstep's reading of `text`, written back by GNUstep. */
function throughGnustep(text: string): string {
  const result = spawnSync('pl', [], { input: text, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (result.status !== 0 || result.stdout.trim() === '') {
    throw new Error(`pl refused the text: ${result.stderr.slice(0, 300)}\n${text.slice(0, 300)}`);
  }
  return result.stdout;
}

/** Values without what GNUstep mishandles: lone surrogates (JSON shows them as \udXXX escapes;
 * paired ones it writes as characters), U+FEFF, U+FFFE, U+FFFF. */
const compatibleValue = openStepValue.filter((v) => {
  const json = JSON.stringify(v, (_k, x: unknown) => (x instanceof Uint8Array ? [...x] : x));
  return !/\\ud[89a-f][0-9a-f]{2}/i.test(json) && !/[\ufeff\ufffe\uffff]/.test(json);
});

/** A quoted string made of plain text and every escape form both readers accept. */
const escapeSoup = fc
  .array(
    fc.oneof(
      fc.stringMatching(/^[a-zA-Z0-9 ,;=(){}<>\-./:]{0,6}$/),
      fc.constantFrom(
        '\\n',
        '\\t',
        '\\"',
        '\\\\',
        '\\r',
        '\\a',
        '\\b',
        '\\f',
        '\\v',
        'é',
        '\t',
        '\n',
        '😀',
      ),
      fc.integer({ min: 1, max: 0o177 }).map((n) => '\\' + n.toString(8).padStart(3, '0')),
      fc
        .integer({ min: 1, max: 0xffff })
        .filter((n) => (n < 0xd800 || n > 0xdfff) && n !== 0xfeff && n < 0xfffe)
        .map((n) => '\\U' + n.toString(16).padStart(4, '0')),
    ),
    { maxLength: 8 },
  )
  .map((parts) => `"${parts.join('')}"`);

describe.skipIf(!hasPl)('OpenStep codec against GNUstep (pl)', () => {
  it('GNUstep reads what we write as the same values', () => {
    const values = fc.sample(compatibleValue, 400);
    for (let i = 0; i < values.length; i += 100) {
      const batch = values.slice(i, i + 100);
      const ours = serializeOpenStep(batch);
      const back = parseOpenStep(throughGnustep(ours)) as PlistValue[];
      for (let j = 0; j < batch.length; j++) {
        expect(back[j], `value ${i + j}: ${serializeOpenStep(batch[j]!)}`).toEqual(batch[j]);
      }
    }
  });

  it('both readers decode escapes to the same strings', () => {
    const strings = fc.sample(escapeSoup, 600);
    const text = `(\n${strings.join(',\n')}\n)`;
    const ours = parseOpenStep(text) as string[];
    const theirs = parseOpenStep(throughGnustep(text)) as string[];
    for (let i = 0; i < strings.length; i++) expect(theirs[i], strings[i]).toBe(ours[i]);
  });

  it('both readers accept the comments, data and layout of hand-written text', () => {
    // NOTE: GNUstep fails on a // comment before a long top-level dictionary, so it sits inside.
    const text = `{\n  // a rule, typed by hand\n  /* name */ nodeName = "x\\ty";\n  data = <0a0b0C0d 0e>;\n  list = (a, "b c", );\n}`;
    expect(parseOpenStep(throughGnustep(text))).toEqual(parseOpenStep(text));
  });
});

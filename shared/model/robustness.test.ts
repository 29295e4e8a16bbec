// Any text in any field: the parsers and the validator answer, never throw, never hang, and every
// error names its property or action first.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACTION_NAMES, PROPERTY_NAMES } from './vocabulary.ts';
import { parseParameter, parseValue } from './values.ts';
import { validateRule } from './validate.ts';
import { createRule } from './tree.ts';

const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.stringMatching(/^[0-9a-f:./\- ()<>,]{0,30}$/),
);

describe('robustness', () => {
  it('parseValue answers every property and string, naming the property in errors', () => {
    fc.assert(
      fc.property(fc.constantFrom(...PROPERTY_NAMES), text, (property, value) => {
        const r = parseValue(property, value);
        if (!r.ok) expect(r.error.startsWith(property)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('parseParameter answers every action and string, naming the action in errors', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ACTION_NAMES), text, (action, parameter) => {
        const r = parseParameter(action, parameter);
        if (!r.ok) expect(r.error.startsWith(action)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('validateRule answers any field values', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PROPERTY_NAMES),
        fc.constantFrom(...ACTION_NAMES),
        text,
        text,
        (property, action, value, parameter) => {
          const problems = validateRule(createRule({ property, action, value, parameter }), '1');
          for (const p of problems) expect(p.message.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('refuses very long values quickly instead of parsing them', () => {
    const big = `1${' (x)'.repeat(250_000)}`;
    expect(parseValue('Dest port', big)).toEqual({
      ok: false,
      error: 'Dest port value is 1000001 characters long (at most 4096)',
    });
    expect(parseParameter('Script', `/bin/x ${'"'.repeat(10_000)}`).ok).toBe(false);
    // Just under the limit, the comment stripper stays linear.
    expect(parseValue('Dest port', `22${' (x)'.repeat(1000)}`)).toEqual({
      ok: true,
      value: { kind: 'range', range: { min: 22, max: 22 } },
    });
  });
});

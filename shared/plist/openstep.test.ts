import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  PlistSyntaxError,
  parseOpenStep,
  quoteString,
  serializeOpenStep,
  type PlistValue,
} from './openstep.ts';
import { openStepValue } from './test-arbitraries.ts';

function fail(text: string): PlistSyntaxError {
  try {
    parseOpenStep(text);
  } catch (error) {
    expect(error).toBeInstanceOf(PlistSyntaxError);
    return error as PlistSyntaxError;
  }
  throw new Error(`expected ${JSON.stringify(text.slice(0, 40))} to fail`);
}

describe('parseOpenStep', () => {
  it('reads arrays, dictionaries, quoted and unquoted strings and data', () => {
    expect(parseOpenStep('( a, "b c", <0a0B 0c>, {k = v; "2.3" = (); e = {};}, )')).toEqual([
      'a',
      'b c',
      new Uint8Array([10, 11, 12]),
      { k: 'v', '2.3': [], e: {} },
    ]);
  });

  it('decodes escapes as GNUstep does: \\U hex, octal, named, and unknown as the character', () => {
    expect(parseOpenStep('"\\U00e9\\u00E9\\351\\n\\t\\"\\\\\\q\\101\\UD83D\\UDE00"')).toBe(
      'ééé\n\t"\\qA😀',
    );
    expect(parseOpenStep('"tab\there"')).toBe('tab\there');
  });

  it('skips // and /* */ comments', () => {
    expect(parseOpenStep('// head\n( /* one */ a, // two\n b /**/ )')).toEqual(['a', 'b']);
  });

  it('keeps a __proto__ key as data, not as a prototype', () => {
    const value = parseOpenStep('{ "__proto__" = x; }') as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
  });

  it.each([
    ['(a, b', 1, 1, "'(' is never closed"],
    ['(a b)', 1, 4, "expected ',' or ')'"],
    ['{ a = b }', 1, 9, "missing ';' after the value of key 'a'"],
    ['{\n  enabled = 1\n  b = 2;\n}', 3, 3, "missing ';' after the value of key 'enabled'"],
    ['("x\\U")', 1, 4, 'bad escape'],
    ['("\\777")', 1, 3, 'bad escape'],
    ['"abc', 1, 1, 'unterminated quoted string'],
    ['<0a1>', 1, 5, 'odd number of hex digits'],
    ['<0g>', 1, 3, "unexpected character 'g' in <data>"],
    ['/* open', 1, 1, 'unterminated /* comment'],
    ['a b', 1, 3, 'unexpected text after the end'],
    ['', 1, 1, 'no property list'],
    [')', 1, 1, "unexpected character ')'"],
    ['{ = x; }', 1, 3, "expected a key or '}'"],
    ['{ a x; }', 1, 5, "expected '=' after key 'a'"],
  ])('refuses %j at line %i column %i', (text, line, column, reason) => {
    const error = fail(text);
    expect(error.line).toBe(line);
    expect(error.column).toBe(column);
    expect(error.reason).toContain(reason);
    expect(error.message).toContain(`line ${line}, column ${column}`);
  });

  it('refuses 100,000 nested parentheses with a clear error instead of a stack overflow', () => {
    expect(fail('('.repeat(100_000)).reason).toBe('nesting deeper than 1000 levels');
    expect(fail('('.repeat(100_000) + ')'.repeat(100_000)).reason).toContain('nesting deeper');
    // With the limit lifted, the explicit stack carries it to the real error at the end.
    expect(() => parseOpenStep('('.repeat(100_000), { maxDepth: Infinity })).toThrow(
      /never closed/,
    );
  });

  it('gives a 10 MB garbage string one PlistSyntaxError', () => {
    let garbage = '';
    const chunk = Array.from({ length: 4096 }, (_, i) =>
      String.fromCharCode(32 + ((i * 7919) % 95)),
    ).join('');
    while (garbage.length < 10_000_000) garbage += chunk;
    fail(garbage);
    fail('(' + garbage);
    fail('"' + garbage.replaceAll('"', ''));
    fail('{ a = (' + 'x, '.repeat(3_000_000));
  });

  it('throws only PlistSyntaxError on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        try {
          parseOpenStep(text);
        } catch (error) {
          expect(error).toBeInstanceOf(PlistSyntaxError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('throws only PlistSyntaxError on mutated valid text', () => {
    fc.assert(
      fc.property(openStepValue, fc.nat(), fc.string({ maxLength: 3 }), (value, at, insert) => {
        const text = serializeOpenStep(value);
        const cut = at % (text.length + 1);
        try {
          parseOpenStep(text.slice(0, cut) + insert + text.slice(cut + 1));
        } catch (error) {
          expect(error).toBeInstanceOf(PlistSyntaxError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('serializeOpenStep', () => {
  it('quotes like IPNetSentryX: bare words stay bare, everything else is quoted', () => {
    expect(['Delay', 'rst', '1', 'inbound', 'Direction'].map(quoteString)).toEqual([
      'Delay',
      'rst',
      '1',
      'inbound',
      'Direction',
    ]);
    expect(
      ['2.3.1', 'TCP header flags', '==', '->', '', 'a"b', 'a\\b', 'x\ny'].map(quoteString),
    ).toEqual([
      '"2.3.1"',
      '"TCP header flags"',
      '"=="',
      '"->"',
      '""',
      '"a\\"b"',
      '"a\\\\b"',
      '"x\\ny"',
    ]);
  });

  it('sorts keys and lays out nested containers one entry per line', () => {
    const text = serializeOpenStep([{ b: '1', a: ['x', new Uint8Array([1, 2, 3, 4, 5])], c: {} }]);
    expect(text).toBe(
      [
        '(',
        '    {',
        '        a = (',
        '            x,',
        '            <01020304 05>',
        '        );',
        '        b = 1;',
        '        c = {};',
        '    }',
        ')',
        '',
      ].join('\n'),
    );
  });

  it('writes numbers, booleans and dates as the strings IPNetSentryX writes', () => {
    expect(parseOpenStep(serializeOpenStep({ n: 7, t: true, f: false }))).toEqual({
      n: '7',
      t: '1',
      f: '0',
    });
  });

  it('round-trips every value: parse(serialize(x)) equals x', () => {
    fc.assert(
      fc.property(openStepValue, fc.constantFrom('    ', '\t', ''), (value, indent) => {
        expect(parseOpenStep(serializeOpenStep(value, { indent }))).toEqual(value);
      }),
      { numRuns: 1500 },
    );
  });

  it('writes deep trees without recursion', () => {
    let deep: PlistValue = 'leaf';
    for (let i = 0; i < 20_000; i++) deep = [deep];
    const text = serializeOpenStep(deep, { indent: '' });
    // Compared as text: a recursive deep-equal would itself overflow at this depth.
    expect(serializeOpenStep(parseOpenStep(text, { maxDepth: Infinity }), { indent: '' })).toBe(
      text,
    );
    expect(text.startsWith('(\n'.repeat(20_000) + 'leaf\n)')).toBe(true);
  });
});

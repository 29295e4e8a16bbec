import fc from 'fast-check';
import { build, parse } from 'plist';
import { describe, expect, it } from 'vitest';
import { PlistSyntaxError } from './openstep.ts';
import { xmlValue } from './test-arbitraries.ts';
import { base64Decode, base64Encode, buildXmlPlist, parseXmlPlistText } from './xml.ts';

// xmldom (inside `plist`) folds these into line feeds, so the oracle cannot read them back.
const XMLDOM_FOLDS = /[\u0085\u2028\u2029]/;
const foldFree = xmlValue.filter((v) => !XMLDOM_FOLDS.test(JSON.stringify(v)));

function fail(text: string): PlistSyntaxError {
  try {
    parseXmlPlistText(text);
  } catch (error) {
    expect(error).toBeInstanceOf(PlistSyntaxError);
    return error as PlistSyntaxError;
  }
  throw new Error(`expected ${JSON.stringify(text.slice(0, 60))} to fail`);
}

describe('buildXmlPlist', () => {
  it('writes byte for byte what the plist package writes', () => {
    fc.assert(
      fc.property(xmlValue, fc.constantFrom('\t', '  '), (value, indent) => {
        expect(buildXmlPlist(value, indent)).toBe(build(value, { indent }));
      }),
      { numRuns: 500 },
    );
  });
});

describe('parseXmlPlistText', () => {
  it('reads back what it writes, and what the plist package reads from it', () => {
    fc.assert(
      fc.property(foldFree, (value) => {
        const xml = buildXmlPlist(value, '\t');
        expect(parseXmlPlistText(xml)).toEqual(value);
        expect(parseXmlPlistText(xml)).toEqual(parse(xml));
      }),
      { numRuns: 500 },
    );
  });

  it('reads hand-written XML as the plist package does: comments, CDATA, entities, DOCTYPE, CRLF', () => {
    const xml = [
      '\uFEFF<?xml version="1.0" encoding="UTF-8"?>',
      '<!DOCTYPE plist PUBLIC "-//Apple Computer//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
      '<!-- saved by hand -->',
      '<plist version="1.0">',
      '<dict>',
      '\t<key>a &amp; b</key> <!-- between --> <string>x &lt;&gt; &#233;&#x1F600; \'q\' "d"</string>',
      '\t<key>cdata</key><string><![CDATA[<not a tag> & ]]>tail</string>',
      '\t<key>crlf</key><string>one\r\ntwo\rthree</string>',
      '\t<key>empty</key><string></string>',
      '\t<key>selfclosed</key><string/>',
      '\t<key>n</key><integer> -42 </integer>',
      '\t<key>r</key><real>1.5e3</real>',
      '\t<key>t</key><true/>',
      '\t<key>f</key><false></false>',
      '\t<key>d</key><date>2003-12-26T10:20:30Z</date>',
      '\t<key>bytes</key><data>\n\tAQID\n\tBA==\n\t</data>',
      '\t<key>list</key><array><string>x</string><array/><dict/></array>',
      '</dict>',
      '</plist>',
      '',
    ].join('\r\n');
    const ours = parseXmlPlistText(xml);
    expect(ours).toEqual(parse(xml.replace(/^\uFEFF/, '')));
    expect(ours).toMatchObject({
      'a & b': 'x <> é😀 \'q\' "d"',
      cdata: '<not a tag> & tail',
      crlf: 'one\ntwo\nthree',
      n: -42,
      r: 1500,
      f: false,
      bytes: new Uint8Array([1, 2, 3, 4]),
    });
  });

  it('keeps a __proto__ key as data (the plist package refuses it)', () => {
    const value = parseXmlPlistText(
      '<plist><dict><key>__proto__</key><string>x</string></dict></plist>',
    );
    expect(Object.keys(value as object)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
  });

  it('refuses 100,000 nested arrays with a clear error', () => {
    expect(fail('<plist>' + '<array>'.repeat(100_000)).reason).toBe(
      'nesting deeper than 1000 levels',
    );
  });

  it('throws only PlistSyntaxError on mutated documents and on garbage', () => {
    fc.assert(
      fc.property(xmlValue, fc.nat(), fc.string({ maxLength: 3 }), (value, at, insert) => {
        const xml = buildXmlPlist(value);
        const cut = at % (xml.length + 1);
        try {
          parseXmlPlistText(xml.slice(0, cut) + insert + xml.slice(cut + 1));
        } catch (error) {
          expect(error).toBeInstanceOf(PlistSyntaxError);
        }
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        try {
          parseXmlPlistText('<plist>' + text);
        } catch (error) {
          expect(error).toBeInstanceOf(PlistSyntaxError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

/** The value, or the error (reason, line, column), of one way of reading `text`. */
function outcome(text: string, generalOnly: boolean): unknown {
  try {
    return { value: parseXmlPlistText(text, { generalOnly }) };
  } catch (error) {
    expect(error).toBeInstanceOf(PlistSyntaxError);
    const e = error as PlistSyntaxError;
    return { error: [e.reason, e.line, e.column] };
  }
}

describe("the reader's shortcuts (plain tags, indents) against its general path", () => {
  it('read every value the same, and fail every mutated document with the same error', () => {
    fc.assert(
      fc.property(
        xmlValue,
        fc.constantFrom('\t', '  ', ''),
        fc.nat(),
        fc.constantFrom(
          '',
          '<',
          '>',
          '/',
          '&',
          '&amp;',
          '\r',
          '\n\t',
          'x',
          '-',
          '1',
          '</dict>',
          '<key>k</key>',
          '<true/>',
          '<integer>',
          '<!-- c -->',
        ),
        (value, indent, at, insert) => {
          const xml = buildXmlPlist(value, indent);
          expect(outcome(xml, false)).toEqual(outcome(xml, true));
          const cut = at % (xml.length + 1);
          const mutated = xml.slice(0, cut) + insert + xml.slice(cut + 1);
          expect(outcome(mutated, false)).toEqual(outcome(mutated, true));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it.each([
    '<plist><integer>-0</integer></plist>',
    '<plist><integer>007</integer></plist>',
    '<plist><integer>123456789012345</integer></plist>',
    '<plist><integer>1234567890123456789</integer></plist>',
    '<plist><integer>+5</integer></plist>',
    '<plist><integer>-</integer></plist>',
    '<plist><array><integer>1</integer><integer></integer></array></plist>',
    '<plist><dict><key>a</key><key>b</key></dict></plist>',
    '<plist><dict><key>a</key></dict></plist>',
    '<plist><array><dict><key>a</key></dict></array></plist>',
    '<plist><dict><key>a</key><dict><key>b</key></dict></dict></plist>',
    '<plist><dict><key>a</key><dict></dict><string>x</string></dict></plist>',
    '<plist><dict><key>a</key><string>x</string><dict></dict></dict></plist>',
    '<plist><array><dict><array></array></dict></array></plist>',
    '<plist><dict><key>a&amp;b</key><string>x\r\ny</string></dict></plist>',
    '<plist><array><string>a</string ></array></plist>',
    '<plist><array><string>a</strin></array></plist>',
    '<plist><array></dict></plist>',
    '<plist><dict><key>k</key><array/><key>l</key><dict/></dict></plist>',
    '<plist>\n\t<array>\n\t\t<true/>\n\t\tx\n\t</array>\n</plist>',
  ])('agree on %j', (xml) => {
    expect(outcome(xml, false)).toEqual(outcome(xml, true));
  });

  it('refuse nesting beyond the limit the same way', () => {
    const deep = '<plist>' + '<array>'.repeat(1001) + '</array>'.repeat(1001) + '</plist>';
    expect(outcome(deep, false)).toEqual(outcome(deep, true));
    expect((outcome(deep, false) as { error: unknown[] }).error[0]).toBe(
      'nesting deeper than 1000 levels',
    );
  });
});

describe('base64', () => {
  it('round-trips bytes and matches Node', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const text = base64Encode(bytes);
        expect(text).toBe(Buffer.from(bytes).toString('base64'));
        expect(base64Decode(text)).toEqual(bytes);
      }),
    );
    expect(base64Decode('A===')).toBeUndefined();
    expect(base64Decode('A')).toBeUndefined();
    expect(base64Decode('AQ*=')).toBeUndefined();
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SETTINGS,
  type DocumentSettings,
  type FirewallDocument,
  type PlistValue,
} from '../model/types.ts';
import {
  DocumentFormatError,
  documentFromXml,
  documentToOpenStep,
  documentToXml,
  parseDocumentText,
  sniffFormat,
} from './document.ts';
import { PlistSyntaxError } from './openstep.ts';
import { RuleFormatError } from './rules.ts';
import { openStepValue, ruleTree, xmlValue } from './test-arbitraries.ts';

let n = 0;
const newId = (): string => `n${++n}`;

const RESERVED = new Set([
  'filterTable',
  'SentryDocument_filterTable',
  'SentryDocument_firewallOn',
  'rules',
  'treewallDocumentVersion',
  'firewallOn',
  'defaultTriggerDuration',
  'defaultPolicy',
  'selectedStatistic',
  'externalInterfaces',
  'internalInterfaces',
  '__proto__',
]);

const settings: fc.Arbitrary<DocumentSettings> = fc.record({
  firewallOn: fc.boolean(),
  defaultTriggerDuration: fc.constantFrom(0, 60, 600, 3600, 36000, 86400, 864000),
  defaultPolicy: fc.constantFrom('pass' as const, 'delete' as const),
  selectedStatistic: fc.constantFrom(
    'none' as const,
    'matchCount' as const,
    'byteCount' as const,
    'lastMatch' as const,
    'packetRate' as const,
    'bitRate' as const,
  ),
  externalInterfaces: fc.array(fc.stringMatching(/^[a-z][a-z0-9]{0,7}$/), { maxLength: 3 }),
  internalInterfaces: fc.array(fc.stringMatching(/^[a-z][a-z0-9]{0,7}$/), { maxLength: 3 }),
});

function documents(format: 'xml' | 'text'): fc.Arbitrary<FirewallDocument> {
  const value = format === 'xml' ? xmlValue : openStepValue;
  return fc
    .record({
      rules: ruleTree(format),
      settings,
      extra: fc.dictionary(
        fc.string({ minLength: 1, maxLength: 10 }).filter((k) => !RESERVED.has(k)),
        value,
        {
          maxKeys: 3,
        },
      ),
      root: fc.option(
        fc.dictionary(fc.constantFrom('nodeName', 'colour'), value, { minKeys: 1, maxKeys: 2 }),
        {
          nil: undefined,
        },
      ),
    })
    .map(({ rules, settings, extra, root }) => {
      const doc: FirewallDocument = { rules, settings };
      const all: Record<string, PlistValue> = { ...extra };
      if (root && Object.keys(root).length > 0) all.filterTable = root;
      if (Object.keys(all).length > 0) doc.extra = all;
      return doc;
    });
}

const SENTRY_DOCUMENT = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple Computer//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>SentryDocument_filterTable</key>
	<dict>
		<key>children</key>
		<array>
			<dict>
				<key>children</key>
				<array>
					<dict>
						<key>enabled</key>
						<string>1</string>
						<key>filterAction</key>
						<integer>5</integer>
						<key>filterActionName</key>
						<string>Delete</string>
						<key>nodeCount</key>
						<string>1</string>
						<key>nodeName</key>
						<string>sneak around fragments</string>
						<key>propertyName</key>
						<string>IPFragmentOffset</string>
						<key>propertyValue</key>
						<string>1-63</string>
						<key>relationName</key>
						<string>==</string>
					</dict>
					<dict>
						<key>filterAction</key>
						<integer>3</integer>
						<key>filterActionName</key>
						<string>Break</string>
						<key>nodeName</key>
						<string>Remote Login - SSH (22)</string>
						<key>propertyName</key>
						<string>Dest port</string>
						<key>propertyValue</key>
						<string>22 (ssh)</string>
					</dict>
				</array>
				<key>enabled</key>
				<integer>1</integer>
				<key>expandedState</key>
				<true/>
				<key>filterActionName</key>
				<string>-&gt;</string>
				<key>nodeName</key>
				<string>default first</string>
				<key>propertyName</key>
				<string>Any</string>
			</dict>
		</array>
		<key>filterActionName</key>
		<string>-&gt;</string>
		<key>propertyName</key>
		<string>Any</string>
	</dict>
	<key>SentryDocument_firewallOn</key>
	<integer>1</integer>
	<key>SentryDocument_name</key>
	<string>Default</string>
	<key>SentryDocument_triggerArray</key>
	<array/>
</dict>
</plist>
`;

describe('XML documents', () => {
  it('opens an IPNetSentryX document: root rule children, aliases, enabled spellings, settings', () => {
    const doc = documentFromXml(SENTRY_DOCUMENT, { newId });
    expect(doc.rules).toHaveLength(1);
    const first = doc.rules[0]!;
    expect(first).toMatchObject({
      name: 'default first',
      enabled: true,
      expanded: true,
      action: '->',
    });
    expect(first.children.map((r) => [r.name, r.property, r.value, r.action, r.enabled])).toEqual([
      ['sneak around fragments', 'Fragment offset', '1-63', 'Delete', true],
      ['Remote Login - SSH (22)', 'Dest port', '22 (ssh)', 'Exit group', false],
    ]);
    expect(doc.settings).toEqual({ ...DEFAULT_SETTINGS, firewallOn: true });
    expect(doc.extra).toEqual({
      SentryDocument_firewallOn: 1,
      SentryDocument_name: 'Default',
      SentryDocument_triggerArray: [],
      filterTable: { filterActionName: '->', propertyName: 'Any' },
    });
    // Saved by treewall and read again, nothing changes.
    expect(documentFromXml(documentToXml(doc))).toEqual(doc);
  });

  it('round-trips generated documents unchanged, and writes the same bytes every time', () => {
    fc.assert(
      fc.property(documents('xml'), (doc) => {
        const xml = documentToXml(doc);
        const back = documentFromXml(xml, { newId });
        expect(back).toEqual(doc);
        expect(documentToXml(back)).toBe(xml);
      }),
      { numRuns: 150 },
    );
  });

  it.each([
    ['<plist><dict><key>a</key></plist>', 1, 26, 'expected </dict>, found </plist>'],
    [
      '<?xml version="1.0"?>\n<plist>\n<dict><key>a</key><string>x</dict></plist>',
      3,
      28,
      'expected </string>, found </dict>',
    ],
    ['<plist><array><foo/></array></plist>', 1, 15, 'unknown element <foo>'],
    [
      '<plist><dict><string>a</string></dict></plist>',
      1,
      14,
      'expected <key> in <dict>, found <string>',
    ],
    ['<plist><dict><key>a</key></dict></plist>', 1, 14, '<key>a</key> has no value'],
    ['<plist><integer>abc</integer></plist>', 1, 8, "<integer> holds 'abc', not a whole number"],
    ['<plist><data>!!</data></plist>', 1, 8, 'not base64'],
    [
      '<plist><dict><key>a</key><string>x &bogus; y</string></dict></plist>',
      1,
      36,
      'unknown entity &bogus;',
    ],
    ['<plist><string>a & b</string></plist>', 1, 18, "'&' must start an entity"],
    ['<plist>\n  <dict>\n', 2, 3, '<dict> is never closed'],
    [
      '<plist><string>x</string><string>y</string></plist>',
      1,
      26,
      '<plist> holds more than one value',
    ],
    ['<plist></plist>', 1, 1, '<plist> holds no value'],
    ['<?xml version="1.0"?>', 1, 22, 'no property list found'],
    ['<plist><string>x</string></plist><plist>', 1, 34, 'after the end of the property list'],
    ['<plist> stray <string>x</string></plist>', 1, 9, "unexpected text 'stray"],
    ['<plist><string x="1>x</string></plist>', 1, 8, 'malformed tag'],
  ])('refuses malformed XML %j with one PlistSyntaxError', (text, line, column, reason) => {
    let caught: unknown;
    try {
      documentFromXml(text);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PlistSyntaxError);
    const error = caught as PlistSyntaxError;
    expect(error.reason).toContain(reason);
    expect(error.line).toBe(line);
    expect(error.column).toBe(column);
  });

  it('refuses bad settings and unknown rules with errors that name them', () => {
    const xml = (body: string): string => `<plist><dict>${body}</dict></plist>`;
    expect(() => documentFromXml(xml('<key>defaultPolicy</key><string>maybe</string>'))).toThrow(
      DocumentFormatError,
    );
    expect(() => documentFromXml(xml('<key>defaultPolicy</key><string>maybe</string>'))).toThrow(
      /defaultPolicy/,
    );
    expect(() =>
      documentFromXml(xml('<key>defaultTriggerDuration</key><integer>-5</integer>')),
    ).toThrow(/defaultTriggerDuration/);
    expect(() =>
      documentFromXml(xml('<key>treewallDocumentVersion</key><integer>99</integer>')),
    ).toThrow(/newer/);
    expect(() =>
      documentFromXml(
        xml(
          '<key>filterTable</key><dict><key>children</key><array><dict><key>propertyName</key><string>Colour</string></dict></array></dict>',
        ),
      ),
    ).toThrow("rule 1: unknown property 'Colour'");
  });

  it('refuses to write a character XML cannot hold, instead of writing a file no one can read', () => {
    const doc: FirewallDocument = {
      rules: [
        {
          id: 'a',
          enabled: true,
          name: 'bell \u0007',
          property: 'Any',
          relation: '==',
          value: '',
          action: '->',
          parameter: '',
          children: [],
          expanded: false,
        },
      ],
      settings: DEFAULT_SETTINGS,
    };
    expect(() => documentToXml(doc)).toThrow(/U\+0007/);
  });
});

describe('parseDocumentText on damaged documents', () => {
  it('throws only PlistSyntaxError, RuleFormatError or DocumentFormatError', () => {
    const known = (error: unknown): boolean =>
      error instanceof PlistSyntaxError ||
      error instanceof RuleFormatError ||
      error instanceof DocumentFormatError;
    fc.assert(
      fc.property(
        documents('xml'),
        fc.boolean(),
        fc.array(
          fc.tuple(
            fc.nat(),
            fc.constantFrom(
              '',
              '<',
              '>',
              '&',
              '"',
              ';',
              '=',
              '(',
              '{',
              '}',
              'x',
              '1',
              '</dict>',
              '<key>a</key>',
            ),
          ),
          {
            minLength: 1,
            maxLength: 3,
          },
        ),
        (doc, asXml, edits) => {
          let text = asXml ? documentToXml(doc) : documentToOpenStep(doc);
          for (const [at, insert] of edits) {
            const cut = at % (text.length + 1);
            text = text.slice(0, cut) + insert + text.slice(cut + 1);
          }
          try {
            parseDocumentText(text, { newId });
          } catch (error) {
            expect(known(error), String(error)).toBe(true);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('NeXT text documents', () => {
  it('round-trips generated documents unchanged', () => {
    fc.assert(
      fc.property(documents('text'), (doc) => {
        expect(parseDocumentText(documentToOpenStep(doc), { newId })).toEqual(doc);
      }),
      { numRuns: 150 },
    );
  });

  it('reads a bare array of rules as a document with default settings', () => {
    const doc = parseDocumentText('( { nodeName = a; enabled = 1; ruleId = r1; } )', { newId });
    expect(doc.settings).toEqual(DEFAULT_SETTINGS);
    expect(doc.rules).toMatchObject([{ id: 'r1', name: 'a', enabled: true }]);
  });

  it('sniffs the format', () => {
    expect(sniffFormat('\uFEFF  <?xml version="1.0"?><plist/>')).toBe('xml');
    expect(sniffFormat('<plist version="1.0"></plist>')).toBe('xml');
    expect(sniffFormat('// comment\n( )')).toBe('openstep');
    expect(parseDocumentText(SENTRY_DOCUMENT, { newId }).rules).toHaveLength(1);
    expect(() => parseDocumentText('( { a = b }')).toThrow(PlistSyntaxError);
  });
});

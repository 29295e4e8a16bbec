import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTreewallSync } from '../../testing/treewall-processes.ts';
import { documentFromXml, parseDocumentText } from '../../../shared/plist/document.ts';
import { clipboardTextToRules, rulesToClipboardText } from '../../../shared/plist/clipboard.ts';
import { PlistSyntaxError } from '../../../shared/plist/openstep.ts';
import { ORIGINAL_STYLE_DOCUMENT } from '../../../shared/plist/test-original-document.ts';
import { WALKTHROUGH_RULE_2_3 } from '../../../shared/plist/test-fixtures.ts';
import { withoutIds } from '../../../shared/plist/test-arbitraries.ts';
import { convertText } from './convert.ts';

/** The CLI as a user runs it (through the test harness). */
const treewall = (...args: string[]) => runTreewallSync(args);

let folder: string;
beforeAll(async () => {
  folder = await fs.mkdtemp(path.join(os.tmpdir(), 'tw-convert-'));
});
afterAll(async () => {
  await fs.rm(folder, { recursive: true, force: true });
});

const FORMS = ['next', 'xml', 'nsy'] as const;

describe('convertText', () => {
  it('takes a document through every pair of forms and back unchanged', () => {
    const start = convertText(ORIGINAL_STYLE_DOCUMENT, 'next');
    // The same rules as reading the .nsy directly (ids aside).
    expect(withoutIds(parseDocumentText(start).rules)).toEqual(
      withoutIds(documentFromXml(ORIGINAL_STYLE_DOCUMENT).rules),
    );
    for (const a of FORMS) {
      for (const b of FORMS) {
        const back = convertText(convertText(convertText(start, a), b), 'next');
        expect(back, `${a} -> ${b}`).toBe(start);
      }
    }
  });

  it('gives the same ids each time for a document without ids (stable diffs)', () => {
    expect(convertText(ORIGINAL_STYLE_DOCUMENT, 'next')).toBe(
      convertText(ORIGINAL_STYLE_DOCUMENT, 'next'),
    );
  });

  it('keeps a rule list a rule list (next, xml), and makes .nsy a document', () => {
    const next = convertText(WALKTHROUGH_RULE_2_3, 'next');
    expect(next.trimStart().startsWith('(')).toBe(true);
    const xml = convertText(next, 'xml');
    expect(xml).toMatch(/<plist version="1.0">\s*<array>/);
    expect(convertText(xml, 'next')).toBe(next);
    const rules = clipboardTextToRules(WALKTHROUGH_RULE_2_3);
    expect(withoutIds(clipboardTextToRules(next))).toEqual(withoutIds(rules));
    const nsy = convertText(next, 'nsy');
    expect(nsy).toContain('<key>SentryDocument_filterTable</key>');
    expect(withoutIds(parseDocumentText(nsy).rules)).toEqual(withoutIds(rules));
    expect(rulesToClipboardText(rules)).toContain('"promiscuous resets"');
  });

  it('refuses text that does not parse with its line and column', () => {
    expect(() => convertText('(\n { a = 1 }\n)', 'xml')).toThrow(PlistSyntaxError);
    try {
      convertText('<plist><dict><key>a</key></plist>', 'next');
    } catch (error) {
      expect(error).toBeInstanceOf(PlistSyntaxError);
      expect((error as PlistSyntaxError).line).toBe(1);
    }
  });
});

describe('treewall convert', () => {
  it('writes OUT atomically in the form its name says', async () => {
    const input = path.join(folder, 'in.nsy');
    await fs.writeFile(input, ORIGINAL_STYLE_DOCUMENT);
    const out = path.join(folder, 'rules.txt');
    const r = treewall('convert', input, '-o', out);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const text = await fs.readFile(out, 'utf8');
    expect(text).toBe(convertText(ORIGINAL_STYLE_DOCUMENT, 'next'));
    const back = treewall('convert', out, '--to', 'nsy');
    expect(back.code).toBe(0);
    expect(back.stdout).toContain('SentryDocument_filterTable');
    expect(
      (await fs.readdir(folder)).filter((f) => f.includes('.tmp') || f.startsWith('.')),
    ).toEqual([]);
  });

  it('malformed or hostile input: one error with line and column, nothing written', async () => {
    const out = path.join(folder, 'kept.xml');
    await fs.writeFile(out, 'old contents');
    const cases: [string, string | Buffer, RegExp][] = [
      ['broken.txt', '(\n  { enabled = 1\n  }\n)', /^.*broken\.txt:3:3: missing ';'/],
      ['deep.txt', `${'('.repeat(100_000)}`, /^.*deep\.txt:1:\d+: .*(nest|deep)/i],
      [
        'unknown.txt',
        '( { propertyName = Colour; } )',
        /unknown\.txt: rule 1: unknown property 'Colour'/,
      ],
      [
        'binary.plist',
        Buffer.from('bplist00\u0000\u0001garbage'),
        /binary\.plist: a binary property list/,
      ],
      [
        'bad.xml',
        '<?xml version="1.0"?>\n<plist><dict>\n<key>x</key><string>a</dict></plist>',
        /bad\.xml:\d+:\d+: /,
      ],
    ];
    for (const [name, content, expected] of cases) {
      const input = path.join(folder, name);
      await fs.writeFile(input, content);
      const r = treewall('convert', input, '-o', out);
      expect(r.code, name).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines, name).toHaveLength(1);
      expect(lines[0], name).toMatch(expected);
      expect(await fs.readFile(out, 'utf8')).toBe('old contents');
    }
  });
});

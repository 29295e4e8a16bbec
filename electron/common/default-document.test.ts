// The factory default document (resources/): the committed XML is what the TypeScript source
// builds, it validates, it round-trips, and it says what the IPNetSentryX walk-through says.

import { promises as fs } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { buildDefaultDocument } from '../../resources/default-document.ts';
import { DEFAULT_DOCUMENT_FILE, generateDefault } from '../../resources/generate-default.ts';
import { compile } from '../../shared/compiler/index.ts';
import { findByNumber, numberRules } from '../../shared/model/tree.ts';
import type { Rule } from '../../shared/model/types.ts';
import { validateDocument } from '../../shared/model/validate.ts';
import { rulesToClipboardText } from '../../shared/plist/clipboard.ts';
import {
  documentFromXml,
  documentToOpenStep,
  documentToXml,
  parseDocumentText,
} from '../../shared/plist/document.ts';
import { WALKTHROUGH_RULE_2_3, unindented } from '../../shared/plist/test-fixtures.ts';
import { readDocumentFile } from './document-files.ts';

const file = fileURLToPath(new URL('../../resources/default.treewall', import.meta.url));
const doc = buildDefaultDocument();

function at(number: string): Rule {
  const rule = findByNumber(doc.rules, number);
  if (!rule) throw new Error(`no rule ${number}`);
  return rule;
}

const summary = (r: Rule): string =>
  `${r.property} ${r.relation} ${r.value} ${r.action}`.replace(/\s+/g, ' ');

describe('resources/default.treewall', () => {
  it('is exactly what resources/default-document.ts builds (run npm run gen:default)', async () => {
    expect(await fs.readFile(file, 'utf8')).toBe(documentToXml(doc));
    expect(DEFAULT_DOCUMENT_FILE).toBe(file);
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    expect(await generateDefault(['--check'])).toBe(0);
    log.mockRestore();
  });

  it('loads from disk, validates with no problems, and round-trips through both formats unchanged', async () => {
    const loaded = await readDocumentFile(file);
    expect(loaded).toEqual(doc);
    expect(validateDocument(loaded)).toEqual([]);
    expect(documentFromXml(documentToXml(loaded))).toEqual(doc);
    expect(parseDocumentText(documentToOpenStep(loaded))).toEqual(doc);
  });

  it('gives every rule the stable id of its number', () => {
    const numbers = numberRules(doc.rules);
    expect(numbers.size).toBeGreaterThan(80);
    for (const [id, number] of numbers) expect(id).toBe(`d-${number.replaceAll('.', '-')}`);
  });

  it('holds the apply-first rules 1.1-1.4', () => {
    expect(summary(at('1.1'))).toBe('Fragment offset == 1-63 Delete');
    expect(summary(at('1.2'))).toBe('Fragment offset >= 64 Pass');
    expect(at('1.3').children.map((r) => r.action)).toEqual(['Pass', 'Delete', 'Delete']);
    expect(summary(at('1.3.1'))).toBe('Interface == lo Pass');
    // `IP options == 3,9` would need both options present: one child per option instead.
    expect(summary(at('1.4'))).toBe('Any == ->');
    expect(at('1.4').children.map(summary)).toEqual([
      'IP options == 3 (loose source route) Delete',
      'IP options == 9 (strict source route) Delete',
    ]);
    expect(at('1').children).toHaveLength(4);
  });

  it('holds the six groups of 2, in the walk-through order', () => {
    expect(at('2').children.map((r) => [r.name, r.enabled])).toEqual([
      ['suspicious activity', true],
      ['server attacks', true],
      ['promiscuous resets', true],
      ['ICMP Logger', true],
      ['Check servers', false],
      ['Protect servers', false],
    ]);
  });

  it('2.1: triggered hosts deleted, probes triggered, AUTH refused, Windows name service dropped silently', () => {
    expect(summary(at('2.1.1'))).toBe('Include == triggered Delete');
    for (const n of ['2.1.2', '2.1.3', '2.1.4', '2.1.5.1', '2.1.5.4', '2.1.6.1', '2.1.6.2.1']) {
      expect(at(n).action).toBe('Trigger');
    }
    expect(summary(at('2.1.5'))).toBe('Protocol == 6 (TCP) ->');
    expect(summary(at('2.1.5.5'))).toBe('Dest port == 113 (AUTH) Reject');
    expect(summary(at('2.1.6'))).toBe('Protocol == 17 (UDP) ->');
    expect(summary(at('2.1.6.3'))).toBe('Dest port == 137-139 Delete');
    expect(summary(at('2.1.6.3.1'))).toBe('Any == Dont log');
    expect(at('2.1').children).toHaveLength(6);
  });

  it('2.2: worm signatures by payload inspection', () => {
    const signatures = at('2.2.1.1').children;
    expect(signatures.length).toBeGreaterThan(3);
    for (const r of signatures)
      expect([r.property, r.relation, r.action]).toEqual([
        'Data content',
        'a=A',
        'Drop connection',
      ]);
  });

  it('2.3 copies exactly as the walk-through clipboard text, on as the original ships it', () => {
    const ours = rulesToClipboardText([at('2.3')], ['2.3']);
    const expected = unindented(WALKTHROUGH_RULE_2_3)
      // The newest original's codes (the walk-through's text is from an older version).
      .replace('filterAction = 7;', 'filterAction = 12;')
      .replace('property = 14;', 'property = 16;');
    expect(unindented(ours)).toBe(expected);
    expect(at('2.3').enabled).toBe(true);
    expect(at('2.3.1').enabled).toBe(true);
  });

  it('compiles: every rule it ships enabled runs in the kernel or in the helper', () => {
    const result = compile(doc);
    expect(result.ok ? [] : result.problems.map((p) => `${p.number}: ${p.message}`)).toEqual([]);
  });

  it('ships off only the two opt-in groups (everything else runs)', () => {
    const off = at('2').children.filter((r) => !r.enabled);
    expect(off.map((r) => r.name)).toEqual(['Check servers', 'Protect servers']);
  });

  it('2.4: ICMP logger with the ping-flood limit of 50 echo requests, quiet for 30 s', () => {
    expect(summary(at('2.4.1.3'))).toBe('ICMP type == 8 (echo request) ->');
    expect(summary(at('2.4.1.3.1'))).toBe('Parent idle seconds >= 30 Reset parent');
    expect(summary(at('2.4.1.3.2'))).toBe('Parent match count >= 50 Delete no log');
  });

  it('2.5: server check, disabled, pings 192.168.0.2 every 60 s and e-mails when it stops answering', () => {
    expect(at('2.5').enabled).toBe(false);
    expect(summary(at('2.5.1'))).toBe('Idle seconds >= 60 URL');
    expect(at('2.5.1').parameter).toBe('ping://192.168.0.2');
    expect(summary(at('2.5.2.1.1'))).toBe('Parent idle seconds >= 200 ->');
    expect(at('2.5.2.1.1.1').action).toBe('Email');
    expect(summary(at('2.5.2.1.1.2'))).toBe('Parent idle seconds >= 3600 Reset parent');
  });

  it('2.6: protect servers, 16 disabled services that exit the group, then delete the rest', () => {
    expect(at('2.6')).toMatchObject({
      enabled: false,
      action: 'Group',
      property: 'Direction',
      value: 'inbound',
    });
    expect(summary(at('2.6.1'))).toBe('Interface == external ->');
    expect(summary(at('2.6.1.1'))).toBe('TCP header flags == syn,-ack ->');
    const services = at('2.6.1.1').children;
    expect(services).toHaveLength(17);
    for (const s of services.slice(0, 16)) {
      expect(s.enabled).toBe(false);
      expect(s.name).toMatch(/ - .*\(\d+(-\d+)?(, \d+)*\)$/);
      const exits = s.children.length > 0 ? s.children : [s];
      for (const e of exits) expect([e.property, e.action]).toEqual(['Dest port', 'Exit group']);
    }
    expect(at('2.6.1.1.1').children.length).toBeGreaterThan(1);
    expect(at('2.6.1.1.17')).toMatchObject({
      enabled: true,
      property: 'Any',
      action: 'Delete',
      id: 'd-2-6-1-1-17',
    });
  });
});

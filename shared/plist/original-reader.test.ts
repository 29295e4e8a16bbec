// What IPNetSentryX makes of the text and documents treewall writes: a model of its reader
// (FilterEntry.m: a rule's name, if its menu has it, else the integer code; no code at all reads
// as 0, since `[nil intValue]` is 0), and GNUstep's own parser on the text.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_SETTINGS,
  type FirewallDocument,
  type PlistValue,
  type Rule,
} from '../model/types.ts';
import {
  ACTION_NAMES,
  ORIGINAL_ACTION_MENU,
  ORIGINAL_PROPERTY_MENU,
  ORIGINAL_RELATION_MENU,
  PROPERTY_NAMES,
  RELATION_NAMES,
  originalName,
  type ActionName,
  type PropertyName,
} from '../model/vocabulary.ts';
import { rulesToClipboardText, clipboardTextToRules } from './clipboard.ts';
import { documentFromXml, documentToNsy, parseXmlPlist } from './document.ts';
import { parseOpenStep, serializeOpenStep } from './openstep.ts';
import { rulesFromPlist } from './rules.ts';
import { ORIGINAL_STYLE_DOCUMENT } from './test-original-document.ts';
import { WALKTHROUGH_RULE_2_3 } from './test-fixtures.ts';
import { withoutIds } from './test-arbitraries.ts';

type Dict = { [key: string]: PlistValue };

/** FilterEntry.m's accessors: the name's index in the menu, else the stored code, else 0. */
function originalIndex(
  dict: Dict,
  nameKey: string,
  codeKey: string,
  menu: readonly string[],
): number {
  const name = dict[nameKey];
  if (typeof name === 'string') {
    const i = menu.indexOf(name);
    if (i >= 0) return i;
  }
  const code = dict[codeKey];
  if (code === undefined) return 0;
  const n = typeof code === 'number' ? code : parseInt(String(code), 10);
  return Number.isNaN(n) ? 0 : n;
}

interface OriginalRule {
  property: string;
  relation: string;
  action: string;
  children: OriginalRule[];
}

/** What the original holds after reading the dictionaries (menu titles). */
function originalRead(list: PlistValue): OriginalRule[] {
  return (list as Dict[]).map((d) => ({
    property:
      ORIGINAL_PROPERTY_MENU[
        originalIndex(d, 'propertyName', 'property', ORIGINAL_PROPERTY_MENU)
      ] ?? '?',
    relation:
      ORIGINAL_RELATION_MENU[
        originalIndex(d, 'relationName', 'relation', ORIGINAL_RELATION_MENU)
      ] ?? '?',
    action:
      ORIGINAL_ACTION_MENU[
        originalIndex(d, 'filterActionName', 'filterAction', ORIGINAL_ACTION_MENU)
      ] ?? '?',
    children: originalRead((d.children as PlistValue) ?? []),
  }));
}

const ORIGINAL_PROPERTIES = new Set<string>(ORIGINAL_PROPERTY_MENU);
const ORIGINAL_ACTIONS = new Set<string>(ORIGINAL_ACTION_MENU);
const knownToOriginal = (name: PropertyName | ActionName): boolean =>
  ORIGINAL_PROPERTIES.has(originalName(name)) || ORIGINAL_ACTIONS.has(originalName(name));

let n = 0;
const rule = (over: Partial<Rule>): Rule => ({
  id: `r${++n}`,
  enabled: true,
  name: '',
  property: 'Any',
  relation: '==',
  value: '',
  action: '->',
  parameter: '',
  children: [],
  expanded: false,
  ...over,
});

/** Every rule of a tree with what the original read for it, in outline order. */
function pairs(ours: readonly Rule[], theirs: readonly OriginalRule[]): [Rule, OriginalRule][] {
  expect(theirs).toHaveLength(ours.length);
  return ours.flatMap((r, i) => [
    [r, theirs[i]!] as [Rule, OriginalRule],
    ...pairs(r.children, theirs[i]!.children),
  ]);
}

/** The original keeps our meaning for an entry it has; for one it lacks, it gets no code. */
function expectSameMeaning(ours: readonly Rule[], dicts: PlistValue): void {
  const read = originalRead(dicts);
  for (const [r, o] of pairs(ours, read)) {
    if (knownToOriginal(r.property)) expect(o.property).toBe(originalName(r.property));
    expect(o.relation).toBe(r.relation);
    if (knownToOriginal(r.action)) expect(o.action).toBe(originalName(r.action));
  }
}

const folder = mkdtempSync(path.join(os.tmpdir(), 'tw-original-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** GNUstep's parser on the text: exit 0 and no complaint. */
function plparse(text: string, name: string): void {
  const file = path.join(folder, name);
  writeFileSync(file, text);
  const r = spawnSync('plparse', [file], { encoding: 'utf8' });
  if (r.error)
    throw new Error(`plparse could not run: ${r.error.message} (install gnustep-base-runtime)`);
  const said = `${r.stdout}${r.stderr}`;
  expect(r.status, said).toBe(0);
  expect(said).not.toMatch(/fail|bad char|error/i);
}

describe("IPNetSentryX's reader on treewall's clipboard text", () => {
  it('reads every property, relation and action as the same entry, or gets no code for ours', () => {
    const rules: Rule[] = [
      ...PROPERTY_NAMES.map((property) => rule({ property })),
      ...RELATION_NAMES.map((relation) => rule({ relation })),
      ...ACTION_NAMES.map((action) => rule({ action })),
    ];
    const text = rulesToClipboardText(rules);
    const dicts = parseOpenStep(text) as Dict[];
    expectSameMeaning(rules, dicts);
    dicts.forEach((d, i) => {
      const r = rules[i]!;
      // treewall-only entries carry no code (it would be another entry there).
      if (!knownToOriginal(r.property)) expect(d.property).toBeUndefined();
      if (!knownToOriginal(r.action)) expect(d.filterAction).toBeUndefined();
      // What the original writes back (its menu title and index) reads as the same rule here.
    });
    const back = originalRead(dicts);
    const rewritten = back.map((o) => ({
      propertyName: o.property,
      property: String(ORIGINAL_PROPERTY_MENU.indexOf(o.property as never)),
      relationName: o.relation,
      filterActionName: o.action,
      filterAction: String(ORIGINAL_ACTION_MENU.indexOf(o.action as never)),
      enabled: '1',
    }));
    const again = rulesFromPlist(rewritten);
    again.forEach((r, i) => {
      const ours = rules[i]!;
      if (knownToOriginal(ours.property)) expect(r.property).toBe(ours.property);
      if (knownToOriginal(ours.action)) expect(r.action).toBe(ours.action);
      expect(r.relation).toBe(ours.relation);
    });
    plparse(text, 'vocabulary.txt');
  });

  it('keeps every rule of a document like the original default through its reader', () => {
    const doc = documentFromXml(ORIGINAL_STYLE_DOCUMENT);
    const text = rulesToClipboardText(doc.rules);
    expectSameMeaning(doc.rules, parseOpenStep(text));
    expect(withoutIds(clipboardTextToRules(text))).toEqual(
      withoutIds(doc.rules).map(function strip(r): Rule {
        const { extra: _extra, ...rest } = r;
        return { ...rest, children: r.children.map(strip) };
      }),
    );
    plparse(text, 'default-like.txt');
  });

  it('escapes non-ASCII as \\U and four hex digits, as the original and GNUstep write it', () => {
    const text = rulesToClipboardText([rule({ name: 'café ✓ 😀', value: 'x' })]);
    expect(text).toContain('nodeName = "caf\\U00e9 \\U2713 \\Ud83d\\Ude00";');
    expect(/^[\x20-\x7e\n]*$/.test(text)).toBe(true);
    expect(clipboardTextToRules(text)[0]!.name).toBe('café ✓ 😀');
    plparse(text, 'non-ascii.txt');
  });

  it("pastes the walk-through's rule 2.3 as exactly that rule and its child", () => {
    const [r] = clipboardTextToRules(WALKTHROUGH_RULE_2_3);
    expect(r).toMatchObject({
      name: 'promiscuous resets',
      property: 'Direction',
      value: 'inbound',
      action: '->',
    });
    expect(r!.children).toHaveLength(1);
    expect(r!.children[0]).toMatchObject({
      property: 'TCP header flags',
      value: 'rst',
      action: 'Delay',
      children: [],
    });
    // And what we copy of it, the original reads as the same two rules.
    const text = rulesToClipboardText([r!], ['2.3']);
    expect(originalRead(parseOpenStep(text))).toEqual([
      {
        property: 'Direction',
        relation: '==',
        action: '->',
        children: [{ property: 'TCP header flags', relation: '==', action: 'Delay', children: [] }],
      },
    ]);
  });
});

describe('Save As IPNetSentryX document (.nsy)', () => {
  const doc = (): FirewallDocument => documentFromXml(ORIGINAL_STYLE_DOCUMENT);

  it('writes the tree under SentryDocument_filterTable with the original names and codes', () => {
    const d = doc();
    const top = parseXmlPlist(documentToNsy(d)) as Dict;
    const table = top.SentryDocument_filterTable as Dict;
    expect(table).toMatchObject({ propertyName: 'Any', filterActionName: '->' });
    const children = table.children as Dict[];
    expectSameMeaning(d.rules, children);
    expect(children[0]).toMatchObject({ enabled: '1', filterAction: 0, property: 0 });
    expect(top.SentryDocument_excludeNet).toBe('0.0.0.0/32');
    expect(top.filterTable).toBeUndefined();
    // IPFragmentOffset, IPOptions and Exit group by the original's names.
    const text = JSON.stringify(children);
    expect(text).toContain('"IPFragmentOffset"');
    expect(text).toContain('"IPOptions"');
    expect(text).toContain('"Exit group"');
  });

  it('opens again as the same document', () => {
    const d = { ...doc(), settings: { ...DEFAULT_SETTINGS, externalInterfaces: ['eth0'] } };
    const again = documentFromXml(documentToNsy(d));
    expect(again.rules).toEqual(d.rules);
    expect(again.settings).toEqual(d.settings);
  });

  it('GNUstep reads it (as NeXT text too)', () => {
    const file = path.join(folder, 'doc.nsy');
    writeFileSync(file, documentToNsy(doc()));
    const r = spawnSync('plutil', ['-lint', file], { encoding: 'utf8' });
    if (r.error) throw new Error(`plutil could not run: ${r.error.message}`);
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/fail|error/i);
    plparse(serializeOpenStep(parseXmlPlist(documentToNsy(doc()))), 'doc.txt');
  });
});

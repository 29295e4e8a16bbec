import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, type FirewallDocument, type Rule } from '../model/types.ts';
import { createRule } from '../model/tree.ts';
import { ruleTree } from '../plist/test-arbitraries.ts';
import {
  compactDocument,
  compactDocumentChecked,
  expandCompactDocument,
  isCompactDocument,
  isDocumentLike,
  type CompactDocument,
} from './compact-document.ts';
import { decodeWire, encodeWire } from './wire.ts';

/** As serve sends it: the compact rules skipped by the check for dates and data when no rule has
 * unknown keys. */
const overWire = (document: FirewallDocument): FirewallDocument => {
  const { compact, rulesPlain } = compactDocumentChecked(document);
  const received = decodeWire(
    encodeWire(compact, rulesPlain ? new Set([compact.compactRules]) : undefined),
  );
  expect(isCompactDocument(received)).toBe(true);
  return expandCompactDocument(received as CompactDocument);
};

const leaf = (over: Partial<Rule>): Rule =>
  createRule({ id: 'r', action: 'Pass', expanded: false, ...over });

describe('compact document form', () => {
  it('comes back as the same document over the wire, unknown keys (dates, data) included', () => {
    fc.assert(
      fc.property(ruleTree('xml'), fc.boolean(), (rules, withExtra) => {
        const document: FirewallDocument = {
          rules,
          settings: { ...DEFAULT_SETTINGS, externalInterfaces: ['eth0'] },
          ...(withExtra ? { extra: { SentryDocument_x: new Date(0) } } : {}),
        };
        expect(overWire(document)).toEqual(document);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps an unknown key on a leaf and on a group, and names outside the vocabulary', () => {
    const document: FirewallDocument = {
      settings: DEFAULT_SETTINGS,
      rules: [
        leaf({
          id: 'g',
          action: 'Group',
          extra: { a: '1' },
          children: [leaf({ id: 'l', extra: { b: new Uint8Array([1, 2]) } })],
        }),
        // Not a PropertyName: the model's types say it cannot happen, the form still carries it.
        leaf({ id: 'x', property: 'Bogus' as Rule['property'] }),
      ],
    };
    const compact = compactDocument(document);
    expect(compact.compactRules[0]![9]).toEqual({ a: '1' });
    expect(compact.compactRules[0]![8]).toEqual([
      ['l', 1, '', 0, 0, '', expect.any(Number), '', 0, { b: new Uint8Array([1, 2]) }],
    ]);
    expect(compact.compactRules[1]![3]).toBe('Bogus');
    expect(overWire(document)).toEqual(document);
  });

  it('is a quarter of the plain JSON or less for a realistic document', () => {
    const rules = Array.from({ length: 200 }, (_, i) =>
      leaf({ id: `r${i}`, name: 'ssh', property: 'Dest port', value: `${i}`, action: 'Delete' }),
    );
    const document: FirewallDocument = { settings: DEFAULT_SETTINGS, rules };
    expect(encodeWire(compactDocument(document)).length * 3).toBeLessThan(
      encodeWire(document).length,
    );
  });

  it('says its rules are plain JSON exactly when no rule has unknown keys', () => {
    const plain: FirewallDocument = {
      settings: DEFAULT_SETTINGS,
      rules: [leaf({ id: 'g', action: 'Group', children: [leaf({ id: 'l' })] })],
      extra: { SentryDocument_x: new Date(0) },
    };
    expect(compactDocumentChecked(plain).rulesPlain).toBe(true);
    const deep: FirewallDocument = {
      ...plain,
      rules: [
        leaf({
          id: 'g',
          action: 'Group',
          children: [leaf({ id: 'l', extra: { d: new Date(5) } })],
        }),
      ],
    };
    expect(compactDocumentChecked(deep).rulesPlain).toBe(false);
    // The document's own unknown keys are outside the rules: still tagged.
    expect(overWire(plain)).toEqual(plain);
    expect(overWire(deep)).toEqual(deep);
  });

  it('tells documents and compact documents apart', () => {
    const document: FirewallDocument = { settings: DEFAULT_SETTINGS, rules: [leaf({})] };
    expect(isDocumentLike(document)).toBe(true);
    expect(isCompactDocument(document)).toBe(false);
    expect(isCompactDocument(compactDocument(document))).toBe(true);
    expect(isDocumentLike(compactDocument(document))).toBe(false);
    expect(isDocumentLike(null)).toBe(false);
  });
});

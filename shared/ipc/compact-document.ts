// Runtime: pure (shared/). The browser host's compact form of a whole document in a reply
// (document:open, document:new, document:recover): each rule an array instead of an object that
// spells out its ten field names, the menu fields as their index in the vocabulary, empty
// children left out. At 100,000 rules the reply's JSON goes from 17 MB to about 4 MB: less for
// serve to write, for the socket to carry and for the page to parse, and fewer strings for its
// garbage collector. Only a client that asks for it gets it (`compact=1` on the WebSocket URL;
// the renderer's transport does), so a plain JSON client still reads plain documents.
// Invariant: expandCompactDocument(decodeWire(encodeWire(compactDocument(doc)))) deep-equals doc.
// (Writing the JSON text straight from the rules, one JSON.stringify per field, was measured 5x
// slower than building the arrays and one native JSON.stringify of them.)

import type { FirewallDocument, PlistValue, Rule } from '../model/types.ts';
import { ACTION_NAMES, PROPERTY_NAMES, RELATION_NAMES } from '../model/vocabulary.ts';

/** `[id, flags, name, property, relation, value, action, parameter, children?, extra?]`; flags:
 * 1 enabled, 2 expanded; a menu field is its index in the vocabulary (its name if not there);
 * children absent when there are none (0 when only `extra` follows). */
export type CompactRule = [
  string,
  number,
  string,
  number | string,
  number | string,
  string,
  number | string,
  string,
  (CompactRule[] | 0)?,
  Record<string, PlistValue>?,
];

/** A document in compact form: `rules` replaced by `compactRules`. */
export interface CompactDocument {
  compactRules: CompactRule[];
  settings: FirewallDocument['settings'];
  extra?: FirewallDocument['extra'];
}

const indexes = (names: readonly string[]) => new Map(names.map((name, i) => [name, i]));
const PROPERTY_INDEX = indexes(PROPERTY_NAMES);
const RELATION_INDEX = indexes(RELATION_NAMES);
const ACTION_INDEX = indexes(ACTION_NAMES);

/** What compacting saw: whether any rule has `extra` (the only part of a compact rule that can
 * hold anything but strings and numbers). */
interface Seen {
  extra: boolean;
}

function compactRule(rule: Rule, seen: Seen): CompactRule {
  const out: CompactRule = [
    rule.id,
    (rule.enabled ? 1 : 0) | (rule.expanded ? 2 : 0),
    rule.name,
    PROPERTY_INDEX.get(rule.property) ?? rule.property,
    RELATION_INDEX.get(rule.relation) ?? rule.relation,
    rule.value,
    ACTION_INDEX.get(rule.action) ?? rule.action,
    rule.parameter,
  ];
  if (rule.children.length > 0) out.push(rule.children.map((child) => compactRule(child, seen)));
  if (rule.extra !== undefined) {
    seen.extra = true;
    if (rule.children.length === 0) out.push(0);
    out.push(rule.extra);
  }
  return out;
}

/** Whether `value` is a document (an object with a rules array and settings). */
export function isDocumentLike(value: unknown): value is FirewallDocument {
  return (
    typeof value === 'object' &&
    value !== null &&
    Array.isArray((value as { rules?: unknown }).rules) &&
    typeof (value as { settings?: unknown }).settings === 'object'
  );
}

/** The compact form of `document` (recursion follows the rule tree's depth, which a document's
 * nesting limit bounds well inside the stack). */
export function compactDocument(document: FirewallDocument): CompactDocument {
  return compactDocumentChecked(document).compact;
}

/** The compact form, and whether its `compactRules` hold nothing but strings, numbers and
 * arrays of them (no rule has `extra`): then the wire encoder need not walk them looking for
 * dates and data (encodeWire's `plain`; 100,000 rules, ~100,000 arrays). */
export function compactDocumentChecked(document: FirewallDocument): {
  compact: CompactDocument;
  rulesPlain: boolean;
} {
  const { rules, ...rest } = document;
  const seen: Seen = { extra: false };
  const compactRules = rules.map((rule) => compactRule(rule, seen));
  return { compact: { compactRules, ...rest }, rulesPlain: !seen.extra };
}

const menu = <T extends string>(names: readonly T[], value: number | string): T =>
  (typeof value === 'number' ? names[value] : value) as T;

function expandRules(compact: readonly CompactRule[]): Rule[] {
  const rules: Rule[] = new Array<Rule>(compact.length);
  for (let i = 0; i < compact.length; i++) {
    const c = compact[i]!;
    const children = c[8];
    // Every rule gets its fields in the same order (one hidden class in the engine).
    const rule: Rule = {
      id: c[0],
      enabled: (c[1] & 1) !== 0,
      name: c[2],
      property: menu(PROPERTY_NAMES, c[3]),
      relation: menu(RELATION_NAMES, c[4]),
      value: c[5],
      action: menu(ACTION_NAMES, c[6]),
      parameter: c[7],
      children: children ? expandRules(children) : [],
      expanded: (c[1] & 2) !== 0,
    };
    if (c[9] !== undefined) rule.extra = c[9];
    rules[i] = rule;
  }
  return rules;
}

/** Whether `value` is a document in compact form. */
export function isCompactDocument(value: unknown): value is CompactDocument {
  return (
    typeof value === 'object' &&
    value !== null &&
    Array.isArray((value as { compactRules?: unknown }).compactRules)
  );
}

/** The document a compact form stands for. */
export function expandCompactDocument(compact: CompactDocument): FirewallDocument {
  const { compactRules, ...rest } = compact;
  return { rules: expandRules(compactRules), ...rest };
}

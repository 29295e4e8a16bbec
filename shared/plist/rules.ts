// Runtime: pure (shared/). Rules <-> property-list dictionaries with IPNetSentryX's keys, shared
// by the clipboard (NeXT text) and documents (XML). Invariant: names win over numbers (the
// integer codes changed between IPNetSentryX versions and it trusted the names itself); a rule
// without `enabled` is disabled (how the original ships optional services unchecked); keys
// treewall does not know are kept in `rule.extra` and written back unchanged.

import { cleanName } from '../model/text.ts';
import type { PlistValue, Rule } from '../model/types.ts';
import {
  ACTION_ALIASES,
  ACTION_NAMES,
  ORIGINAL_ACTION_MENU,
  ORIGINAL_PROPERTY_MENU,
  ORIGINAL_RELATION_MENU,
  PROPERTY_NAMES,
  actionCode,
  isActionName,
  isPropertyName,
  isRelationName,
  originalName,
  propertyCode,
  relationCode,
  type ActionName,
  type PropertyName,
  type RelationName,
} from '../model/vocabulary.ts';
import { RULE_ID_PATTERN, newRuleId } from '../model/tree.ts';
import { setKey } from './openstep.ts';
import { RULE_KEYS } from './rule-keys.ts';

type Dict = { [key: string]: PlistValue };

/** A rule dictionary that cannot become a rule: names the rule by its outline number. */
export class RuleFormatError extends Error {
  override name = 'RuleFormatError';
  constructor(
    /** Outline number of the offending rule (`2.3.1`), as the input numbered it. */
    readonly ruleNumber: string,
    /** What is wrong: `unknown property 'Foo'`. */
    readonly reason: string,
  ) {
    super(`rule ${ruleNumber}: ${reason}`);
  }
}

/** Keys with a meaning to treewall; everything else goes to `rule.extra`. `nodeNumber` and
 * `nodeCount` are derived from the position, so they are read for messages only and dropped. */
export const KNOWN_KEYS: ReadonlySet<string> = new Set(RULE_KEYS);

export interface RulesFromPlistOptions {
  /** Makes ids for rules that have none (or all, when `keepIds` is false); default the
   * model's `newRuleId`. */
  newId?: () => string;
  /** Keep `ruleId` keys found in the input (documents: yes; pasted text: no, a paste makes new
   * rules). Default true. Duplicate ids, and ids that are not 1-32 of `[A-Za-z0-9_-]`, are
   * replaced by fresh ones either way. */
  keepIds?: boolean;
  /** Outline numbers for the top-level dictionaries, used in error messages; default the
   * dictionary's own `nodeNumber`, else its position (`1`, `2`, ...). */
  numbers?: readonly string[];
}

function describe(value: PlistValue | undefined): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return `the string '${value}'`;
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Uint8Array) return 'data';
  if (value instanceof Date) return 'a date';
  if (typeof value === 'object') return 'a dictionary';
  return `${typeof value} ${String(value)}`;
}

function isDict(value: PlistValue | undefined): value is Dict {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Uint8Array) &&
    !(value instanceof Date)
  );
}

/** `enabled` / `expandedState`: `1`/`0` strings, integers, booleans, YES/NO; absent is false. */
function readFlag(value: PlistValue | undefined, key: string, number: string): boolean {
  if (value === undefined) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') {
    const s = value.trim().toLowerCase();
    if (['1', 'yes', 'true', 'y'].includes(s)) return true;
    if (['0', 'no', 'false', 'n', ''].includes(s)) return false;
    if (/^-?\d+$/.test(s)) return Number(s) !== 0;
  }
  throw new RuleFormatError(number, `${key} must be 1 or 0, found ${describe(value)}`);
}

function readText(value: PlistValue | undefined, key: string, number: string): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  throw new RuleFormatError(number, `${key} must be text, found ${describe(value)}`);
}

/** An integer code (`property = 14;`), used only when the matching name is missing. */
function readCode(value: PlistValue | undefined, key: string, number: string): number | undefined {
  if (value === undefined) return undefined;
  const n =
    typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : NaN;
  if (!Number.isInteger(n)) {
    throw new RuleFormatError(number, `${key} must be an integer code, found ${describe(value)}`);
  }
  return n;
}

function byName<T extends string>(
  menu: readonly string[],
  dict: Dict,
  nameKey: string,
  codeKey: string,
  what: string,
  number: string,
  resolve: (name: string) => T | undefined,
  fallback: T,
): T {
  const rawName = dict[nameKey];
  let unknownName: string | undefined;
  if (rawName !== undefined) {
    const text = readText(rawName, nameKey, number);
    if (text.trim() !== '') {
      const name = resolve(text.trim());
      if (name !== undefined) return name;
      // The original's reader falls back to the code when it does not know a name (a newer
      // version's entry): so do we, and refuse only when the code says nothing either.
      unknownName = text;
    }
  }
  const code = readCode(dict[codeKey], codeKey, number);
  if (code === undefined) {
    if (unknownName !== undefined) {
      throw new RuleFormatError(number, `unknown ${what} '${unknownName}'`);
    }
    return fallback;
  }
  // A code means what the original's menu holds at that index (its reader's fallback).
  const title = menu[code];
  const name = title === undefined || title.startsWith('__') ? undefined : resolve(title);
  if (name === undefined) {
    throw new RuleFormatError(
      number,
      unknownName !== undefined
        ? `unknown ${what} '${unknownName}' (and code ${code})`
        : `unknown ${what} code ${code}`,
    );
  }
  return name;
}

/** Compare names ignoring case and spaces: IPNetRouterX documents write `IPOptions` and
 * `TCPHeaderFlags` where IPNetSentryX writes `IP options` and `TCP header flags`. */
const squash = (s: string): string => s.toLowerCase().replace(/[\s_]+/g, '');

/** Property names of IPNetRouterX documents that squashing alone does not map. */
const PROPERTY_ALIASES: Readonly<Record<string, PropertyName>> = {
  ipfragmentoffset: 'Fragment offset',
  fragmentoffset: 'Fragment offset',
  ipprotocol: 'Protocol',
  sourceaddress: 'Source net',
  destaddress: 'Dest net',
  destinationnet: 'Dest net',
  destinationport: 'Dest port',
};

export const resolveProperty = (s: string): PropertyName | undefined =>
  isPropertyName(s)
    ? s
    : (PROPERTY_NAMES.find((p) => squash(p) === squash(s)) ?? PROPERTY_ALIASES[squash(s)]);
export const resolveRelation = (s: string): RelationName | undefined =>
  isRelationName(s) ? s : s.toLowerCase() === 'a=a' ? 'a=A' : undefined;
export const resolveAction = (s: string): ActionName | undefined =>
  isActionName(s) ? s : (ACTION_ALIASES[s] ?? ACTION_NAMES.find((a) => squash(a) === squash(s)));

/** One rule dictionary (and its subtree) to a rule. */
export function ruleFromDict(
  value: PlistValue,
  number: string,
  options: RulesFromPlistOptions = {},
  seenIds: Set<string> = new Set(),
): Rule {
  if (!isDict(value)) {
    throw new RuleFormatError(number, `expected a rule dictionary, found ${describe(value)}`);
  }
  const dict = value;
  const newId = options.newId ?? newRuleId;
  const rawId = dict.ruleId;
  // An id that does not fit the pattern is replaced: kernel object names derive from ids.
  let id =
    (options.keepIds ?? true) && typeof rawId === 'string' && RULE_ID_PATTERN.test(rawId)
      ? rawId
      : '';
  // A caller's generator that keeps repeating itself must not hang the reader: after a few
  // tries the model's random generator takes over.
  for (let tries = 0; id === '' || seenIds.has(id); tries++) id = tries < 8 ? newId() : newRuleId();
  seenIds.add(id);

  const rawChildren = dict.children;
  if (rawChildren !== undefined && !Array.isArray(rawChildren)) {
    throw new RuleFormatError(number, `children must be an array, found ${describe(rawChildren)}`);
  }
  const rule: Rule = {
    id,
    enabled: readFlag(dict.enabled, 'enabled', number),
    // Control characters, layout overrides and lone surrogates leave the name here (DESIGN §7).
    name: cleanName(readText(dict.nodeName, 'nodeName', number)),
    property: byName(
      ORIGINAL_PROPERTY_MENU,
      dict,
      'propertyName',
      'property',
      'property',
      number,
      resolveProperty,
      'Any',
    ),
    relation: byName(
      ORIGINAL_RELATION_MENU,
      dict,
      'relationName',
      'relation',
      'relation',
      number,
      resolveRelation,
      '==',
    ),
    value: readText(dict.propertyValue, 'propertyValue', number),
    action: byName(
      ORIGINAL_ACTION_MENU,
      dict,
      'filterActionName',
      'filterAction',
      'action',
      number,
      resolveAction,
      '->',
    ),
    parameter: readText(dict.parameter, 'parameter', number),
    children: (rawChildren ?? []).map((child, i) =>
      ruleFromDict(child, `${number}.${i + 1}`, options, seenIds),
    ),
    expanded: readFlag(dict.expandedState, 'expandedState', number),
  };
  const extra: Dict = {};
  let hasExtra = false;
  for (const key of Object.keys(dict)) {
    if (KNOWN_KEYS.has(key)) continue;
    setKey(extra, key, dict[key]!);
    hasExtra = true;
  }
  if (hasExtra) rule.extra = extra;
  return rule;
}

/** An array of rule dictionaries (a clipboard, a document's `children`) to rules. */
export function rulesFromPlist(value: PlistValue, options: RulesFromPlistOptions = {}): Rule[] {
  const list = Array.isArray(value) ? value : isDict(value) ? [value] : undefined;
  if (list === undefined) {
    throw new RuleFormatError(
      '1',
      `expected an array of rule dictionaries, found ${describe(value)}`,
    );
  }
  const seenIds = new Set<string>();
  return list.map((item, i) => {
    const ownNumber = isDict(item) && typeof item.nodeNumber === 'string' ? item.nodeNumber : '';
    const number =
      options.numbers?.[i] ?? (/^\d+(\.\d+)*$/.test(ownNumber) ? ownNumber : String(i + 1));
    return ruleFromDict(item, number, options, seenIds);
  });
}

export interface RulesToPlistOptions {
  /** Write treewall's `ruleId` key (documents: yes; the clipboard: no). Default true. */
  includeIds?: boolean;
  /** Value types: 'text' writes `1`/`0` and codes as strings, like IPNetSentryX's clipboard;
   * 'xml' writes booleans and integers; 'nsy' writes `1`/`0` strings and integer codes, as
   * IPNetSentryX's own `.nsy` documents have them. Default 'text'. */
  style?: 'text' | 'xml' | 'nsy';
  /** Outline numbers of the top-level rules (`nodeNumber`); default `1`, `2`, ... */
  numbers?: readonly string[];
}

/** One rule (and its subtree) to a dictionary. Empty optional fields are left out, as
 * IPNetSentryX leaves them out, so its own clipboard text comes back byte for byte. */
export function ruleToDict(rule: Rule, number: string, options: RulesToPlistOptions = {}): Dict {
  const xml = options.style === 'xml';
  const numbers = options.style === 'xml' || options.style === 'nsy';
  const flag = (b: boolean): PlistValue => (xml ? b : b ? '1' : '0');
  // No code for an entry the original lacks: it would read the code as another entry.
  const code = (key: string, n: number | undefined): void => {
    if (n !== undefined) dict[key] = numbers ? n : String(n);
  };
  // Unknown keys first, so a known key can never be overwritten by a stale copy of itself.
  const dict: Dict = {};
  for (const key of Object.keys(rule.extra ?? {})) {
    if (!KNOWN_KEYS.has(key)) setKey(dict, key, rule.extra![key]!);
  }
  if (rule.children.length > 0) {
    dict.children = rule.children.map((child, i) =>
      ruleToDict(child, `${number}.${i + 1}`, options),
    );
  }
  dict.enabled = flag(rule.enabled);
  if (rule.expanded) dict.expandedState = flag(true);
  code('filterAction', actionCode(rule.action));
  // The original's own menu titles (`Exit group`, `IPFragmentOffset`, `AppleScript`): its reader
  // matches names exactly and falls back to the code only for a name it does not know.
  dict.filterActionName = originalName(rule.action);
  if (rule.name !== '') dict.nodeName = rule.name;
  dict.nodeNumber = number;
  if (rule.parameter !== '') dict.parameter = rule.parameter;
  code('property', propertyCode(rule.property));
  dict.propertyName = originalName(rule.property);
  if (rule.value !== '') dict.propertyValue = rule.value;
  code('relation', relationCode(rule.relation));
  dict.relationName = rule.relation;
  if (options.includeIds ?? true) dict.ruleId = rule.id;
  return dict;
}

/** Rules to an array of dictionaries. */
export function rulesToPlist(rules: readonly Rule[], options: RulesToPlistOptions = {}): Dict[] {
  return rules.map((rule, i) => ruleToDict(rule, options.numbers?.[i] ?? String(i + 1), options));
}

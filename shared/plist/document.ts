// Runtime: pure (shared/). Firewall documents as property lists: XML through ./xml.ts (treewall's
// own documents and IPNetSentryX/IPNetRouterX documents; the `plist` package writes the same
// bytes and is its test oracle, but is 10x slower), and NeXT text through ./openstep.ts. Invariant: reading throws PlistSyntaxError (malformed text, with line and
// column), RuleFormatError (a rule that cannot be read, named by number) or DocumentFormatError
// (a bad setting) and nothing else; what a document held that treewall does not know survives
// a read and a write.

import {
  DEFAULT_POLICIES,
  DEFAULT_SETTINGS,
  SETTING_KEYS,
  STATISTIC_KINDS,
  type DocumentSettings,
  type FirewallDocument,
  type PlistValue,
} from '../model/types.ts';
import { DEFAULT_MAX_DEPTH, parseOpenStep, serializeOpenStep, setKey } from './openstep.ts';
import { documentFromXmlFast } from './xml-rules.ts';
import { buildXmlPlist, parseXmlPlistText } from './xml.ts';
import { rulesFromPlist, rulesToPlist, type RulesFromPlistOptions } from './rules.ts';

type Dict = { [key: string]: PlistValue };

/** A document setting that cannot be read (`defaultPolicy must be 'pass' or 'delete'`). */
export class DocumentFormatError extends Error {
  override name = 'DocumentFormatError';
  constructor(
    readonly key: string,
    readonly reason: string,
  ) {
    super(`${key}: ${reason}`);
  }
}

/** Written as `treewallDocumentVersion`; a reader refuses documents from a newer format. */
export const DOCUMENT_VERSION = 1;

/** Keys the tree may live under: treewall writes `filterTable`; IPNetSentryX wrote
 * `SentryDocument_filterTable`. Both hold a root rule whose `children` are the top-level rules. */
const TABLE_KEYS = ['filterTable', 'SentryDocument_filterTable'] as const;

function isDict(value: PlistValue | undefined): value is Dict {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Uint8Array) &&
    !(value instanceof Date)
  );
}

function readBool(key: string, value: PlistValue): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') {
    const s = value.trim().toLowerCase();
    if (['1', 'yes', 'true'].includes(s)) return true;
    if (['0', 'no', 'false', ''].includes(s)) return false;
  }
  throw new DocumentFormatError(key, `expected true or false, found ${JSON.stringify(value)}`);
}

function readSeconds(key: string, value: PlistValue): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 0) {
    throw new DocumentFormatError(
      key,
      `expected whole seconds (0 = unlimited), found ${JSON.stringify(value)}`,
    );
  }
  return n;
}

function readOneOf<T extends string>(key: string, value: PlistValue, allowed: readonly T[]): T {
  const found = allowed.find((a) => a === value);
  if (found === undefined) {
    throw new DocumentFormatError(
      key,
      `expected one of ${allowed.map((a) => `'${a}'`).join(', ')}, found ${JSON.stringify(value)}`,
    );
  }
  return found;
}

function readNames(key: string, value: PlistValue): string[] {
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  if (typeof value === 'string') return value.split(/[\s,]+/).filter((s) => s !== '');
  throw new DocumentFormatError(key, 'expected a list of interface names');
}

function readSettings(top: Dict): DocumentSettings {
  const settings: DocumentSettings = {
    ...DEFAULT_SETTINGS,
    externalInterfaces: [...DEFAULT_SETTINGS.externalInterfaces],
    internalInterfaces: [...DEFAULT_SETTINGS.internalInterfaces],
  };
  // IPNetSentryX's own switch, used only when treewall's key is absent.
  const sentryOn = top.SentryDocument_firewallOn;
  if (top.firewallOn === undefined && sentryOn !== undefined) {
    settings.firewallOn = readBool('SentryDocument_firewallOn', sentryOn);
  }
  for (const key of SETTING_KEYS) {
    const value = top[key];
    if (value === undefined) continue;
    if (key === 'firewallOn') settings.firewallOn = readBool(key, value);
    else if (key === 'defaultTriggerDuration')
      settings.defaultTriggerDuration = readSeconds(key, value);
    else if (key === 'defaultPolicy')
      settings.defaultPolicy = readOneOf(key, value, DEFAULT_POLICIES);
    else if (key === 'selectedStatistic')
      settings.selectedStatistic = readOneOf(key, value, STATISTIC_KINDS);
    else settings[key] = readNames(key, value);
  }
  return settings;
}

export interface ReadDocumentOptions {
  /** Id generator for rules that have no `ruleId` (IPNetSentryX documents, hand-written text). */
  newId?: () => string;
}

/** A parsed property list (either format) to a document. The top level is a dictionary (a
 * document) or an array (bare rules, as copied: a document with default settings). */
export function documentFromPlist(
  value: PlistValue,
  options: ReadDocumentOptions = {},
): FirewallDocument {
  const ruleOptions: RulesFromPlistOptions = { keepIds: true, newId: options.newId };
  if (Array.isArray(value)) {
    return { rules: rulesFromPlist(value, ruleOptions), settings: readSettings({}) };
  }
  if (!isDict(value)) {
    throw new DocumentFormatError(
      'document',
      'expected a dictionary or an array of rules at the top level',
    );
  }
  const version = value.treewallDocumentVersion;
  if (version !== undefined && Number(version) > DOCUMENT_VERSION) {
    throw new DocumentFormatError(
      'treewallDocumentVersion',
      `this document was written by a newer treewall (format ${String(version)}; this one reads ${DOCUMENT_VERSION})`,
    );
  }
  const tableKey = TABLE_KEYS.find((k) => value[k] !== undefined);
  const extra: Dict = {};
  let rules: FirewallDocument['rules'] = [];
  if (tableKey !== undefined) {
    const table = value[tableKey]!;
    if (Array.isArray(table)) {
      rules = rulesFromPlist(table, ruleOptions);
    } else if (isDict(table)) {
      const children = table.children ?? [];
      if (!Array.isArray(children)) {
        throw new DocumentFormatError(tableKey, "the root rule's children must be an array");
      }
      rules = rulesFromPlist(children, ruleOptions);
      // The root rule's own keys (its `->`, its name) are kept to be written back.
      const root: Dict = {};
      for (const key of Object.keys(table)) if (key !== 'children') setKey(root, key, table[key]!);
      if (Object.keys(root).length > 0) extra.filterTable = root;
    } else {
      throw new DocumentFormatError(tableKey, 'expected a root rule dictionary');
    }
  } else if (value.rules !== undefined) {
    rules = rulesFromPlist(value.rules, ruleOptions);
  }
  for (const key of Object.keys(value)) {
    if ((TABLE_KEYS as readonly string[]).includes(key)) continue;
    if ((SETTING_KEYS as readonly string[]).includes(key)) continue;
    if (key === 'treewallDocumentVersion' || (key === 'rules' && tableKey === undefined)) continue;
    setKey(extra, key, value[key]!);
  }
  const doc: FirewallDocument = { rules, settings: readSettings(value) };
  if (Object.keys(extra).length > 0) doc.extra = extra;
  return doc;
}

/** A document to a property-list dictionary. Keys are sorted at every level, so the same
 * document always gives the same bytes. */
export function documentToPlist(doc: FirewallDocument, style: 'xml' | 'text'): Dict {
  const top: Dict = {};
  for (const key of Object.keys(doc.extra ?? {})) {
    if (key === 'filterTable') continue;
    setKey(top, key, doc.extra![key]!);
  }
  const s = doc.settings;
  top.defaultPolicy = s.defaultPolicy;
  top.defaultTriggerDuration =
    style === 'xml' ? s.defaultTriggerDuration : String(s.defaultTriggerDuration);
  top.externalInterfaces = [...s.externalInterfaces];
  const root: Dict = {};
  const rootExtra = doc.extra?.filterTable;
  if (isDict(rootExtra))
    for (const key of Object.keys(rootExtra)) setKey(root, key, rootExtra[key]!);
  root.children = rulesToPlist(doc.rules, { includeIds: true, style });
  top.filterTable = root;
  top.firewallOn = style === 'xml' ? s.firewallOn : s.firewallOn ? '1' : '0';
  top.internalInterfaces = [...s.internalInterfaces];
  top.selectedStatistic = s.selectedStatistic;
  top.treewallDocumentVersion = style === 'xml' ? DOCUMENT_VERSION : String(DOCUMENT_VERSION);
  return sortKeys(top) as Dict;
}

function sortKeys(value: PlistValue): PlistValue {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isDict(value)) return value;
  const out: Dict = {};
  for (const key of Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    setKey(out, key, sortKeys(value[key]!));
  }
  return out;
}

// XML 1.0 cannot hold these characters at all, not even as character references.
const NOT_XML =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function checkXmlText(value: PlistValue, path: string): void {
  const stack: { value: PlistValue; path: string }[] = [{ value, path }];
  while (stack.length > 0) {
    const { value: v, path: p } = stack.pop()!;
    if (typeof v === 'string') {
      const bad = NOT_XML.exec(v);
      if (bad) {
        const code = bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
        throw new DocumentFormatError(
          p,
          `contains U+${code}, which an XML property list cannot hold`,
        );
      }
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => stack.push({ value: item, path: `${p}[${i}]` }));
    } else if (isDict(v)) {
      for (const key of Object.keys(v)) {
        if (key === '__proto__') {
          throw new DocumentFormatError(
            p || 'document',
            "holds a key '__proto__', which XML property-list readers refuse",
          );
        }
        stack.push({ value: key, path: `${p} key` });
        stack.push({ value: v[key]!, path: p === '' ? key : `${p}.${key}` });
      }
    }
  }
}

/** The document as an XML property list (UTF-8 text, tab-indented, sorted keys). Throws
 * DocumentFormatError when a string holds a character XML cannot carry (U+0000-U+0008 ...). */
export function documentToXml(doc: FirewallDocument): string {
  const plist = documentToPlist(doc, 'xml');
  checkXmlText(plist, '');
  // NOTE: xmldom (and so the `plist` package, and browsers' DOMParser) folds U+0085, U+2028 and
  // U+2029 into line feeds (XML 1.1 line-end rules), so they are written as character
  // references, which every reader leaves alone. They occur only in text.
  const xml = buildXmlPlist(plist, '\t').replace(
    /[\u0085\u2028\u2029]/g,
    (c) => `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`,
  );
  return xml + '\n';
}

/**
 * The document as IPNetSentryX writes its own (`.nsy`): an XML property list whose rule tree is
 * the root rule under `SentryDocument_filterTable` (the original's keys, names and codes; `enabled`
 * as `<string>1</string>`, codes as integers), beside the `SentryDocument_*` keys of the document
 * it was opened from. treewall's settings and rule ids ride along as keys the original ignores,
 * so the document comes back whole when treewall opens it again.
 */
export function documentToNsy(doc: FirewallDocument): string {
  const top: Dict = {};
  for (const key of Object.keys(doc.extra ?? {})) {
    if (key === 'filterTable') continue;
    setKey(top, key, doc.extra![key]!);
  }
  const s = doc.settings;
  top.defaultPolicy = s.defaultPolicy;
  top.defaultTriggerDuration = s.defaultTriggerDuration;
  top.externalInterfaces = [...s.externalInterfaces];
  top.firewallOn = s.firewallOn;
  top.internalInterfaces = [...s.internalInterfaces];
  top.selectedStatistic = s.selectedStatistic;
  top.treewallDocumentVersion = DOCUMENT_VERSION;
  // The root rule: `Any == ->`, as the original's documents have it.
  const root: Dict = {
    filterActionName: '->',
    propertyName: 'Any',
    relationName: '==',
  };
  const rootExtra = doc.extra?.filterTable;
  if (isDict(rootExtra))
    for (const key of Object.keys(rootExtra)) setKey(root, key, rootExtra[key]!);
  root.children = rulesToPlist(doc.rules, { includeIds: true, style: 'nsy' });
  top.SentryDocument_filterTable = root;
  const plist = sortKeys(top) as Dict;
  checkXmlText(plist, '');
  const xml = buildXmlPlist(plist, '\t').replace(
    /[\u0085\u2028\u2029]/g,
    (c) => `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`,
  );
  return xml + '\n';
}

/** The document as NeXT property-list text (the clipboard's format, for diffs and hand edits). */
export function documentToOpenStep(doc: FirewallDocument): string {
  return serializeOpenStep(documentToPlist(doc, 'text'));
}

/** Parses an XML property list; malformed XML is a PlistSyntaxError with line and column. */
export function parseXmlPlist(text: string): PlistValue {
  return parseXmlPlistText(text);
}

/** Reads an XML property-list document. */
export function documentFromXml(text: string, options: ReadDocumentOptions = {}): FirewallDocument {
  // Large documents as treewall writes them: the rule tree read straight into rules (xml-rules.ts).
  const fast = documentFromXmlFast(
    text,
    parseXmlPlistText,
    (value) => documentFromPlist(value, options),
    DEFAULT_MAX_DEPTH,
  );
  return fast ?? documentFromPlist(parseXmlPlist(text), options);
}

/** Which format a document's text is in: XML starts with `<?xml`, `<!DOCTYPE` or `<plist`. */
export function sniffFormat(text: string): 'xml' | 'openstep' {
  const start = text.replace(/^\uFEFF/, '').trimStart();
  return /^<(\?xml|!DOCTYPE|plist)/i.test(start) ? 'xml' : 'openstep';
}

/** Reads a document from XML or NeXT text, whichever it is. NeXT text may be a document
 * dictionary or a bare array of rules (a document with default settings). */
export function parseDocumentText(
  text: string,
  options: ReadDocumentOptions = {},
): FirewallDocument {
  const clean = text.replace(/^\uFEFF/, '');
  if (sniffFormat(clean) === 'xml') return documentFromXml(clean, options);
  return documentFromPlist(parseOpenStep(clean), options);
}

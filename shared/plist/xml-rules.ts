// Runtime: pure (shared/). A shortcut for opening large XML documents: the rule tree under
// `filterTable`'s `children`, in the spelling treewall itself writes, read straight into rules
// (no plist dictionaries built and then mapped: at 100,000 rules those were ~1.3 million values,
// 100,000 dictionaries of varying shapes, and a third of the open's garbage collection).
// Invariant: `documentFromXmlFast(text)` is either undefined (then the caller reads the text the
// general way) or deep-equals what `documentFromPlist(parseXmlPlistText(text))` returns. It takes
// only what it can prove reads the same: the canonical elements, known keys once each, names
// that resolve as ruleFromDict resolves them, booleans as <true/>/<false/>, every rule with its own
// valid, unique `ruleId`; anything else (comments, CDATA, numeric references, codes without
// names, unknown keys, ids to make up, errors of any kind) gives up and leaves it to the general
// path, which then reads it (or reports its error) exactly as before. A property test
// (`xml-rules.test.ts`) holds the two to the same documents. It recurses (a rule, its
// children's array, their rules...), no deeper than the general reader's nesting limit (1000
// containers, 500 levels of rules), which it gives up beyond.

import { cleanName } from '../model/text.ts';
import { RULE_ID_PATTERN } from '../model/tree.ts';
import type { FirewallDocument, PlistValue, Rule } from '../model/types.ts';
import type { ActionName, PropertyName, RelationName } from '../model/vocabulary.ts';
import { RULE_KEYS } from './rule-keys.ts';
import { resolveAction, resolveProperty, resolveRelation } from './rules.ts';

/** The known keys by their first character (a rule's keys are told apart by that and their
 * length, then compared in place: no string is made per key). A key is its index in RULE_KEYS;
 * its bit in a rule's keys so far refuses one given twice. */
const KEYS_BY_FIRST: number[][] = [];
RULE_KEYS.forEach((key, i) => (KEYS_BY_FIRST[key.charCodeAt(0)] ??= []).push(i));
const KEY_TAGS = RULE_KEYS.map((key) => `<key>${key}</key>`);
const KEY = Object.fromEntries(RULE_KEYS.map((key, i) => [key, i])) as Record<
  (typeof RULE_KEYS)[number],
  number
>;
const ENTITIES: Readonly<Record<string, string>> = {
  '&lt;': '<',
  '&gt;': '>',
  '&amp;': '&',
  '&quot;': '"',
  '&apos;': "'",
};
const LT = 60;
const SLASH = 47;
const GT = 62;
const AMP = 38;
const CR = 13;
/** RULE_ID_PATTERN's characters (`[A-Za-z0-9_-]`), by code. */
const ID_CHARS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if (RULE_ID_PATTERN.test(String.fromCharCode(c))) ID_CHARS[c] = 1;
}
/** Spellings remembered per menu (treewall writes one per name; more are read the slow way). */
const MAX_SPELLINGS = 64;

/** Where treewall's writer puts the rule tree (two tabs: inside the top-level dictionary). */
const TABLE_HEAD = '\n\t\t<key>filterTable</key>\n\t\t<dict>\n\t\t\t<key>children</key>\n\t\t\t';
/** Stands in for the rule tree while the rest of the document is read the general way. */
const PLACEHOLDER = 'treewall:rules-read-apart';

/** Thrown inside the reader to give up; never leaves this file. */
class GiveUp extends Error {}
const giveUp = (): never => {
  throw new GiveUp();
};

/** A menu name's spellings seen so far and what they resolve to. */
interface Spelling {
  text: string;
  name: string;
}

const HASH_BASIS = 0x811c9dc5;
const HASH_PRIME = 0x01000193;
/** Probes an id may take in IdSet before the shortcut gives up (a document made to collide). */
const MAX_PROBES = 64;

/**
 * The ids read so far, to tell a duplicate: an open-addressing table of their FNV-1a hashes
 * (computed while the id's characters are checked), at most half full; a slot holds the id's
 * index + 1 and its hash. A Set of the 100,000 fresh id strings was a fifth of the reader's time
 * (hashing each string and V8's ordered hash table); this one compares strings only when hashes
 * are equal, and lives outside the JS heap but for the ids themselves. A run of more than
 * MAX_PROBES slots gives up instead of slowing down: the general path (a Set, with V8's seeded
 * hash) then reads the document.
 */
class IdSet {
  readonly ids: string[] = [];
  /** Slot i: [2i] the id's index + 1 (0: empty), [2i + 1] its hash. */
  table = new Int32Array(2 << 12);

  /** Adds `id` (of hash `hash`); false when it is there already. */
  add(id: string, hash: number): boolean {
    let table = this.table;
    let mask = (table.length >> 1) - 1;
    let i = mix(hash) & mask;
    for (let probes = 0; table[2 * i] !== 0; probes++) {
      if (table[2 * i + 1] === hash && this.ids[table[2 * i]! - 1] === id) return false;
      if (probes === MAX_PROBES) giveUp();
      i = (i + 1) & mask;
    }
    const n = this.ids.push(id);
    table[2 * i] = n;
    table[2 * i + 1] = hash;
    if (n * 4 > table.length) {
      const old = table;
      table = this.table = new Int32Array(old.length * 2);
      mask = (table.length >> 1) - 1;
      for (let s = 0; s < old.length; s += 2) {
        if (old[s] === 0) continue;
        let k = mix(old[s + 1]!) & mask;
        while (table[2 * k] !== 0) k = (k + 1) & mask;
        table[2 * k] = old[s]!;
        table[2 * k + 1] = old[s + 1]!;
      }
    }
    return true;
  }
}

/** The hash's bits spread to the low ones the table uses (murmur3's finaliser, first half). */
function mix(hash: number): number {
  const h = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  return h ^ (h >>> 13);
}

// NOTE: the text is read with charCodeAt (compiled to a load) and short tags compared in place;
// one builtin call per key element (startsWith of the whole `<key>K</key>`), none per value's
// tags, a menu name compared with the spellings seen before instead of sliced and looked up,
// and an id's characters checked as it is found (RULE_ID_PATTERN's test and a startsWith, an
// indexOf and a Map per element cost 20-25 % more CPU at 100,000 rules).
class RuleReader {
  pos: number;
  readonly ids = new IdSet();
  readonly end: number;
  constructor(
    readonly text: string,
    start: number,
    /** Containers the general reader may still open (its nesting limit). */
    readonly depthLeft: number,
  ) {
    this.pos = start;
    this.end = text.length;
  }

  /** Whitespace between elements (tab, line feed, space; anything else, \r included, is left
   * for what follows to refuse). */
  skip(): void {
    const t = this.text;
    let p = this.pos;
    let c = t.charCodeAt(p);
    while (c === 9 || c === 10 || c === 32) c = t.charCodeAt(++p);
    this.pos = p;
  }

  /** Whether `tag` is at `at`. */
  at(tag: string, at: number): boolean {
    const t = this.text;
    const n = tag.length;
    if (at + n > this.end) return false;
    for (let i = 0; i < n; i++) if (t.charCodeAt(at + i) !== tag.charCodeAt(i)) return false;
    return true;
  }

  /** `tag` at pos, or give up. */
  expect(tag: string): void {
    if (!this.at(tag, this.pos)) giveUp();
    this.pos += tag.length;
  }

  /** An array of rule dictionaries (`<array>...</array>` or `<array/>`). Depth: containers
   * open below filterTable's dictionary before this one. */
  rules(depth: number): Rule[] {
    if (this.at('<array/>', this.pos)) {
      this.pos += 8;
      return [];
    }
    this.expect('<array>');
    if (depth + 1 > this.depthLeft) giveUp();
    const rules: Rule[] = [];
    for (;;) {
      this.skip();
      if (this.at('</array>', this.pos)) {
        this.pos += 8;
        return rules;
      }
      rules.push(this.rule(depth + 1));
    }
  }

  /** The first `<` from pos: the end of an element's text. */
  textEnd(): number {
    const t = this.text;
    const end = this.end;
    let p = this.pos;
    while (p < end && t.charCodeAt(p) !== LT) p++;
    if (p === end) giveUp();
    return p;
  }

  /** Text up to `</name>`: the five named entities decoded, nothing else unusual allowed. */
  content(close: string): string {
    const t = this.text;
    const end = this.end;
    let p = this.pos;
    let amp = false;
    for (;;) {
      if (p === end) return giveUp();
      const c = t.charCodeAt(p);
      if (c === LT) break;
      if (c === AMP) amp = true;
      else if (c === CR) giveUp();
      p++;
    }
    if (!this.at(close, p)) giveUp();
    let s = t.slice(this.pos, p);
    this.pos = p + close.length;
    if (amp) s = s.replace(/&[^;&]*;?/g, (entity) => ENTITIES[entity] ?? giveUp());
    return s;
  }

  /** `<key>K</key>` for a known key K: its index in RULE_KEYS (told apart by K's first
   * character and length, then the whole element compared in one go). */
  key(): number {
    const t = this.text;
    const p = this.pos;
    const candidates = KEYS_BY_FIRST[t.charCodeAt(p + 5)];
    if (candidates !== undefined) {
      for (const i of candidates) {
        const tag = KEY_TAGS[i]!;
        // `<key>` + K + `</key>`: K's length puts its closing `<` 6 from the element's end.
        if (t.charCodeAt(p + tag.length - 6) === LT && t.startsWith(tag, p)) {
          this.pos = p + tag.length;
          return i;
        }
      }
    }
    return giveUp();
  }

  /** A `<string>` value. */
  string(): string {
    const p = this.pos;
    if (this.at('<string', p)) {
      const c = this.text.charCodeAt(p + 7);
      if (c === GT) {
        this.pos = p + 8;
        return this.content('</string>');
      }
      if (c === SLASH && this.text.charCodeAt(p + 8) === GT) {
        this.pos = p + 9;
        return '';
      }
    }
    return giveUp();
  }

  /** An `<integer>` the general reader takes as the same number (`-?[0-9]{1,15}`). */
  integer(): void {
    this.expect('<integer>');
    const t = this.text;
    let i = this.pos;
    if (t.charCodeAt(i) === 45) i++;
    const first = i;
    let c = t.charCodeAt(i);
    while (c >= 48 && c <= 57) c = t.charCodeAt(++i);
    if (i === first || i - first > 15) giveUp();
    this.pos = i;
    this.expect('</integer>');
  }

  /** A `ruleId` that fits RULE_ID_PATTERN, its characters checked while it is found (the
   * pattern's test was a sixth of the reader's time). Anything else gives up, entities included:
   * none decodes to a character an id may hold. */
  id(): string {
    this.expect('<string>');
    const t = this.text;
    const start = this.pos;
    let p = start;
    let c = t.charCodeAt(p);
    let hash = HASH_BASIS;
    while (c < 128 && ID_CHARS[c] === 1) {
      hash = Math.imul(hash ^ c, HASH_PRIME);
      c = t.charCodeAt(++p);
    }
    if (p === start || p - start > 32 || c !== LT || !this.at('</string>', p)) giveUp();
    this.pos = p + 9;
    const id = t.slice(start, p);
    // A duplicate gives up (the general path gives the second one a new id).
    if (!this.ids.add(id, hash)) giveUp();
    return id;
  }

  flag(): boolean {
    if (this.at('<true/>', this.pos)) {
      this.pos += 7;
      return true;
    }
    this.expect('<false/>');
    return false;
  }

  /** A menu name as ruleFromDict reads it (trimmed, then resolved: exact, ignoring case and
   * spaces, aliases), remembered per spelling (compared in place: no string is made for one
   * seen before); one that does not resolve gives up. */
  name(resolve: (name: string) => string | undefined, known: Spelling[]): string {
    const t = this.text;
    const p = this.pos;
    // <string>S</string> with S a spelling seen before: S's first character and length, then
    // the whole of it and the closing tag.
    if (this.at('<string>', p)) {
      const start = p + 8;
      const first = t.charCodeAt(start);
      for (let k = 0; k < known.length; k++) {
        const spelling = known[k]!;
        const s = spelling.text;
        if (
          s.charCodeAt(0) === first &&
          t.charCodeAt(start + s.length) === LT &&
          this.at(s, start) &&
          this.at('</string>', start + s.length)
        ) {
          this.pos = start + s.length + 9;
          return spelling.name;
        }
      }
    }
    const raw = this.at('<string>', p) ? p + 8 : -1;
    const s = this.string();
    const trimmed = s.trim();
    const name = trimmed === '' ? undefined : resolve(trimmed);
    if (name === undefined) return giveUp();
    // Remembered as written (`-&gt;` as it is): the same characters read the same way.
    if (raw >= 0 && this.pos - 9 > raw && known.length < MAX_SPELLINGS) {
      known.push({ text: t.slice(raw, this.pos - 9), name });
    }
    return name;
  }
  readonly properties: Spelling[] = [];
  readonly relations: Spelling[] = [];
  readonly actions: Spelling[] = [];

  rule(depth: number): Rule {
    this.expect('<dict>');
    if (depth + 1 > this.depthLeft) giveUp();
    let id: string | undefined;
    let enabled = false;
    let expanded = false;
    let name = '';
    let property: string | undefined;
    let relation: string | undefined;
    let action: string | undefined;
    let value = '';
    let parameter = '';
    let children: Rule[] = [];
    let seen = 0;
    const t = this.text;
    for (;;) {
      this.skip();
      const p = this.pos;
      if (t.charCodeAt(p + 1) === SLASH && this.at('</dict>', p)) {
        this.pos = p + 7;
        break;
      }
      const key = this.key();
      const bit = 1 << key;
      if ((seen & bit) !== 0) giveUp();
      seen |= bit;
      this.skip();
      switch (key) {
        case KEY.ruleId:
          id = this.id();
          break;
        case KEY.enabled:
          enabled = this.flag();
          break;
        case KEY.expandedState:
          expanded = this.flag();
          break;
        case KEY.nodeName:
          name = this.string();
          break;
        case KEY.propertyValue:
          value = this.string();
          break;
        case KEY.parameter:
          parameter = this.string();
          break;
        case KEY.propertyName:
          property = this.name(resolveProperty, this.properties);
          break;
        case KEY.relationName:
          relation = this.name(resolveRelation, this.relations);
          break;
        case KEY.filterActionName:
          action = this.name(resolveAction, this.actions);
          break;
        case KEY.property:
        case KEY.relation:
        case KEY.filterAction:
          // Codes count only where a name is missing, which this shortcut does not take.
          this.integer();
          break;
        case KEY.nodeNumber:
        case KEY.nodeCount:
          // Derived, dropped on input.
          if (this.at('<integer>', this.pos)) this.integer();
          else this.string();
          break;
        case KEY.children:
          children = this.rules(depth + 1);
          break;
        default:
          giveUp();
      }
    }
    if (property === undefined || relation === undefined || action === undefined) giveUp();
    if (id === undefined) giveUp();
    // The fields in ruleFromDict's order (one shape for every rule).
    return {
      id: id!,
      enabled,
      name: name === '' ? name : cleanName(name),
      property: property as PropertyName,
      relation: relation as RelationName,
      value,
      action: action as ActionName,
      parameter,
      children,
      expanded,
    };
  }
}

/**
 * The document in `text` with its rule tree read by the shortcut, or undefined when the shortcut
 * does not apply. The rest of the document (the text with the rule tree cut out and a placeholder
 * in its place) is read the general way: `parse`, then `fromPlist`; whatever they throw gives up
 * too (the general path then reports it with the right line and column).
 */
export function documentFromXmlFast(
  text: string,
  parse: (text: string) => PlistValue,
  fromPlist: (value: PlistValue) => FirewallDocument,
  maxDepth: number,
): FirewallDocument | undefined {
  const body = text.indexOf('<plist');
  const head = body < 0 ? -1 : text.indexOf(TABLE_HEAD, body);
  if (head < 0) return undefined;
  const start = head + TABLE_HEAD.length;
  // <plist>, the top dictionary and filterTable's are open where the array starts.
  const reader = new RuleReader(text, start, maxDepth - 3);
  let rules: Rule[];
  try {
    rules = reader.rules(0);
  } catch (error) {
    if (error instanceof GiveUp) return undefined;
    throw error;
  }
  // The marker found may not be the real table (inside a comment or CDATA, say): the placeholder
  // must come back exactly where the table's children are. It holds a fresh random part, so no
  // document can hold it already.
  const placeholder = `${PLACEHOLDER}:${Math.random().toString(36).slice(2)}`;
  const rest =
    text.slice(0, start) +
    `<array><string>${placeholder}</string></array>` +
    text.slice(reader.pos);
  try {
    const value = parse(rest);
    if (!takePlaceholder(value, placeholder)) return undefined;
    return { ...fromPlist(value), rules };
  } catch {
    return undefined;
  }
}

/** The placeholder where the rule tree belongs (filterTable's children), taken out again; false
 * when it is not there. */
function takePlaceholder(value: PlistValue, placeholder: string): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const table = (value as Record<string, PlistValue>).filterTable;
  if (typeof table !== 'object' || table === null || Array.isArray(table)) return false;
  const children = (table as Record<string, PlistValue>).children;
  if (!Array.isArray(children) || children.length !== 1 || children[0] !== placeholder) {
    return false;
  }
  children.length = 0;
  return true;
}

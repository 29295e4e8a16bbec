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

/** Each known key's bit (a rule's keys so far, to refuse one given twice), and the keys by
 * their first character. */
const KEY_BITS = new Map<string, number>(RULE_KEYS.map((key, i) => [key, 1 << i]));
const KEYS_BY_FIRST = new Map<number, string[]>();
for (const key of RULE_KEYS) {
  const list = KEYS_BY_FIRST.get(key.charCodeAt(0)) ?? [];
  list.push(key);
  KEYS_BY_FIRST.set(key.charCodeAt(0), list);
}
const ENTITIES: Readonly<Record<string, string>> = {
  '&lt;': '<',
  '&gt;': '>',
  '&amp;': '&',
  '&quot;': '"',
  '&apos;': "'",
};

/** Where treewall's writer puts the rule tree (two tabs: inside the top-level dictionary). */
const TABLE_HEAD = '\n\t\t<key>filterTable</key>\n\t\t<dict>\n\t\t\t<key>children</key>\n\t\t\t';
/** Stands in for the rule tree while the rest of the document is read the general way. */
const PLACEHOLDER = 'treewall:rules-read-apart';

/** Thrown inside the reader to give up; never leaves this file. */
class GiveUp extends Error {}
const giveUp = (): never => {
  throw new GiveUp();
};

class RuleReader {
  pos: number;
  readonly seen = new Set<string>();
  constructor(
    readonly text: string,
    start: number,
    /** Containers the general reader may still open (its nesting limit). */
    readonly depthLeft: number,
  ) {
    this.pos = start;
  }

  /** Line breaks and tab indents by depth, as treewall writes them. */
  readonly pads: string[] = [];

  /**
   * Whitespace before an element written `tabs` tabs deep (or one less: the closing tag of its
   * container): the indent compared in one go, then anything left the slow way. Most of a large
   * document's characters are indentation.
   */
  indent(tabs: number): void {
    const t = this.text;
    const inner = (this.pads[tabs] ??= '\n' + '\t'.repeat(tabs));
    if (t.startsWith(inner, this.pos)) this.pos += inner.length;
    else {
      const outer = (this.pads[tabs - 1] ??= '\n' + '\t'.repeat(tabs - 1));
      if (t.startsWith(outer, this.pos)) this.pos += outer.length;
    }
    this.skip();
  }

  /** Whitespace between elements. */
  skip(): void {
    const t = this.text;
    let c = t.charCodeAt(this.pos);
    while (c === 9 || c === 10 || c === 32) c = t.charCodeAt(++this.pos);
  }

  /** `tag` at pos, or give up. */
  expect(tag: string): void {
    if (!this.text.startsWith(tag, this.pos)) giveUp();
    this.pos += tag.length;
  }

  /** An array of rule dictionaries (`<array>...</array>` or `<array/>`). Depth: containers
   * open below filterTable's dictionary before this one. */
  rules(depth: number): Rule[] {
    if (this.text.startsWith('<array/>', this.pos)) {
      this.pos += 8;
      return [];
    }
    this.expect('<array>');
    if (depth + 1 > this.depthLeft) giveUp();
    const rules: Rule[] = [];
    for (;;) {
      // <plist>, the top dictionary, filterTable's and `depth` more are open: 3 + depth + 1.
      this.indent(4 + depth);
      if (this.text.startsWith('</array>', this.pos)) {
        this.pos += 8;
        return rules;
      }
      rules.push(this.rule(depth + 1));
    }
  }

  /** Text up to `</name>`: the five named entities decoded, nothing else unusual allowed. */
  content(close: string): string {
    const t = this.text;
    const lt = t.indexOf('<', this.pos);
    if (lt < 0 || !t.startsWith(close, lt)) giveUp();
    let s = t.slice(this.pos, lt);
    this.pos = lt + close.length;
    if (s.indexOf('\r') >= 0) giveUp();
    if (s.indexOf('&') >= 0) {
      s = s.replace(/&[^;&]*;?/g, (entity) => ENTITIES[entity] ?? giveUp());
    }
    return s;
  }

  /** `<key>K</key>` for a known key K, given as the constant (compared in place: no string is
   * made per key, and the switch below then compares constants). */
  key(): string {
    const t = this.text;
    this.expect('<key>');
    const lt = t.indexOf('<', this.pos);
    const length = lt - this.pos;
    for (const name of KEYS_BY_FIRST.get(t.charCodeAt(this.pos)) ?? giveUp()) {
      if (name.length === length && t.startsWith(name, this.pos) && t.startsWith('</key>', lt)) {
        this.pos = lt + 6;
        return name;
      }
    }
    return giveUp();
  }

  /** A `<string>` value. */
  string(): string {
    if (this.text.startsWith('<string/>', this.pos)) {
      this.pos += 9;
      return '';
    }
    this.expect('<string>');
    return this.content('</string>');
  }

  /** An `<integer>` the general reader takes as the same number (`-?[0-9]{1,15}`). */
  integer(): void {
    this.expect('<integer>');
    const t = this.text;
    let i = this.pos;
    if (t.charCodeAt(i) === 45) i++;
    const first = i;
    while (t.charCodeAt(i) >= 48 && t.charCodeAt(i) <= 57) i++;
    if (i === first || i - first > 15) giveUp();
    this.pos = i;
    this.expect('</integer>');
  }

  flag(): boolean {
    if (this.text.startsWith('<true/>', this.pos)) {
      this.pos += 7;
      return true;
    }
    this.expect('<false/>');
    return false;
  }

  /** A menu name as ruleFromDict reads it (trimmed, then resolved: exact, ignoring case and
   * spaces, aliases), remembered per spelling; one that does not resolve gives up. */
  name(resolve: (name: string) => string | undefined, known: Map<string, string>): string {
    const s = this.string();
    let name = known.get(s);
    if (name === undefined) {
      const trimmed = s.trim();
      name = trimmed === '' ? undefined : resolve(trimmed);
      if (name === undefined) giveUp();
      known.set(s, name!);
    }
    return name!;
  }
  readonly properties = new Map<string, string>();
  readonly relations = new Map<string, string>();
  readonly actions = new Map<string, string>();

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
    // This dictionary is the (3 + depth)th container open; its keys are indented one more.
    const tabs = 4 + depth;
    for (;;) {
      this.indent(tabs);
      if (t.startsWith('</dict>', this.pos)) {
        this.pos += 7;
        break;
      }
      const key = this.key();
      const bit = KEY_BITS.get(key)!;
      if ((seen & bit) !== 0) giveUp();
      seen |= bit;
      this.indent(tabs);
      switch (key) {
        case 'ruleId':
          id = this.string();
          break;
        case 'enabled':
          enabled = this.flag();
          break;
        case 'expandedState':
          expanded = this.flag();
          break;
        case 'nodeName':
          name = this.string();
          break;
        case 'propertyValue':
          value = this.string();
          break;
        case 'parameter':
          parameter = this.string();
          break;
        case 'propertyName':
          property = this.name(resolveProperty, this.properties);
          break;
        case 'relationName':
          relation = this.name(resolveRelation, this.relations);
          break;
        case 'filterActionName':
          action = this.name(resolveAction, this.actions);
          break;
        case 'property':
        case 'relation':
        case 'filterAction':
          // Codes count only where a name is missing, which this shortcut does not take.
          this.integer();
          break;
        case 'nodeNumber':
        case 'nodeCount':
          // Derived, dropped on input.
          if (t.startsWith('<integer>', this.pos)) this.integer();
          else this.string();
          break;
        case 'children':
          children = this.rules(depth + 1);
          break;
        default:
          giveUp();
      }
    }
    if (property === undefined || relation === undefined || action === undefined) giveUp();
    if (id === undefined || !RULE_ID_PATTERN.test(id) || this.seen.has(id)) giveUp();
    this.seen.add(id!);
    // The fields in ruleFromDict's order (one shape for every rule).
    return {
      id: id!,
      enabled,
      name: cleanName(name),
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

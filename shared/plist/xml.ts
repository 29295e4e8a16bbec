// Runtime: pure (shared/). Apple XML property lists: a purpose-built reader and writer.
// Invariant: `parseXmlPlistText` returns a value or throws PlistSyntaxError (line, column) and
// nothing else, in linear time with an explicit stack; `buildXmlPlist` writes byte for byte what
// the `plist` package's `build()` writes (tab indent) for the same value, so the two are
// interchangeable and the tests use `plist` as the oracle for both directions.
//
// Why not `plist` itself (measured here, a 10,000-rule document, 6.5 MB of XML): its `build()`
// took 4.3 s and its `parse()` (xmldom) 10.7 s, and xmldom reports errors on console.error rather
// than throwing them. This reader and writer do the same document in well under a second.
//
// Speed (the editor opens 100,000-rule documents, 71 MB of XML): the reader's general path reads
// any plist XML with exact errors; in front of it, `fastStep` takes the plainest spelling of the
// elements plists are made of (`<key>k</key>`, `<string>s</string>`, `<integer>7</integer>`,
// `<true/>`, `<dict>` ...) by comparing characters in place, and the tab indents treewall writes
// are skipped with one comparison. Whatever a shortcut does not recognise, it leaves untouched
// for the general path, so errors and odd spellings read exactly as before; a property test
// checks the two against each other on generated and mutated documents.

import type { PlistValue } from '../model/types.ts';
import { RULE_KEYS } from './rule-keys.ts';
import {
  DEFAULT_MAX_DEPTH,
  MAX_DATA_BYTES,
  PlistSyntaxError,
  dataLimitMessage,
  setKey,
} from './openstep.ts';

type Dict = { [key: string]: PlistValue };

type ContainerFrame =
  | { kind: 'array'; items: PlistValue[]; open: number }
  | { kind: 'dict'; entries: Dict; key: string | undefined; keyAt: number; open: number };
type Frame = { kind: 'plist'; value: PlistValue | undefined; open: number } | ContainerFrame;

/** Puts a finished value into an array, or under a dictionary's pending key (which it clears). */
function attach(host: ContainerFrame, value: PlistValue): void {
  if (host.kind === 'array') host.items.push(value);
  else {
    setKey(host.entries, host.key!, value);
    host.key = undefined;
  }
}

const TAG =
  /<\/?([A-Za-z_][\w.-]*)\s*((?:[A-Za-z_:][\w.:-]*\s*=\s*(?:"[^"<]*"|'[^'<]*')\s*)*)(\/?)>/y;
const isNameChar = (c: number): boolean =>
  (c >= 97 && c <= 122) ||
  (c >= 65 && c <= 90) ||
  (c >= 48 && c <= 57) ||
  c === 95 ||
  c === 45 ||
  c === 46;
const isDigitOrDash = (c: number): boolean => (c >= 48 && c <= 57) || c === 45 || c === 46;

/** The elements a property list is made of, as constants: comparing in place and returning one
 * of these makes no new string per tag (millions in a large document). */
const ELEMENT_NAMES = [
  'key',
  'string',
  'integer',
  'real',
  'true',
  'false',
  'dict',
  'array',
  'plist',
  'date',
  'data',
];

/** The element name at text[start, end): a constant when it is one of ours, else a slice. */
function elementName(text: string, start: number, end: number): string {
  const length = end - start;
  for (const name of ELEMENT_NAMES) {
    if (name.length === length && text.startsWith(name, start)) return name;
  }
  return text.slice(start, end);
}

/** Keys that most dictionaries of a document hold (a rule's, the document's): returned as
 * constants by `plainKey`. A key sliced from the text is a new string each time, and storing it
 * in an object makes V8 look it up in its table of names: a million keys in a 100,000-rule
 * document. Only the spelling `<key>name</key>` is taken this way; the text is the same. */
const KNOWN_KEYS: readonly string[] = RULE_KEYS;
const LONGEST_KNOWN_KEY = Math.max(...KNOWN_KEYS.map((k) => k.length));
const KNOWN_KEYS_BY_FIRST = new Map<number, string[]>();
for (const key of KNOWN_KEYS) {
  const first = key.charCodeAt(0);
  KNOWN_KEYS_BY_FIRST.set(first, [...(KNOWN_KEYS_BY_FIRST.get(first) ?? []), key]);
}

const NEEDS_ESCAPE = /[&<>\r]/;
const SCALARS = new Set(['string', 'key', 'integer', 'real', 'date', 'data']);
const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  lt: '<',
  gt: '>',
  amp: '&',
  quot: '"',
  apos: "'",
};

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;

export function base64Encode(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!;
    const b = bytes[i + 1];
    const c = bytes[i + 2];
    out += B64[a >> 2]! + B64[((a & 3) << 4) | ((b ?? 0) >> 4)]!;
    out += b === undefined ? '=' : B64[((b & 15) << 2) | ((c ?? 0) >> 6)]!;
    out += c === undefined ? '=' : B64[c & 63]!;
  }
  return out;
}

/** Decodes base64 (whitespace ignored); undefined when it is not base64. */
export function base64Decode(text: string): Uint8Array | undefined {
  const clean = text.replace(/[\s]+/g, '');
  const body = clean.replace(/=+$/, '');
  if (clean.length - body.length > 2 || body.length % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((body.length * 3) / 4));
  let bits = 0;
  let value = 0;
  let o = 0;
  for (let i = 0; i < body.length; i++) {
    const code = body.charCodeAt(i);
    const digit = code < 128 ? B64_INDEX[code]! : -1;
    if (digit < 0) return undefined;
    value = (value << 6) | digit;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (value >> bits) & 0xff;
    }
  }
  return out;
}

class XmlReader {
  pos = 0;
  /** Binary bytes read so far (bounded by maxDataBytes). */
  dataBytes = 0;
  constructor(
    readonly text: string,
    readonly maxDepth: number,
    /** Tests: read everything the general way, to check the shortcuts against it. */
    readonly generalOnly = false,
    readonly maxDataBytes = MAX_DATA_BYTES,
  ) {}

  fail(reason: string, at = this.pos): never {
    throw PlistSyntaxError.at(this.text, at, reason);
  }

  /** Skips `<?...?>`, `<!-- -->` and `<!DOCTYPE ...>`; true when it skipped something. */
  skipMarkup(): boolean {
    const t = this.text;
    if (t.startsWith('<?', this.pos)) {
      const end = t.indexOf('?>', this.pos + 2);
      if (end < 0) this.fail("unterminated processing instruction: missing '?>'");
      this.pos = end + 2;
      return true;
    }
    if (t.startsWith('<!--', this.pos)) {
      const end = t.indexOf('-->', this.pos + 4);
      if (end < 0) this.fail("unterminated comment: missing '-->'");
      this.pos = end + 3;
      return true;
    }
    if (t.startsWith('<!DOCTYPE', this.pos)) {
      const open = this.pos;
      const bracket = t.indexOf('[', this.pos);
      const close = t.indexOf('>', this.pos);
      if (close < 0) this.fail("unterminated <!DOCTYPE: missing '>'", open);
      if (bracket >= 0 && bracket < close) {
        const end = t.indexOf(']>', bracket);
        if (end < 0) this.fail("unterminated <!DOCTYPE [...]: missing ']>'", open);
        this.pos = end + 2;
      } else this.pos = close + 1;
      return true;
    }
    return false;
  }

  /** Skips whitespace and markup between elements; complains about stray text. */
  skipBetween(): void {
    const t = this.text;
    for (;;) {
      let pos = this.pos;
      let c = t.charCodeAt(pos);
      while (c === 32 || c === 10 || c === 9 || c === 13) c = t.charCodeAt(++pos);
      this.pos = pos;
      if (c !== 60 /* < */) break;
      const next = t.charCodeAt(this.pos + 1);
      // Only `<?` and `<!` start markup; anything else is an element, the common case.
      if ((next !== 63 && next !== 33) || !this.skipMarkup()) break;
    }
    if (this.pos < t.length && t.charCodeAt(this.pos) !== 60) {
      const end = Math.min(t.length, this.pos + 20);
      this.fail(`unexpected text '${t.slice(this.pos, end).split('\n')[0]}' between elements`);
    }
  }

  // The tag `tag()` just read. Fields rather than a returned object: a 100,000-rule document
  // has about 5 million tags, and an object per tag was a third of the reader's time.
  tagName = '';
  tagClosing = false;
  tagSelfClosing = false;
  tagAt = 0;

  /** Reads the tag at pos (`<name attr="v">`, `<name/>` or `</name>`) into the tag fields. */
  tag(): void {
    const t = this.text;
    const at = this.pos;
    const closing = t.charCodeAt(at + 1) === 47; /* / */
    this.tagAt = at;
    this.tagClosing = closing;
    // Fast path for the tags plists are made of: `<name>`, `<name/>`, `</name>`.
    let i = at + (closing ? 2 : 1);
    const nameStart = i;
    while (i < t.length && isNameChar(t.charCodeAt(i))) i++;
    if (i > nameStart && !isDigitOrDash(t.charCodeAt(nameStart))) {
      const c = t.charCodeAt(i);
      if (c === 62 /* > */) {
        this.pos = i + 1;
        this.tagName = elementName(t, nameStart, i);
        this.tagSelfClosing = false;
        return;
      }
      if (c === 47 && t.charCodeAt(i + 1) === 62 && !closing) {
        this.pos = i + 2;
        this.tagName = elementName(t, nameStart, i);
        this.tagSelfClosing = true;
        return;
      }
    }
    // Attributes (`<plist version="1.0">`) or spaces: the general form.
    TAG.lastIndex = at;
    const m = TAG.exec(t);
    if (!m) this.fail('malformed tag');
    if (closing && (m[2] !== '' || m[3] !== '')) this.fail('malformed closing tag');
    this.pos = at + m[0].length;
    this.tagName = m[1]!;
    this.tagSelfClosing = m[3] === '/';
  }

  // Where the next `&` and `\r` are (-1: none left), so the common text, which has neither, is
  // taken with one slice. Positions only move forward, so each is searched for once per hit.
  nextAmp = 0;
  nextCr = 0;

  /** True when text[start, end) has no `&` and no `\r`. */
  plain(start: number, end: number): boolean {
    const t = this.text;
    if (this.nextAmp >= 0 && this.nextAmp < start) this.nextAmp = t.indexOf('&', start);
    if (this.nextCr >= 0 && this.nextCr < start) this.nextCr = t.indexOf('\r', start);
    return (this.nextAmp < 0 || this.nextAmp >= end) && (this.nextCr < 0 || this.nextCr >= end);
  }

  /** Plain text from `start` straight up to `</name>` (no entity, CDATA, comment or `\r`): the
   * text, with pos after the closing tag; undefined (pos unchanged) for anything else. */
  plainContent(start: number, name: string): string | undefined {
    const t = this.text;
    const lt = t.indexOf('<', start);
    if (
      lt < 0 ||
      t.charCodeAt(lt + 1) !== 47 /* / */ ||
      !t.startsWith(name, lt + 2) ||
      t.charCodeAt(lt + 2 + name.length) !== 62 /* > */ ||
      !this.plain(start, lt)
    ) {
      return undefined;
    }
    this.pos = lt + 3 + name.length;
    return t.slice(start, lt);
  }

  /** `plainContent(start, 'key')`, giving the known keys as constants (see KNOWN_KEYS). */
  plainKey(start: number): string | undefined {
    const t = this.text;
    const lt = t.indexOf('<', start);
    const length = lt - start;
    if (length > 0 && length <= LONGEST_KNOWN_KEY) {
      const candidates = KNOWN_KEYS_BY_FIRST.get(t.charCodeAt(start));
      if (candidates !== undefined) {
        for (const name of candidates) {
          if (name.length === length && t.startsWith(name, start) && t.startsWith('</key>', lt)) {
            this.pos = lt + 6;
            return name;
          }
        }
      }
    }
    return this.plainContent(start, 'key');
  }

  /**
   * The common case, without the general machinery: at pos, inside an array or a dictionary, one
   * of `<key>`, `<string>`, `<integer>`, `<true/>`, `<false/>`, `<dict>`, `<array>` (or their
   * empty forms) in its plainest spelling, or the closing tag of `top`. Reads it and returns true;
   * returns false, having consumed nothing, for anything else (attributes, entities, comments,
   * errors ...), which the general path in `document()` then reads, with its error messages.
   */
  fastStep(top: ContainerFrame, stack: Frame[]): boolean {
    const t = this.text;
    const at = this.pos;
    const c1 = t.charCodeAt(at + 1);
    if (c1 === 47 /* / */) {
      const kind = top.kind;
      if (!t.startsWith(kind, at + 2) || t.charCodeAt(at + 2 + kind.length) !== 62) return false;
      if (top.kind === 'dict' && top.key !== undefined) return false;
      const below = stack[stack.length - 2];
      if (below === undefined || below.kind === 'plist') return false;
      if (below.kind === 'dict' && below.key === undefined) return false;
      stack.pop();
      this.pos = at + 3 + kind.length;
      attach(below, top.kind === 'array' ? top.items : top.entries);
      return true;
    }
    if (c1 === 107 /* k */) {
      if (top.kind !== 'dict' || top.key !== undefined || !t.startsWith('key>', at + 1)) {
        return false;
      }
      const key = this.plainKey(at + 5);
      if (key === undefined) return false;
      top.key = key;
      top.keyAt = at;
      return true;
    }
    if (top.kind === 'dict' && top.key === undefined) return false;
    let value: PlistValue;
    if (c1 === 115 /* s */) {
      if (t.startsWith('string>', at + 1)) {
        const text = this.plainContent(at + 8, 'string');
        if (text === undefined) return false;
        value = text;
      } else if (t.startsWith('string/>', at + 1)) {
        value = '';
        this.pos = at + 9;
      } else return false;
    } else if (c1 === 105 /* i */) {
      if (!t.startsWith('integer>', at + 1)) return false;
      // `-?[0-9]{1,15}</integer>`: exact in a double; anything else takes the general path.
      let i = at + 9;
      const negative = t.charCodeAt(i) === 45; /* - */
      if (negative) i++;
      const first = i;
      let n = 0;
      for (let c = t.charCodeAt(i); c >= 48 && c <= 57; c = t.charCodeAt(++i)) n = n * 10 + c - 48;
      if (i === first || i - first > 15 || !t.startsWith('</integer>', i)) return false;
      value = negative ? -n : n;
      this.pos = i + 10;
    } else if (c1 === 116 /* t */ && t.startsWith('true/>', at + 1)) {
      value = true;
      this.pos = at + 7;
    } else if (c1 === 102 /* f */ && t.startsWith('false/>', at + 1)) {
      value = false;
      this.pos = at + 8;
    } else if (c1 === 100 /* d */ || c1 === 97 /* a */) {
      const kind = c1 === 100 ? 'dict' : 'array';
      const end = at + 1 + kind.length;
      if (!t.startsWith(kind, at + 1)) return false;
      if (t.charCodeAt(end) === 62 /* > */) {
        if (stack.length >= this.maxDepth) return false;
        stack.push(
          kind === 'array'
            ? { kind: 'array', items: [], open: at }
            : { kind: 'dict', entries: {}, key: undefined, keyAt: at, open: at },
        );
        this.pos = end + 1;
        return true;
      }
      if (t.charCodeAt(end) !== 47 || t.charCodeAt(end + 1) !== 62) return false;
      value = kind === 'array' ? [] : {};
      this.pos = end + 2;
    } else return false;
    attach(top, value);
    return true;
  }

  /** Text up to `</name>`: entities decoded, CDATA kept, comments skipped, line ends normalised. */
  content(name: string, open: number): string {
    const t = this.text;
    // Fast path: plain text straight up to its own closing tag (`<string>Pass</string>`).
    const plain = this.generalOnly ? undefined : this.plainContent(this.pos, name);
    if (plain !== undefined) return plain;
    const parts: string[] = [];
    for (;;) {
      const lt = t.indexOf('<', this.pos);
      if (lt < 0) this.fail(`<${name}> is never closed`, open);
      if (lt > this.pos) parts.push(this.decode(this.pos, lt));
      this.pos = lt;
      if (t.startsWith('<![CDATA[', lt)) {
        const end = t.indexOf(']]>', lt + 9);
        if (end < 0) this.fail("unterminated CDATA section: missing ']]>'");
        parts.push(t.slice(lt + 9, end).replace(/\r\n?/g, '\n'));
        this.pos = end + 3;
      } else if (t.startsWith('<!--', lt)) {
        this.skipMarkup();
      } else if (t.startsWith('</', lt)) {
        this.tag();
        if (this.tagName !== name) {
          this.fail(`expected </${name}>, found </${this.tagName}>`, this.tagAt);
        }
        return parts.join('');
      } else {
        this.fail(`<${name}> holds an element; it may hold only text`);
      }
    }
  }

  decode(start: number, end: number): string {
    const raw = this.text.slice(start, end);
    const normal = raw.indexOf('\r') >= 0 ? raw.replace(/\r\n?/g, '\n') : raw;
    if (normal.indexOf('&') < 0) return normal;
    return normal.replace(/&([^;&\s]{0,12});?/g, (whole, entity: string, offset: number) => {
      const at = start + offset;
      if (!whole.endsWith(';')) this.fail(`'&' must start an entity such as &amp;`, at);
      const named = NAMED_ENTITIES[entity];
      if (named !== undefined) return named;
      const m = /^#(x[0-9A-Fa-f]{1,6}|[0-9]{1,7})$/.exec(entity);
      if (!m) this.fail(`unknown entity &${entity};`, at);
      const code = m[1]!.startsWith('x') ? parseInt(m[1]!.slice(1), 16) : parseInt(m[1]!, 10);
      if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
        this.fail(`&${entity}; is not a character XML allows`, at);
      }
      return String.fromCodePoint(code);
    });
  }

  scalar(name: string, text: string, at: number): PlistValue {
    switch (name) {
      case 'string':
      case 'key':
        return text;
      case 'integer': {
        const s = text.trim();
        const n = /^[+-]?\d+$/.test(s) ? Number(s) : NaN;
        if (!Number.isFinite(n)) this.fail(`<integer> holds '${s}', not a whole number`, at);
        return n;
      }
      case 'real': {
        const s = text.trim();
        const n = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) ? Number(s) : NaN;
        if (Number.isNaN(n)) this.fail(`<real> holds '${s}', not a number`, at);
        return n;
      }
      case 'date': {
        const s = text.trim();
        const ms = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(s) ? Date.parse(s) : NaN;
        if (Number.isNaN(ms)) this.fail(`<date> holds '${s}', not an ISO 8601 UTC time`, at);
        return new Date(ms);
      }
      default: {
        // Refused before decoding when even its base64 text is too long (76-column lines).
        const left = this.maxDataBytes - this.dataBytes;
        if (text.length > Math.ceil(left / 3) * 4 * 1.1 + 1024)
          this.fail(dataLimitMessage(this.maxDataBytes), at);
        const bytes = base64Decode(text);
        if (!bytes) this.fail('<data> holds text that is not base64', at);
        this.dataBytes += bytes.length;
        if (this.dataBytes > this.maxDataBytes) this.fail(dataLimitMessage(this.maxDataBytes), at);
        return bytes;
      }
    }
  }

  document(): PlistValue {
    const t = this.text;
    const stack: Frame[] = [];
    let done: PlistValue | undefined;
    let sawRoot = false;
    // Line breaks and tab indents, as treewall (and `plist`) write them, by nesting depth.
    const pads: string[] = [];
    for (;;) {
      // The indent of this element, or of a closing tag one level out, compared in one go: most
      // of a large document's characters are indentation, and a character loop over them was a
      // fifth of the reader's time. Anything else is skipped the general way.
      const depth = stack.length;
      const inner = (pads[depth] ??= '\n' + '\t'.repeat(depth));
      if (this.generalOnly) {
        // No shortcut.
      } else if (t.startsWith(inner, this.pos)) this.pos += inner.length;
      else if (
        depth > 0 &&
        t.startsWith((pads[depth - 1] ??= '\n' + '\t'.repeat(depth - 1)), this.pos)
      ) {
        this.pos += pads[depth - 1]!.length;
      }
      this.skipBetween();
      if (this.pos >= t.length) {
        const top = stack.at(-1);
        if (top) this.fail(`<${top.kind}> is never closed`, top.open);
        if (!sawRoot) this.fail('no property list found: expected <plist>');
        return done!;
      }
      const open = stack[stack.length - 1];
      if (
        open !== undefined &&
        open.kind !== 'plist' &&
        !this.generalOnly &&
        this.fastStep(open, stack)
      ) {
        continue;
      }
      this.tag();
      const name = this.tagName;
      const at = this.tagAt;
      const selfClosing = this.tagSelfClosing;
      const top = stack[stack.length - 1];
      if (sawRoot && !top) this.fail('unexpected element after the end of the property list', at);
      let value: PlistValue | undefined;
      if (this.tagClosing) {
        if (!top || top.kind !== name) {
          this.fail(
            top ? `expected </${top.kind}>, found </${name}>` : `unexpected </${name}>`,
            at,
          );
        }
        stack.pop();
        if (top.kind === 'plist') {
          if (top.value === undefined) this.fail('<plist> holds no value', top.open);
          done = top.value;
          continue;
        }
        if (top.kind === 'dict' && top.key !== undefined) {
          this.fail(`<key>${top.key}</key> has no value`, top.keyAt);
        }
        value = top.kind === 'array' ? top.items : top.entries;
      } else if (name === 'plist') {
        if (top) this.fail('<plist> inside a property list', at);
        sawRoot = true;
        if (selfClosing) this.fail('<plist> holds no value', at);
        stack.push({ kind: 'plist', value: undefined, open: at });
        continue;
      } else if (name === 'array' || name === 'dict') {
        if (!top) sawRoot = true;
        if (selfClosing) value = name === 'array' ? [] : {};
        else {
          if (stack.length >= this.maxDepth)
            this.fail(`nesting deeper than ${this.maxDepth} levels`, at);
          stack.push(
            name === 'array'
              ? { kind: 'array', items: [], open: at }
              : { kind: 'dict', entries: {}, key: undefined, keyAt: at, open: at },
          );
          continue;
        }
      } else if (name === 'true' || name === 'false') {
        if (!selfClosing && this.content(name, at).trim() !== '') {
          this.fail(`<${name}> holds text`, at);
        }
        value = name === 'true';
      } else if (SCALARS.has(name)) {
        const text = selfClosing ? '' : this.content(name, at);
        if (name === 'key') {
          if (!top || top.kind !== 'dict') this.fail('<key> outside a <dict>', at);
          if (top.key !== undefined) this.fail(`<key>${top.key}</key> has no value`, top.keyAt);
          top.key = text;
          top.keyAt = at;
          continue;
        }
        value = this.scalar(name, text, at);
      } else {
        this.fail(`unknown element <${name}>`, at);
      }
      // Attach a finished value to its container (after a closing tag, the one below it).
      const host = stack[stack.length - 1];
      if (!host) {
        sawRoot = true;
        done = value;
      } else if (host.kind === 'plist') {
        if (host.value !== undefined) this.fail('<plist> holds more than one value', at);
        host.value = value;
      } else if (host.kind === 'array') {
        host.items.push(value);
      } else {
        if (host.key === undefined) this.fail(`expected <key> in <dict>, found <${name}>`, at);
        setKey(host.entries, host.key, value);
        host.key = undefined;
      }
    }
  }
}

/** Parses an XML property list (`<plist>`, or a bare root element). */
export function parseXmlPlistText(
  text: string,
  options: {
    maxDepth?: number;
    /** Tests only: no shortcuts (the fast paths must read everything exactly as this does). */
    generalOnly?: boolean;
    /** Binary bytes accepted in total (default MAX_DATA_BYTES). */
    maxDataBytes?: number;
  } = {},
): PlistValue {
  return new XmlReader(
    text.replace(/^\uFEFF/, ''),
    options.maxDepth ?? DEFAULT_MAX_DEPTH,
    options.generalOnly ?? false,
    options.maxDataBytes ?? MAX_DATA_BYTES,
  ).document();
}

function escapeText(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return s;
  return s.replace(/[&<>\r]/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&#xD;',
  );
}

/** Writes an XML property list exactly as `plist`'s `build(value, { indent })` does. Iterative
 * (a stack of open containers) and careful with garbage: at 100,000 rules the output is 65 MB. */
export function buildXmlPlist(value: PlistValue, indent = '  '): string {
  // String concatenation: V8 builds a rope and flattens it once, which here makes far less
  // garbage than an array of millions of pieces joined at the end.
  let out =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n' +
    '<plist version="1.0">';
  const pads: string[] = [];
  const padFor = (depth: number): string => (pads[depth] ??= '\n' + indent.repeat(depth));

  type Open =
    | { array: PlistValue[]; index: number; depth: number }
    | { dict: Dict; keys: string[]; index: number; depth: number };
  const stack: Open[] = [];

  /** Writes a scalar, or opens a container (pushing it); returns nothing. */
  const emit = (v: PlistValue, depth: number): void => {
    const pad = padFor(depth);
    if (typeof v === 'string') {
      if (v === '') out += pad + '<string/>';
      else out += pad + '<string>' + escapeText(v) + '</string>';
    } else if (typeof v === 'number') {
      if (Number.isInteger(v)) out += pad + '<integer>' + String(v) + '</integer>';
      else out += pad + '<real>' + String(v) + '</real>';
    } else if (typeof v === 'boolean') out += pad + (v ? '<true/>' : '<false/>');
    else if (v instanceof Date)
      out += pad + '<date>' + v.toISOString().replace(/\.\d{3}Z$/, 'Z') + '</date>';
    else if (v instanceof Uint8Array) {
      if (v.length === 0) out += pad + '<data/>';
      else out += pad + '<data>' + base64Encode(v) + '</data>';
    } else if (Array.isArray(v)) {
      if (v.length === 0) out += pad + '<array/>';
      else {
        out += pad + '<array>';
        stack.push({ array: v, index: 0, depth });
      }
    } else {
      const keys = Object.keys(v);
      if (keys.length === 0) out += pad + '<dict/>';
      else {
        out += pad + '<dict>';
        stack.push({ dict: v, keys, index: 0, depth });
      }
    }
  };

  emit(value, 1);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if ('array' in top) {
      if (top.index === top.array.length) {
        stack.pop();
        out += padFor(top.depth) + '</array>';
      } else emit(top.array[top.index++]!, top.depth + 1);
    } else if (top.index === top.keys.length) {
      stack.pop();
      out += padFor(top.depth) + '</dict>';
    } else {
      const key = top.keys[top.index++]!;
      const inner = padFor(top.depth + 1);
      if (key === '') out += inner + '<key/>';
      else out += inner + '<key>' + escapeText(key) + '</key>';
      emit(top.dict[key]!, top.depth + 1);
    }
  }
  out += '\n</plist>';
  return out;
}

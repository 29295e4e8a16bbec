// Runtime: pure (shared/). NeXT/OpenStep ("old-style") property-list text: the clipboard format of
// IPNetSentryX. Invariant: `parseOpenStep` returns a value or throws PlistSyntaxError (line and
// column) and nothing else, in time linear in the input, without recursion (an explicit stack),
// so a 10 MB garbage string or 100,000 nested `(` cannot hang it or overflow the call stack.
//
// Why hand-written (measured, see shared/PLATFORM-NOTES.md): `plist` 5 reads OpenStep text but
// writes none, and decodes `\U00e9` and octal escapes wrongly; `@plist/openstep` is very slow
// (0.19 MB in 6 s) and throws on `\U` escapes and on tabs inside quotes. GNUstep's `pl`/`plparse`
// decode escapes correctly and serve as the differential-test oracle (openstep.gnustep.test.ts).

import type { PlistValue } from '../model/types.ts';

export type { PlistValue };

/** The one error the text codecs throw for malformed input. Line and column are 1-based. */
export class PlistSyntaxError extends Error {
  override name = 'PlistSyntaxError';
  constructor(
    /** What is wrong, without the location: `missing ';' after the value of key 'enabled'`. */
    readonly reason: string,
    readonly line: number,
    readonly column: number,
    /** Offset in UTF-16 code units from the start of the text. */
    readonly offset: number,
  ) {
    super(`${reason} (line ${line}, column ${column})`);
  }

  /** The error for `reason` at `offset` in `text`, with its line and column worked out. */
  static at(text: string, offset: number, reason: string): PlistSyntaxError {
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < offset && i < text.length; i++) {
      if (text.charCodeAt(i) === 10) {
        line++;
        lineStart = i + 1;
      }
    }
    return new PlistSyntaxError(reason, line, offset - lineStart + 1, offset);
  }
}

export interface ParseOptions {
  /** Deepest nesting of arrays and dictionaries accepted; deeper input is a PlistSyntaxError. */
  maxDepth?: number;
  /** Binary bytes accepted in total (default MAX_DATA_BYTES). */
  maxDataBytes?: number;
}

/** 1000 containers is 500 levels of rules: far beyond any real outline, and shallow enough
 * that the (recursive) model code downstream never meets a stack overflow. */
export const DEFAULT_MAX_DEPTH = 1000;

/**
 * Binary values (`<data>`) a document may carry in total: 1 MiB. treewall writes none and
 * IPNetSentryX's documents have none; without a bound a 50 MB `<data>` took `treewall serve` to
 * 2.5 GB (decoded, re-encoded for the WebSocket, held by the renderer). Bigger is a
 * PlistSyntaxError at the value.
 */
export const MAX_DATA_BYTES = 1024 * 1024;

export const dataLimitMessage = (max: number): string =>
  `binary <data> values over ${max} bytes in total: a treewall document keeps at most ${max >= 1048576 ? `${max / 1048576} MiB` : `${max} bytes`} of binary data`;

/** Characters of an unquoted string, as Apple's and GNUstep's readers accept them. */
const UNQUOTED_CHARS = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_$/:.-') {
  UNQUOTED_CHARS[c.charCodeAt(0)] = 1;
}
const isUnquoted = (code: number): boolean => code < 128 && UNQUOTED_CHARS[code] === 1;
/** Strings the writer leaves unquoted. Narrower than what the reader accepts, because
 * IPNetSentryX quotes `"2.3.1"` and `"->"` but writes `Delay`, `rst`, `1` bare. */
const WRITE_UNQUOTED = /^[A-Za-z0-9_]+$/;

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '"': '"',
  '\\': '\\',
  "'": "'",
  '\n': '\n',
};

type Frame =
  | { kind: 'array'; items: PlistValue[]; open: number }
  | { kind: 'dict'; entries: { [key: string]: PlistValue }; key: string; open: number };

/** Set a key on a plain object without letting `__proto__` replace its prototype. */
export function setKey(
  target: { [key: string]: PlistValue },
  key: string,
  value: PlistValue,
): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    target[key] = value;
  }
}

function describeChar(c: string): string {
  const code = c.codePointAt(0) ?? 0;
  if (code < 0x20 || code === 0x7f) return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return `'${c}'`;
}

class Reader {
  pos = 0;
  /** Binary bytes read so far (bounded by maxDataBytes). */
  dataBytes = 0;
  constructor(
    readonly text: string,
    readonly maxDepth: number,
    readonly maxDataBytes = MAX_DATA_BYTES,
  ) {}

  fail(reason: string, at = this.pos): never {
    // Line and column are computed only on failure, so the happy path never tracks them.
    throw PlistSyntaxError.at(this.text, at, reason);
  }

  /** Skip whitespace and comments; returns the next character code, or -1 at the end. */
  skip(): number {
    const t = this.text;
    for (;;) {
      const c = t.charCodeAt(this.pos);
      if (c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12 || c === 0xfeff) {
        this.pos++;
      } else if (c === 47 /* / */ && t.charCodeAt(this.pos + 1) === 47) {
        const end = t.indexOf('\n', this.pos + 2);
        this.pos = end < 0 ? t.length : end + 1;
      } else if (c === 47 && t.charCodeAt(this.pos + 1) === 42 /* * */) {
        const end = t.indexOf('*/', this.pos + 2);
        if (end < 0) this.fail('unterminated /* comment');
        this.pos = end + 2;
      } else {
        return Number.isNaN(c) ? -1 : c;
      }
    }
  }

  /** A quoted or unquoted string at pos (the caller has checked the first character). */
  string(): string {
    if (this.text.charCodeAt(this.pos) === 34) return this.quoted();
    const start = this.pos;
    const t = this.text;
    while (isUnquoted(t.charCodeAt(this.pos))) this.pos++;
    if (this.pos === start) this.fail(`unexpected character ${describeChar(t[start] ?? '')}`);
    return t.slice(start, this.pos);
  }

  quoted(): string {
    const t = this.text;
    const open = this.pos;
    this.pos++;
    const parts: string[] = [];
    let runStart = this.pos;
    for (;;) {
      const c = t.charCodeAt(this.pos);
      if (Number.isNaN(c)) this.fail('unterminated quoted string', open);
      if (c === 34) {
        parts.push(t.slice(runStart, this.pos));
        this.pos++;
        return parts.join('');
      }
      if (c !== 92 /* \ */) {
        this.pos++;
        continue;
      }
      parts.push(t.slice(runStart, this.pos));
      const escapeAt = this.pos;
      this.pos++;
      const e = t[this.pos];
      if (e === undefined) this.fail('unterminated quoted string', open);
      if (e === 'U' || e === 'u') {
        let digits = 0;
        let code = 0;
        this.pos++;
        while (digits < 4 && /[0-9A-Fa-f]/.test(t[this.pos] ?? '')) {
          code = code * 16 + parseInt(t[this.pos]!, 16);
          this.pos++;
          digits++;
        }
        if (digits === 0) this.fail(`bad escape: \\${e} must be followed by hex digits`, escapeAt);
        parts.push(String.fromCharCode(code));
      } else if (e >= '0' && e <= '7') {
        let digits = 0;
        let code = 0;
        while (digits < 3 && /[0-7]/.test(t[this.pos] ?? '')) {
          code = code * 8 + (t.charCodeAt(this.pos) - 48);
          this.pos++;
          digits++;
        }
        if (code > 0xff) this.fail('bad escape: octal escape above \\377', escapeAt);
        parts.push(String.fromCharCode(code));
      } else {
        // Unknown escapes stand for the character itself, as in Apple's and GNUstep's readers.
        parts.push(SIMPLE_ESCAPES[e] ?? e);
        this.pos++;
      }
      runStart = this.pos;
    }
  }

  data(): Uint8Array {
    const t = this.text;
    const open = this.pos;
    this.pos++;
    const bytes: number[] = [];
    let high = -1;
    for (;;) {
      const c = t[this.pos];
      if (c === undefined) this.fail("unterminated <data>: missing '>'", open);
      if (c === '>') {
        if (high >= 0) this.fail('odd number of hex digits in <data>', this.pos);
        this.pos++;
        return Uint8Array.from(bytes);
      }
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
        this.pos++;
        continue;
      }
      if (!/[0-9A-Fa-f]/.test(c)) this.fail(`unexpected character ${describeChar(c)} in <data>`);
      const nibble = parseInt(c, 16);
      if (high < 0) high = nibble;
      else {
        if (++this.dataBytes > this.maxDataBytes)
          this.fail(dataLimitMessage(this.maxDataBytes), open);
        bytes.push(high * 16 + nibble);
        high = -1;
      }
      this.pos++;
    }
  }

  /** Reads a dictionary key and its `=`, or the closing `}` (returns false). */
  keyOrClose(frame: Frame & { kind: 'dict' }): boolean {
    const c = this.skip();
    if (c === 125 /* } */) {
      this.pos++;
      return false;
    }
    if (c === -1) this.fail("unexpected end of text: '{' is never closed", frame.open);
    if (c !== 34 && !isUnquoted(c)) {
      this.fail(`expected a key or '}' in dictionary, found ${describeChar(this.text[this.pos]!)}`);
    }
    frame.key = this.string();
    if (this.skip() !== 61 /* = */) this.fail(`expected '=' after key '${frame.key}'`);
    this.pos++;
    return true;
  }

  document(): PlistValue {
    const t = this.text;
    const stack: Frame[] = [];
    for (;;) {
      // Here a value is expected.
      let value: PlistValue;
      const c = this.skip();
      if (c === 40 /* ( */ || c === 123 /* { */) {
        if (stack.length >= this.maxDepth) {
          this.fail(`nesting deeper than ${this.maxDepth} levels`);
        }
        const open = this.pos++;
        if (c === 40) {
          stack.push({ kind: 'array', items: [], open });
          if (this.skip() !== 41 /* ) */) continue;
          this.pos++;
          stack.pop();
          value = [];
        } else {
          const frame: Frame = { kind: 'dict', entries: {}, key: '', open };
          stack.push(frame);
          if (this.keyOrClose(frame)) continue;
          stack.pop();
          value = frame.entries;
        }
      } else if (c === 34 || isUnquoted(c)) {
        value = this.string();
      } else if (c === 60 /* < */) {
        value = this.data();
      } else if (c === -1) {
        const top = stack.at(-1);
        if (!top) this.fail('empty text: no property list found');
        this.fail(
          `unexpected end of text: '${top.kind === 'array' ? '(' : '{'}' is never closed`,
          top.open,
        );
      } else {
        this.fail(`unexpected character ${describeChar(t[this.pos]!)}`);
      }

      // Attach the finished value to its container; close containers as far as possible.
      for (;;) {
        const top = stack.at(-1);
        if (!top) {
          if (this.skip() !== -1) this.fail('unexpected text after the end of the property list');
          return value;
        }
        if (top.kind === 'array') {
          top.items.push(value);
          const next = this.skip();
          if (next === 44 /* , */) {
            this.pos++;
            // A trailing comma before ')' is accepted, as Apple's reader does.
            if (this.skip() !== 41) break;
            this.pos++;
          } else if (next === 41) {
            this.pos++;
          } else if (next === -1) {
            this.fail("unexpected end of text: '(' is never closed", top.open);
          } else {
            this.fail(`expected ',' or ')' in array, found ${describeChar(t[this.pos]!)}`);
          }
          stack.pop();
          value = top.items;
        } else {
          setKey(top.entries, top.key, value);
          if (this.skip() !== 59 /* ; */) {
            this.fail(`missing ';' after the value of key '${top.key}'`);
          }
          this.pos++;
          if (this.keyOrClose(top)) break;
          stack.pop();
          value = top.entries;
        }
      }
    }
  }
}

/** Parses NeXT/OpenStep property-list text. Strings, data, arrays and dictionaries only: the
 * format has no numbers or booleans, so `enabled = 1` reads as the string `'1'`. */
export function parseOpenStep(text: string, options: ParseOptions = {}): PlistValue {
  return new Reader(
    text,
    options.maxDepth ?? DEFAULT_MAX_DEPTH,
    options.maxDataBytes ?? MAX_DATA_BYTES,
  ).document();
}

export interface SerializeOptions {
  /** One level of indentation; IPNetSentryX and Apple use 4 spaces. */
  indent?: string;
  /** Sort dictionary keys (code-unit order), as IPNetSentryX does. Default true. */
  sortKeys?: boolean;
}

/** Four hex digits, lower case, as Apple's writer (and IPNetSentryX's clipboard) has them:
 * `\U00e9`. GNUstep's `pl` writes upper case; every reader takes either. */
function hex4(code: number): string {
  return code.toString(16).padStart(4, '0');
}

/**
 * A string as OpenStep text: bare when it is a plain word, else quoted with escapes. Everything
 * outside printable ASCII is escaped as `\U` and four hex digits per UTF-16 unit (`café` ->
 * `"caf\U00e9"`, an emoji as its two surrogates), as IPNetSentryX and GNUstep write it: the
 * text is pure ASCII, whatever encoding the reader assumes.
 */
export function quoteString(s: string): string {
  if (WRITE_UNQUOTED.test(s)) return s;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    const c = s[i]!;
    if (c === '"') out += '\\"';
    else if (c === '\\') out += '\\\\';
    else if (c === '\n') out += '\\n';
    else if (c === '\t') out += '\\t';
    else if (c === '\r') out += '\\r';
    else if (code < 0x20 || code >= 0x7f) out += `\\U${hex4(code)}`;
    else out += c;
  }
  return out + '"';
}

function dataText(bytes: Uint8Array): string {
  let out = '<';
  for (let i = 0; i < bytes.length; i++) {
    if (i > 0 && i % 4 === 0) out += ' ';
    out += bytes[i]!.toString(16).padStart(2, '0');
  }
  return out + '>';
}

function scalarText(value: PlistValue): string | undefined {
  if (typeof value === 'string') return quoteString(value);
  // The format has no numbers, booleans or dates: write them as the strings IPNetSentryX writes.
  if (typeof value === 'number') return quoteString(String(value));
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (value instanceof Date) return quoteString(value.toISOString());
  if (value instanceof Uint8Array) return dataText(value);
  return undefined;
}

/** Writes OpenStep text in IPNetSentryX's layout: one entry per line, `key = value;`, sorted
 * keys, `(`/`{` closing on their own lines. Iterative, like the reader. */
export function serializeOpenStep(value: PlistValue, options: SerializeOptions = {}): string {
  const indent = options.indent ?? '    ';
  const sortKeys = options.sortKeys ?? true;
  const out: string[] = [];
  type Job = { value: PlistValue; depth: number; prefix: string; suffix: string } | string;
  const jobs: Job[] = [{ value, depth: 0, prefix: '', suffix: '' }];
  while (jobs.length > 0) {
    const job = jobs.pop()!;
    if (typeof job === 'string') {
      out.push(job);
      continue;
    }
    const pad = indent.repeat(job.depth);
    const scalar = scalarText(job.value);
    if (scalar !== undefined) {
      out.push(`${pad}${job.prefix}${scalar}${job.suffix}\n`);
      continue;
    }
    const v = job.value;
    const later: Job[] = [];
    if (Array.isArray(v)) {
      if (v.length === 0) {
        out.push(`${pad}${job.prefix}()${job.suffix}\n`);
        continue;
      }
      out.push(`${pad}${job.prefix}(\n`);
      v.forEach((item, i) =>
        later.push({
          value: item,
          depth: job.depth + 1,
          prefix: '',
          suffix: i < v.length - 1 ? ',' : '',
        }),
      );
      later.push(`${pad})${job.suffix}\n`);
    } else {
      const dict = v as { [key: string]: PlistValue };
      const keys = Object.keys(dict);
      if (sortKeys) keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      if (keys.length === 0) {
        out.push(`${pad}${job.prefix}{}${job.suffix}\n`);
        continue;
      }
      out.push(`${pad}${job.prefix}{\n`);
      for (const key of keys) {
        later.push({
          value: dict[key]!,
          depth: job.depth + 1,
          prefix: `${quoteString(key)} = `,
          suffix: ';',
        });
      }
      later.push(`${pad}}${job.suffix}\n`);
    }
    // Containers open on the line of their key (`children = (`): the prefix carries the key.
    for (let i = later.length - 1; i >= 0; i--) jobs.push(later[i]!);
  }
  return out.join('');
}

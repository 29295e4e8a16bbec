// Runtime: pure (shared/). Free text that came from outside (rule names read from documents and
// clipboard text) and free text going out to a terminal (`show-active --nft`, `check`, ...).
// Invariants:
// - `cleanName` never leaves a control character (C0, DEL, C1) or a lone UTF-16 surrogate in a
//   name: a name travels to the kernel as an nft comment and back out through `nft list`, where an
//   ESC sequence would rewrite an administrator's terminal, and nft's JSON parser refuses NUL and
//   lone surrogates outright.
// - `escapeControls` output has no control character but the newlines (and tabs) it was asked to
//   keep; what it replaced is visible (`\u001b`, `\u2028`, `\ud800`), never dropped silently.

/** C0 controls, DEL and C1 controls. */
// eslint-disable-next-line no-control-regex -- finding them is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/**
 * Besides controls: line and paragraph separators and the bidirectional overrides/isolates, which
 * also rearrange what a terminal shows.
 */
const INVISIBLE_LAYOUT = /[\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

const NAME_BAD = new RegExp(
  `${CONTROL.source}|${LONE_SURROGATE.source}|${INVISIBLE_LAYOUT.source}`,
  'g',
);

/**
 * A rule name as treewall keeps it: tabs and line breaks become one space each, other control
 * and layout characters are removed, lone surrogates become U+FFFD. Ordinary text (any script,
 * emoji) is unchanged. Idempotent.
 */
export function cleanName(text: string): string {
  if (!NAME_BAD.test(text)) {
    NAME_BAD.lastIndex = 0;
    return text;
  }
  NAME_BAD.lastIndex = 0;
  return text.replace(NAME_BAD, (c) =>
    c === '\t' || c === '\n' || c === '\r' || c === '\u2028' || c === '\u2029'
      ? ' '
      : c.length === 1 && c >= '\ud800' && c <= '\udfff'
        ? '\ufffd'
        : '',
  );
}

const hex = (c: string, width: number): string => c.charCodeAt(0).toString(16).padStart(width, '0');

/** `U+001B` for the first character a name must not contain, or undefined when it is clean. */
export function nameProblem(text: string): string | undefined {
  const m = new RegExp(NAME_BAD.source).exec(text);
  if (!m) return undefined;
  const c = m[0];
  const what =
    c === '\u0000'
      ? 'a NUL character'
      : c >= '\ud800' && c <= '\udfff'
        ? `a lone surrogate (U+${hex(c, 4).toUpperCase()}, not a character)`
        : `a control or layout character (U+${hex(c, 4).toUpperCase()})`;
  return `Name contains ${what}; names are plain text on one line`;
}

/** NUL or a lone surrogate: no kernel interface (nft's JSON parser, netlink strings) takes these. */
const UNENCODABLE = new RegExp(`\\u0000|${LONE_SURROGATE.source}`);

/** For values and parameters: the first character nothing downstream can carry, if any. */
export function unencodableProblem(label: string, text: string): string | undefined {
  const m = UNENCODABLE.exec(text);
  if (!m) return undefined;
  return m[0] === '\u0000'
    ? `${label} contains a NUL character`
    : `${label} contains a lone surrogate (U+${hex(m[0], 4).toUpperCase()}, not a character)`;
}

const ESCAPE_ALL = new RegExp(
  `${CONTROL.source}|${LONE_SURROGATE.source}|${INVISIBLE_LAYOUT.source}`,
  'g',
);

/**
 * Text safe to print on a terminal: control characters, lone surrogates and layout overrides
 * become visible escapes (`\u001b`, `\u202e`; the JSON spelling, so JSON text stays JSON and
 * means the same). `keep` lists characters left as they are (default: newline and tab, for
 * multi-line output such as `nft list`).
 */
export function escapeControls(text: string, keep: string = '\n\t'): string {
  return text.replace(ESCAPE_ALL, (c) => (keep.includes(c) ? c : `\\u${hex(c, 4)}`));
}

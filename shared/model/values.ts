// Runtime: pure (shared/). Parsed rule values: what a rule's `value` text means once its
// property's value kind has read it. The compiler and the evaluator switch on these, so the text
// is parsed in exactly one place. Comments in parentheses that IPNetSentryX puts after values
// (`23 (Telnet)`, `6 (TCP)`, `Loopback (lo0)`) are not part of the value.
//
// NOTE: the types here are the contract between model, compiler and evaluator. Extend them by
// adding variants; do not rename fields others read.

import type { ActionName, PropertyName } from './vocabulary.ts';
import { parseParameter } from './parameters.ts';
import { parseAddressMatch } from './address.ts';
import {
  DSCP_NUMBERS,
  ICMP_TYPE_NAMES,
  ICMP_TYPE_NUMBERS,
  IP_OPTION_NUMBERS,
  PROTOCOL_NAMES,
  PROTOCOL_NUMBERS,
  SERVICE_PORTS,
  TCP_OPTION_NUMBERS,
  INTERFACE_NAME,
  normalizeName,
} from './names.ts';
import { parseDurationSeconds, parseRateSpec } from './units.ts';

export type Result<T> = { ok: true; value: T } | { ok: false; error: string };

/** An inclusive numeric interval; a single number has min === max. */
export interface NumericRange {
  min: number;
  max: number;
}

/** An address, prefix or range of one family; first/last bound it for the evaluator. */
export interface AddressMatch {
  family: 4 | 6;
  kind: 'single' | 'prefix' | 'range';
  /** Canonical text of the first address (`10.0.0.0`, `2001:db8::`). */
  address: string;
  /** Prefix length for kind 'prefix'. */
  prefixLength?: number;
  /** Canonical text of the last address for kind 'range'. */
  end?: string;
  first: bigint;
  last: bigint;
}

export type TcpFlag = 'fin' | 'syn' | 'rst' | 'psh' | 'ack' | 'urg' | 'ecn' | 'cwr';

export type ConnectionState = 'new' | 'established' | 'related' | 'invalid' | 'untracked';

export type IncludeTable = 'triggered' | 'authorized' | 'address' | 'kept' | 'invalid';

export interface RateSpec {
  /** Allowed amount per `perSeconds`. */
  amount: number;
  unit: 'packets' | 'bytes';
  perSeconds: number;
  /** Count per source address (a meter) instead of for the whole rule. */
  perSource: boolean;
}

export type ParsedValue =
  | { kind: 'none' } // Any, None, and the timer properties' absent values
  | { kind: 'direction'; direction: 'inbound' | 'outbound' }
  | { kind: 'interface'; name: string } // `eth0`, `wg*` wildcards allowed
  | { kind: 'interfaceAttribute'; attribute: 'external' | 'internal' }
  | { kind: 'include'; table: IncludeTable }
  // `Include == state`: the packet belongs to a connection already tracked (DESIGN §3.7:
  // conntrack established or related), not a table of addresses.
  | { kind: 'includeState' }
  | { kind: 'mac'; mac: string } // lower-case aa:bb:cc:dd:ee:ff
  | { kind: 'address'; match: AddressMatch }
  | { kind: 'protocol'; number: number; name?: string }
  | { kind: 'range'; range: NumericRange } // ports, fragment offset, ICMP type/code, length, TTL, DSCP, uid/gid, seconds, counts
  | { kind: 'ipOptions'; options: number[] }
  | { kind: 'tcpFlags'; on: TcpFlag[]; off: TcpFlag[] }
  | { kind: 'tcpOptions'; options: number[] }
  | {
      kind: 'content';
      bytes: Uint8Array;
      text: string;
      /**
       * IPNetSentryX's search window, `[offset:length:delimiter]` before the text: start
       * `offset` bytes into the payload (after / before the previous match with `+` / `-`), look
       * at `length` bytes, stop at byte `delimiter`. Absent: the whole payload.
       */
      window?: { offset: number; length?: number; relative?: '+' | '-'; delimiter?: number };
    }
  | { kind: 'timeOfDay'; fromMinute: number; toMinute: number } // minutes since local midnight, inclusive
  | { kind: 'dayOfWeek'; days: number[] } // 0 = Sunday
  | { kind: 'dateTime'; epochSeconds: number; text: string }
  | { kind: 'connectionState'; states: ConnectionState[] }
  | { kind: 'ipVersion'; version: 4 | 6 }
  | { kind: 'rate'; rate: RateSpec };

/**
 * Parsed action parameters (the rule's `parameter` text read by its action's parameter kind).
 * Durations are seconds; `'unlimited'` means no expiry. `default` is an empty parameter for an
 * action that has a default (Trigger: the document's default trigger duration).
 */
export type ParsedParameter =
  | { kind: 'none' } // actions without a parameter; the text must be empty
  | { kind: 'default' }
  /** `failClosed`: Delay only, its packets are deleted when the queue worker is not there. */
  | { kind: 'duration'; seconds: number | 'unlimited'; failClosed?: true }
  | { kind: 'rate'; rate: RateSpec }
  /** Route to: a next hop, an outgoing interface, or both. */
  | { kind: 'route'; family?: 4 | 6; address?: string; interface?: string }
  /** Port forward: `addr[:port]`; no address (`:8080`) redirects to this host. */
  | { kind: 'forward'; family?: 4 | 6; address?: string; port?: number }
  /** Masquerade: the source port range to use. */
  | { kind: 'portRange'; range: NumericRange }
  | {
      kind: 'url';
      scheme: 'ping' | 'tcp' | 'http' | 'https';
      host: string;
      port?: number;
      url: string;
    }
  | { kind: 'email'; addresses: string[] } // empty: the preferences' address
  | { kind: 'text'; text: string } // Log prefix, Alert and Notify message (may be empty)
  | { kind: 'command'; path: string; args: string[] } // Script
  /**
   * Free text where a duration, address or URL was expected (IPNetSentryX kept such text as a
   * description: `Reset parent` "restore when it comes back up", `Email` "NetTalk server not
   * responding"). Validation reports it as a note; the action runs with its default.
   */
  | { kind: 'note'; text: string };

export type ParameterKind = ParsedParameter['kind'];

/** Which ParsedValue kinds a property's value may produce (documentation for the UI). */
export type ValueKind = ParsedValue['kind'];

export type { PropertyName };

/* ------------------------------------------------------------------------------------------ */
/* Parsers                                                                                    */
/* ------------------------------------------------------------------------------------------ */

const ok = <T>(value: T): Result<T> => ({ ok: true, value });
const fail = <T>(error: string): Result<T> => ({ ok: false, error });

/** Where the parenthesised group that ends `s` opens (nesting counted), or -1. Linear. */
function trailingGroupStart(s: string): number {
  if (!s.endsWith(')')) return -1;
  let depth = 0;
  for (let i = s.length - 1; i >= 0; i--) {
    const ch = s[i];
    if (ch === ')') depth++;
    else if (ch === '(' && --depth === 0) return i;
  }
  return -1;
}

/**
 * Remove IPNetSentryX's trailing comments: `23 (Telnet)` -> `23`, `3,9 (source route)` -> `3,9`,
 * `548 (AFP (AppleShare))` -> `548` (nested groups count as one). Only a parenthesised group at
 * the very end is a comment; repeated groups are all removed; a value that is only a group stays.
 */
export function stripComment(text: string): string {
  let s = text.trim();
  for (;;) {
    const open = trailingGroupStart(s);
    if (open <= 0) return s;
    const head = s.slice(0, open).trim();
    if (head === '') return s;
    s = head;
  }
}

/**
 * IPNetSentryX reads numbers with a leading-integer scan (`intValue`): whatever follows the
 * number is ignored. treewall takes a number followed by a space and words (`6 TCP`,
 * `8 echo request`) the same way; `80x`, `80-90` and `3,9` are not comments.
 */
export function leadingNumber(text: string): string | undefined {
  const m = /^(\d+)\s+[^\s\d,\-:/.]/.exec(text);
  return m ? m[1] : undefined;
}

/** Longer values are refused before parsing: no rule needs more, and it bounds the work. */
export const MAX_VALUE_LENGTH = 4096;

/** The text inside a trailing comment, if any: `Loopback (lo0)` -> `lo0`. */
function commentOf(text: string): string | undefined {
  const t = text.trim();
  const open = trailingGroupStart(t);
  if (open < 0) return undefined;
  // The innermost last group: `Modem or PPPoE (ppp0)` -> ppp0, `x (a (b))` -> b.
  const inner = t.slice(open + 1, -1).trim();
  return trailingGroupStart(inner) >= 0 ? commentOf(inner) : inner;
}

/** Inclusive bounds and names for each numeric property. */
interface NumericSpec {
  min: number;
  max: number;
  /** What a non-number is checked against (`ssh` -> 22). */
  names?: ReadonlyMap<string, number>;
  /** Says what kind of name was expected, for the message. */
  nameHint?: string;
  /** Appended when the text is not a number (Owner UID: why names do not work). */
  note?: string;
}

const UINT32_MAX_ID = 4294967294; // (uid_t)-1 means "no id" to the kernel

/** A number, a name, or `a-b`: the numeric range every ranged property shares. */
export function parseNumericRange(
  label: string,
  raw: string,
  spec: NumericSpec,
): Result<NumericRange> {
  const stripped = stripComment(raw);
  const text = leadingNumber(stripped) ?? stripped;
  if (text === '') return fail(`${label} is empty`);
  const one = (part: string): Result<number> => {
    const p = part.trim();
    if (/^\d+$/.test(p)) {
      const n = Number(p);
      if (n < spec.min || n > spec.max) {
        return fail(`${label} ${p} is out of range (${spec.min}-${spec.max})`);
      }
      return ok(n);
    }
    const named = spec.names?.get(normalizeName(p));
    if (named !== undefined) return ok(named);
    if (/^-\d+$/.test(p)) return fail(`${label} ${p} is out of range (${spec.min}-${spec.max})`);
    const hint = spec.nameHint ? ` or ${spec.nameHint}` : '';
    return fail(`${label} "${p}" is not a number${hint}${spec.note ? ` (${spec.note})` : ''}`);
  };
  // `a-b`, but a name may itself contain '-' (`ftp-data`, `echo-request`): try the whole first.
  const whole = one(text);
  if (whole.ok) return ok({ min: whole.value, max: whole.value });
  const m = /^(.+?)\s*-\s*(.+)$/.exec(text);
  if (!m || m[1] === undefined || m[2] === undefined || /^-/.test(text)) return whole;
  const a = one(m[1]);
  if (!a.ok) return a;
  const b = one(m[2]);
  if (!b.ok) return b;
  if (a.value > b.value) return fail(`${label} range ${text} ends before it starts`);
  return ok({ min: a.value, max: b.value });
}

const NUMERIC: Partial<Record<PropertyName, NumericSpec>> = {
  'Fragment offset': { min: 0, max: 8191 },
  'ICMP type': {
    min: 0,
    max: 255,
    names: ICMP_TYPE_NUMBERS,
    nameHint: 'ICMP type name (echo request, ...)',
  },
  'ICMP code': { min: 0, max: 255 },
  'Source port': { min: 0, max: 65535, names: SERVICE_PORTS, nameHint: 'service name' },
  'Dest port': { min: 0, max: 65535, names: SERVICE_PORTS, nameHint: 'service name' },
  // Pure code cannot read /etc/passwd: ids are numbers only.
  'Owner UID': { min: 0, max: UINT32_MAX_ID, note: 'user names are not resolved: use the number' },
  'Owner GID': { min: 0, max: UINT32_MAX_ID, note: 'group names are not resolved: use the number' },
  'Packet length': { min: 0, max: 65535 },
  TTL: { min: 0, max: 255 },
  DSCP: { min: 0, max: 63, names: DSCP_NUMBERS, nameHint: 'class name (ef, af11, cs1, ...)' },
  'Parent match count': { min: 0, max: Number.MAX_SAFE_INTEGER },
  'Parent byte count': { min: 0, max: Number.MAX_SAFE_INTEGER },
};

const splitList = (text: string): string[] =>
  text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');

/** A list of numbers (0..max) or names, e.g. IP options `3,9` or TCP options `mss,sack`. */
function parseNumberList(
  label: string,
  raw: string,
  max: number,
  names: ReadonlyMap<string, number>,
): Result<number[]> {
  const text = stripComment(raw);
  // Names may contain spaces (`record route`), so try comma-separated first.
  const parts = text.includes(',') ? text.split(',').map((s) => s.trim()) : [text.trim()];
  const items = parts.length === 1 && !names.has(normalizeName(text)) ? splitList(text) : parts;
  if (items.length === 0 || items.some((s) => s === '')) return fail(`${label} is empty`);
  const out = new Set<number>();
  for (const item of items) {
    if (/^\d+$/.test(item)) {
      const n = Number(item);
      if (n > max) return fail(`${label} ${item} is out of range (0-${max})`);
      out.add(n);
      continue;
    }
    const n = names.get(normalizeName(item));
    if (n === undefined) return fail(`${label} "${item}" is not a number or option name`);
    out.add(n);
  }
  return ok([...out].sort((a, b) => a - b));
}

const TCP_FLAGS: readonly TcpFlag[] = ['fin', 'syn', 'rst', 'psh', 'ack', 'urg', 'ecn', 'cwr'];
const TCP_FLAG_ALIASES: Readonly<Record<string, TcpFlag>> = {
  ece: 'ecn',
  push: 'psh',
  reset: 'rst',
};

/** `syn,-ack`: listed flags must be on, `-` flags must be off, the rest do not matter. */
export function parseTcpFlags(
  label: string,
  raw: string,
): Result<{ on: TcpFlag[]; off: TcpFlag[] }> {
  const items = splitList(stripComment(raw).toLowerCase());
  if (items.length === 0) return fail(`${label} is empty (e.g. syn,-ack)`);
  const on = new Set<TcpFlag>();
  const off = new Set<TcpFlag>();
  for (const item of items) {
    const negated = item.startsWith('-') || item.startsWith('!');
    const name = item.replace(/^[-!+]/, '');
    const flag = (TCP_FLAGS as readonly string[]).includes(name)
      ? (name as TcpFlag)
      : TCP_FLAG_ALIASES[name];
    if (!flag) return fail(`${label} "${item}" is not a TCP flag (${TCP_FLAGS.join(', ')})`);
    (negated ? off : on).add(flag);
  }
  const both = [...on].filter((f) => off.has(f));
  if (both.length > 0) return fail(`${label} ${both.join(', ')} is both on and off`);
  const order = (a: TcpFlag, b: TcpFlag) => TCP_FLAGS.indexOf(a) - TCP_FLAGS.indexOf(b);
  return ok({ on: [...on].sort(order), off: [...off].sort(order) });
}

/** IPNetSentryX's escapes in content text: `\n \r \t \0 \f \b`, `\x` is x (kftSupport.c). */
function decodeContentEscapes(text: string): string {
  if (!text.includes('\\')) return text;
  const named: Record<string, string> = { n: '\n', r: '\r', t: '\t', '0': '\0', f: '\f', b: '\b' };
  return text.replace(/\\\\?(.)/gs, (_m, c: string) => named[c] ?? c);
}

/**
 * Content: `<hex bytes>` or text (UTF-8, with IPNetSentryX's backslash escapes), optionally
 * after IPNetSentryX's search window `[offset:length:delimiter]` (`[0:64]&-format=-raw&`,
 * `[+4,10]abc`). Parentheses are part of content, never a comment.
 */
export function parseContent(
  label: string,
  raw: string,
): Result<{
  bytes: Uint8Array;
  text: string;
  window?: { offset: number; length?: number; relative?: '+' | '-'; delimiter?: number };
}> {
  const win = /^\[([+-])?(\d+)(?:[:,](\d+))?(?:[:,](\d+))?\]/.exec(raw);
  if (win) {
    const rest = parseContent(label, raw.slice(win[0].length));
    if (!rest.ok) return rest;
    if (rest.value.window) return fail(`${label} has two search windows`);
    const window: { offset: number; length?: number; relative?: '+' | '-'; delimiter?: number } = {
      offset: Number(win[2]),
    };
    if (win[1] === '+' || win[1] === '-') window.relative = win[1];
    if (win[3] !== undefined) window.length = Number(win[3]);
    if (win[4] !== undefined) {
      const d = Number(win[4]);
      if (d > 255) return fail(`${label} delimiter ${d} is not a byte (0-255)`);
      window.delimiter = d;
    }
    return ok({ ...rest.value, window });
  }
  // A value that starts with `[` but is no window is a mistyped window (`[abc]`, `[10;20]`):
  // refused rather than searched for as text; `\[` searches for a bracket.
  if (raw.startsWith('['))
    return fail(
      `${label} "${raw.slice(0, 24)}" starts with [ but no search window [offset,length,terminator] (numbers; write \\[ to search for a bracket)`,
    );
  const text = raw;
  if (text.trim() === '') return fail(`${label} is empty`);
  const hex = /^\s*<([0-9A-Fa-f\s]*)>\s*$/.exec(text);
  if (hex) {
    const digits = (hex[1] ?? '').replace(/\s+/g, '');
    if (digits.length === 0 || digits.length % 2 !== 0) {
      return fail(`${label} ${text.trim()} needs an even number of hex digits`);
    }
    const bytes = new Uint8Array(digits.length / 2);
    for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
    return ok({ bytes, text: text.trim() });
  }
  return ok({ bytes: utf8(decodeContentEscapes(text)), text });
}

/** UTF-8 encoding without TextEncoder (not in the pure lib). */
export function utf8(text: string): Uint8Array {
  const out: number[] = [];
  for (const ch of text) {
    const c = ch.codePointAt(0) ?? 0;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else
      out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return Uint8Array.from(out);
}

function parseClock(label: string, text: string, isEnd: boolean): Result<number> {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text.trim());
  if (!m) return fail(`${label} "${text.trim()}" is not a time (HH:MM)`);
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (isEnd && h === 24 && min === 0) return ok(24 * 60 - 1);
  if (h > 23 || min > 59) return fail(`${label} ${text.trim()} is not a time of day (00:00-23:59)`);
  return ok(h * 60 + min);
}

/** `08:00-17:30` (inclusive; `22:00-06:00` wraps past midnight) or one time `08:00`. */
export function parseTimeOfDay(
  label: string,
  raw: string,
): Result<{ fromMinute: number; toMinute: number }> {
  const text = stripComment(raw);
  const parts = text.split('-');
  if (parts.length > 2 || text === '')
    return fail(`${label} "${text}" is not HH:MM or HH:MM-HH:MM`);
  const from = parseClock(label, parts[0] ?? '', false);
  if (!from.ok) return from;
  if (parts.length === 1) return ok({ fromMinute: from.value, toMinute: from.value });
  const to = parseClock(label, parts[1] ?? '', true);
  if (!to.ok) return to;
  return ok({ fromMinute: from.value, toMinute: to.value });
}

const DAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

function dayNumber(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  if (/^[0-7]$/.test(t)) return Number(t) % 7;
  if (t.length < 2) return undefined;
  const i = DAY_NAMES.findIndex((d) => d.startsWith(t) && (t.length >= 3 || d.slice(0, 2) === t));
  return i >= 0 ? i : undefined;
}

/** `Mon-Fri`, `Sat,Sun`, `weekdays`, `weekend`, numbers 0-6 (0 and 7 are Sunday). Ranges wrap. */
export function parseDays(label: string, raw: string): Result<number[]> {
  const text = stripComment(raw).toLowerCase();
  const days = new Set<number>();
  const items = splitList(text);
  if (items.length === 0) return fail(`${label} is empty (e.g. Mon-Fri or Sat,Sun)`);
  for (const item of items) {
    if (item === 'weekdays') [1, 2, 3, 4, 5].forEach((d) => days.add(d));
    else if (item === 'weekend' || item === 'weekends') [0, 6].forEach((d) => days.add(d));
    else if (item === 'daily' || item === 'every day')
      [0, 1, 2, 3, 4, 5, 6].forEach((d) => days.add(d));
    else if (item.includes('-')) {
      const [aText = '', bText = ''] = item.split('-');
      const a = dayNumber(aText);
      const b = dayNumber(bText);
      if (a === undefined || b === undefined)
        return fail(`${label} "${item}" is not a range of days`);
      for (let d = a; ; d = (d + 1) % 7) {
        days.add(d);
        if (d === b) break;
      }
    } else {
      const d = dayNumber(item);
      if (d === undefined) return fail(`${label} "${item}" is not a day (Mon, Tue, ... or 0-6)`);
      days.add(d);
    }
  }
  return ok([...days].sort((a, b) => a - b));
}

/**
 * ISO 8601 date and time: `2026-12-31`, `2026-12-31 18:00`, `2026-12-31T18:00:00Z`,
 * `...+01:00`. Without an offset the time is local, as a user reading a clock means it.
 */
export function parseDateTime(
  label: string,
  raw: string,
): Result<{ epochSeconds: number; text: string }> {
  const stripped = stripComment(raw);
  const text = leadingNumber(stripped) ?? stripped;
  // IPNetSentryX stores Date and time as seconds since 1970 (FilterEntry.m setPropertyValue).
  if (/^\d{1,12}$/.test(text)) return ok({ epochSeconds: Number(text), text });
  const m =
    /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(
      text,
    );
  if (!m) return fail(`${label} "${text}" is not a date and time (YYYY-MM-DD HH:MM)`);
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const zone = m[7];
  let ms: number;
  if (zone === undefined) {
    const local = new Date(y, mo - 1, d, h, mi, s);
    ms = local.getTime();
    if (local.getFullYear() !== y || local.getMonth() !== mo - 1 || local.getDate() !== d) ms = NaN;
  } else {
    ms = Date.UTC(y, mo - 1, d, h, mi, s);
    const check = new Date(ms);
    if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) ms = NaN;
    if (zone.toUpperCase() !== 'Z') {
      const zm = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
      const sign = zm?.[1] === '-' ? -1 : 1;
      ms -= sign * (Number(zm?.[2]) * 60 + Number(zm?.[3])) * 60_000;
    }
  }
  if (h > 23 || mi > 59 || s > 59 || !Number.isFinite(ms)) {
    return fail(`${label} ${text} is not a valid date and time`);
  }
  return ok({ epochSeconds: Math.floor(ms / 1000), text });
}

const CONNECTION_STATES: readonly ConnectionState[] = [
  'new',
  'established',
  'related',
  'invalid',
  'untracked',
];

function parseConnectionStates(label: string, raw: string): Result<ConnectionState[]> {
  const items = splitList(stripComment(raw).toLowerCase());
  if (items.length === 0) return fail(`${label} is empty (e.g. established,related)`);
  const out = new Set<ConnectionState>();
  for (const item of items) {
    if (!(CONNECTION_STATES as readonly string[]).includes(item)) {
      return fail(`${label} "${item}" is not one of ${CONNECTION_STATES.join(', ')}`);
    }
    out.add(item as ConnectionState);
  }
  return ok(CONNECTION_STATES.filter((s) => out.has(s)));
}

/** macOS names that have a fixed Linux meaning. */
const MACOS_INTERFACES: Readonly<Record<string, string>> = { lo0: 'lo' };

function parseInterface(label: string, raw: string): Result<ParsedValue> {
  const text = raw.trim();
  const head = stripComment(text);
  const comment = commentOf(text);
  // `Loopback (lo0)`: a display name with the device in parentheses. `en0 (Built-in Ethernet)`:
  // a device with a description. A display name starts upper case or has spaces.
  let name = head;
  if (
    comment !== undefined &&
    INTERFACE_NAME.test(comment) &&
    (/\s/.test(head) || /^[A-Z]/.test(head))
  ) {
    name = comment;
  }
  const lower = name.toLowerCase();
  if (lower === 'external' || lower === 'internal') {
    return ok({ kind: 'interfaceAttribute', attribute: lower });
  }
  name = MACOS_INTERFACES[name] ?? name;
  if (name === '') return fail(`${label} is empty (an interface name, external or internal)`);
  if (name === '*') {
    return fail(
      `${label} "*" alone is not an interface name (Any matches every interface; eth* a prefix)`,
    );
  }
  if (!INTERFACE_NAME.test(name)) {
    return fail(
      `${label} "${name}" is not an interface name (1-15 letters, digits, _ . : @ -; * at the end)`,
    );
  }
  return ok({ kind: 'interface', name });
}

const INCLUDE_TABLES: Readonly<Record<string, IncludeTable>> = {
  triggered: 'triggered',
  trigger: 'triggered',
  authorized: 'authorized',
  authorize: 'authorized',
  address: 'address',
  kept: 'kept',
  keep: 'kept',
  'keep address': 'kept',
  invalid: 'invalid',
  'keep invalid': 'invalid',
};

function parseMac(label: string, raw: string): Result<string> {
  const text = stripComment(raw).toLowerCase();
  const parts = text.split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-f]{1,2}$/.test(p))) {
    return fail(`${label} "${text}" is not a MAC address (aa:bb:cc:dd:ee:ff)`);
  }
  return ok(parts.map((p) => p.padStart(2, '0')).join(':'));
}

/** Parse a rule's value by its property. `Dest port 70000` -> `Dest port 70000 is out of range (0-65535)`. */
export function parseValue(property: PropertyName, value: string): Result<ParsedValue> {
  const label = property;
  if (value.length > MAX_VALUE_LENGTH) {
    return fail(`${label} value is ${value.length} characters long (at most ${MAX_VALUE_LENGTH})`);
  }
  const text = stripComment(value);
  const numeric = NUMERIC[property];
  if (numeric) {
    const r = parseNumericRange(label, value, numeric);
    return r.ok ? ok({ kind: 'range', range: r.value }) : r;
  }
  switch (property) {
    case 'Any':
    case 'None':
      return ok({ kind: 'none' });
    case 'Direction': {
      const d = text.toLowerCase();
      if (d === 'inbound' || d === 'in') return ok({ kind: 'direction', direction: 'inbound' });
      if (d === 'outbound' || d === 'out') return ok({ kind: 'direction', direction: 'outbound' });
      return fail(`${label} "${text}" is not inbound or outbound`);
    }
    case 'Interface':
      return parseInterface(label, value);
    case 'Include': {
      if (normalizeName(text) === 'state') return ok({ kind: 'includeState' });
      const table = INCLUDE_TABLES[normalizeName(text)];
      if (!table)
        return fail(
          `${label} "${text}" is not one of triggered, authorized, address, kept, invalid, state`,
        );
      return ok({ kind: 'include', table });
    }
    case 'Source MAC Address':
    case 'Dest MAC Address': {
      const r = parseMac(label, value);
      return r.ok ? ok({ kind: 'mac', mac: r.value }) : r;
    }
    case 'Source net':
    case 'Dest net': {
      const r = parseAddressMatch(label, text);
      return r.ok ? ok({ kind: 'address', match: r.value }) : r;
    }
    case 'Protocol': {
      const lead = leadingNumber(text);
      if (lead !== undefined) return parseValue(property, lead);
      if (text === '')
        return fail(`${label} is empty (a number 0-255 or a name: tcp, udp, icmp, ...)`);
      if (/^\d+$/.test(text)) {
        const number = Number(text);
        if (number > 255) return fail(`${label} ${text} is out of range (0-255)`);
        const name = PROTOCOL_NAMES.get(number);
        return ok(name ? { kind: 'protocol', number, name } : { kind: 'protocol', number });
      }
      const number = PROTOCOL_NUMBERS.get(normalizeName(text));
      if (number === undefined) return fail(`${label} "${text}" is not a protocol number or name`);
      return ok({ kind: 'protocol', number, name: PROTOCOL_NAMES.get(number) ?? text });
    }
    case 'IP options': {
      const r = parseNumberList(label, value, 31, IP_OPTION_NUMBERS);
      return r.ok ? ok({ kind: 'ipOptions', options: r.value }) : r;
    }
    case 'TCP options': {
      const r = parseNumberList(label, value, 255, TCP_OPTION_NUMBERS);
      return r.ok ? ok({ kind: 'tcpOptions', options: r.value }) : r;
    }
    case 'TCP header flags': {
      const r = parseTcpFlags(label, value);
      return r.ok ? ok({ kind: 'tcpFlags', ...r.value }) : r;
    }
    case 'Data content':
    case 'URL keyword': {
      const r = parseContent(label, value);
      return r.ok ? ok({ kind: 'content', ...r.value }) : r;
    }
    case 'Time of day': {
      const r = parseTimeOfDay(label, value);
      return r.ok ? ok({ kind: 'timeOfDay', ...r.value }) : r;
    }
    case 'Day of week': {
      const r = parseDays(label, value);
      return r.ok ? ok({ kind: 'dayOfWeek', days: r.value }) : r;
    }
    case 'Date and time': {
      const r = parseDateTime(label, value);
      return r.ok ? ok({ kind: 'dateTime', ...r.value }) : r;
    }
    case 'Idle seconds':
    case 'Parent idle seconds': {
      // Seconds, or a duration with a unit (`3 min`), or a range of either.
      const parts = text.split(/\s*-\s*/);
      const secs = parts.map((p) => parseDurationSeconds(p) ?? leadingSeconds(p));
      if (text === '' || parts.length > 2 || secs.some((s) => s === undefined)) {
        return fail(`${label} "${text}" is not a number of seconds (e.g. 60, 3 min)`);
      }
      const min = secs[0] ?? 0;
      const max = secs[secs.length - 1] ?? min;
      if (min > max) return fail(`${label} range ${text} ends before it starts`);
      return ok({ kind: 'range', range: { min, max } });
    }
    case 'Parent match rate':
    case 'Rate': {
      const r = parseRateSpec(label, text, property === 'Parent match rate');
      return r.ok ? ok({ kind: 'rate', rate: r.value }) : r;
    }
    case 'Connection state': {
      const r = parseConnectionStates(label, value);
      return r.ok ? ok({ kind: 'connectionState', states: r.value }) : r;
    }
    case 'IP version': {
      const v = text.toLowerCase().replace(/^ipv?/, '');
      if (v === '4' || v === '6') return ok({ kind: 'ipVersion', version: v === '4' ? 4 : 6 });
      return fail(`${label} "${text}" is not 4 or 6`);
    }
    case 'Fragment offset':
    case 'ICMP type':
    case 'ICMP code':
    case 'Source port':
    case 'Dest port':
    case 'Owner UID':
    case 'Owner GID':
    case 'Packet length':
    case 'TTL':
    case 'DSCP':
    case 'Parent match count':
    case 'Parent byte count':
      // Handled by NUMERIC above; listed so the switch stays exhaustive.
      return fail(`${label}: no numeric spec`);
  }
}

/** `30 quiet` -> 30: a leading number with words after it (see leadingNumber). */
function leadingSeconds(text: string): number | undefined {
  const n = leadingNumber(text);
  return n === undefined ? undefined : Number(n);
}

/** Canonical name of an ICMP type number, for display (`8` -> `echo request`). */
export const icmpTypeName = (n: number): string | undefined => ICMP_TYPE_NAMES.get(n);

export { parseAddressMatch } from './address.ts';
export { parseDurationSeconds, parseRateSpec } from './units.ts';
export { parseParameter };

/* ------------------------------------------------------------------------------------------ */
/* A parse cache                                                                               */
/* ------------------------------------------------------------------------------------------ */

/**
 * Parsed values and parameters by (property or action, text). A large outline repeats a few
 * thousand distinct values (10,000 generated rules: 3,501 values, 9 parameters), and the parsers
 * are pure, so equal texts may share one result. NOTE: results are shared: nobody may mutate one.
 * `validateDocument` fills one; hand the same cache to the next reader of the same document (the
 * compiler) and it parses nothing twice.
 */
export interface ParseCache {
  values: Map<string, Map<string, Result<ParsedValue>>>;
  parameters: Map<string, Map<string, Result<ParsedParameter>>>;
}

export const createParseCache = (): ParseCache => ({ values: new Map(), parameters: new Map() });

function cached<K extends string, R>(
  cache: Map<string, Map<string, R>>,
  kind: K,
  text: string,
  parse: (kind: K, text: string) => R,
): R {
  let byText = cache.get(kind);
  if (byText === undefined) {
    byText = new Map();
    cache.set(kind, byText);
  }
  let result = byText.get(text);
  if (result === undefined) {
    result = parse(kind, text);
    byText.set(text, result);
  }
  return result;
}

/** `parseValue` through a cache. */
export const cachedValue = (
  cache: ParseCache,
  property: PropertyName,
  text: string,
): Result<ParsedValue> => cached(cache.values, property, text, parseValue);

/** `parseParameter` through a cache. */
export const cachedParameter = (
  cache: ParseCache,
  action: ActionName,
  text: string,
): Result<ParsedParameter> => cached(cache.parameters, action, text, parseParameter);

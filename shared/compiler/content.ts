// Runtime: pure (shared/). Data content and URL keyword -> nftables: a bounded search of the
// transport payload compiled into fixed-offset compares (`@ih,OFFSET_BITS,LEN_BITS`), one
// alternatives line per start position. IPNetSentryX searched a window of the payload
// (kft.c KFT_matchContent / kftSupport.c findInSegment): by default its first 64 bytes, or
// `[offset,length,terminator]`; a match must lie wholly inside the window (and the payload), a
// terminator byte ends the search (a match must start before the first one), `a=A` ignores
// letter case. Semantics and the deviations from the original's code are in docs/vocabulary.md.
// Invariant: every statement this emits compares at most 16 bytes (the kernel's register size),
// at a byte offset below 65536 (nft's limit), and a rule emits at most MAX_COMPARES compares;
// what does not fit is refused with a message, never cut short.

import type { ParsedValue } from '../model/values.ts';
import type { PropertyName, RelationName } from '../model/vocabulary.ts';
import type { Cond } from './conditions.ts';
import { and, anonSet, match, meta, type Expr, type Stmt } from './nft.ts';

/** IPNetSentryX's default search window: the payload's first 64 bytes (kContent_searchLength). */
export const DEFAULT_WINDOW = 64;
/** One nft compare holds at most 16 bytes (NFT_REG_SIZE; measured: 17 bytes is refused). */
export const MAX_COMPARE_BYTES = 16;
/** nft refuses a raw payload offset of 65536 bytes or more (measured: bit offset 524288). */
export const MAX_PAYLOAD_OFFSET = 65535;
/** Compares one rule may emit (positions x 16-byte pieces): keeps a rule's chain bounded. */
export const MAX_COMPARES = 4096;
/** URL keyword: the request line after the method's first 3 bytes, 64 bytes, up to the first CR. */
export const URL_WINDOW = { start: 3, length: 64, terminator: 13 } as const;

/** What a content rule searches, in payload bytes. */
export interface ContentSearch {
  needle: Uint8Array;
  /** The window [start, end) of the payload the match must lie in. */
  start: number;
  end: number;
  caseless: boolean;
  /** A byte that ends the search: a match must start before its first occurrence in the window. */
  terminator?: number;
  /** URL keyword: TCP only; Data content: TCP and UDP. */
  protocols: ('tcp' | 'udp')[];
}

const isLetter = (b: number): boolean => (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);

/** The search a content rule asks for, or why it cannot be compiled. */
export function contentSearch(
  property: PropertyName,
  relation: RelationName,
  value: ParsedValue,
):
  | { ok: true; search: ContentSearch }
  | { ok: false; field: 'relation' | 'value'; message: string } {
  const label = property;
  if (relation === '>=' || relation === '<=')
    return {
      ok: false,
      field: 'relation',
      message: `${label} can only be tested with ==, != or a=A`,
    };
  if (value.kind !== 'content')
    return { ok: false, field: 'value', message: `${label}: the value is not content` };
  const needle = value.bytes;
  if (needle.length === 0) return { ok: false, field: 'value', message: `${label} is empty` };
  let start: number;
  let length: number;
  let terminator: number | undefined;
  if (property === 'URL keyword') {
    if (value.window)
      return {
        ok: false,
        field: 'value',
        message: `${label} takes no [offset,length] window (it searches the request line)`,
      };
    ({ start, length, terminator } = URL_WINDOW);
  } else {
    const w = value.window;
    if (w?.relative)
      return {
        ok: false,
        field: 'value',
        message: `${label}: a relative search offset [${w.relative}${w.offset}...] starts where an earlier content rule matched, which varies per packet; nftables compares bytes only at fixed offsets, so treewall cannot compile it`,
      };
    start = w?.offset ?? 0;
    length = w?.length ?? DEFAULT_WINDOW;
    terminator = w?.delimiter;
  }
  const end = start + length;
  if (needle.length > length)
    return {
      ok: false,
      field: 'value',
      message: `${label} is ${needle.length} bytes, longer than its ${length}-byte search window: it could never match`,
    };
  if (end - 1 > MAX_PAYLOAD_OFFSET)
    return {
      ok: false,
      field: 'value',
      message: `${label}: the search window ends at payload byte ${end}; nftables reaches at most byte ${MAX_PAYLOAD_OFFSET + 1}`,
    };
  const positions = length - needle.length + 1;
  const compares = positions * Math.ceil(needle.length / MAX_COMPARE_BYTES);
  if (compares > MAX_COMPARES)
    return {
      ok: false,
      field: 'value',
      message: `${label}: searching ${needle.length} bytes in a ${length}-byte window takes ${compares} kernel compares, more than ${MAX_COMPARES} per rule; narrow the window with [offset,length]`,
    };
  const caseless = relation === 'a=A' || property === 'URL keyword';
  return {
    ok: true,
    search: {
      needle,
      start,
      end,
      caseless,
      ...(terminator !== undefined ? { terminator } : {}),
      protocols: property === 'URL keyword' ? ['tcp'] : ['tcp', 'udp'],
    },
  };
}

const hex = (bytes: ArrayLike<number>): string =>
  '0x' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** `@ih,offset*8,len*8` (the payload after the TCP or UDP header). */
const raw = (offset: number, len: number): Expr => ({
  payload: { base: 'ih', offset: offset * 8, len: len * 8 },
});

/** The needle at payload byte `at`: one compare per 16-byte piece; letters masked when caseless. */
export function needleAt(s: ContentSearch, at: number): Stmt[] {
  const out: Stmt[] = [];
  for (let i = 0; i < s.needle.length; i += MAX_COMPARE_BYTES) {
    const piece = s.needle.subarray(i, i + MAX_COMPARE_BYTES);
    const mask = Array.from(piece, (b) => (s.caseless && isLetter(b) ? 0xdf : 0xff));
    const masked = mask.some((m) => m !== 0xff);
    const left = raw(at + i, piece.length);
    const want = Array.from(piece, (b, k) => b & (mask[k] as number));
    out.push(match('==', masked ? and(left, hex(mask)) : left, hex(want)));
  }
  return out;
}

/** The terminator byte at payload byte `at`. */
const terminatorAt = (byte: number, at: number): Stmt => match('==', raw(at, 1), hex([byte]));

/**
 * The condition: an ordered alternatives chain. `==`/`a=A` (found): at each start position the
 * needle goes to the body, a terminator there returns (the search ends unmatched); the jump to
 * the chain is guarded by the protocol and by the payload reaching the first possible match's
 * last byte, so a short segment (a bare ACK) costs one test. `!=` (not found): the same lines
 * with the outcomes swapped and a last line that holds; a packet without a TCP/UDP payload (any
 * other protocol) compares low, so `!=` holds for it, as for every absent field.
 */
export function contentCondition(s: ContentSearch, relation: RelationName): Cond {
  const found = relation !== '!=';
  const ordered: { line: Stmt[]; holds: boolean }[] = [];
  const last = s.end - s.needle.length;
  for (let at = s.start; at <= last; at++) {
    ordered.push({ line: needleAt(s, at), holds: found });
    if (s.terminator !== undefined && at < last)
      ordered.push({ line: [terminatorAt(s.terminator, at)], holds: !found });
  }
  const protocols: Expr =
    s.protocols.length === 1 ? (s.protocols[0] as string) : anonSet([...s.protocols]);
  const proto = match('==', meta('l4proto'), protocols);
  if (!found) {
    const other = match('!=', meta('l4proto'), protocols);
    return { kind: 'lines', lines: [[]], ordered: [{ line: [other], holds: true }, ...ordered] };
  }
  // The payload reaches byte start + length - 1 (a load past the end breaks the rule): `& 0 == 0`
  // only tests that the byte exists.
  const reaches = match('==', and(raw(s.start + s.needle.length - 1, 1), '0x00'), '0x00');
  return { kind: 'lines', lines: [], ordered, guard: [proto, reaches] };
}

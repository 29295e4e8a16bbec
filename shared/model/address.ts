// Runtime: pure (shared/). IPv4 and IPv6 addresses as bigints and canonical text, so that the
// compiler (nft wants canonical text) and the evaluator (compares numbers) read an address once.
// Invariant: every function here returns an error string instead of throwing.
// NOTE: a prefix with host bits set (`10.1.2.3/8`) is accepted and normalised to its network
// (`10.0.0.0/8`), as nft itself does; the user's text stays unchanged in the rule.

import type { AddressMatch, Result } from './values.ts';

const ok = <T>(value: T): Result<T> => ({ ok: true, value });
const fail = <T>(error: string): Result<T> => ({ ok: false, error });

const V4_BITS = 32n;
const V6_BITS = 128n;
const allOnes = (bits: bigint): bigint => (1n << bits) - 1n;

export interface IpAddress {
  family: 4 | 6;
  value: bigint;
}

/**
 * `192.168.0.1` -> its 32 bits as a number (exact in a double). Leading zeros are read as decimal
 * (never octal). IPv4 work is done in numbers and turned into bigints once: bigint steps cost
 * several times as much, and a large document has tens of thousands of addresses.
 */
function parseIPv4Number(text: string): number | undefined {
  const n = text.length;
  if (n < 7 || n > 15) return undefined;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (++digits > 3) return undefined;
      octet = octet * 10 + (c - 48);
    } else if (c === 46) {
      if (digits === 0 || octet > 255 || ++dots > 3) return undefined;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
    } else return undefined;
  }
  if (dots !== 3 || digits === 0 || octet > 255) return undefined;
  return value * 256 + octet;
}

/** 32 bits as a number -> `192.168.0.1`. */
function formatIPv4Number(value: number): string {
  return `${Math.floor(value / 16777216) % 256}.${Math.floor(value / 65536) % 256}.${Math.floor(value / 256) % 256}.${value % 256}`;
}

/** `192.168.0.1` -> bigint. Leading zeros are read as decimal (never octal). */
export function parseIPv4(text: string): bigint | undefined {
  const value = parseIPv4Number(text);
  return value === undefined ? undefined : BigInt(value);
}

/** RFC 4291 text (with `::` and an embedded IPv4 tail) -> bigint. Zone ids (`%eth0`) are refused. */
export function parseIPv6(text: string): bigint | undefined {
  if (!/^[0-9A-Fa-f:.]+$/.test(text) || text.length > 45) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i] ?? '';
      if (piece.includes('.')) {
        // An IPv4 tail is only allowed as the last piece.
        if (i !== pieces.length - 1) return undefined;
        const v4 = parseIPv4(piece);
        if (v4 === undefined) return undefined;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else {
        if (!/^[0-9A-Fa-f]{1,4}$/.test(piece)) return undefined;
        out.push(parseInt(piece, 16));
      }
    }
    return out;
  };
  const head = groupsOf(halves[0] ?? '');
  const tail = halves.length === 2 ? groupsOf(halves[1] ?? '') : [];
  if (!head || !tail) return undefined;
  let groups: number[];
  if (halves.length === 2) {
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return undefined;
    groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  } else {
    groups = head;
  }
  if (groups.length !== 8) return undefined;
  let value = 0n;
  for (const g of groups) value = (value << 16n) | BigInt(g);
  return value;
}

export function parseIpAddress(text: string): IpAddress | undefined {
  const v4 = parseIPv4(text);
  if (v4 !== undefined) return { family: 4, value: v4 };
  const v6 = parseIPv6(text);
  if (v6 !== undefined) return { family: 6, value: v6 };
  return undefined;
}

export function formatIPv4(value: bigint): string {
  return formatIPv4Number(Number(value & 0xffffffffn));
}

/** RFC 5952 canonical text: lower case, no leading zeros, the longest zero run (>= 2) as `::`. */
export function formatIPv6(value: bigint): string {
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(Number((value >> shift) & 0xffffn));
  // IPv4-mapped addresses read best with the dotted tail (RFC 5952 §5).
  if (value >> 32n === 0xffffn) return `::ffff:${formatIPv4(value & allOnes(V4_BITS))}`;
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLen < 2) return hex.join(':');
  const left = hex.slice(0, bestStart).join(':');
  const right = hex.slice(bestStart + bestLen).join(':');
  return `${left}::${right}`;
}

export const formatIp = (family: 4 | 6, value: bigint): string =>
  family === 4 ? formatIPv4(value) : formatIPv6(value);

/** A dotted netmask (`255.255.255.0`) -> its prefix length, or undefined if not contiguous. */
function netmaskLength(text: string): number | undefined {
  const mask = parseIPv4(text);
  if (mask === undefined) return undefined;
  let len = 0;
  while (len < 32 && ((mask >> BigInt(31 - len)) & 1n) === 1n) len++;
  const expected = len === 0 ? 0n : allOnes(V4_BITS) ^ allOnes(BigInt(32 - len));
  return mask === expected ? len : undefined;
}

/**
 * One address, `a-b` range or `addr/len` prefix (IPv4 also `addr/255.255.0.0`).
 * `label` starts every message: `Source net 10.0.0.300 is not an IPv4 or IPv6 address`.
 */
export function parseAddressMatch(label: string, raw: string): Result<AddressMatch> {
  const text = raw.trim();
  if (text === '') return fail(`${label} is empty (expected an address, a-b range or addr/len)`);
  const v4 = ipv4Match(text);
  if (v4) return ok(v4);
  if (text.includes('/')) {
    const [addrText = '', lenText = '', ...rest] = text.split('/').map((s) => s.trim());
    if (rest.length > 0) return fail(`${label} ${text} has more than one "/"`);
    const addr = parseIpAddress(addrText);
    if (!addr) return fail(`${label} ${addrText} is not an IPv4 or IPv6 address`);
    const bits = addr.family === 4 ? V4_BITS : V6_BITS;
    let len: number | undefined;
    if (/^\d{1,3}$/.test(lenText)) len = Number(lenText);
    else if (addr.family === 4) len = netmaskLength(lenText);
    if (len === undefined || len > Number(bits)) {
      return fail(`${label} prefix length ${lenText} is out of range (0-${bits})`);
    }
    const hostMask = allOnes(bits - BigInt(len));
    const first = addr.value & ~hostMask & allOnes(bits);
    const last = first | hostMask;
    return ok({
      family: addr.family,
      kind: 'prefix',
      address: formatIp(addr.family, first),
      prefixLength: len,
      first,
      last,
    });
  }
  // A range: IPv6 text never contains '-', so the first '-' splits.
  const dash = text.indexOf('-');
  if (dash >= 0) {
    const aText = text.slice(0, dash).trim();
    const bText = text.slice(dash + 1).trim();
    const a = parseIpAddress(aText);
    const b = parseIpAddress(bText);
    if (!a) return fail(`${label} ${aText} is not an IPv4 or IPv6 address`);
    if (!b) return fail(`${label} ${bText} is not an IPv4 or IPv6 address`);
    if (a.family !== b.family) return fail(`${label} range ${text} mixes IPv4 and IPv6`);
    if (a.value > b.value) return fail(`${label} range ${text} ends before it starts`);
    return ok({
      family: a.family,
      kind: 'range',
      address: formatIp(a.family, a.value),
      end: formatIp(b.family, b.value),
      first: a.value,
      last: b.value,
    });
  }
  const addr = parseIpAddress(text);
  if (!addr) return fail(`${label} ${text} is not an IPv4 or IPv6 address`);
  return ok({
    family: addr.family,
    kind: 'single',
    address: formatIp(addr.family, addr.value),
    first: addr.value,
    last: addr.value,
  });
}

/**
 * The common IPv4 forms (`a.b.c.d`, `a.b.c.d/len`, `a.b.c.d-e.f.g.h`) in numbers; undefined for
 * anything else (netmasks, IPv6, errors), which the general path reads and words.
 */
function ipv4Match(text: string): AddressMatch | undefined {
  const slash = text.indexOf('/');
  if (slash >= 0) {
    const value = parseIPv4Number(text.slice(0, slash));
    const lenText = text.slice(slash + 1);
    if (value === undefined || !/^\d{1,3}$/.test(lenText)) return undefined;
    const len = Number(lenText);
    if (len > 32) return undefined;
    const size = 2 ** (32 - len);
    const first = value - (value % size);
    return {
      family: 4,
      kind: 'prefix',
      address: formatIPv4Number(first),
      prefixLength: len,
      first: BigInt(first),
      last: BigInt(first + size - 1),
    };
  }
  const dash = text.indexOf('-');
  if (dash >= 0) {
    const a = parseIPv4Number(text.slice(0, dash));
    const b = parseIPv4Number(text.slice(dash + 1));
    if (a === undefined || b === undefined || a > b) return undefined;
    return {
      family: 4,
      kind: 'range',
      address: formatIPv4Number(a),
      end: formatIPv4Number(b),
      first: BigInt(a),
      last: BigInt(b),
    };
  }
  const value = parseIPv4Number(text);
  if (value === undefined) return undefined;
  const v = BigInt(value);
  return { family: 4, kind: 'single', address: formatIPv4Number(value), first: v, last: v };
}

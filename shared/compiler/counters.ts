// Runtime: pure (shared/). Kernel counters -> per-rule counters.
// Semantics: a rule's counter counts the packets that MATCHED it — its condition was true when it
// was tested (DESIGN §3.4) — whatever happened to the packet afterwards. A rule that appears in both
// the inbound and the outbound program (it has no Direction ancestor) uses the same named counter
// in both, so its count is the sum; a packet to 127.0.0.1 is tested once outbound (output hook)
// and once inbound (input hook) and may count twice. Rules compiled into a verdict map count in
// per-element counters, which this module sums the same way.
// Invariant: never throws on malformed input; unknown entries are ignored.

import { parseIPv4, parseIPv6 } from '../model/address.ts';
import { normalizeName, PROTOCOL_NUMBERS } from '../model/names.ts';
import type { Json } from './nft.ts';

export interface CounterValues {
  packets: number;
  bytes: number;
}

/** The part of RuleObjects that counter reading needs. */
export interface CounterObjects {
  counter?: string;
  elements?: { map: string; first: string; last: string }[];
}

type Obj = { [key: string]: Json };
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);

function scalar(val: Json, family: 4 | 6): bigint | undefined {
  if (typeof val === 'number' && Number.isInteger(val)) return BigInt(val);
  if (typeof val !== 'string') return undefined;
  if (/^\d+$/.test(val)) return BigInt(val);
  const ip = family === 4 ? parseIPv4(val) : parseIPv6(val);
  if (ip !== undefined) return ip;
  const other = family === 4 ? parseIPv6(val) : parseIPv4(val);
  if (other !== undefined) return other;
  const proto = PROTOCOL_NUMBERS.get(normalizeName(val));
  return proto === undefined ? undefined : BigInt(proto);
}

/**
 * Canonical [first, last] (decimal text) of a set element as the compiler writes it or as
 * `nft -j list` prints it: `22`, `{"range":[80,90]}`, `"10.0.0.1"`, `{"prefix":{"addr":..,"len":..}}`,
 * or a protocol name. nft may print a range as a prefix or a one-address prefix as an address;
 * the canonical form is the same either way.
 */
export function elementRange(val: Json, family: 4 | 6): { first: string; last: string } {
  const bad = { first: '?', last: '?' };
  if (isObj(val) && Array.isArray(val.range) && val.range.length === 2) {
    const lo = scalar(val.range[0] as Json, family);
    const hi = scalar(val.range[1] as Json, family);
    return lo === undefined || hi === undefined ? bad : { first: String(lo), last: String(hi) };
  }
  if (isObj(val) && isObj(val.prefix)) {
    const addr = val.prefix.addr;
    const len = val.prefix.len;
    if (typeof addr !== 'string' || typeof len !== 'number') return bad;
    const v6 = addr.includes(':');
    const base = v6 ? parseIPv6(addr) : parseIPv4(addr);
    if (base === undefined) return bad;
    const bits = BigInt(v6 ? 128 : 32);
    const hostBits = bits - BigInt(len);
    const mask = (1n << hostBits) - 1n;
    const first = base & ~mask;
    return { first: String(first), last: String(first | mask) };
  }
  const one = scalar(val, family);
  return one === undefined ? bad : { first: String(one), last: String(one) };
}

interface IndexEntry {
  id: string;
  counter: string | undefined;
  elementKeys: string[];
}
const indexCache = new WeakMap<object, IndexEntry[]>();

/** The objects map flattened once per compile result (objects maps are not mutated). */
function indexOf(objects: Record<string, CounterObjects>): IndexEntry[] {
  let index = indexCache.get(objects);
  if (!index) {
    index = [];
    for (const id in objects) {
      const o = objects[id] as CounterObjects;
      const elementKeys = (o.elements ?? []).map((e) => `${e.map}|${e.first}|${e.last}`);
      index.push({ id, counter: o.counter, elementKeys });
    }
    indexCache.set(objects, index);
  }
  return index;
}

const num = (x: Json | undefined): number => (typeof x === 'number' ? x : 0);

/**
 * Per-rule counters from `nft -j list table inet treewall` (or `nft -j list counters`, which has
 * no map elements: rules that live only in verdict maps are then absent from the result).
 * `listJson` is the parsed output or its text. Rules none of whose objects appear are omitted.
 */
export function readCounters(
  listJson: unknown,
  objects: Record<string, CounterObjects>,
): Record<string, CounterValues> {
  let doc: unknown = listJson;
  if (typeof listJson === 'string') {
    try {
      doc = JSON.parse(listJson);
    } catch {
      return {};
    }
  }
  const entries = isObj(doc) && Array.isArray(doc.nftables) ? doc.nftables : [];
  const named = new Map<string, CounterValues>();
  const elements = new Map<string, CounterValues>();
  for (const entry of entries) {
    if (!isObj(entry)) continue;
    const c = entry.counter;
    if (isObj(c) && typeof c.name === 'string') {
      named.set(c.name, { packets: num(c.packets), bytes: num(c.bytes) });
    }
    const m = entry.map ?? entry.set;
    if (isObj(m) && typeof m.name === 'string' && Array.isArray(m.elem)) {
      const family = m.type === 'ipv6_addr' ? 6 : 4;
      for (const item of m.elem) {
        const e = Array.isArray(item) ? item[0] : item;
        if (!isObj(e) || !isObj(e.elem)) continue;
        const counter = e.elem.counter;
        if (!isObj(counter)) continue;
        const { first, last } = elementRange(e.elem.val as Json, family);
        elements.set(`${m.name}|${first}|${last}`, {
          packets: num(counter.packets),
          bytes: num(counter.bytes),
        });
      }
    }
  }
  const out = Object.create(null) as Record<string, CounterValues>; // ids like `__proto__` are keys
  // Plain loops over a cached index: the helper calls this every second on many rules.
  for (const { id, counter, elementKeys } of indexOf(objects)) {
    let packets = 0;
    let bytes = 0;
    let found = false;
    if (counter !== undefined) {
      const v = named.get(counter);
      if (v) {
        found = true;
        packets += v.packets;
        bytes += v.bytes;
      }
    }
    for (const key of elementKeys) {
      const v = elements.get(key);
      if (v) {
        found = true;
        packets += v.packets;
        bytes += v.bytes;
      }
    }
    if (found) out[id] = { packets, bytes };
  }
  return out;
}

/** Names of the dynamic sets compile() declares: per-Trigger-rule sets and the shared ones. */
const DYNAMIC_SET = /^(t[46]_[A-Za-z0-9_-]+|trig[46]|auth[46]|keep[46]|inv[46])$/;

/**
 * The elements of treewall's dynamic sets in a `nft -j list table inet treewall` listing (parsed
 * or text), by set name, ready for `compile(doc, { keepElements })`: an apply then keeps every
 * triggered, authorized and kept address with its remaining time.
 */
export function dynamicSetElements(listJson: unknown): Record<string, Json[]> {
  let doc: unknown = listJson;
  if (typeof listJson === 'string') {
    try {
      doc = JSON.parse(listJson);
    } catch {
      return {};
    }
  }
  const out = Object.create(null) as Record<string, Json[]>;
  const entries = isObj(doc) && Array.isArray(doc.nftables) ? doc.nftables : [];
  for (const entry of entries) {
    const set = isObj(entry) ? entry.set : undefined;
    if (!isObj(set) || typeof set.name !== 'string' || !DYNAMIC_SET.test(set.name)) continue;
    if (Array.isArray(set.elem) && set.elem.length > 0) out[set.name] = set.elem;
  }
  return out;
}

// Runtime: pure (shared/). The evaluators' types and the dynamic state the kernel keeps between
// packets: address tables (Trigger, Authorize, Keep address), the connection table (`Include ==
// state`), rule match counts (Parent match count, Reset parent) and rate buckets. Shared by the
// reference evaluator (index.ts) and the table-walk oracle (table-walk.ts): both read and write
// the state through these helpers, so they differ only in how they walk the tree.
// Invariant: nothing here mutates an input state; a walk copies what it changes (`openState`).

import type { FirewallDocument, Rule } from '../model/types.ts';
import type { ActionName } from '../model/vocabulary.ts';
import { parseParameter, parseValue } from '../model/values.ts';
import type {
  IncludeTable,
  ParsedParameter,
  ParsedValue,
  RateSpec,
  Result,
} from '../model/values.ts';
import type { Packet } from './packet.ts';

export type Verdict = 'pass' | 'delete' | 'reject' | 'drop connection' | 'delay' | 'route to';

/**
 * The address tables. `Keep address` fills `address`, which `Include == address` and `Include ==
 * kept` both test (one table, as in IPNetSentryX); `kept` stays empty and is kept for old states.
 */
export type AddressTable = IncludeTable;
export const ADDRESS_TABLES: readonly AddressTable[] = [
  'triggered',
  'authorized',
  'address',
  'kept',
  'invalid',
];

/** The table an `Include == x` test looks in (`kept` is another name for `address`). */
export function storageTable(table: AddressTable): AddressTable {
  return table === 'kept' ? 'address' : table;
}

/** An address in a dynamic table (triggered, authorized, kept). */
export interface TableEntry {
  address: string;
  ruleId: string;
  /** Seconds the entry lives after it was last recorded or seen; 'unlimited' never expires. */
  timeout: number | 'unlimited';
  /** Absolute expiry in the state's clock (seconds); null for unlimited. */
  expires: number | null;
  /**
   * How often the host was seen: 1 when recorded, +1 for every `Include` test that finds it; a
   * Reset parent under an Include rule zeroes it. What `Parent match count` under an Include
   * parent compares (per host). Absent in states made before it existed: read as 1.
   */
  count?: number;
}

export interface RateBucket {
  tokens: number;
  /** When tokens were last refilled (seconds). */
  last: number;
}

export interface MatchCount {
  packets: number;
  bytes: number;
}

/** The dynamic state the kernel keeps between packets. Times are seconds on one clock. */
export interface EvaluatorState {
  now: number;
  tables: Record<AddressTable, Readonly<Record<string, TableEntry>>>;
  /** Token buckets of Rate tests and Rate limit actions, keyed `ruleId` or `ruleId|address`. */
  rates: Readonly<Record<string, RateBucket>>;
  /**
   * Flows the connection table tracks (`flowKey`): a flow is added after filtering for the first
   * packet of it that passed, in either direction; `Include == state` then matches every later
   * packet of the flow, both ways (DESIGN §3.7).
   */
  connections?: Readonly<Record<string, true>>;
  /**
   * Each rule's matches since the document was loaded (packets and bytes), counting the packet
   * being judged from the moment its rule matched: what `Parent match count` / `Parent byte count`
   * compare, and what `Reset parent` zeroes.
   */
  counts?: Readonly<Record<string, MatchCount>>;
  /**
   * Timer rules (Idle seconds, Parent match count, ...) whose condition the helper currently
   * holds true, by rule id: its flag in the kernel's set `hf`. For Idle seconds, Parent idle
   * seconds and Parent match rate a packet matches only while the flag is set. For Parent match
   * count and Parent byte count a flag given here (true or false) wins over the per-packet count
   * (the helper's view, with its lag); without one the count decides, as in IPNetSentryX.
   */
  timerFlags?: Readonly<Record<string, boolean>>;
}

export interface EvaluateOptions {
  /** Minutes east of UTC for Time of day and Day of week (the kernel uses the local zone). */
  utcOffsetMinutes?: number;
}

export interface TableChange {
  table: IncludeTable;
  address: string;
  ruleId: string;
  timeout: number | 'unlimited';
}

export const TERMINATING_VERDICTS: Readonly<Partial<Record<ActionName, Verdict>>> = {
  Pass: 'pass',
  Delete: 'delete',
  'Delete no log': 'delete',
  Reject: 'reject',
  'Drop connection': 'drop connection',
  Trigger: 'delete',
  Delay: 'delay',
  'Route to': 'route to',
};

export function createState(now = 0): EvaluatorState {
  return {
    now,
    tables: { triggered: {}, authorized: {}, address: {}, kept: {}, invalid: {} },
    rates: {},
    connections: {},
    counts: {},
  };
}

/** Advance the clock; expired table entries are dropped. */
export function advance(state: EvaluatorState, now: number): EvaluatorState {
  const tables = { ...state.tables };
  for (const name of ADDRESS_TABLES) {
    const kept = Object.entries(tables[name] ?? {}).filter(
      ([, e]) => e.expires === null || e.expires > now,
    );
    tables[name] = Object.fromEntries(kept);
  }
  return { ...state, now, tables };
}

/* Parsing, once per rule object */

const valueCache = new WeakMap<Rule, Result<ParsedValue>>();
const parameterCache = new WeakMap<Rule, Result<ParsedParameter>>();

export function ruleValue(rule: Rule): Result<ParsedValue> {
  let v = valueCache.get(rule);
  if (!v) {
    v = parseValue(rule.property, rule.value);
    valueCache.set(rule, v);
  }
  return v;
}

export function ruleParameter(rule: Rule): Result<ParsedParameter> {
  let v = parameterCache.get(rule);
  if (!v) {
    v = parseParameter(rule.action, rule.parameter);
    parameterCache.set(rule, v);
  }
  return v;
}

/* The working copy of the state during one packet */

/** What a walk reads and writes while judging one packet (both walks use this). */
export interface Scratch {
  doc: FirewallDocument;
  packet: Packet;
  options: EvaluateOptions;
  now: number;
  tables: Record<AddressTable, Record<string, TableEntry>>;
  rates: Record<string, RateBucket>;
  connections: Record<string, true>;
  counts: Record<string, MatchCount>;
  timerFlags: Readonly<Record<string, boolean>>;
  triggered: TableChange[];
  refreshed: TableChange[];
  problems: { ruleId: string; message: string }[];
  /** The table entries `Include` tests found for this packet, by the testing rule's id. */
  includeHits: Map<string, TableEntry>;
}

export function openState(
  doc: FirewallDocument,
  packet: Packet,
  state: EvaluatorState,
  options: EvaluateOptions,
): Scratch {
  const tables = {} as Record<AddressTable, Record<string, TableEntry>>;
  for (const name of ADDRESS_TABLES) tables[name] = { ...(state.tables[name] ?? {}) };
  return {
    doc,
    packet,
    options,
    now: state.now,
    tables,
    rates: { ...state.rates },
    connections: { ...(state.connections ?? {}) },
    counts: { ...(state.counts ?? {}) },
    timerFlags: state.timerFlags ?? {},
    triggered: [],
    refreshed: [],
    problems: [],
    includeHits: new Map(),
  };
}

export function closeState(s: Scratch, state: EvaluatorState): EvaluatorState {
  return {
    now: state.now,
    tables: s.tables,
    rates: s.rates,
    connections: s.connections,
    counts: s.counts,
    ...(state.timerFlags ? { timerFlags: state.timerFlags } : {}),
  };
}

/** A matched rule's counters count the packet (packets and IP bytes). */
export function countMatch(s: Scratch, rule: Rule): void {
  const c = s.counts[rule.id] ?? { packets: 0, bytes: 0 };
  s.counts[rule.id] = { packets: c.packets + 1, bytes: c.bytes + s.packet.length };
}

/* Address tables */

/** Every table holds source addresses (Trigger, Authorize, Keep address record the source). */
export const tableKey = (p: Packet): string => p.src;

/**
 * `Include == table`: is the packet's source in it? A hit refreshes the entry's expiry (now + the
 * duration it was recorded with) and counts the host, whatever the relation asked.
 */
export function includeLookup(s: Scratch, rule: Rule, table: AddressTable): boolean {
  const store = storageTable(table);
  const key = tableKey(s.packet);
  const entry = s.tables[store][key];
  const present = entry !== undefined && (entry.expires === null || entry.expires > s.now);
  if (present) {
    const refreshed: TableEntry = {
      ...entry,
      expires: entry.timeout === 'unlimited' ? null : s.now + entry.timeout,
      count: (entry.count ?? 1) + 1,
    };
    s.tables[store][key] = refreshed;
    s.includeHits.set(rule.id, refreshed);
    s.refreshed.push({ table: store, address: key, ruleId: rule.id, timeout: entry.timeout });
  }
  return present;
}

function tableTimeout(s: Scratch, rule: Rule): number | 'unlimited' | undefined {
  const parameter = ruleParameter(rule);
  if (!parameter.ok) {
    s.problems.push({ ruleId: rule.id, message: parameter.error });
    return undefined;
  }
  if (parameter.value.kind === 'duration') return parameter.value.seconds;
  const fallback = s.doc.settings.defaultTriggerDuration;
  return fallback > 0 ? fallback : 'unlimited';
}

/** Trigger / Authorize / Keep address: record the packet's source address. */
export function recordAddress(s: Scratch, table: AddressTable, rule: Rule): void {
  const timeout = tableTimeout(s, rule);
  if (timeout === undefined) return;
  const store = storageTable(table);
  const address = tableKey(s.packet);
  const old = s.tables[store][address];
  const alive = old !== undefined && (old.expires === null || old.expires > s.now);
  s.tables[store][address] = {
    address,
    ruleId: rule.id,
    timeout,
    expires: timeout === 'unlimited' ? null : s.now + timeout,
    // Recording a host already there keeps its count; a new entry starts at 1.
    count: alive ? (old.count ?? 1) : 1,
  };
  s.triggered.push({ table: store, address, ruleId: rule.id, timeout });
}

/* Connections (`Include == state`) */

const ECHO_PAIRS: Readonly<Record<number, string>> = {
  8: 'echo',
  0: 'echo',
  128: 'echo6',
  129: 'echo6',
};

/**
 * One key for both directions of a flow: protocol and the two endpoints in a fixed order (TCP,
 * UDP, SCTP with ports; ICMP echo request and reply are one flow; any other ICMP message is a flow
 * of its own type and code; other protocols by addresses).
 */
export function flowKey(p: Packet): string {
  let a = p.src;
  let b = p.dst;
  let extra = '';
  if (p.srcPort !== undefined && p.dstPort !== undefined) {
    a = `${p.src}|${p.srcPort}`;
    b = `${p.dst}|${p.dstPort}`;
  } else if (p.icmpType !== undefined) {
    extra = ECHO_PAIRS[p.icmpType] ?? `${p.icmpType}/${p.icmpCode ?? 0}`;
  }
  const [x, y] = a < b ? [a, b] : [b, a];
  return `${p.protocol} ${x} ${y} ${extra}`;
}

/** `Include == state`: the connection table already tracks this packet's flow. */
export const tracked = (s: Scratch): boolean => s.connections[flowKey(s.packet)] === true;

/* Rates */

/** nft-like token bucket: a packet within the rate takes its tokens; one over it takes none. */
export function takeTokens(s: Scratch, key: string, rate: RateSpec, cost: number): boolean {
  const perSecond = rate.amount / rate.perSeconds;
  const capacity = rate.amount;
  const bucket = s.rates[key] ?? { tokens: capacity, last: s.now };
  const tokens = Math.min(capacity, bucket.tokens + (s.now - bucket.last) * perSecond);
  const within = tokens >= cost;
  s.rates[key] = { tokens: within ? tokens - cost : tokens, last: s.now };
  return within;
}

/** Whether the kernel lets the packet through (Delay and Route to deliver it, later or elsewhere). */
export const delivers = (verdict: Verdict): boolean =>
  verdict === 'pass' || verdict === 'delay' || verdict === 'route to';

// Runtime: pure (shared/). The reference evaluator: a packet and a rule tree -> the verdict and the
// path taken, exactly as DESIGN §3 says. It is the oracle the kernel is tested against, and what
// the simulator shows. Invariant: evaluate() never mutates its inputs; the same document, packet
// and state always give the same result (the next state is returned, not written).

import type { FirewallDocument, Rule } from '../model/types.ts';
import type { ActionName, PropertyName } from '../model/vocabulary.ts';
import { parseParameter, parseValue } from '../model/values.ts';
import type {
  IncludeTable,
  ParsedParameter,
  ParsedValue,
  RateSpec,
  Result,
} from '../model/values.ts';
import { parseIpAddress } from '../model/address.ts';
import type { Packet } from './packet.ts';
import { HELPER_ACTIONS, LOGGED_ACTIONS } from '../model/vocabulary-table.ts';

const hasTcpUdpPorts = (p: Packet): boolean => p.protocol === 6 || p.protocol === 17;

export * from './packet.ts';

/* Types */

export type Verdict = 'pass' | 'delete' | 'reject' | 'drop connection' | 'delay' | 'route to';

/** An address in a dynamic table (triggered, authorized, kept). */
export interface TableEntry {
  address: string;
  ruleId: string;
  /** Seconds the entry lives after it was last recorded or seen; 'unlimited' never expires. */
  timeout: number | 'unlimited';
  /** Absolute expiry in the state's clock (seconds); null for unlimited. */
  expires: number | null;
}

export interface RateBucket {
  tokens: number;
  /** When tokens were last refilled (seconds). */
  last: number;
}

/** The dynamic state the kernel keeps between packets. Times are seconds on one clock. */
export interface EvaluatorState {
  now: number;
  tables: Record<IncludeTable, Readonly<Record<string, TableEntry>>>;
  /** Token buckets of Rate tests and Rate limit actions, keyed `ruleId` or `ruleId|address`. */
  rates: Readonly<Record<string, RateBucket>>;
  /**
   * Timer rules (Idle seconds, Parent match count, ...) whose condition the helper currently
   * holds true, by rule id: its flag in the kernel's set `hf`. Absent or false: the rule does not
   * match a packet. The helper's timers set and clear these; a packet never does.
   */
  timerFlags?: Readonly<Record<string, boolean>>;
}

export interface EvaluateOptions {
  /** Minutes east of UTC for Time of day and Day of week (the kernel uses the local zone). */
  utcOffsetMinutes?: number;
}

export interface ActionRun {
  ruleId: string;
  action: ActionName;
}

export interface TableChange {
  table: IncludeTable;
  address: string;
  ruleId: string;
  timeout: number | 'unlimited';
}

export interface Evaluation {
  verdict: Verdict;
  /** The rule whose action decided; absent when the default policy did. */
  verdictRuleId?: string;
  /** The action that decided (Trigger and Delete no log give verdict 'delete'). */
  verdictAction?: ActionName;
  /** Enabled rules whose condition was tested, in order. */
  tested: string[];
  /** Rules whose condition was true, in order: exactly the counters that count this packet. */
  matched: string[];
  /** Actions that ran: non-terminating ones when their rule matched, then the deciding one. */
  actions: ActionRun[];
  /** At least one NFLOG event is emitted for this packet (DESIGN §3.7). */
  logged: boolean;
  /** The rule id the verdict's log line carries, or else the last Log rule's. */
  logRuleId?: string;
  /**
   * Every NFLOG event in order, by rule id: Log (and the helper's event actions: Alert, Notify,
   * Email, URL, Webhook, Script, Reset parent) log when their rule matches; a logged verdict logs
   * when it decides.
   */
  logEvents: string[];
  stateChanges: {
    /** Addresses recorded by Trigger / Authorize / Keep address. */
    triggered: TableChange[];
    /** Entries whose expiry an `Include == ...` test pushed back. */
    refreshed: TableChange[];
  };
  /** The state after this packet. */
  state: EvaluatorState;
  /** Rules that could not be evaluated (a value or parameter that does not parse); never matched. */
  problems: { ruleId: string; message: string }[];
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

/** Actions the helper performs on an NFLOG event sent when their rule matches. */
const EVENT_ACTIONS: ReadonlySet<ActionName> = new Set<ActionName>(['Log', ...HELPER_ACTIONS]);
/**
 * Properties the helper evaluates on a timer from counters: a packet matches them only while the
 * helper holds the rule's flag (`state.timerFlags`).
 */
export const TIMER_PROPERTIES: ReadonlySet<PropertyName> = new Set([
  'Idle seconds',
  'Parent idle seconds',
  'Parent match count',
  'Parent match rate',
  'Parent byte count',
]);

export function createState(now = 0): EvaluatorState {
  return {
    now,
    tables: { triggered: {}, authorized: {}, address: {}, kept: {}, invalid: {} },
    rates: {},
  };
}

/** Advance the clock; expired table entries are dropped. */
export function advance(state: EvaluatorState, now: number): EvaluatorState {
  const tables = { ...state.tables };
  for (const name of Object.keys(tables) as IncludeTable[]) {
    const kept = Object.entries(tables[name]).filter(
      ([, e]) => e.expires === null || e.expires > now,
    );
    tables[name] = Object.fromEntries(kept);
  }
  return { ...state, now, tables };
}

/* Parsing, once per rule object */

const valueCache = new WeakMap<Rule, Result<ParsedValue>>();
const parameterCache = new WeakMap<Rule, Result<ParsedParameter>>();

function ruleValue(rule: Rule): Result<ParsedValue> {
  let v = valueCache.get(rule);
  if (!v) {
    v = parseValue(rule.property, rule.value);
    valueCache.set(rule, v);
  }
  return v;
}

function ruleParameter(rule: Rule): Result<ParsedParameter> {
  let v = parameterCache.get(rule);
  if (!v) {
    v = parseParameter(rule.action, rule.parameter);
    parameterCache.set(rule, v);
  }
  return v;
}

/* Matching */

type Outcome =
  | { kind: 'none' }
  | { kind: 'verdict'; verdict: Verdict; ruleId: string; action: ActionName }
  | { kind: 'exitGroup'; ruleId: string };

interface Walk {
  doc: FirewallDocument;
  packet: Packet;
  options: EvaluateOptions;
  now: number;
  tables: Record<IncludeTable, Record<string, TableEntry>>;
  rates: Record<string, RateBucket>;
  timerFlags: Readonly<Record<string, boolean>>;
  tested: string[];
  matched: string[];
  actions: ActionRun[];
  /** A Dont log matched on the way: logged verdicts stay silent. */
  dontLog: boolean;
  logEvents: string[];
  lastLogRuleId?: string;
  triggered: TableChange[];
  refreshed: TableChange[];
  problems: { ruleId: string; message: string }[];
}

/** `==` and `a=A` mean inside, `!=` outside, `>=` at or above the low end, `<=` at or below the high end. */
function compareRange(
  relation: Rule['relation'],
  x: number | bigint,
  min: number | bigint,
  max: number | bigint,
): boolean {
  switch (relation) {
    case '==':
    case 'a=A':
      return x >= min && x <= max;
    case '!=':
      return x < min || x > max;
    case '>=':
      return x >= min;
    case '<=':
      return x <= max;
  }
}

/** A numeric field against a range value; an absent field never matches. (A top-level function:
 * a closure made per test costs more than the test on big trees.) */
function inRange(rule: Rule, v: ParsedValue, x: number | undefined): boolean {
  return (
    x !== undefined &&
    v.kind === 'range' &&
    compareRange(rule.relation, x, v.range.min, v.range.max)
  );
}

/** Interface names: exact, or a trailing `*` for a prefix (as nft's `iifname "wg*"`). */
function interfaceMatches(pattern: string, name: string): boolean {
  return pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : pattern === name;
}

function contains(haystack: Uint8Array, needle: Uint8Array, caseless: boolean): boolean {
  const fold = (b: number) => (caseless && b >= 0x41 && b <= 0x5a ? b + 32 : b);
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) {
      if (fold(haystack[i + j]!) !== fold(needle[j]!)) continue outer;
    }
    return true;
  }
  return needle.length === 0;
}

/** Every table holds source addresses: Trigger records the source (DESIGN §3.8), and so do
 * Authorize and Keep address, which makes `Include` one lookup of the source whatever the table. */
function tableKey(_table: IncludeTable, p: Packet): string {
  return p.src;
}

/** nft-like token bucket: a packet within the rate takes its tokens; one over it takes none. */
function takeTokens(w: Walk, key: string, rate: RateSpec, cost: number): boolean {
  const perSecond = rate.amount / rate.perSeconds;
  const capacity = rate.amount;
  const bucket = w.rates[key] ?? { tokens: capacity, last: w.now };
  const tokens = Math.min(capacity, bucket.tokens + (w.now - bucket.last) * perSecond);
  const within = tokens >= cost;
  w.rates[key] = { tokens: within ? tokens - cost : tokens, last: w.now };
  return within;
}

function isEqualityRelation(relation: Rule['relation']): boolean {
  return relation === '==' || relation === 'a=A' || relation === '>=' || relation === '<=';
}

/** The rule's condition for this packet. A test of a field the packet lacks is false. */
function condition(w: Walk, rule: Rule): boolean {
  const p = w.packet;
  if (TIMER_PROPERTIES.has(rule.property)) return w.timerFlags[rule.id] === true;
  if (rule.property === 'Any') return rule.relation !== '!=';
  if (rule.property === 'None') return rule.relation === '!=';
  const parsed = ruleValue(rule);
  if (!parsed.ok) {
    w.problems.push({ ruleId: rule.id, message: parsed.error });
    return false;
  }
  const v = parsed.value;
  const eq = isEqualityRelation(rule.relation);
  switch (rule.property) {
    case 'Direction':
      return v.kind === 'direction' && (p.direction === v.direction) === eq;
    case 'Interface': {
      const name = p.direction === 'inbound' ? p.inInterface : p.outInterface;
      if (name === undefined) return false;
      let hit: boolean;
      if (v.kind === 'interface') hit = interfaceMatches(v.name, name);
      else if (v.kind === 'interfaceAttribute') {
        const list =
          v.attribute === 'external'
            ? w.doc.settings.externalInterfaces
            : w.doc.settings.internalInterfaces;
        hit = list.some((pattern) => interfaceMatches(pattern, name));
      } else return false;
      return hit === eq;
    }
    case 'Include': {
      if (v.kind !== 'include') return false;
      if (v.table === 'invalid') throw notImplemented(rule, 'Include == invalid');
      const key = tableKey(v.table, p);
      const entry = w.tables[v.table][key];
      const present = entry !== undefined && (entry.expires === null || entry.expires > w.now);
      if (present && entry) {
        // DESIGN §3.8: seeing the host again pushes its expiry back (a prober stays banned),
        // whichever relation asked.
        const refreshed: TableEntry = {
          ...entry,
          expires: entry.timeout === 'unlimited' ? null : w.now + entry.timeout,
        };
        w.tables[v.table][key] = refreshed;
        w.refreshed.push({ table: v.table, address: key, ruleId: rule.id, timeout: entry.timeout });
      }
      return present === eq;
    }
    case 'Source MAC Address':
    case 'Dest MAC Address': {
      const mac = rule.property === 'Source MAC Address' ? p.srcMac : p.dstMac;
      if (mac === undefined || v.kind !== 'mac') return false;
      return (mac === v.mac) === eq;
    }
    case 'Source net':
    case 'Dest net': {
      if (v.kind !== 'address') return false;
      // A packet of the other family is outside the range: only `!=` holds for it.
      if (v.match.family !== p.ipVersion) return rule.relation === '!=';
      const ip = parseIpAddress(rule.property === 'Source net' ? p.src : p.dst);
      if (!ip) return false;
      return compareRange(rule.relation, ip.value, v.match.first, v.match.last);
    }
    case 'Protocol':
      return v.kind === 'protocol' && compareRange(rule.relation, p.protocol, v.number, v.number);
    case 'Fragment offset':
      return p.ipVersion === 4 && inRange(rule, v, p.fragmentOffset);
    case 'IP options': {
      if (p.ipVersion !== 4 || v.kind !== 'ipOptions') return false;
      const any = v.options.some((o) => p.ipOptions.includes(o));
      return any === eq;
    }
    // ICMP for IPv4: ICMPv6 numbers mean other things and are not mapped.
    case 'ICMP type':
      return p.ipVersion === 4 && p.protocol === 1 && inRange(rule, v, p.icmpType);
    case 'ICMP code':
      return p.ipVersion === 4 && p.protocol === 1 && inRange(rule, v, p.icmpCode);
    case 'TCP header flags': {
      if (p.protocol !== 6 || v.kind !== 'tcpFlags') return false;
      const flags = p.tcpFlags ?? [];
      const hit = v.on.every((f) => flags.includes(f)) && v.off.every((f) => !flags.includes(f));
      return hit === eq;
    }
    case 'TCP options': {
      if (p.protocol !== 6 || v.kind !== 'tcpOptions') return false;
      // `==`: every listed option is present; `!=`: at least one is missing.
      const all = v.options.every((o) => (p.tcpOptions ?? []).includes(o));
      return all === eq;
    }
    // Ports are TCP's and UDP's (the kernel test is `meta l4proto { tcp, udp }`).
    case 'Source port':
      return hasTcpUdpPorts(p) && inRange(rule, v, p.srcPort);
    case 'Dest port':
      return hasTcpUdpPorts(p) && inRange(rule, v, p.dstPort);
    case 'Data content':
    case 'URL keyword': {
      if (v.kind !== 'content') return false;
      const caseless = rule.relation === 'a=A' || rule.property === 'URL keyword';
      const hit = contains(p.payload ?? new Uint8Array(0), v.bytes, caseless);
      return hit === (rule.relation !== '!=');
    }
    case 'Time of day': {
      if (v.kind !== 'timeOfDay') return false;
      const t = p.time ?? w.now;
      const minute = Math.floor(
        (((t / 60 + (w.options.utcOffsetMinutes ?? 0)) % 1440) + 1440) % 1440,
      );
      const hit =
        v.fromMinute <= v.toMinute
          ? minute >= v.fromMinute && minute <= v.toMinute
          : minute >= v.fromMinute || minute <= v.toMinute;
      return hit === eq;
    }
    case 'Day of week': {
      if (v.kind !== 'dayOfWeek') return false;
      const t = p.time ?? w.now;
      const localDays = Math.floor((t / 60 + (w.options.utcOffsetMinutes ?? 0)) / 1440);
      // 1970-01-01 was a Thursday (4).
      const day = (((localDays + 4) % 7) + 7) % 7;
      return v.days.includes(day) === eq;
    }
    case 'Date and time': {
      // "The rule applies until then": `==`/`<=` before the moment, `>=` from it, `!=` after it.
      if (v.kind !== 'dateTime') return false;
      const t = p.time ?? w.now;
      if (rule.relation === '>=') return t >= v.epochSeconds;
      if (rule.relation === '!=') return t >= v.epochSeconds;
      return t < v.epochSeconds;
    }
    case 'Connection state':
      return (
        p.ctState !== undefined &&
        v.kind === 'connectionState' &&
        v.states.includes(p.ctState) === eq
      );
    case 'Owner UID':
      return p.direction === 'outbound' && inRange(rule, v, p.uid);
    case 'Owner GID':
      return p.direction === 'outbound' && inRange(rule, v, p.gid);
    case 'IP version':
      return v.kind === 'ipVersion' && (p.ipVersion === v.version) === eq;
    case 'Packet length':
      return inRange(rule, v, p.length);
    case 'TTL':
      return inRange(rule, v, p.ttl);
    case 'DSCP':
      return inRange(rule, v, p.dscp);
    case 'Rate': {
      // Over the rate matches `==`/`>=`; within it matches `<=`/`!=` (nft `limit rate [over]`).
      if (v.kind !== 'rate') return false;
      const key = v.rate.perSource ? `${rule.id}|${p.src}` : rule.id;
      const within = takeTokens(w, key, v.rate, v.rate.unit === 'bytes' ? p.length : 1);
      return rule.relation === '<=' || rule.relation === '!=' ? within : !within;
    }
    default:
      return false;
  }
}

/* The walk (DESIGN §3) */

function tableTimeout(w: Walk, rule: Rule): number | 'unlimited' | undefined {
  const parameter = ruleParameter(rule);
  if (!parameter.ok) {
    w.problems.push({ ruleId: rule.id, message: parameter.error });
    return undefined;
  }
  if (parameter.value.kind === 'duration') return parameter.value.seconds;
  const fallback = w.doc.settings.defaultTriggerDuration;
  return fallback > 0 ? fallback : 'unlimited';
}

function record(w: Walk, table: IncludeTable, rule: Rule): void {
  const timeout = tableTimeout(w, rule);
  if (timeout === undefined) return;
  const address = tableKey(table, w.packet);
  w.tables[table][address] = {
    address,
    ruleId: rule.id,
    timeout,
    expires: timeout === 'unlimited' ? null : w.now + timeout,
  };
  w.triggered.push({ table, address, ruleId: rule.id, timeout });
}

/** A construct the vocabulary has but this evaluator does not implement yet. */
export class NotImplementedError extends Error {}
const notImplemented = (rule: Rule, what: string): NotImplementedError =>
  new NotImplementedError(
    `evaluator: ${what} (rule ${rule.id}) is not implemented yet in the reference evaluator`,
  );

/** Non-terminating actions run at once when their rule matches (DESIGN §3.4). */
function runAtOnce(w: Walk, rule: Rule): void {
  // A timer rule's helper action runs from the helper's timer, not once per packet.
  const byTimer = TIMER_PROPERTIES.has(rule.property) && rule.action !== 'Log';
  if (EVENT_ACTIONS.has(rule.action) && !byTimer) {
    w.logEvents.push(rule.id);
    if (rule.action === 'Log') w.lastLogRuleId = rule.id;
  }
  switch (rule.action) {
    case '->':
    case 'Group':
      return;
    case '++':
    case 'Keep invalid':
      throw notImplemented(rule, rule.action);
    case 'Dont log':
      w.dontLog = true;
      break;
    case 'Authorize':
      record(w, 'authorized', rule);
      break;
    case 'Keep address':
      record(w, 'kept', rule);
      break;
    default:
      if (rule.action in TERMINATING_VERDICTS) return;
      if (
        rule.action === 'Exit group' ||
        rule.action === 'Rate limit in' ||
        rule.action === 'Rate limit out'
      )
        return;
  }
  w.actions.push({ ruleId: rule.id, action: rule.action });
}

/** The rule's own terminating step after its children gave no verdict. */
function ownOutcome(w: Walk, rule: Rule): Outcome {
  const verdict = TERMINATING_VERDICTS[rule.action];
  if (verdict !== undefined) {
    if (LOGGED_ACTIONS.has(rule.action) && !w.dontLog) w.logEvents.push(rule.id);
    if (rule.action === 'Trigger') record(w, 'triggered', rule);
    w.actions.push({ ruleId: rule.id, action: rule.action });
    return { kind: 'verdict', verdict, ruleId: rule.id, action: rule.action };
  }
  if (rule.action === 'Exit group') {
    w.actions.push({ ruleId: rule.id, action: rule.action });
    return { kind: 'exitGroup', ruleId: rule.id };
  }
  if (rule.action === 'Rate limit in' || rule.action === 'Rate limit out') {
    // Applies to its direction only; traffic over the rate is deleted, the rest goes on.
    const wanted = rule.action === 'Rate limit in' ? 'inbound' : 'outbound';
    const parameter = ruleParameter(rule);
    if (w.packet.direction !== wanted || !parameter.ok || parameter.value.kind !== 'rate')
      return { kind: 'none' };
    const rate = parameter.value.rate;
    const key = rate.perSource ? `${rule.id}|${w.packet.src}` : rule.id;
    if (takeTokens(w, key, rate, rate.unit === 'bytes' ? w.packet.length : 1))
      return { kind: 'none' };
    w.actions.push({ ruleId: rule.id, action: rule.action });
    return { kind: 'verdict', verdict: 'delete', ruleId: rule.id, action: rule.action };
  }
  return { kind: 'none' };
}

function walkList(w: Walk, rules: readonly Rule[]): Outcome {
  for (const rule of rules) {
    if (!rule.enabled) continue; // §3.2: skipped with its whole subtree
    w.tested.push(rule.id);
    if (!condition(w, rule)) continue; // §3.3
    w.matched.push(rule.id); // §3.4: its counters count the packet
    runAtOnce(w, rule);
    const children = walkList(w, rule.children);
    if (children.kind === 'verdict') return children; // §3.5
    if (children.kind === 'exitGroup') {
      // §3.10: the nearest Group ends; testing goes on after its subtree with no verdict.
      if (rule.action === 'Group') continue;
      return children;
    }
    const own = ownOutcome(w, rule);
    if (own.kind !== 'none') return own;
  }
  return { kind: 'none' };
}

/**
 * Judge one packet. `state.now` is the packet's time on the table clock (seconds); callers move
 * it with `advance()` or by passing a state with a later `now`.
 */
export function evaluate(
  doc: FirewallDocument,
  packet: Packet,
  state: EvaluatorState = createState(),
  options: EvaluateOptions = {},
): Evaluation {
  const w: Walk = {
    doc,
    packet,
    options,
    now: state.now,
    tables: {
      triggered: { ...state.tables.triggered },
      authorized: { ...state.tables.authorized },
      address: { ...state.tables.address },
      kept: { ...state.tables.kept },
      invalid: { ...state.tables.invalid },
    },
    rates: { ...state.rates },
    timerFlags: state.timerFlags ?? {},
    tested: [],
    matched: [],
    actions: [],
    dontLog: false,
    logEvents: [],
    triggered: [],
    refreshed: [],
    problems: [],
  };
  // An Exit group with no Group above it ends the top level: §3.6 decides.
  const outcome = walkList(w, doc.rules);
  const verdict: Verdict =
    outcome.kind === 'verdict'
      ? outcome.verdict
      : doc.settings.defaultPolicy === 'delete'
        ? 'delete'
        : 'pass';
  const decidedBy = outcome.kind === 'verdict' ? outcome : undefined;
  // The default policy is the base chains' policy: it decides without a rule, so nothing logs it.
  const logged = w.logEvents.length > 0;
  const result: Evaluation = {
    verdict,
    tested: w.tested,
    matched: w.matched,
    actions: w.actions,
    logged,
    logEvents: w.logEvents,
    stateChanges: { triggered: w.triggered, refreshed: w.refreshed },
    state: {
      now: state.now,
      tables: w.tables,
      rates: w.rates,
      ...(state.timerFlags ? { timerFlags: state.timerFlags } : {}),
    },
    problems: w.problems,
  };
  if (decidedBy) {
    result.verdictRuleId = decidedBy.ruleId;
    result.verdictAction = decidedBy.action;
  }
  if (logged) {
    const verdictLogged =
      decidedBy !== undefined &&
      w.logEvents.includes(decidedBy.ruleId) &&
      LOGGED_ACTIONS.has(decidedBy.action);
    const logRuleId = verdictLogged
      ? decidedBy.ruleId
      : (w.lastLogRuleId ?? w.logEvents[w.logEvents.length - 1]);
    if (logRuleId !== undefined) result.logRuleId = logRuleId;
  }
  return result;
}

/** Whether the kernel lets the packet through (Delay and Route to deliver it, later or elsewhere). */
export const delivers = (verdict: Verdict): boolean =>
  verdict === 'pass' || verdict === 'delay' || verdict === 'route to';

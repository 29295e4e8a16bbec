// Runtime: pure (shared/), a TEST ORACLE. A second evaluator of DESIGN §3, shaped like
// IPNetSentryX's kernel filter rather than like the reference evaluator (index.ts): the tree is
// flattened in outline order, each entry knowing its parent and the size of its subtree; one
// index walks the table (a rule that does not match is skipped by adding its subtree size; Exit
// group jumps past its Group's subtree; `++` adds the next entry's size); a terminating rule sets
// a "verdict already fixed" flag and walks its own subtree's index range for side effects; and a
// rule's test is one signed comparison (negative = low, 0 = equal/inside, positive = high; an
// absent header is -1) read through the relation at the end. Written from the facts in
// shared/reference/ipnetsentryx-semantics.md, not from the reference evaluator's walk: it shares
// only the state helpers (state.ts) and the conditions of properties §3 does not change
// (`SHARED_CONDITIONS`). The differential test runs kernel, evaluator and this three ways.
// Invariant: never mutates its inputs; the same inputs give the same result.

import { parseIpAddress } from '../model/address.ts';
import type { FirewallDocument, Rule } from '../model/types.ts';
import type { ActionName } from '../model/vocabulary.ts';
import { LOGGED_ACTIONS } from '../model/vocabulary-table.ts';
import { rateLimitShapes } from '../model/rate-limit.ts';
import { condition, parentCount, SHARED_CONDITIONS } from './conditions.ts';
import type { Packet } from './packet.ts';
import {
  closeState,
  countMatch,
  createState,
  flowKey,
  includeLookup,
  openState,
  recordAddress,
  ruleParameter,
  ruleValue,
  takeTokens,
  type EvaluateOptions,
  type EvaluatorState,
  type Scratch,
  type Verdict,
} from './state.ts';

/** One table entry: a rule in outline order. */
interface Entry {
  rule: Rule;
  /** Index of the parent entry, -1 at the top level. */
  parent: number;
  /** 1 + the number of entries below it. */
  nodeCount: number;
}

/** The tree in outline order with subtree sizes (IPNetSentryX's download format). */
export function flattenTable(rules: readonly Rule[]): Entry[] {
  const table: Entry[] = [];
  const add = (list: readonly Rule[], parent: number): void => {
    for (const rule of list) {
      const index = table.length;
      const entry: Entry = { rule, parent, nodeCount: 1 };
      table.push(entry);
      add(rule.children, index);
      entry.nodeCount = table.length - index;
    }
  };
  add(rules, -1);
  return table;
}

export interface TableWalkResult {
  verdict: Verdict;
  verdictRuleId?: string;
  verdictAction?: ActionName;
  /** Rules whose test held, in order (a rule counted twice for a routed packet appears twice). */
  matched: string[];
  logEvents: string[];
  state: EvaluatorState;
}

/** The verdict each terminating action gives. */
const VERDICT_OF: Readonly<Partial<Record<ActionName, Verdict>>> = {
  Pass: 'pass',
  Delete: 'delete',
  'Delete no log': 'delete',
  Trigger: 'delete',
  Reject: 'reject',
  'Drop connection': 'drop connection',
  Delay: 'delay',
  'Route to': 'route to',
};

const SENDS_EVENT: ReadonlySet<ActionName> = new Set<ActionName>([
  'Log',
  'Alert',
  'Email',
  'URL',
  'Notify',
  'Webhook',
  'Script',
  'Reset parent',
]);
const ALREADY_REPORTED: ReadonlySet<ActionName> = new Set<ActionName>([
  'Alert',
  'Email',
  'URL',
  'Notify',
  'Webhook',
  'Script',
]);

/** Match a signed comparison against a relation; NaN (incomparable) satisfies only `!=`. */
function holds(relation: Rule['relation'], c: number): boolean {
  if (relation === '!=') return c !== 0;
  if (relation === '>=') return c >= 0;
  if (relation === '<=') return c <= 0;
  return c === 0; // == and a=A
}

/** Where x falls against [min, max]: below (negative), inside (0), above (positive). */
function against(x: number | bigint, min: number | bigint, max: number | bigint): number {
  if (x < min) return -1;
  if (x > max) return 1;
  return 0;
}

const LOW = -1;

/**
 * The original's KFT_matchContent read as treewall compiles it (docs/vocabulary.md): the search
 * area is the window [offset, offset+length) of the TCP/UDP payload (URL keyword: TCP, [3, 67),
 * terminator CR, any case), cut at the payload's end; the scan for a first byte stops at the
 * first terminator byte; a candidate must match whole inside the area (a match cut by the area's
 * end is the original's partial match: no match). 0 found, -1 not found or no payload.
 */
function matchContent(
  p: Packet,
  rule: Rule,
  v: {
    bytes: Uint8Array;
    window?: { offset: number; length?: number; relative?: '+' | '-'; delimiter?: number };
  },
): number {
  const url = rule.property === 'URL keyword';
  const segment = url ? p.protocol === 6 : p.protocol === 6 || p.protocol === 17;
  if (!segment || p.fragmentOffset !== 0 || (!url && v.window?.relative)) return LOW;
  const data = p.payload ?? new Uint8Array(0);
  const searchStart = url ? 3 : (v.window?.offset ?? 0);
  const searchEnd = Math.min(data.length, searchStart + (url ? 64 : (v.window?.length ?? 64)));
  const delimiter = url ? 13 : (v.window?.delimiter ?? -1);
  const ignoreCase = url || rule.relation === 'a=A';
  const lower = (b: number): number => (ignoreCase && b >= 65 && b <= 90 ? b | 0x20 : b);
  const string = v.bytes;
  let pos = searchStart;
  while (pos < searchEnd) {
    // findByte: the next candidate for the first byte, stopping at the delimiter
    while (pos < searchEnd && lower(data[pos]!) !== lower(string[0]!)) {
      if (data[pos] === delimiter) return LOW;
      pos++;
    }
    if (pos >= searchEnd) return LOW;
    if (pos + string.length > searchEnd) return LOW; // partial: cut by the area's end
    let n = 1;
    while (n < string.length && lower(data[pos + n]!) === lower(string[n]!)) n++;
    if (n === string.length) return 0;
    if (data[pos] === delimiter) return LOW;
    pos++;
  }
  return LOW;
}

class TableWalk {
  readonly table: Entry[];
  readonly matched: string[] = [];
  readonly logEvents: string[] = [];
  /** The verdict already fixed (leafAction in the original). */
  fixed: { verdict: Verdict; ruleId: string; action: ActionName } | undefined;
  dontLog = false;

  constructor(
    table: Entry[],
    readonly s: Scratch,
  ) {
    this.table = table;
  }

  /**
   * The arrival translation, before the walk: the first Port forward entry (outline order) whose
   * own test and every ancestor's hold, and whose target fits the packet (family; a port needs
   * TCP or UDP). Returns its index, or -1.
   */
  arrival(): number {
    const p = this.s.packet;
    if (p.direction !== 'inbound') return -1;
    for (let i = 0; i < this.table.length; i++) {
      const e = this.table[i]!;
      if (e.rule.action !== 'Port forward') continue;
      const param = ruleParameter(e.rule);
      if (!param.ok || param.value.kind !== 'forward') continue;
      const t = param.value;
      if (t.family !== undefined && t.family !== p.ipVersion) continue;
      if (t.port !== undefined && p.protocol !== 6 && p.protocol !== 17) continue;
      let ok = true;
      for (let k = i; k >= 0 && ok; k = this.table[k]!.parent) {
        const a = this.table[k]!;
        ok = a.rule.enabled && this.test(a);
      }
      if (ok) return i;
    }
    return -1;
  }

  /** The main loop: one index from the first entry to the end. */
  run(): void {
    let i = 0;
    while (i < this.table.length) i = this.matchAt(i);
  }

  /** Test entry i; return the next index to test. */
  matchAt(i: number): number {
    const e = this.table[i]!;
    if (!e.rule.enabled) return i + e.nodeCount;
    // Port forward is no walk rule: it translated on arrival, before the walk (see arrival()).
    if (e.rule.action === 'Port forward') return i + e.nodeCount;
    if (!this.test(e)) return i + e.nodeCount;
    this.matched.push(e.rule.id);
    countMatch(this.s, e.rule);
    return this.tableAction(i);
  }

  tableAction(i: number): number {
    const e = this.table[i]!;
    const rule = e.rule;
    const end = this.table.length;
    const action = rule.action;
    const verdict = VERDICT_OF[action];
    if (verdict !== undefined) {
      if (action === 'Trigger') recordAddress(this.s, 'triggered', rule);
      if (this.fixed) return end; // met in a side-effect walk: it ends it
      // kActionDelay holds an arriving packet; KFT_delayAdd lets one the host sends go at once.
      const held = action === 'Delay' && this.s.packet.direction !== 'inbound' ? 'pass' : verdict;
      this.fixed = { verdict: held, ruleId: rule.id, action };
      // Route to sends the packet on at once, Delay holds it: no side-effect walk (kActionRouteTo,
      // kActionDelay).
      if (action !== 'Route to' && action !== 'Delay') this.sideEffects(i);
      if (LOGGED_ACTIONS.has(action) && !this.dontLog) this.logEvents.push(rule.id);
      return end;
    }
    switch (action) {
      case '++': {
        const next = i + 1;
        return next < end ? next + this.table[next]!.nodeCount : next;
      }
      case 'Exit group': {
        for (let p = e.parent; p >= 0; p = this.table[p]!.parent) {
          if (this.table[p]!.rule.action === 'Group') return p + this.table[p]!.nodeCount;
        }
        return end;
      }
      case 'Rate limit in':
      case 'Rate limit out': {
        if (this.fixed) return i + 1;
        const parameter = ruleParameter(rule);
        const wanted = action === 'Rate limit in' ? 'inbound' : 'outbound';
        if (this.s.packet.direction !== wanted || !parameter.ok) return i + 1;
        if (parameter.value.kind !== 'rate') return i + 1;
        // A shaping Rate limit out delays packets on the leaving interface, never deletes one.
        if (rateLimitShapes(action, parameter.value)) return i + 1;
        const rate = parameter.value.rate;
        const key = rate.perSource ? `${rule.id}|${this.s.packet.src}` : rule.id;
        const cost = rate.unit === 'bytes' ? this.s.packet.length : 1;
        if (takeTokens(this.s, key, rate, cost)) return i + 1;
        this.fixed = { verdict: 'delete', ruleId: rule.id, action };
        this.sideEffects(i);
        return end;
      }
      default:
        this.effect(e);
        return i + 1;
    }
  }

  /** The children of a terminating entry, after its verdict was fixed. */
  sideEffects(i: number): void {
    const stopAt = i + this.table[i]!.nodeCount;
    let k = i + 1;
    while (k < stopAt) k = this.matchAt(k);
  }

  effect(e: Entry): void {
    const rule = e.rule;
    const timerOnly =
      rule.property === 'Idle seconds' ||
      rule.property === 'Parent idle seconds' ||
      rule.property === 'Parent match rate';
    if (SENDS_EVENT.has(rule.action) && !(timerOnly && rule.action !== 'Log')) {
      this.logEvents.push(rule.id);
      if (this.fixed && ALREADY_REPORTED.has(rule.action)) this.dontLog = true;
    }
    if (rule.action === 'Dont log') this.dontLog = true;
    else if (rule.action === 'Authorize') recordAddress(this.s, 'authorized', rule);
    else if (rule.action === 'Keep address') recordAddress(this.s, 'address', rule);
    else if (rule.action === 'Keep invalid') recordAddress(this.s, 'invalid', rule);
    else if (rule.action === 'Reset parent' && e.parent >= 0) {
      const parent = this.table[e.parent]!.rule;
      if (this.s.counts[parent.id]) this.s.counts[parent.id] = { packets: 0, bytes: 0 };
      const host = this.s.includeHits.get(parent.id);
      if (host) host.count = 0;
    }
  }

  /** The entry's test: one signed comparison read through its relation. */
  test(e: Entry): boolean {
    const rule = e.rule;
    const parent = e.parent >= 0 ? this.table[e.parent]!.rule : undefined;
    const flag = this.s.timerFlags[rule.id];
    switch (rule.property) {
      case 'Parent match count':
      case 'Parent byte count':
        if (flag !== undefined) return flag;
        break;
      default:
        if (SHARED_CONDITIONS.has(rule.property)) return condition(this.s, rule, parent);
    }
    const c = this.compare(rule, parent);
    return c !== undefined && holds(rule.relation, c);
  }

  /** undefined: the value does not parse (never matches, reported). */
  compare(rule: Rule, parent: Rule | undefined): number | undefined {
    const p = this.s.packet;
    if (rule.property === 'Any') return 0;
    if (rule.property === 'None') return LOW;
    const parsed = ruleValue(rule);
    if (!parsed.ok) {
      this.s.problems.push({ ruleId: rule.id, message: parsed.error });
      return undefined;
    }
    const v = parsed.value;
    const yes = (b: boolean): number => (b ? 0 : LOW);
    const num = (x: number | undefined): number | undefined => {
      if (v.kind !== 'range') return undefined;
      return x === undefined ? LOW : against(x, v.range.min, v.range.max);
    };
    const tcp = p.protocol === 6;
    const tcpUdp = p.protocol === 6 || p.protocol === 17;
    const icmp4 = p.ipVersion === 4 && p.protocol === 1;
    switch (rule.property) {
      case 'Direction':
        return v.kind === 'direction' ? yes(p.direction === v.direction) : undefined;
      case 'Interface': {
        const name = p.direction === 'inbound' ? p.inInterface : p.outInterface;
        const like = (pattern: string): boolean =>
          name !== undefined &&
          (pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern);
        if (v.kind === 'interface') return yes(like(v.name));
        if (v.kind === 'interfaceAttribute') {
          const settings = this.s.doc.settings;
          const list =
            v.attribute === 'external' ? settings.externalInterfaces : settings.internalInterfaces;
          return yes(list.some(like));
        }
        return undefined;
      }
      case 'Include':
        if (v.kind === 'includeState') return yes(this.s.connections[flowKey(p)] === true);
        return v.kind === 'include' ? yes(includeLookup(this.s, rule, v.table)) : undefined;
      case 'Source net':
      case 'Dest net': {
        if (v.kind !== 'address') return undefined;
        if (v.match.family !== p.ipVersion) return NaN; // outside: only != holds
        const ip = parseIpAddress(rule.property === 'Source net' ? p.src : p.dst);
        return ip ? against(ip.value, v.match.first, v.match.last) : undefined;
      }
      case 'Protocol':
        return v.kind === 'protocol' ? p.protocol - v.number : undefined;
      case 'Fragment offset':
        return num(p.ipVersion === 4 ? p.fragmentOffset : undefined);
      case 'IP options':
        return v.kind === 'ipOptions'
          ? optionsCompare(rule.relation, v.options, p.ipVersion === 4 ? p.ipOptions : undefined)
          : undefined;
      case 'TCP options':
        return v.kind === 'tcpOptions'
          ? optionsCompare(rule.relation, v.options, tcp ? (p.tcpOptions ?? []) : undefined)
          : undefined;
      case 'ICMP type':
        return num(icmp4 ? p.icmpType : undefined);
      case 'ICMP code':
        return num(icmp4 ? p.icmpCode : undefined);
      case 'TCP header flags': {
        if (v.kind !== 'tcpFlags') return undefined;
        if (!tcp) return LOW;
        const on = new Set(p.tcpFlags ?? []);
        return yes(v.on.every((f) => on.has(f)) && !v.off.some((f) => on.has(f)));
      }
      case 'Source port':
        return num(tcpUdp ? p.srcPort : undefined);
      case 'Dest port':
        return num(tcpUdp ? p.dstPort : undefined);
      case 'IP version':
        return v.kind === 'ipVersion' ? yes(p.ipVersion === v.version) : undefined;
      case 'Packet length':
        return num(p.length);
      case 'TTL':
        return num(p.ttl);
      case 'DSCP':
        return num(p.dscp);
      case 'Parent match count':
      case 'Parent byte count':
        return num(parentCount(this.s, rule, parent));
      case 'Data content':
      case 'URL keyword':
        return v.kind === 'content' ? matchContent(p, rule, v) : undefined;
      default:
        return undefined;
    }
  }
}

/**
 * An option list the way the original scans it: for each listed option in turn, -1 until found;
 * `==` stops at the first one missing, `!=` at the first one present. An absent header has none.
 */
function optionsCompare(
  relation: Rule['relation'],
  listed: readonly number[],
  present: readonly number[] | undefined,
): number {
  if (present === undefined) return LOW;
  let c = 0;
  for (const option of listed) {
    c = present.includes(option) ? 0 : LOW;
    if (c !== 0 && relation !== '!=') break;
    if (c === 0 && relation === '!=') break;
  }
  return c;
}

function walkOnce(
  doc: FirewallDocument,
  table: Entry[],
  packet: Packet,
  state: EvaluatorState,
  options: EvaluateOptions,
): TableWalkResult {
  const walk = new TableWalk(table, openState(doc, packet, state, options));
  // The arrival stage's tests leave no trace: they run on a scratch copy of their own.
  const forward = new TableWalk(table, openState(doc, packet, state, options)).arrival();
  if (forward >= 0) {
    // Translated and passed by the Port forward rule; its flow never meets the walk.
    const rule = table[forward]!.rule;
    walk.matched.push(rule.id);
    countMatch(walk.s, rule);
    walk.fixed = { verdict: 'pass', ruleId: rule.id, action: rule.action };
  } else walk.run();
  const fixed = walk.fixed;
  const verdict = fixed?.verdict ?? (doc.settings.defaultPolicy === 'delete' ? 'delete' : 'pass');
  // The connection table: a flow is added after filtering when its packet got through.
  if (verdict === 'pass' || verdict === 'delay' || verdict === 'route to')
    walk.s.connections[flowKey(packet)] = true;
  const result: TableWalkResult = {
    verdict,
    matched: walk.matched,
    logEvents: walk.logEvents,
    state: closeState(walk.s, state),
  };
  if (fixed) {
    result.verdictRuleId = fixed.ruleId;
    result.verdictAction = fixed.action;
  }
  return result;
}

/**
 * Judge one packet by the table walk. A routed packet is walked as it arrives (inbound, arrival
 * interface) and, when that let it through (pass or delay), again as it leaves (outbound).
 */
export function tableWalk(
  doc: FirewallDocument,
  packet: Packet,
  state: EvaluatorState = createState(),
  options: EvaluateOptions = {},
  table: Entry[] = flattenTable(doc.rules),
): TableWalkResult {
  if (!packet.routed) return walkOnce(doc, table, packet, state, options);
  const inbound: Packet = { ...packet, direction: 'inbound' };
  delete inbound.routed;
  const first = walkOnce(doc, table, inbound, state, options);
  if (first.verdict !== 'pass' && first.verdict !== 'delay') return first;
  if (first.verdictAction === 'Port forward') return first; // the translated flow passes
  const outbound: Packet = { ...inbound, direction: 'outbound' };
  const second = walkOnce(doc, table, outbound, first.state, options);
  return {
    ...second,
    matched: [...first.matched, ...second.matched],
    logEvents: [...first.logEvents, ...second.logEvents],
  };
}

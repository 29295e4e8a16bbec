// Runtime: pure (shared/). One rule's condition -> nftables match statements, for one direction.
// Invariant: a condition is either constant (true/false), a disjunction of statement lines (one
// line is the common case; several when nft needs one rule per address family), evaluated by the
// helper, the triggered-table lookup (built structurally by the caller), or refused with a message.
// "Property absent" rule (DESIGN §3.8, IPNetSentryX's `compareResult = -1`): a test of a header the
// packet does not have (a port on ICMP, TCP flags or options on UDP, ICMP type on TCP, Fragment
// offset or IP options on IPv6, a MAC on an outbound packet) compares as less than any value: `!=`
// and `<=` match, `==`, `>=` and `a=A` do not. An address test of the other family is false for
// `==`/`>=`/`<=` and true for `!=` (an IPv6 packet is not inside 10.0.0.0/8).

import { formatIp } from '../model/address.ts';
import type { DocumentSettings, Rule } from '../model/types.ts';
import type { AddressMatch, NumericRange, ParsedValue } from '../model/values.ts';
import type { PropertyName, RelationName } from '../model/vocabulary.ts';
import {
  and,
  anonSet,
  ct,
  match,
  meta,
  payload,
  prefix,
  range,
  setUpdate,
  type Expr,
  type Stmt,
} from './nft.ts';
import { contentCondition, contentSearch } from './content.ts';

export type Variant = 'in' | 'out';

export type Cond =
  | { kind: 'true' }
  | { kind: 'false'; warning?: string }
  | {
      kind: 'lines';
      lines: Stmt[][];
      /**
       * Several lines (alternatives): a test that every alternative implies, put on the jump to
       * the alternatives chain so most packets skip the chain with one test.
       */
      guard?: Stmt[];
      /**
       * Lines tested first that make the condition false (they end in `return` in the
       * alternatives chain), for side effects of a failing test: `Include != address` refreshing
       * the entry it found.
       */
      exits?: Stmt[][];
      /**
       * Lines tested first, in this order, each either going to the body (`holds`) or ending
       * the test (`return`): a search whose outcome depends on which line hits first (content).
       */
      ordered?: { line: Stmt[]; holds: boolean }[];
    }
  | { kind: 'triggered'; negated: boolean }
  | { kind: 'helper' }
  | { kind: 'refused'; field: 'property' | 'relation' | 'value'; message: string };

const TRUE: Cond = { kind: 'true' };
const FALSE: Cond = { kind: 'false' };
const lines = (...ls: Stmt[][]): Cond => ({ kind: 'lines', lines: ls });
const refused = (field: 'property' | 'relation' | 'value', message: string): Cond => ({
  kind: 'refused',
  field,
  message,
});

/** Properties whose compiled form differs between the inbound and the outbound variant. */
export const DIRECTION_SENSITIVE: ReadonlySet<PropertyName> = new Set<PropertyName>([
  'Direction',
  'Interface',
  'Owner UID',
  'Owner GID',
  'Source MAC Address',
  'Dest MAC Address',
]);

/** Properties the helper evaluates on a timer from the counters (DESIGN §3, last paragraph). */
export const HELPER_PROPERTIES: ReadonlySet<PropertyName> = new Set<PropertyName>([
  'Idle seconds',
  'Parent idle seconds',
  'Parent match count',
  'Parent match rate',
  'Parent byte count',
]);

/**
 * The constant set `{ tcp, udp }` (protocols with ports), named and declared once per table
 * (`TCP_UDP_SET`): an anonymous `{ tcp, udp }` literal on every port line made the kernel create
 * one anonymous set per line, and binding each one walks the whole transaction (quadratic: 37 of
 * the 41 s nft took to load a 100,000-rule document).
 */
export const TCP_UDP_SET = 'tcpudp';
export const L4_WITH_PORTS = match('==', meta('l4proto'), `@${TCP_UDP_SET}`);
/** Tests that hold exactly when a header is absent (see "Property absent" above). */
const NO_PORTS = match('!=', meta('l4proto'), `@${TCP_UDP_SET}`);
const NO_TCP = match('!=', meta('l4proto'), 'tcp');
const NO_ICMP = match('!=', meta('l4proto'), 'icmp');
const NO_IPV4_HEADER = match('!=', meta('nfproto'), 'ipv4');

/**
 * A test of a header the packet may lack: `present` when it has it; when it does not (`absent`
 * holds), `!=` and `<=` match and the other relations do not.
 */
function absentLow(relation: RelationName, absent: Stmt, present: Cond): Cond {
  if (relation !== '!=' && relation !== '<=') return present;
  if (present.kind === 'true') return TRUE;
  if (present.kind === 'false') return lines([absent]);
  if (present.kind !== 'lines') return present;
  return lines([absent], ...present.lines);
}
const NFPROTO = (family: 4 | 6): Stmt =>
  match('==', meta('nfproto'), family === 4 ? 'ipv4' : 'ipv6');
const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const IP_OPTION_NAMES: Readonly<Record<number, string>> = {
  3: 'lsrr',
  7: 'rr',
  9: 'ssrr',
  20: 'ra',
};
const TCP_OPTION_NAMES: Readonly<Record<number, string>> = {
  0: 'eol',
  1: 'nop',
  2: 'maxseg',
  3: 'window',
  4: 'sack-perm',
  5: 'sack',
  8: 'timestamp',
};
const TCP_FLAG_ORDER = ['fin', 'syn', 'rst', 'psh', 'ack', 'urg', 'ecn', 'cwr'];

/** `==`/`!=`/`>=`/`<=` against an inclusive numeric interval. */
function numeric(relation: RelationName, left: Expr, r: NumericRange, label: string): Stmt | Cond {
  switch (relation) {
    case '==':
    case '!=':
      return match(relation, left, r.min === r.max ? r.min : range(r.min, r.max));
    case '>=':
      return match('>=', left, r.min);
    case '<=':
      return match('<=', left, r.max);
    case 'a=A':
      return refused(
        'relation',
        `${label}: a=A (case-insensitive text) applies to content, not numbers`,
      );
  }
}

const isCond = (x: Stmt | Cond): x is Cond =>
  typeof (x as { kind?: unknown }).kind === 'string' && !('match' in x);

/** A single statement line, optionally behind a protocol guard. */
function line(x: Stmt | Cond, ...guards: Stmt[]): Cond {
  return isCond(x) ? x : lines([...guards, x]);
}

function addressRight(m: AddressMatch): Expr {
  if (m.kind === 'prefix') return prefix(m.address, m.prefixLength ?? (m.family === 4 ? 32 : 128));
  if (m.kind === 'range') return range(m.address, m.end ?? formatIp(m.family, m.last));
  return m.address;
}

function address(
  relation: RelationName,
  field: 'saddr' | 'daddr',
  m: AddressMatch,
  label: string,
): Cond {
  const left = payload(m.family === 4 ? 'ip' : 'ip6', field);
  switch (relation) {
    case '==':
      return lines([match('==', left, addressRight(m))]);
    case '!=':
      // A packet of the other family is outside the range, so `!=` holds for it too.
      return lines([match('!=', left, addressRight(m))], [NFPROTO(m.family === 4 ? 6 : 4)]);
    case '>=':
      return lines([match('>=', left, formatIp(m.family, m.first))]);
    case '<=':
      return lines([match('<=', left, formatIp(m.family, m.last))]);
    case 'a=A':
      return refused(
        'relation',
        `${label}: a=A (case-insensitive text) applies to content, not addresses`,
      );
  }
}

function equality(relation: RelationName, label: string): '==' | '!=' | Cond {
  if (relation === '==' || relation === '!=') return relation;
  return refused('relation', `${label} can only be tested with == or != (found ${relation})`);
}

const clock = (minute: number, seconds: string): string =>
  `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}:${seconds}`;

/** nft `limit` wants an integer amount per second/minute/hour/day/week. */
export function limitOf(
  amount: number,
  unit: 'packets' | 'bytes',
  perSeconds: number,
  over: boolean,
): Stmt | undefined {
  const periods: [string, number][] = [
    ['second', 1],
    ['minute', 60],
    ['hour', 3600],
    ['day', 86400],
    ['week', 604800],
  ];
  for (const [per, seconds] of periods) {
    const n = (amount * seconds) / perSeconds;
    if (Number.isInteger(n) && n > 0 && n < 2 ** 32) {
      const limit: { [k: string]: Json } = { rate: n, per };
      if (unit === 'bytes') limit.rate_unit = 'bytes';
      if (over) limit.inv = true;
      return { limit };
    }
  }
  return undefined;
}
type Json = import('./nft.ts').Json;

/**
 * Lines that hold when traffic is over (or within) `rate`: one `limit`, or per source one meter
 * per address family (a meter's key has one type). Undefined if nft cannot express the rate.
 */
export function rateLines(
  rate: { amount: number; unit: 'packets' | 'bytes'; perSeconds: number; perSource: boolean },
  over: boolean,
  meterName: string,
): Stmt[][] | undefined {
  const limit = limitOf(rate.amount, rate.unit, rate.perSeconds, over);
  if (!limit) return undefined;
  if (!rate.perSource) return [[limit]];
  const meter = (family: 4 | 6): Stmt[] => [
    NFPROTO(family),
    {
      meter: {
        name: `${meterName}${family}`,
        key: payload(family === 4 ? 'ip' : 'ip6', 'saddr'),
        stmt: limit,
        size: 65535,
      },
    },
  ];
  return [meter(4), meter(6)];
}

export interface CondContext {
  settings: DocumentSettings;
  /** Kernel key of the rule (for meter names). */
  key: string;
  /** Mark bit the `forward_out` base chain sets: a routed packet that passed its arrival test. */
  routedMark: number;
  /**
   * The duration an address table's entries were recorded with, when its recording rules agree
   * (0 = unlimited): an `Include ==` hit refreshes the entry with it.
   */
  refresh?: Partial<Record<'keep' | 'auth' | 'inv', number | null>>;
}

/**
 * The condition of `rule` (whose value parsed to `value`) in direction `variant`.
 * Rate conditions carry state (a token bucket): the caller must evaluate each line at most once per
 * packet, which the structure guarantees (a rule is tested once).
 */
export function compileCondition(
  rule: Rule,
  value: ParsedValue,
  variant: Variant,
  ctx: CondContext,
): Cond {
  const { relation } = rule;
  const label = rule.property;

  if (HELPER_PROPERTIES.has(rule.property)) return { kind: 'helper' };

  switch (rule.property) {
    case 'Any':
      return relation === '!=' ? FALSE : TRUE;
    case 'None':
      return relation === '!=' ? TRUE : FALSE;
    case 'Data content':
    case 'URL keyword': {
      const search = contentSearch(rule.property, relation, value);
      if (!search.ok) return refused(search.field, search.message);
      return contentCondition(search.search, relation);
    }
    case 'Direction': {
      if (value.kind !== 'direction') break;
      const op = equality(relation, label);
      if (typeof op !== 'string') return op;
      const same = (value.direction === 'inbound') === (variant === 'in');
      return same === (op === '==') ? TRUE : FALSE;
    }
    case 'Interface': {
      const op = equality(relation, label);
      if (typeof op !== 'string') return op;
      const left = meta(variant === 'in' ? 'iifname' : 'oifname');
      if (value.kind === 'interface') return lines([match(op, left, value.name)]);
      if (value.kind === 'interfaceAttribute') {
        const list =
          value.attribute === 'external'
            ? ctx.settings.externalInterfaces
            : ctx.settings.internalInterfaces;
        if (list.length === 0) {
          // An empty list matches no interface: `==` is never true, `!=` always.
          const warning = `Interface ${value.attribute}: the document lists no ${value.attribute} interfaces, so this rule ${op === '==' ? 'never matches' : 'matches every packet'}`;
          return op === '==' ? { kind: 'false', warning } : TRUE;
        }
        const names = [...list].sort();
        return lines([match(op, left, names.length === 1 ? (names[0] as string) : anonSet(names))]);
      }
      break;
    }
    case 'Include': {
      if (value.kind === 'includeState') {
        // A connection already tracked (DESIGN §3.7): an earlier packet of the flow passed.
        // IPNetSentryX adds a flow to its table after a packet passed; conntrack confirms an
        // entry when its first packet has passed every hook, so `ct status confirmed` holds for
        // every later packet of the flow (the second before any reply too, which `ct state
        // established` would miss). A routed packet is tested on departure after its arrival
        // test passed, when IPNetSentryX already holds the flow: `forward_out` marks it.
        const op = equality(relation, label);
        if (typeof op !== 'string') return op;
        const routed = and(meta('mark'), ctx.routedMark);
        if (op === '==')
          return lines(
            [match('in', ct('status'), 'confirmed')],
            [match('==', routed, ctx.routedMark)],
          );
        // Not tracked at all (invalid, untracked) or not confirmed, and not past arrival.
        return lines(
          [match('==', ct('state'), anonSet(['invalid', 'untracked']))],
          [match('==', and(ct('status'), 'confirmed'), 0), match('==', routed, 0)],
        );
      }
      if (value.kind !== 'include') break;
      const op = equality(relation, label);
      if (typeof op !== 'string') return op;
      if (value.table === 'triggered') return { kind: 'triggered', negated: op === '!=' };
      // Keep address fills `keep` (Include == address or kept), Keep invalid `inv`.
      const base =
        value.table === 'authorized' ? 'auth' : value.table === 'invalid' ? 'inv' : 'keep';
      // A hit refreshes the entry (expiry counts from the last time the host was seen) with the
      // duration its table's rules record with, whichever relation asked (README).
      const d = ctx.refresh?.[base];
      // (The same update the recording rules make, so an entry keeps the timeout it had.)
      const refresh = (set: string, field: Expr): Stmt[] =>
        typeof d === 'number' ? [setUpdate(set, field, d)] : [];
      const s4 = payload('ip', 'saddr');
      const s6 = payload('ip6', 'saddr');
      if (op === '!=' && typeof d === 'number') {
        // Found: refresh, and the test fails; not found (or not in the table): it holds.
        return {
          kind: 'lines',
          exits: [
            [match('==', s4, `@${base}4`), ...refresh(`${base}4`, s4)],
            [match('==', s6, `@${base}6`), ...refresh(`${base}6`, s6)],
          ],
          lines: [[]],
        };
      }
      return lines(
        [match(op, s4, `@${base}4`), ...refresh(`${base}4`, s4)],
        [match(op, s6, `@${base}6`), ...refresh(`${base}6`, s6)],
      );
    }
    case 'Source MAC Address':
    case 'Dest MAC Address': {
      if (value.kind !== 'mac') break;
      const op = equality(relation, label);
      if (typeof op !== 'string') return op;
      // An outbound packet has no link-layer header yet when the output hook sees it: absent.
      if (variant === 'out') return op === '!=' ? TRUE : FALSE;
      const field = rule.property === 'Source MAC Address' ? 'saddr' : 'daddr';
      return lines([match(op, payload('ether', field), value.mac)]);
    }
    case 'Source net':
    case 'Dest net':
      if (value.kind !== 'address') break;
      return address(
        relation,
        rule.property === 'Source net' ? 'saddr' : 'daddr',
        value.match,
        label,
      );
    case 'Protocol':
      if (value.kind !== 'protocol') break;
      return line(
        numeric(relation, meta('l4proto'), { min: value.number, max: value.number }, label),
      );
    case 'Fragment offset':
      if (value.kind !== 'range') break;
      // IPv4 only: the offset in 8-byte units, below the flag bits (absent on IPv6).
      return absentLow(
        relation,
        NO_IPV4_HEADER,
        line(numeric(relation, and(payload('ip', 'frag-off'), 0x1fff), value.range, label)),
      );
    case 'IP options': {
      if (value.kind !== 'ipOptions') break;
      const op = equality(relation, label);
      if (typeof op !== 'string') return op;
      const names: string[] = [];
      for (const n of value.options) {
        const name = IP_OPTION_NAMES[n];
        if (!name)
          return refused(
            'value',
            `IP options: option ${n} cannot be tested by nftables (only 3 lsrr, 7 rr, 9 ssrr, 20 ra)`,
          );
        names.push(name);
      }
      const exists = (name: string, present: boolean): Stmt =>
        match('==', { 'ip option': { name } }, present);
      // IPNetSentryX: `==` holds when every listed option is present, `!=` when none is (an
      // IPv6 packet has no IPv4 options: absent, so `!=` holds).
      if (op === '==') return lines(names.map((n) => exists(n, true)));
      return absentLow('!=', NO_IPV4_HEADER, lines(names.map((n) => exists(n, false))));
    }
    case 'ICMP type':
    case 'ICMP code':
      if (value.kind !== 'range') break;
      // ICMP for IPv4; ICMPv6 numbers mean different things and are not mapped (absent there).
      return absentLow(
        relation,
        NO_ICMP,
        line(
          numeric(
            relation,
            payload('icmp', rule.property === 'ICMP type' ? 'type' : 'code'),
            value.range,
            label,
          ),
        ),
      );
    case 'TCP header flags': {
      if (value.kind !== 'tcpFlags') break;
      const op = equality(relation, label);
      if (typeof op !== 'string') return op;
      const order = (fs: string[]): string[] => TCP_FLAG_ORDER.filter((f) => fs.includes(f));
      const mask = order([...value.on, ...value.off]);
      const on = order(value.on);
      // No flag listed: every TCP packet has them all as asked (`==` true on TCP, `!=` false).
      if (mask.length === 0)
        return op === '==' ? lines([match('==', meta('l4proto'), 'tcp')]) : lines([NO_TCP]);
      const right: Expr = on.length === 0 ? 0 : on.length === 1 ? (on[0] as string) : on;
      return absentLow(
        op,
        NO_TCP,
        lines([
          match('==', meta('l4proto'), 'tcp'),
          match(
            op,
            and(payload('tcp', 'flags'), mask.length === 1 ? (mask[0] as string) : mask),
            right,
          ),
        ]),
      );
    }
    case 'TCP options': {
      if (value.kind !== 'tcpOptions') break;
      const op = equality(relation, label);
      if (typeof op !== 'string') return op;
      const names: string[] = [];
      for (const n of value.options) {
        const name = TCP_OPTION_NAMES[n];
        if (!name)
          return refused(
            'value',
            `TCP options: option ${n} cannot be tested by nftables 1.0.6 (only 0-5 and 8)`,
          );
        names.push(name);
      }
      const has = (name: string, present: boolean): Stmt =>
        match('==', { 'tcp option': { name } }, present);
      const tcp = match('==', meta('l4proto'), 'tcp');
      // `==`: every listed option is present; `!=`: none is (or the packet is not TCP).
      if (op === '==') return lines([tcp, ...names.map((n) => has(n, true))]);
      return absentLow('!=', NO_TCP, lines([tcp, ...names.map((n) => has(n, false))]));
    }
    case 'Source port':
    case 'Dest port':
      if (value.kind !== 'range') break;
      return absentLow(
        relation,
        NO_PORTS,
        line(
          numeric(
            relation,
            payload('th', rule.property === 'Source port' ? 'sport' : 'dport'),
            value.range,
            label,
          ),
          L4_WITH_PORTS,
        ),
      );
    case 'Time of day': {
      if (value.kind !== 'timeOfDay') break;
      const op = equality(relation, label);
      if (typeof op !== 'string') return op;
      // NOTE: nft converts these local times to UTC when the rules are loaded, with the helper's
      // time zone; a daylight-saving change shifts them until the next apply. A range across
      // midnight (22:00-06:00) is written as the complement of the day's other part, exactly.
      let { fromMinute: from, toMinute: to } = value;
      let negate = op === '!=';
      if (from > to) {
        [from, to] = [to + 1, from - 1];
        negate = !negate;
        // An empty complement: the range is the whole day (`==` always, `!=` never).
        if (from > to) return negate ? TRUE : FALSE;
      }
      return lines([
        match(negate ? '!=' : '==', meta('hour'), range(clock(from, '00'), clock(to, '59'))),
      ]);
    }
    case 'Day of week': {
      if (value.kind !== 'dayOfWeek') break;
      const op = equality(relation, label);
      if (typeof op !== 'string') return op;
      const days = [...new Set(value.days)].sort().map((d) => DAY_NAMES[d] ?? 'Sunday');
      return lines([
        match(op, meta('day'), days.length === 1 ? (days[0] as string) : anonSet(days)),
      ]);
    }
    case 'Date and time': {
      if (value.kind !== 'dateTime') break;
      // "The rule applies until then": `==`/`<=` hold before the moment, `!=`/`>=` from it on.
      // nft's JSON reads a plain number for `meta time` as seconds since the epoch (UTC), so no
      // time zone is involved.
      const before = relation === '==' || relation === '<=';
      if (relation === 'a=A') return refused('relation', `${label} cannot be tested with a=A`);
      return lines([match(before ? '<' : '>=', meta('time'), value.epochSeconds)]);
    }
    case 'Connection state': {
      if (value.kind !== 'connectionState') break;
      const op = equality(relation, label);
      if (typeof op !== 'string') return op;
      const states = [...new Set(value.states)].sort();
      return lines([
        match(op, ct('state'), states.length === 1 ? (states[0] as string) : anonSet(states)),
      ]);
    }
    case 'Owner UID':
    case 'Owner GID':
      if (value.kind !== 'range') break;
      {
        const test = line(
          numeric(
            relation,
            meta(rule.property === 'Owner UID' ? 'skuid' : 'skgid'),
            value.range,
            label,
          ),
        );
        if (test.kind === 'refused') return test;
        // Only a packet this host sends has an owner: on an arriving packet, or a routed one
        // leaving (forward_out marks it), the owner is absent and compares low.
        if (variant === 'in') return relation === '!=' || relation === '<=' ? TRUE : FALSE;
        return absentLow(
          relation,
          match('==', and(meta('mark'), ctx.routedMark), ctx.routedMark),
          test,
        );
      }
    case 'IP version': {
      if (value.kind !== 'ipVersion') break;
      const op = equality(relation, label);
      if (typeof op !== 'string') return op;
      return lines([match(op, meta('nfproto'), value.version === 4 ? 'ipv4' : 'ipv6')]);
    }
    case 'Packet length':
      if (value.kind !== 'range') break;
      return line(numeric(relation, meta('length'), value.range, label));
    case 'TTL':
    case 'DSCP': {
      if (value.kind !== 'range') break;
      const [f4, f6] = rule.property === 'TTL' ? ['ttl', 'hoplimit'] : ['dscp', 'dscp'];
      const v4 = numeric(relation, payload('ip', f4 as string), value.range, label);
      const v6 = numeric(relation, payload('ip6', f6 as string), value.range, label);
      if (isCond(v4)) return v4;
      if (isCond(v6)) return v6;
      return lines([v4], [v6]);
    }
    case 'Rate': {
      if (value.kind !== 'rate') break;
      // `==`/`>=`: the traffic exceeds the rate; `!=`/`<=`: it stays within it.
      const over = relation === '==' || relation === '>=';
      if (relation === 'a=A') return refused('relation', `${label} cannot be tested with a=A`);
      const ls = rateLines(value.rate, over, `rt_${ctx.key}_${variant}`);
      if (!ls) {
        const { amount, perSeconds } = value.rate;
        return refused(
          'value',
          `${label} ${amount} per ${perSeconds} s is not a whole number per second, minute, hour, day or week`,
        );
      }
      return lines(...ls);
    }
    default:
      break;
  }
  return refused('value', `${label}: value "${rule.value}" does not fit this property`);
}

// Runtime: plain Node (pure logic), tests only. Seeded random rule trees over the vocabulary that
// compiles to the kernel, and random packets that fit the DataPlane topology, for the
// differential test. Invariant: the same seed gives the same trees and packets.

import type { Packet } from '../../shared/evaluator/packet.ts';
import { TERMINATING_VERDICTS } from '../../shared/evaluator/state.ts';
import type { FirewallDocument, Rule } from '../../shared/model/types.ts';
import { DEFAULT_SETTINGS } from '../../shared/model/types.ts';
import type { ActionName, PropertyName, RelationName } from '../../shared/model/vocabulary.ts';
import type { TcpFlag } from '../../shared/model/values.ts';
import { ipOptionLength, POOLS, tcpOptionLength } from './dataplane.ts';

/** mulberry32: small, fast, good enough to pick test cases. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    const total = items.reduce((a, [, w]) => a + w, 0);
    let x = this.next() * total;
    for (const [item, w] of items) {
      x -= w;
      if (x < 0) return item;
    }
    return items[items.length - 1]![0];
  }
}

const PORTS = [22, 23, 25, 53, 80, 113, 137, 138, 139, 443, 1000, 8080];
const SRC_PORTS = [53, 80, 1000, 2000, 40000, 40001, 50000];

const VALUES: Partial<Record<PropertyName, readonly string[]>> = {
  'Dest port': [
    '22',
    '23',
    '25',
    '53',
    '80',
    '113',
    '137-139',
    '443',
    '8080',
    '20-30',
    '100-200',
    '1024-65535',
    '0-1023',
  ],
  'Source port': ['53', '80', '1000', '40000', '40000-40001', '1024-65535', '0-1023'],
  'Source net': [
    '10.70.0.0/24',
    '10.70.0.0/29',
    '10.70.0.5',
    '10.70.0.1-10.70.0.10',
    '10.71.0.0/24',
    '10.71.0.3',
    '10.60.0.0/24',
    '10.60.0.4/30',
    '10.0.0.0/8',
    'fd70::/64',
    'fd70::/32',
    'fd70:0:0:1::/64',
    'fd70::5',
    'fd60::/64',
    'fd60::1-fd60::8',
    'fd50::1',
  ],
  'Dest net': [
    '10.60.0.0/24',
    '10.60.0.0/29',
    '10.60.0.3',
    '10.60.0.2-10.60.0.9',
    '10.70.0.0/24',
    '10.71.0.0/25',
    '10.70.0.5',
    '10.0.0.0/8',
    'fd60::/64',
    'fd60::3',
    'fd60::1-fd60::6',
    'fd70::/64',
    'fd70:0:0:1::/64',
    'fd00::/8',
  ],
  Protocol: ['tcp', 'udp', 'icmp', '58', '6 (TCP)', '17 (UDP)', '47'],
  'TCP header flags': [
    'syn,-ack',
    'syn',
    'ack',
    'rst',
    '-syn',
    'fin',
    'syn,ack',
    'psh,ack',
    '-ack,-rst',
  ],
  'ICMP type': ['8', '0', '3', '11', '0-10', '8 (echo request)'],
  'ICMP code': ['0', '3', '0-5'],
  Interface: ['eth0', 'eth1', 'lo', 'eth*', 'external', 'internal', 'wg0'],
  Direction: ['inbound', 'outbound'],
  Include: ['triggered', 'triggered', 'authorized', 'kept', 'address', 'invalid', 'state'],
  'IP options': ['3', '7', '3,9', '7,20', '20', '9'],
  'TCP options': ['2', '3', '4', '2,4', '2,3', '8', '5'],
  'IP version': ['4', '6'],
  'Packet length': ['60', '40-60', '100-2000', '48'],
  TTL: ['64', '1', '100-255', '0-10'],
  DSCP: ['0', '46', '10', '8-16'],
  Any: [''],
};

/** Properties a header may lack (ports on ICMP, ICMP type on TCP, ...): every relation. */
const MAY_BE_ABSENT: ReadonlySet<PropertyName> = new Set([
  'Dest port',
  'Source port',
  'ICMP type',
  'ICMP code',
  'TCP header flags',
  'TCP options',
  'IP options',
]);

const NUMERIC: ReadonlySet<PropertyName> = new Set([
  'Dest port',
  'Source port',
  'Packet length',
  'TTL',
  'DSCP',
  'ICMP type',
  'ICMP code',
]);
const ADDRESSES: ReadonlySet<PropertyName> = new Set(['Source net', 'Dest net']);

const PROPERTY_WEIGHTS: readonly (readonly [PropertyName, number])[] = [
  ['Dest port', 14],
  ['Source port', 4],
  ['Source net', 8],
  ['Dest net', 6],
  ['Protocol', 8],
  ['TCP header flags', 7],
  ['ICMP type', 4],
  ['ICMP code', 2],
  ['Interface', 5],
  ['Direction', 6],
  ['Include', 6],
  ['IP options', 2],
  ['TCP options', 3],
  ['IP version', 2],
  ['Packet length', 2],
  ['TTL', 2],
  ['DSCP', 2],
  ['Any', 5],
];

const ACTION_WEIGHTS: readonly (readonly [ActionName, number])[] = [
  ['->', 22],
  ['Pass', 12],
  ['Delete', 12],
  ['Reject', 9],
  ['Drop connection', 4],
  ['Trigger', 5],
  ['Delete no log', 3],
  ['Log', 7],
  ['Dont log', 5],
  ['Group', 9],
  ['Exit group', 7],
  ['++', 5],
  ['Authorize', 3],
  ['Keep address', 3],
  ['Keep invalid', 2],
  ['Alert', 2],
  ['Masquerade', 1],
];

export interface TreeOptions {
  maxRules: number;
  maxDepth: number;
  /**
   * Leave out `Include == state` (the kernel bench drops every probe before conntrack confirms
   * it, so the kernel never tracks a flow there; the pure oracles test it).
   */
  noConnectionState?: boolean;
  /**
   * Also Port forward and Route to (the pure oracles; other callers keep their sequences).
   * `kernel`: Route to only, each testing `Direction == outbound` with no children (where the
   * kernel compiles it; the data plane cannot follow a translated probe).
   */
  nat?: boolean | 'kernel';
  /**
   * Also Delay, open (the default), with no children. With no queue worker (the data-plane
   * harness loads the table itself) its fallback passes the packet at once, which is what the
   * oracles' `delivers` expects; the hold itself is delay-kernel.test.ts's business.
   */
  delay?: boolean;
  /**
   * Also Data content (text and `<hex>`, `==`/`!=`/`a=A`, with and without a window
   * `[offset,length]` or `[offset,length,terminator]`) and, less often, URL keyword rules, over
   * the needles in CONTENT_NEEDLES / URL_NEEDLES that randomPacketSequence(..., { content: true })
   * puts into payloads; and one or two top-level content rules so that packets reach one.
   */
  content?: boolean;
}

function ascii(text: string): number[] {
  return [...text].map((c) => c.charCodeAt(0));
}

/** Data content needles: [value as a rule writes it, its bytes]. A 20-byte one crosses the
 * kernel's 16-byte compare; `a@b` has letters beside bytes that fold to letters only with bit 0x20
 * (`@`/`` ` ``), so a=A must fold letters only. */
export const CONTENT_NEEDLES: readonly (readonly [string, readonly number[]])[] = [
  ['cmd.exe', ascii('cmd.exe')],
  ['root.exe', ascii('root.exe')],
  ['default.ida?XXXXXXXX', ascii('default.ida?XXXXXXXX')],
  ['Admin', ascii('Admin')],
  ['a@b', ascii('a@b')],
  ['<00ff10>', [0x00, 0xff, 0x10]],
  ['<deadbeef>', [0xde, 0xad, 0xbe, 0xef]],
  ['<474554>', ascii('GET')],
];
/** URL keyword needles (any case, in the request line after the method's first 3 bytes). */
export const URL_NEEDLES = ['cmd.exe', 'default.ida', '.php', 'admin'] as const;
/** Search windows: [prefix, offset, length, terminator]; `undefined` offset = no prefix. */
const CONTENT_WINDOWS: readonly (readonly [number | undefined, number, number | undefined])[] = [
  [undefined, 64, undefined],
  [undefined, 64, undefined],
  [0, 20, undefined],
  [10, 24, undefined],
  [4, 40, 47],
  [0, 64, 13],
  [2, 100, 59],
  [0, 32, 32],
];
/** Terminator bytes the windows use (packets sometimes carry one before a needle). */
const TERMINATORS = [13, 47, 59, 32];

/** A Data content or URL keyword test: property, value, relation. */
function contentTest(rng: Rng): { property: PropertyName; value: string; relation: RelationName } {
  if (rng.chance(0.2))
    return {
      property: 'URL keyword',
      value: rng.pick(URL_NEEDLES),
      relation: rng.weighted([
        ['==', 6],
        ['!=', 2],
        ['a=A', 1],
      ] as const),
    };
  const [value, bytes] = rng.pick(CONTENT_NEEDLES);
  const relation = rng.weighted([
    ['==', 5],
    ['a=A', 4],
    ['!=', 2],
  ] as const);
  const needle = bytes.length;
  const fits = CONTENT_WINDOWS.filter(([, length]) => length >= needle);
  const [offset, length, terminator] = rng.pick(fits);
  const prefix =
    offset === undefined
      ? ''
      : `[${offset}${rng.chance(0.5) ? ',' : ':'}${length}${terminator === undefined ? '' : `,${terminator}`}]`;
  return { property: 'Data content', value: prefix + value, relation };
}

const NAT_ACTION_WEIGHTS: readonly (readonly [ActionName, number])[] = [
  ...ACTION_WEIGHTS,
  ['Port forward', 4],
  ['Route to', 3],
];
const FORWARD_TARGETS = ['10.70.0.1:22', '10.70.0.2', 'fd70::1', '[fd70::8]:8080', ':8080'];
const ROUTE_TARGETS = ['10.60.0.1', '10.60.0.2 eth1', 'eth1'];
const KERNEL_NAT_ACTION_WEIGHTS: readonly (readonly [ActionName, number])[] = [
  ...ACTION_WEIGHTS,
  ['Route to', 3],
];
const DELAY_ACTION_WEIGHTS: readonly (readonly [ActionName, number])[] = [
  ...ACTION_WEIGHTS,
  ['Delay', 4],
];
const DELAY_TIMES = ['', '300ms', '0.1', '2s open'];

export function randomDocument(rng: Rng, options: TreeOptions): FirewallDocument {
  let n = 0;
  const budget = rng.int(1, options.maxRules);
  const rule = (
    property: PropertyName,
    value: string,
    relation: RelationName,
    action: ActionName,
  ): Rule => ({
    id: `d${++n}`,
    enabled: rng.chance(0.92),
    name: '',
    property,
    relation,
    value,
    action,
    parameter:
      action === 'Trigger' ||
      action === 'Authorize' ||
      action === 'Keep address' ||
      action === 'Keep invalid'
        ? rng.pick(['', '10 min', 'unlimited', '1 h'])
        : action === 'Port forward'
          ? rng.pick(FORWARD_TARGETS)
          : action === 'Route to'
            ? rng.pick(ROUTE_TARGETS)
            : action === 'Delay'
              ? rng.pick(DELAY_TIMES)
              : '',
    children: [],
    expanded: true,
  });
  const randomRule = (): Rule => {
    if (options.content && rng.chance(0.2)) {
      const c = contentTest(rng);
      return rule(c.property, c.value, c.relation, rng.weighted(ACTION_WEIGHTS));
    }
    const property = rng.weighted(PROPERTY_WEIGHTS);
    let value = rng.pick(VALUES[property] ?? ['']);
    if (property === 'Include' && value === 'state' && options.noConnectionState)
      value = 'triggered';
    let relation: RelationName = rng.chance(0.75) ? '==' : '!=';
    if (NUMERIC.has(property) && MAY_BE_ABSENT.has(property) && rng.chance(0.35))
      relation = rng.pick(['>=', '<='] as const);
    else if ((NUMERIC.has(property) || ADDRESSES.has(property)) && rng.chance(0.2))
      relation = rng.pick(['>=', '<='] as const);
    if (property === 'Any') relation = '==';
    const action = rng.weighted(
      options.delay
        ? DELAY_ACTION_WEIGHTS
        : options.nat === 'kernel'
          ? KERNEL_NAT_ACTION_WEIGHTS
          : options.nat
            ? NAT_ACTION_WEIGHTS
            : ACTION_WEIGHTS,
    );
    if (action === 'Route to' && options.nat === 'kernel')
      return rule('Direction', 'outbound', '==', action);
    return rule(property, value, relation, action);
  };
  /**
   * A service list: siblings on one field with distinct values (a verdict map). Half of the lists
   * are leaves with verdicts; the other half are per-host groups with children (a dispatch map
   * of `jump`s when every member qualifies), some of which log, exit or end in a verdict.
   */
  const serviceList = (depth: number): Rule[] => {
    const property = rng.pick(['Dest port', 'Source net', 'Protocol'] as const);
    const pool: readonly string[] =
      property === 'Dest port'
        ? PORTS.map(String)
        : property === 'Protocol'
          ? ['6', '17', '1', '47', '58']
          : [
              '10.70.0.1',
              '10.70.0.2',
              '10.70.0.8/29',
              '10.71.0.0/28',
              'fd70::1',
              'fd70::8/125',
              '10.60.0.1',
            ];
    const values = [...pool]
      .sort(() => rng.next() - 0.5)
      .slice(0, rng.int(4, Math.min(8, pool.length)));
    const groups = depth < options.maxDepth && rng.chance(0.5);
    return values.map((v) => {
      if (!groups) {
        return rule(
          property,
          v,
          '==',
          rng.pick(['Pass', 'Delete', 'Reject', 'Trigger', 'Delete no log'] as const),
        );
      }
      const r = rule(
        property,
        v,
        '==',
        rng.pick(['->', '->', 'Group', 'Group', 'Delete', 'Pass', 'Exit group', 'Log'] as const),
      );
      r.children = list(depth + 1);
      return r;
    });
  };
  const list = (depth: number): Rule[] => {
    const out: Rule[] = [];
    const width = rng.int(1, depth === 0 ? 8 : 5);
    for (let i = 0; i < width && n < budget; i++) {
      if (rng.chance(0.12)) {
        out.push(...serviceList(depth));
        continue;
      }
      const r = randomRule();
      // Terminating rules and Exit groups often get children (a side-effect walk, children that
      // never run); `++` sometimes (it then skips its first child).
      const wantsChildren =
        r.action === '->' || r.action === 'Group'
          ? 0.85
          : r.action === 'Log' || r.action === 'Dont log'
            ? 0.1
            : r.action === 'Exit group' || r.action === '++'
              ? 0.35
              : 0.45;
      if (
        depth < options.maxDepth &&
        rng.chance(wantsChildren) &&
        !(r.action === 'Route to' && options.nat === 'kernel') &&
        r.action !== 'Delay'
      )
        r.children = list(depth + 1);
      out.push(r);
    }
    return out;
  };
  const rules = list(0);
  // Often start with a table lookup, so hosts recorded by Trigger/Authorize/Keep address are seen
  // again and refreshed (random placement alone rarely reaches one after a recording).
  if (rng.chance(0.35)) {
    const tables = ['triggered', 'triggered', 'authorized', 'kept', 'address', 'invalid'];
    const table = rng.pick(options.noConnectionState ? tables : [...tables, 'state', 'state']);
    rules.unshift(
      rule(
        'Include',
        table,
        rng.chance(0.8) ? '==' : '!=',
        rng.pick(['Delete', 'Pass', 'Reject', 'Log', '->'] as const),
      ),
    );
  }
  if (options.delay) {
    // A Delay under a terminating rule (or an Exit group) is refused by design: there it logs
    // instead, so the case runs. Then one or two top-level Delay rules at random places, testing
    // a random field, so that packets reach one.
    const ENDS = new Set<ActionName>([
      ...(Object.keys(TERMINATING_VERDICTS) as ActionName[]),
      'Exit group',
    ]);
    const fix = (list: Rule[], underEnd: boolean): void => {
      for (const r of list) {
        if (underEnd && r.action === 'Delay') {
          r.action = 'Log';
          r.parameter = '';
        }
        fix(r.children, underEnd || ENDS.has(r.action));
      }
    };
    fix(rules, false);
    for (let k = rng.int(1, 2); k > 0; k--) {
      const r = randomRule();
      r.action = 'Delay';
      r.parameter = rng.pick(DELAY_TIMES);
      r.enabled = true;
      rules.splice(rng.int(0, rules.length), 0, r);
    }
  }
  if (options.content) {
    // One or two top-level content rules at random places, so that many packets reach one.
    for (let k = rng.int(1, 3); k > 0; k--) {
      const c = contentTest(rng);
      const r = rule(
        c.property,
        c.value,
        c.relation,
        rng.pick([
          'Delete',
          'Pass',
          'Reject',
          'Log',
          'Log',
          '->',
          '->',
          'Dont log',
          'Delete no log',
        ] as const),
      );
      r.enabled = true;
      if (r.action === '->' && options.maxDepth > 0) r.children = list(1);
      // Near the top (where most packets still reach it) as often as anywhere.
      rules.splice(rng.int(0, rng.chance(0.5) ? Math.min(2, rules.length) : rules.length), 0, r);
    }
  }
  if (options.nat === 'kernel') {
    // Also one or two top-level Route to rules at random places (nothing above them to refuse).
    for (let k = rng.int(1, 2); k > 0; k--) {
      const r = rule('Direction', 'outbound', '==', 'Route to');
      r.enabled = true;
      rules.splice(rng.int(0, rules.length), 0, r);
    }
  }
  return {
    rules,
    settings: {
      ...DEFAULT_SETTINGS,
      defaultPolicy: rng.chance(0.2) ? 'delete' : 'pass',
      defaultTriggerDuration: 3600,
      externalInterfaces: ['eth1'],
      internalInterfaces: [],
    },
  };
}

const FLAG_SETS: readonly (readonly TcpFlag[])[] = [
  ['syn'],
  ['syn'],
  ['syn', 'ack'],
  ['ack'],
  ['ack', 'psh'],
  ['rst'],
  ['fin', 'ack'],
  ['rst', 'ack'],
  [],
  ['syn', 'ecn', 'cwr'],
  ['fin', 'syn', 'rst', 'psh', 'ack', 'urg'],
];

/** IPv4 options the kernel accepts on a probe (3 lsrr, 7 rr, 9 ssrr, 20 router alert, as
 * rawsend.py writes them); never 3 and 9 together, and a routed packet never carries 9: the
 * kernel refuses those before the rules. */
const IP_OPTIONS = [3, 7, 9, 20] as const;
/** TCP options nftables can test (2 mss, 3 window scale, 4 sack-permitted, 5 sack, 8 timestamp). */
const TCP_OPTIONS = [2, 3, 4, 5, 8] as const;

function someOf<T>(rng: Rng, items: readonly T[]): T[] {
  const out = items.filter(() => rng.chance(0.4));
  return out.length ? out : [rng.pick(items)];
}

export interface PacketOptions {
  /**
   * TCP/UDP packets carry payload bytes (rawsend.py sends them): often a pool needle
   * (CONTENT_NEEDLES, URL_NEEDLES) at a random offset, in and out of the windows, sometimes in
   * another letter case or after a terminator byte; TCP ones sometimes an HTTP request.
   */
  content?: boolean;
}

const FILLER = ascii('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./?=&-_@`');

/** Some payload bytes for a content test. */
export function randomPayload(rng: Rng, tcp: boolean): Uint8Array {
  const filler = (n: number): number[] =>
    Array.from({ length: n }, () =>
      rng.chance(0.05)
        ? rng.pick(TERMINATORS)
        : rng.chance(0.05)
          ? rng.int(0, 255)
          : rng.pick(FILLER),
    );
  const vary = (bytes: readonly number[]): number[] =>
    rng.chance(0.4)
      ? bytes.map((b) =>
          rng.chance(0.5) && ((b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)) ? b ^ 0x20 : b,
        )
      : [...bytes];
  const kind = rng.weighted([
    ['needle', 6],
    ['http', tcp ? 3 : 0],
    ['plain', 2],
  ] as const);
  if (kind === 'plain') return Uint8Array.from(filler(rng.pick([0, 8, 20, 100])));
  if (kind === 'http') {
    const keyword = ascii(rng.pick(URL_NEEDLES));
    const path = [
      ...ascii('/'),
      ...filler(rng.int(0, 8)),
      ...(rng.chance(0.7) ? vary(keyword) : []),
      ...filler(rng.int(0, 70)),
    ].filter((b) => b !== 13 && b !== 32);
    const method = ascii(rng.pick(['GET', 'POST', 'HEAD', 'GE']));
    const tail = ascii(`HTTP/1.1\r\nHost: example\r\n`);
    const after = rng.chance(0.3) ? vary(keyword) : [];
    return Uint8Array.from([...method, 32, ...path, 32, ...tail, ...after, 13, 10, 13, 10]);
  }
  const bytes = filler(rng.int(20, 130));
  // One to three needles, around the windows' edges as often as anywhere (a later one may
  // overwrite part of an earlier one).
  for (let k = rng.int(1, 3); k > 0; k--) {
    const needle = rng.chance(0.8) ? rng.pick(CONTENT_NEEDLES)[1] : ascii(rng.pick(URL_NEEDLES));
    const at = Math.min(
      bytes.length - needle.length,
      rng.chance(0.5)
        ? rng.int(0, bytes.length - needle.length)
        : Math.max(
            0,
            rng.pick([0, 2, 4, 10, 20, 34, 44, 64, 102]) - needle.length + rng.int(-1, 1),
          ),
    );
    bytes.splice(at, needle.length, ...vary(needle));
    if (rng.chance(0.3) && at > 0) bytes[rng.int(0, at - 1)] = rng.pick(TERMINATORS);
  }
  if (rng.chance(0.3)) bytes.length = rng.int(0, bytes.length); // cut short: a needle may straddle the end
  return Uint8Array.from(bytes);
}

/** A packet the DataPlane can send: inbound from a remote host, outbound to one, or routed
 * between the two links (it arrives on one interface and leaves by the other). */
export function randomPacket(rng: Rng, options: PacketOptions = {}): Packet {
  const inbound = rng.chance(0.7);
  const v6 = rng.chance(0.3);
  const iface = rng.pick(['eth0', 'eth1'] as const);
  // A few hosts send most packets, so a host that triggered is seen again (Include, refresh).
  const host = rng.chance(0.6) ? rng.int(1, 3) : rng.int(1, 12);
  const local = rng.int(1, 10);
  const remote = v6
    ? `${POOLS.remote6[iface]}${host.toString(16)}`
    : `${POOLS.remote4[iface]}${host}`;
  // Some inbound packets are for a host behind the other link: fw routes them (forward hook).
  const routed = inbound && rng.chance(0.2);
  const other = iface === 'eth0' ? 'eth1' : 'eth0';
  const mine = routed
    ? v6
      ? `${POOLS.remote6[other]}${local.toString(16)}`
      : `${POOLS.remote4[other]}${local}`
    : v6
      ? `${POOLS.local6}${local.toString(16)}`
      : `${POOLS.local4}${local}`;
  const protocol = rng.weighted([
    [6, 50],
    [17, 30],
    [v6 ? 58 : 1, 20],
  ] as const);
  const bytes =
    options.content && protocol !== 1 && protocol !== 58 && rng.chance(0.8)
      ? randomPayload(rng, protocol === 6)
      : undefined;
  const payload = bytes ? bytes.length : rng.pick([0, 0, 0, 8, 20, 100]);
  // IP options only on TCP: a reset carries none, while an ICMP error would echo them.
  // One source route at most (the kernel drops a packet with both 3 and 9).
  const ipOptions = (
    !v6 && protocol === 6 && rng.chance(0.2)
      ? someOf(
          rng,
          IP_OPTIONS.filter((o) => !routed || o !== 9),
        )
      : []
  ).filter((o, _, all) => o !== 9 || !all.includes(3));
  const tcpOptions = protocol === 6 && rng.chance(0.3) ? someOf(rng, TCP_OPTIONS) : [];
  const l4 = protocol === 6 ? 20 + tcpOptionLength(tcpOptions) : 8;
  const p: Packet = {
    direction: inbound ? 'inbound' : 'outbound',
    ipVersion: v6 ? 6 : 4,
    src: inbound ? remote : mine,
    dst: inbound ? mine : remote,
    protocol,
    length: (v6 ? 40 : 20 + ipOptionLength(ipOptions)) + l4 + payload,
    // The kernel drops a routed packet with TTL 1 before the forward hook: not a rules question.
    ttl: rng.pick(routed ? [64, 128, 255] : [64, 64, 64, 1, 128, 255]),
    dscp: rng.pick([0, 0, 0, 46, 10]),
    fragmentOffset: 0,
    ipOptions,
  };
  if (bytes?.length) p.payload = bytes;
  if (inbound) p.inInterface = iface;
  else p.outInterface = iface;
  if (routed) {
    p.routed = true;
    p.outInterface = other;
  }
  if (protocol === 6 || protocol === 17) {
    p.srcPort = rng.chance(0.7) ? rng.pick(SRC_PORTS) : rng.int(1, 65535);
    p.dstPort = rng.chance(0.85) ? rng.pick(PORTS) : rng.int(1, 65535);
  }
  if (protocol === 6) p.tcpFlags = [...rng.pick(FLAG_SETS)];
  if (tcpOptions.length) p.tcpOptions = tcpOptions;
  if (protocol === 1) {
    p.icmpType = rng.pick([8, 8, 0, 3, 11, 13]);
    p.icmpCode = p.icmpType === 3 ? rng.pick([0, 1, 3]) : 0;
  }
  if (protocol === 58) {
    p.icmpType = rng.pick([128, 128, 129, 1, 3]);
    p.icmpCode = 0;
  }
  return p;
}

/** The answer to `p` from the host it was sent to, through fw the other way. */
export function replyTo(rng: Rng, p: Packet): Packet {
  const r: Packet = { ...p, src: p.dst, dst: p.src, ipOptions: [], ttl: 64 };
  delete r.tcpOptions;
  delete r.payload; // an answer has headers only (its length below)
  if (p.srcPort !== undefined && p.dstPort !== undefined) {
    r.srcPort = p.dstPort;
    r.dstPort = p.srcPort;
  }
  if (p.protocol === 6)
    r.tcpFlags = [...rng.pick([['syn', 'ack'], ['ack'], ['ack', 'psh'], ['rst']] as const)];
  if (p.icmpType === 8) r.icmpType = 0;
  if (p.icmpType === 128) r.icmpType = 129;
  if (p.routed) {
    r.inInterface = p.outInterface!;
    r.outInterface = p.inInterface!;
  } else if (p.direction === 'inbound') {
    r.direction = 'outbound';
    r.outInterface = p.inInterface!;
    delete r.inInterface;
  } else {
    r.direction = 'inbound';
    r.inInterface = p.outInterface!;
    delete r.outInterface;
  }
  const l4 =
    p.protocol === 6 ? 20 : p.protocol === 17 || p.protocol === 1 || p.protocol === 58 ? 8 : 0;
  r.length = (p.ipVersion === 6 ? 40 : 20) + l4;
  return r;
}

/**
 * A sequence of `n` packets where flows go on: about a third of the packets repeat an earlier
 * packet (its flow, the same direction) or answer one (the other direction), so `Include == state`
 * and the address tables see hosts and flows recorded earlier in the same sequence.
 */
export function randomPacketSequence(rng: Rng, n: number, options: PacketOptions = {}): Packet[] {
  const out: Packet[] = [];
  while (out.length < n) {
    const earlier = out.length ? rng.pick(out) : undefined;
    const roll = rng.next();
    if (earlier && roll < 0.15) out.push(replyTo(rng, earlier));
    else if (earlier && roll < 0.3) {
      const again: Packet = { ...earlier };
      if (again.protocol === 6) again.tcpFlags = [...rng.pick(FLAG_SETS)];
      out.push(again);
    } else out.push(randomPacket(rng, options));
  }
  return out;
}

// Runtime: pure (shared/). One rule's condition against one packet, as the reference evaluator
// reads DESIGN §3 rule 8: a test of a header the packet lacks compares LOW (`!=` and `<=` match,
// `==`, `>=` and `a=A` do not); ranges: `==` inside, `!=` outside, `>=` against the start, `<=`
// against the end; IP/TCP option lists: `==` all listed present, `!=` none present; a yes/no test
// (flags, options, tables, interface, ...) is "equal" when it holds and "low" when not, so `<=`
// always holds for it. The table-walk oracle (table-walk.ts) decides the same things its own way
// (a signed comparison per property); the properties listed in `SHARED_CONDITIONS` it takes from
// here.
// Invariant: a value that does not parse never matches and is reported once per packet.

import type { Rule } from '../model/types.ts';
import type { PropertyName } from '../model/vocabulary.ts';
import { parseIpAddress } from '../model/address.ts';
import type { Packet } from './packet.ts';
import {
  includeLookup,
  ruleValue,
  takeTokens,
  tracked,
  type MatchCount,
  type Scratch,
} from './state.ts';

/**
 * Properties the helper evaluates on a timer from counters: a packet matches them only while the
 * helper holds the rule's flag (`state.timerFlags`). Parent match count and Parent byte count are
 * also counted per packet (see `parentCount`).
 */
export const TIMER_PROPERTIES: ReadonlySet<PropertyName> = new Set([
  'Idle seconds',
  'Parent idle seconds',
  'Parent match count',
  'Parent match rate',
  'Parent byte count',
]);

/** Properties both walks decide with `condition` below (not the ones rule 8 is about). */
export const SHARED_CONDITIONS: ReadonlySet<PropertyName> = new Set([
  'Source MAC Address',
  'Dest MAC Address',
  'Time of day',
  'Day of week',
  'Date and time',
  'Connection state',
  'Owner UID',
  'Owner GID',
  'Rate',
  'Idle seconds',
  'Parent idle seconds',
  'Parent match rate',
]);

/* Packet fields (shared with the table walk) */

/** Ports are TCP's and UDP's (IPNetSentryX and the kernel test `meta l4proto { tcp, udp }`). */
export const hasTcpUdpPorts = (p: Packet): boolean => p.protocol === 6 || p.protocol === 17;
/** ICMP type and code are IPv4 ICMP's: ICMPv6 numbers mean other things and are not mapped. */
export const hasIcmpHeader = (p: Packet): boolean => p.ipVersion === 4 && p.protocol === 1;

/** The interface a packet is tested with: arrival for inbound, leaving for outbound. */
export const packetInterface = (p: Packet): string | undefined =>
  p.direction === 'inbound' ? p.inInterface : p.outInterface;

/** Interface names: exact, or a trailing `*` for a prefix (as nft's `iifname "wg*"`). */
export function interfaceMatches(pattern: string, name: string): boolean {
  return pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : pattern === name;
}

/** The parent's count a `Parent match count` / `Parent byte count` rule compares: under an
 * Include parent that found the host, the host's own count; else the parent rule's. */
export function parentCount(s: Scratch, rule: Rule, parent: Rule | undefined): number {
  if (!parent) return 0;
  const hit = s.includeHits.get(parent.id);
  if (rule.property === 'Parent match count' && parent.property === 'Include' && hit)
    return hit.count ?? 1;
  const c: MatchCount = s.counts[parent.id] ?? { packets: 0, bytes: 0 };
  return rule.property === 'Parent byte count' ? c.bytes : c.packets;
}

/** IPNetSentryX's default content window: the payload's first 64 bytes (kContent_searchLength). */
export const CONTENT_WINDOW = 64;

/**
 * Data content / URL keyword (docs/vocabulary.md): the needle lies wholly inside the search
 * window of the TCP/UDP payload (URL keyword: TCP, bytes 3-66, any case, up to the first CR),
 * starting before the window's first terminator byte; `a=A` folds letters only. Undefined when
 * the packet has no such payload (another protocol, a later fragment): compares low.
 */
export function contentFound(
  p: Packet,
  property: 'Data content' | 'URL keyword',
  relation: Rule['relation'],
  v: {
    bytes: Uint8Array;
    window?: { offset: number; length?: number; relative?: '+' | '-'; delimiter?: number };
  },
): boolean | undefined {
  const url = property === 'URL keyword';
  if (url ? p.protocol !== 6 : !hasTcpUdpPorts(p)) return undefined;
  if (p.fragmentOffset > 0) return undefined;
  if (!url && v.window?.relative) return false; // refused by the compiler (varies per packet)
  const start = url ? 3 : (v.window?.offset ?? 0);
  const end = start + (url ? 64 : (v.window?.length ?? CONTENT_WINDOW));
  const stop = url ? 13 : v.window?.delimiter;
  const caseless = url || relation === 'a=A';
  const data = p.payload ?? new Uint8Array(0);
  const fold = (b: number) => (caseless && b >= 0x41 && b <= 0x5a ? b + 32 : b);
  const needle = v.bytes;
  const limit = Math.min(end, data.length) - needle.length;
  outer: for (let i = start; i <= limit; i++) {
    for (let j = 0; j < needle.length; j++) {
      if (fold(data[i + j]!) !== fold(needle[j]!)) {
        if (data[i] === stop) return false;
        continue outer;
      }
    }
    return true;
  }
  return false;
}

/* Relations */

/** A field against a range; an absent field (undefined) compares low. */
function inRange(
  relation: Rule['relation'],
  x: number | bigint | undefined,
  min: number | bigint,
  max: number | bigint,
): boolean {
  if (x === undefined) return relation === '!=' || relation === '<=';
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

/** A yes/no test: it holds = equal, it does not (or the header is absent) = low. */
function yesNo(relation: Rule['relation'], holds: boolean): boolean {
  switch (relation) {
    case '==':
    case 'a=A':
    case '>=':
      return holds;
    case '!=':
      return !holds;
    case '<=':
      return true;
  }
}

/** The rule's condition for this packet. `parent` is the rule's parent (Parent match count). */
export function condition(s: Scratch, rule: Rule, parent: Rule | undefined): boolean {
  const p = s.packet;
  const relation = rule.relation;
  if (TIMER_PROPERTIES.has(rule.property)) {
    const flag = s.timerFlags[rule.id];
    const counted = rule.property === 'Parent match count' || rule.property === 'Parent byte count';
    if (flag !== undefined || !counted) return flag === true;
  }
  if (rule.property === 'Any') return yesNo(relation, true);
  if (rule.property === 'None') return yesNo(relation, false);
  const parsed = ruleValue(rule);
  if (!parsed.ok) {
    s.problems.push({ ruleId: rule.id, message: parsed.error });
    return false;
  }
  const v = parsed.value;
  const range = (x: number | undefined): boolean =>
    v.kind === 'range' && inRange(relation, x, v.range.min, v.range.max);
  switch (rule.property) {
    case 'Direction':
      return v.kind === 'direction' && yesNo(relation, p.direction === v.direction);
    case 'Interface': {
      const name = packetInterface(p);
      let hit = false;
      if (name === undefined) hit = false;
      else if (v.kind === 'interface') hit = interfaceMatches(v.name, name);
      else if (v.kind === 'interfaceAttribute') {
        const list =
          v.attribute === 'external'
            ? s.doc.settings.externalInterfaces
            : s.doc.settings.internalInterfaces;
        hit = list.some((pattern) => interfaceMatches(pattern, name));
      } else return false;
      return yesNo(relation, hit);
    }
    case 'Include': {
      if (v.kind === 'includeState') return yesNo(relation, tracked(s));
      if (v.kind !== 'include') return false;
      return yesNo(relation, includeLookup(s, rule, v.table));
    }
    case 'Source MAC Address':
    case 'Dest MAC Address': {
      if (v.kind !== 'mac') return false;
      const mac = rule.property === 'Source MAC Address' ? p.srcMac : p.dstMac;
      return yesNo(relation, mac === v.mac);
    }
    case 'Source net':
    case 'Dest net': {
      if (v.kind !== 'address') return false;
      // An address of the other family is outside the range: only `!=` holds for it.
      if (v.match.family !== p.ipVersion) return relation === '!=';
      const ip = parseIpAddress(rule.property === 'Source net' ? p.src : p.dst);
      return ip !== undefined && inRange(relation, ip.value, v.match.first, v.match.last);
    }
    case 'Protocol':
      return v.kind === 'protocol' && inRange(relation, p.protocol, v.number, v.number);
    case 'Fragment offset':
      return range(p.ipVersion === 4 ? p.fragmentOffset : undefined);
    case 'IP options': {
      if (v.kind !== 'ipOptions') return false;
      const present = p.ipVersion === 4 ? p.ipOptions : [];
      return optionList(relation, v.options, present);
    }
    case 'ICMP type':
      return range(hasIcmpHeader(p) ? p.icmpType : undefined);
    case 'ICMP code':
      return range(hasIcmpHeader(p) ? p.icmpCode : undefined);
    case 'TCP header flags': {
      if (v.kind !== 'tcpFlags') return false;
      const flags = p.protocol === 6 ? (p.tcpFlags ?? []) : undefined;
      const hit =
        flags !== undefined &&
        v.on.every((f) => flags.includes(f)) &&
        v.off.every((f) => !flags.includes(f));
      return yesNo(relation, hit);
    }
    case 'TCP options': {
      if (v.kind !== 'tcpOptions') return false;
      const present = p.protocol === 6 ? (p.tcpOptions ?? []) : [];
      return optionList(relation, v.options, present);
    }
    case 'Source port':
      return range(hasTcpUdpPorts(p) ? p.srcPort : undefined);
    case 'Dest port':
      return range(hasTcpUdpPorts(p) ? p.dstPort : undefined);
    case 'Data content':
    case 'URL keyword': {
      if (v.kind !== 'content') return false;
      const found = contentFound(p, rule.property, relation, v);
      if (found === undefined) return relation === '!=' || relation === '<=';
      return yesNo(relation, found);
    }
    case 'Time of day': {
      if (v.kind !== 'timeOfDay') return false;
      const t = p.time ?? s.now;
      const minute = Math.floor(
        (((t / 60 + (s.options.utcOffsetMinutes ?? 0)) % 1440) + 1440) % 1440,
      );
      const hit =
        v.fromMinute <= v.toMinute
          ? minute >= v.fromMinute && minute <= v.toMinute
          : minute >= v.fromMinute || minute <= v.toMinute;
      return relation === '!=' ? !hit : hit;
    }
    case 'Day of week': {
      if (v.kind !== 'dayOfWeek') return false;
      const t = p.time ?? s.now;
      const localDays = Math.floor((t / 60 + (s.options.utcOffsetMinutes ?? 0)) / 1440);
      // 1970-01-01 was a Thursday (4).
      const day = (((localDays + 4) % 7) + 7) % 7;
      return v.days.includes(day) === (relation !== '!=');
    }
    case 'Date and time': {
      // "The rule applies until then": `==`/`<=` before the moment, `>=`/`!=` from it on.
      if (v.kind !== 'dateTime') return false;
      const t = p.time ?? s.now;
      if (relation === '>=' || relation === '!=') return t >= v.epochSeconds;
      return t < v.epochSeconds;
    }
    case 'Connection state':
      return (
        p.ctState !== undefined &&
        v.kind === 'connectionState' &&
        v.states.includes(p.ctState) === (relation !== '!=')
      );
    case 'Owner UID':
      return range(p.direction === 'outbound' ? p.uid : undefined);
    case 'Owner GID':
      return range(p.direction === 'outbound' ? p.gid : undefined);
    case 'IP version':
      return v.kind === 'ipVersion' && yesNo(relation, p.ipVersion === v.version);
    case 'Packet length':
      return range(p.length);
    case 'TTL':
      return range(p.ttl);
    case 'DSCP':
      return range(p.dscp);
    case 'Rate': {
      // Over the rate matches `==`/`>=`; within it matches `<=`/`!=` (nft `limit rate [over]`).
      if (v.kind !== 'rate') return false;
      const key = v.rate.perSource ? `${rule.id}|${p.src}` : rule.id;
      const within = takeTokens(s, key, v.rate, v.rate.unit === 'bytes' ? p.length : 1);
      return relation === '<=' || relation === '!=' ? within : !within;
    }
    case 'Parent match count':
    case 'Parent byte count':
      return range(parentCount(s, rule, parent));
    default:
      return false;
  }
}

/** `==`: every listed option is present; `!=`: none is; an absent header has none. */
function optionList(
  relation: Rule['relation'],
  listed: readonly number[],
  present: readonly number[],
): boolean {
  const all = listed.every((o) => present.includes(o));
  const none = !listed.some((o) => present.includes(o));
  switch (relation) {
    case '==':
    case 'a=A':
    case '>=':
      return all;
    case '!=':
      return none;
    case '<=':
      return true;
  }
}

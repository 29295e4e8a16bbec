// Runtime: pure (shared/). The packet the reference evaluator judges, and its one-line text form:
//   in eth0 tcp 10.0.0.5:40000 > 10.0.0.1:22 flags syn
//   out wg0 udp [2001:db8::1]:5353 > [ff02::fb]:5353 len 120
//   in eth0 icmp 192.0.2.7 > 10.0.0.1 type echo-request
//   routed eth0 eth1 tcp 192.0.2.7:40000 > 10.1.0.5:22 flags syn   (through the host: tested twice)
// Invariant: parsePacketSpec(formatPacket(p)) describes the same packet as p, and every parse
// error names the word it could not read.

import { formatIp, parseIpAddress } from '../model/address.ts';
import { utf8 } from '../model/values.ts';
import type { ConnectionState, Result, TcpFlag } from '../model/values.ts';

export type Direction = 'inbound' | 'outbound';

export interface Packet {
  /** For a routed packet: `inbound` (it arrives from a network). */
  direction: Direction;
  /** Arrival interface (inbound, and a routed packet's). */
  inInterface?: string;
  /** Leaving interface (outbound, and a routed packet's). */
  outInterface?: string;
  /**
   * Routed through the host (arrives by `inInterface`, leaves by `outInterface`): the rules test
   * it twice, inbound on arrival and, if it passed, outbound on departure (DESIGN §3.9).
   */
  routed?: true;
  ipVersion: 4 | 6;
  /** Canonical address text (`10.0.0.5`, `2001:db8::1`). */
  src: string;
  dst: string;
  /** IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6). */
  protocol: number;
  srcPort?: number;
  dstPort?: number;
  /** Flags that are on; absent flags are off. TCP only. */
  tcpFlags?: TcpFlag[];
  /** TCP options present (kind numbers). */
  tcpOptions?: number[];
  icmpType?: number;
  icmpCode?: number;
  /** Bytes of the IP packet (header included): what nft counters count. */
  length: number;
  /** TTL (IPv4) or hop limit (IPv6) as the hook sees it (a routed packet's is already decremented). */
  ttl: number;
  dscp: number;
  ctState?: ConnectionState;
  /** Owner of the sending socket (outbound only). */
  uid?: number;
  gid?: number;
  /** IPv4 fragment offset in 8-byte units; 0 for a first (or unfragmented) packet. */
  fragmentOffset: number;
  /** IPv4 option numbers present (`3` loose source route, `9` strict source route, ...). */
  ipOptions: number[];
  srcMac?: string;
  dstMac?: string;
  payload?: Uint8Array;
  /** Seconds since the epoch (UTC), for Time of day / Day of week / Date and time. */
  time?: number;
}

export const PROTOCOLS: Readonly<Record<string, number>> = {
  icmp: 1,
  igmp: 2,
  tcp: 6,
  udp: 17,
  gre: 47,
  esp: 50,
  ah: 51,
  icmpv6: 58,
  'ipv6-icmp': 58,
  sctp: 132,
};
const PROTOCOL_NAMES: Readonly<Record<number, string>> = {
  1: 'icmp',
  2: 'igmp',
  6: 'tcp',
  17: 'udp',
  47: 'gre',
  50: 'esp',
  51: 'ah',
  58: 'icmpv6',
  132: 'sctp',
};

export const hasPorts = (protocol: number): boolean =>
  protocol === 6 || protocol === 17 || protocol === 132;
export const isIcmp = (p: Pick<Packet, 'protocol' | 'ipVersion'>): boolean =>
  (p.ipVersion === 4 && p.protocol === 1) || (p.ipVersion === 6 && p.protocol === 58);

const ICMP_TYPES: Readonly<Record<string, number>> = {
  'echo-reply': 0,
  'destination-unreachable': 3,
  'dest-unreachable': 3,
  unreachable: 3,
  'source-quench': 4,
  redirect: 5,
  'echo-request': 8,
  echo: 8,
  'router-advertisement': 9,
  'router-solicitation': 10,
  'time-exceeded': 11,
  'parameter-problem': 12,
  'timestamp-request': 13,
  'timestamp-reply': 14,
};
const ICMPV6_TYPES: Readonly<Record<string, number>> = {
  'destination-unreachable': 1,
  'dest-unreachable': 1,
  unreachable: 1,
  'packet-too-big': 2,
  'time-exceeded': 3,
  'parameter-problem': 4,
  'echo-request': 128,
  echo: 128,
  'echo-reply': 129,
  'nd-router-solicit': 133,
  'nd-router-advert': 134,
  'nd-neighbor-solicit': 135,
  'nd-neighbor-advert': 136,
};

const TCP_FLAG_ORDER: readonly TcpFlag[] = ['fin', 'syn', 'rst', 'psh', 'ack', 'urg', 'ecn', 'cwr'];

/** Header bytes below the payload, for a default length. */
function headerLength(version: 4 | 6, protocol: number, ipOptions: number[]): number {
  // Each option is taken as one 4-byte word (type, length, two bytes of data).
  const ip = version === 4 ? 20 + 4 * ipOptions.length : 40;
  const l4 = protocol === 6 ? 20 : protocol === 17 || protocol === 1 || protocol === 58 ? 8 : 0;
  return ip + l4;
}

const fail = <T>(error: string): Result<T> => ({ ok: false, error });

/** `10.0.0.5:40000`, `10.0.0.5`, `[2001:db8::1]:22`, `2001:db8::1`. */
function parseEndpoint(
  word: string,
  which: string,
): Result<{ address: string; family: 4 | 6; port?: number }> {
  let host = word;
  let portText: string | undefined;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(word);
  if (bracket) {
    host = bracket[1] ?? '';
    portText = bracket[2];
  } else if ((word.match(/:/g) ?? []).length === 1) {
    const i = word.indexOf(':');
    host = word.slice(0, i);
    portText = word.slice(i + 1);
  }
  const ip = parseIpAddress(host);
  if (!ip) return fail(`${which} address "${host}" is not an IPv4 or IPv6 address`);
  const out: { address: string; family: 4 | 6; port?: number } = {
    address: formatIp(ip.family, ip.value),
    family: ip.family,
  };
  if (portText !== undefined) {
    if (!/^\d+$/.test(portText) || Number(portText) > 65535)
      return fail(`${which} port "${portText}" is not a port (0-65535)`);
    out.port = Number(portText);
  }
  return { ok: true, value: out };
}

const KEYWORDS = new Set([
  'flags',
  'type',
  'code',
  'len',
  'length',
  'ttl',
  'hoplimit',
  'dscp',
  'state',
  'ct',
  'uid',
  'gid',
  'frag',
  'options',
  'tcpoptions',
  'payload',
  'time',
  'smac',
  'dmac',
]);

/**
 * Read the one-line packet form. Grammar (words separated by spaces):
 *   (in|out) [INTERFACE] PROTOCOL SRC > DST [flags F,F] [type T] [code C] [len N] [ttl N]
 *   or: routed IN-INTERFACE OUT-INTERFACE PROTOCOL SRC > DST ... (a packet routed through the host)
 *   [dscp N] [state S] [uid N] [gid N] [frag N] [options N,N] [tcpoptions N,N]
 *   [payload "text"|<hex>] [time ISO|EPOCH] [smac M] [dmac M]
 * PROTOCOL is a name (tcp, udp, icmp, icmpv6, ...) or `proto N`.
 */
export function parsePacketSpec(spec: string): Result<Packet> {
  const words = tokenize(spec);
  if (!words.ok) return words;
  const w = words.value;
  let i = 0;
  const next = (): string | undefined => w[i++];
  const dirWord = next()?.toLowerCase();
  let direction: Direction;
  let routed: [string, string] | undefined;
  if (dirWord === 'in' || dirWord === 'inbound') direction = 'inbound';
  else if (dirWord === 'out' || dirWord === 'outbound') direction = 'outbound';
  else if (dirWord === 'routed' || dirWord === 'fwd') {
    direction = 'inbound';
    const from = next();
    const to = next();
    if (from === undefined || to === undefined || PROTOCOLS[to.toLowerCase()] !== undefined)
      return fail('routed needs the arrival and the leaving interface: routed eth0 eth1 tcp ...');
    routed = [from, to];
  } else return fail(`packet must start with in, out or routed, not "${dirWord ?? ''}"`);

  let iface: string | undefined;
  let protoWord = next();
  if (protoWord === undefined) return fail('packet has no protocol (tcp, udp, icmp, ...)');
  if (
    !routed &&
    PROTOCOLS[protoWord.toLowerCase()] === undefined &&
    protoWord.toLowerCase() !== 'proto'
  ) {
    iface = protoWord;
    protoWord = next();
    if (protoWord === undefined) return fail('packet has no protocol (tcp, udp, icmp, ...)');
  }
  let protocol: number;
  if (protoWord.toLowerCase() === 'proto') {
    const n = next();
    if (n === undefined || !/^\d+$/.test(n) || Number(n) > 255)
      return fail(`proto "${n ?? ''}" is not a protocol number (0-255)`);
    protocol = Number(n);
  } else {
    const n = PROTOCOLS[protoWord.toLowerCase()];
    if (n === undefined)
      return fail(`"${protoWord}" is not a protocol (tcp, udp, icmp, icmpv6, or proto N)`);
    protocol = n;
  }
  const srcWord = next();
  if (srcWord === undefined) return fail('packet has no source address');
  const arrow = next();
  if (arrow !== '>')
    return fail(`expected ">" between source and destination, found "${arrow ?? ''}"`);
  const dstWord = next();
  if (dstWord === undefined) return fail('packet has no destination address');
  const src = parseEndpoint(srcWord, 'source');
  if (!src.ok) return src;
  const dst = parseEndpoint(dstWord, 'destination');
  if (!dst.ok) return dst;
  if (src.value.family !== dst.value.family)
    return fail('source and destination mix IPv4 and IPv6');
  const ipVersion = src.value.family;
  if (protocol === 1 && ipVersion === 6) protocol = 58;
  if (protocol === 58 && ipVersion === 4) return fail('icmpv6 needs IPv6 addresses');

  const packet: Packet = {
    direction,
    ipVersion,
    src: src.value.address,
    dst: dst.value.address,
    protocol,
    length: 0,
    ttl: 64,
    dscp: 0,
    fragmentOffset: 0,
    ipOptions: [],
  };
  if (routed) {
    packet.inInterface = routed[0];
    packet.outInterface = routed[1];
    packet.routed = true;
  } else if (iface !== undefined) {
    if (direction === 'inbound') packet.inInterface = iface;
    else packet.outInterface = iface;
  }
  if (hasPorts(protocol)) {
    packet.srcPort = src.value.port ?? 40000;
    packet.dstPort = dst.value.port ?? 0;
  } else if (src.value.port !== undefined || dst.value.port !== undefined) {
    return fail(`${PROTOCOL_NAMES[protocol] ?? `protocol ${protocol}`} has no ports`);
  }
  if (protocol === 6) packet.tcpFlags = [];
  if (isIcmp(packet)) {
    packet.icmpType = ipVersion === 4 ? 8 : 128;
    packet.icmpCode = 0;
  }
  let explicitLength: number | undefined;

  const number = (key: string, text: string | undefined, max: number): Result<number> => {
    if (text === undefined || !/^\d+$/.test(text) || Number(text) > max)
      return fail(`${key} "${text ?? ''}" is not a number (0-${max})`);
    return { ok: true, value: Number(text) };
  };
  const numberList = (key: string, text: string | undefined, max: number): Result<number[]> => {
    const items = (text ?? '').split(',').filter((s) => s !== '');
    const out: number[] = [];
    for (const item of items) {
      const n = number(key, item, max);
      if (!n.ok) return n;
      out.push(n.value);
    }
    if (out.length === 0) return fail(`${key} needs a list of numbers`);
    return { ok: true, value: out };
  };

  while (i < w.length) {
    const key = (next() ?? '').toLowerCase();
    if (!KEYWORDS.has(key))
      return fail(`unknown word "${key}" (expected one of ${[...KEYWORDS].join(', ')})`);
    const value = next();
    if (value === undefined) return fail(`${key} needs a value`);
    switch (key) {
      case 'flags': {
        if (protocol !== 6) return fail('flags are for tcp packets');
        const flags = new Set<TcpFlag>();
        for (const f of value
          .toLowerCase()
          .split(',')
          .filter((s) => s !== '' && s !== 'none')) {
          const flag = (f === 'ece' ? 'ecn' : f) as TcpFlag;
          if (!TCP_FLAG_ORDER.includes(flag))
            return fail(`"${f}" is not a TCP flag (${TCP_FLAG_ORDER.join(', ')})`);
          flags.add(flag);
        }
        packet.tcpFlags = TCP_FLAG_ORDER.filter((f) => flags.has(f));
        break;
      }
      case 'type': {
        if (!isIcmp(packet)) return fail('type is for icmp packets');
        const named = (ipVersion === 4 ? ICMP_TYPES : ICMPV6_TYPES)[value.toLowerCase()];
        const n =
          named !== undefined ? { ok: true as const, value: named } : number('type', value, 255);
        if (!n.ok) return n;
        packet.icmpType = n.value;
        break;
      }
      case 'code': {
        if (!isIcmp(packet)) return fail('code is for icmp packets');
        const n = number('code', value, 255);
        if (!n.ok) return n;
        packet.icmpCode = n.value;
        break;
      }
      case 'len':
      case 'length': {
        const n = number('len', value, 65535);
        if (!n.ok) return n;
        explicitLength = n.value;
        break;
      }
      case 'ttl':
      case 'hoplimit': {
        const n = number('ttl', value, 255);
        if (!n.ok) return n;
        packet.ttl = n.value;
        break;
      }
      case 'dscp': {
        const n = number('dscp', value, 63);
        if (!n.ok) return n;
        packet.dscp = n.value;
        break;
      }
      case 'state':
      case 'ct': {
        const s = value.toLowerCase();
        if (!['new', 'established', 'related', 'invalid', 'untracked'].includes(s))
          return fail(`state "${value}" is not new, established, related, invalid or untracked`);
        packet.ctState = s as ConnectionState;
        break;
      }
      case 'uid':
      case 'gid': {
        const n = number(key, value, 4294967294);
        if (!n.ok) return n;
        packet[key] = n.value;
        break;
      }
      case 'frag': {
        const n = number('frag', value, 8191);
        if (!n.ok) return n;
        packet.fragmentOffset = n.value;
        break;
      }
      case 'options': {
        const n = numberList('options', value, 31);
        if (!n.ok) return n;
        packet.ipOptions = n.value;
        break;
      }
      case 'tcpoptions': {
        const n = numberList('tcpoptions', value, 255);
        if (!n.ok) return n;
        packet.tcpOptions = n.value;
        break;
      }
      case 'payload': {
        const hex = /^<([0-9a-fA-F]*)>$/.exec(value);
        if (hex) {
          const digits = hex[1] ?? '';
          if (digits.length % 2) return fail('payload hex needs an even number of digits');
          packet.payload = Uint8Array.from(digits.match(/../g) ?? [], (h) => parseInt(h, 16));
        } else packet.payload = utf8(value);
        break;
      }
      case 'time': {
        const t = /^\d+$/.test(value) ? Number(value) : Date.parse(value) / 1000;
        if (!Number.isFinite(t))
          return fail(`time "${value}" is not an ISO date or seconds since the epoch`);
        packet.time = Math.floor(t);
        break;
      }
      case 'smac':
      case 'dmac': {
        if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(value))
          return fail(`${key} "${value}" is not a MAC address`);
        if (key === 'smac') packet.srcMac = value.toLowerCase();
        else packet.dstMac = value.toLowerCase();
        break;
      }
    }
  }
  packet.length =
    explicitLength ??
    headerLength(ipVersion, protocol, packet.ipOptions) + (packet.payload?.length ?? 0);
  return { ok: true, value: packet };
}

/** Split on spaces, keeping `"quoted text"` (with \" and \\ escapes) as one word. */
function tokenize(spec: string): Result<string[]> {
  const out: string[] = [];
  let i = 0;
  while (i < spec.length) {
    const c = spec[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"') {
      let word = '';
      i++;
      while (i < spec.length && spec[i] !== '"') {
        if (spec[i] === '\\' && i + 1 < spec.length) i++;
        word += spec[i];
        i++;
      }
      if (i >= spec.length) return fail('unterminated "quoted" payload');
      i++;
      out.push(word);
      continue;
    }
    let word = '';
    while (i < spec.length && !/\s/.test(spec[i]!)) word += spec[i++];
    out.push(word);
  }
  return { ok: true, value: out };
}

function endpoint(address: string, version: 4 | 6, port: number | undefined): string {
  if (port === undefined) return address;
  return version === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

/** The one-line form; parsePacketSpec reads it back to the same packet. */
export function formatPacket(p: Packet): string {
  const parts: string[] = [];
  if (p.routed) parts.push('routed', p.inInterface ?? 'any', p.outInterface ?? 'any');
  else {
    parts.push(p.direction === 'inbound' ? 'in' : 'out');
    const iface = p.direction === 'inbound' ? p.inInterface : p.outInterface;
    if (iface !== undefined) parts.push(iface);
  }
  const name = PROTOCOL_NAMES[p.protocol];
  parts.push(name ?? `proto ${p.protocol}`);
  const ports = hasPorts(p.protocol);
  parts.push(
    endpoint(p.src, p.ipVersion, ports ? p.srcPort : undefined),
    '>',
    endpoint(p.dst, p.ipVersion, ports ? p.dstPort : undefined),
  );
  if (p.protocol === 6) parts.push('flags', p.tcpFlags?.length ? p.tcpFlags.join(',') : 'none');
  if (isIcmp(p)) parts.push('type', String(p.icmpType ?? 0), 'code', String(p.icmpCode ?? 0));
  parts.push('len', String(p.length));
  if (p.ttl !== 64) parts.push('ttl', String(p.ttl));
  if (p.dscp !== 0) parts.push('dscp', String(p.dscp));
  if (p.ctState) parts.push('state', p.ctState);
  if (p.uid !== undefined) parts.push('uid', String(p.uid));
  if (p.gid !== undefined) parts.push('gid', String(p.gid));
  if (p.fragmentOffset) parts.push('frag', String(p.fragmentOffset));
  if (p.ipOptions.length) parts.push('options', p.ipOptions.join(','));
  if (p.tcpOptions?.length) parts.push('tcpoptions', p.tcpOptions.join(','));
  if (p.payload?.length)
    parts.push(
      'payload',
      `<${[...p.payload].map((b) => b.toString(16).padStart(2, '0')).join('')}>`,
    );
  if (p.time !== undefined) parts.push('time', String(p.time));
  if (p.srcMac) parts.push('smac', p.srcMac);
  if (p.dstMac) parts.push('dmac', p.dstMac);
  return parts.join(' ');
}

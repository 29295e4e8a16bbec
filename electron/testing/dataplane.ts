// Runtime: plain Node, tests only (root). A firewall namespace and a peer joined by two veth
// pairs, where hand-built packets (rawsend.py) cross the rules under test one at a time and an
// observer table tells, per packet, whether the kernel delivered it and whether a reject reply
// (TCP reset or ICMP unreachable) came out. Used by the semantic and differential kernel tests.
// Invariant: the observer never decides a verdict of its own for a probe: it runs before the rules
// only to drop neighbour-discovery/MLD chatter (never a probe), and after them only to record and
// drop what they accepted, so the host's own stack never answers a probe.
//
//   fw  eth0 10.50.0.1/24 fd50::1/64  <->  peer eth0 10.50.0.2 fd50::2   remote hosts 10.70.0.0/24 fd70::/64
//   fw  eth1 10.51.0.1/24 fd51::1/64  <->  peer eth1 10.51.0.2 fd51::2   remote hosts 10.71.0.0/24 fd70:0:0:1::/64
//   fw  local addresses (any-IP on lo): 10.60.0.0/24, fd60::/64
//
// Inbound probes arrive at fw on the interface whose remote range holds their source; outbound
// probes leave fw by the interface whose remote range holds their destination. An inbound probe
// to a remote host behind the other link is routed (forward hook) and counts as delivered there.
// NOTE: a routed probe needs TTL > 1: the kernel drops TTL 1 before the forward hook.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseIpAddress } from '../../shared/model/address.ts';
import type { Packet } from '../../shared/evaluator/packet.ts';
import { kernelSkipReason, which, type Namespace, type TestNet } from './netns.ts';

const rawsendPath = join(dirname(fileURLToPath(import.meta.url)), 'rawsend.py');

/** Why the data-plane tests cannot run here (they also need python3 and tcpdump), if so. */
export const dataPlaneSkipReason: string | undefined =
  kernelSkipReason ??
  (!which('python3') ? 'data-plane tests need python3' : undefined) ??
  (!which('tcpdump') ? 'data-plane tests need tcpdump' : undefined);

export const PROBE_MARK = 0x7701;

export const INTERFACES = ['eth0', 'eth1'] as const;
export type FwInterface = (typeof INTERFACES)[number];

/** Address pools the tests draw from. */
export const POOLS = {
  remote4: { eth0: '10.70.0.', eth1: '10.71.0.' },
  remote6: { eth0: 'fd70::', eth1: 'fd70:0:0:1::' },
  local4: '10.60.0.',
  local6: 'fd60::',
} as const;

/** The fw interface that reaches a remote address (by the pools above), or undefined. */
export function interfaceFor(address: string): FwInterface | undefined {
  if (address.startsWith(POOLS.remote4.eth0)) return 'eth0';
  if (address.startsWith(POOLS.remote4.eth1)) return 'eth1';
  const ip = parseIpAddress(address);
  if (ip?.family === 6) {
    const top64 = ip.value >> 64n;
    if (top64 === 0xfd70_0000_0000_0000n) return 'eth0';
    if (top64 === 0xfd70_0000_0000_0001n) return 'eth1';
  }
  return undefined;
}

export interface ProbeFate {
  delivered: boolean;
  /** A TCP reset or ICMP unreachable answering this probe came out of the rules. */
  replied: boolean;
}

const OBSERVER = `
table inet twobs {
  set in4 { typeof ip id; flags dynamic; size 65536; }
  set in6 { typeof ip6 flowlabel; flags dynamic; size 65536; }
  set out4 { typeof ip id; flags dynamic; size 65536; }
  set out6 { typeof ip6 flowlabel; flags dynamic; size 65536; }
  set fwd4 { typeof ip id; flags dynamic; size 65536; }
  set fwd6 { typeof ip6 flowlabel; flags dynamic; size 65536; }
  set rstseq { typeof tcp sequence; flags dynamic; size 65536; }
  set rstack { typeof tcp ackseq; flags dynamic; size 65536; }
  set unr4 { type inet_service; flags dynamic; size 65536; }
  set unr6 { type mark; flags dynamic; size 65536; }
  chain pre_in {
    type filter hook input priority -300; policy accept;
    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, nd-router-advert, nd-redirect, mld-listener-query, mld-listener-report, mld2-listener-report, mld-listener-done } drop
  }
  chain pre_out {
    type filter hook output priority -300; policy accept;
    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, nd-router-advert, nd-redirect, mld-listener-query, mld-listener-report, mld2-listener-report, mld-listener-done } drop
  }
  chain post_in {
    type filter hook input priority 300; policy drop;
    iifname "lo" goto reply
    meta nfproto ipv4 add @in4 { ip id } drop
    meta nfproto ipv6 add @in6 { ip6 flowlabel } drop
  }
  chain post_fwd {
    type filter hook forward priority 300; policy drop;
    meta nfproto ipv4 add @fwd4 { ip id } drop
    meta nfproto ipv6 add @fwd6 { ip6 flowlabel } drop
  }
  # The rules under test may set high mark bits (Dont log, Exit group): look at the low 16 only.
  chain post_out {
    type filter hook output priority 300; policy drop;
    meta mark & 0xffff == ${PROBE_MARK} meta nfproto ipv4 add @out4 { ip id } drop
    meta mark & 0xffff == ${PROBE_MARK} meta nfproto ipv6 add @out6 { ip6 flowlabel } drop
    oifname "lo" accept
    goto reply
  }
  chain reply {
    tcp flags & rst == rst add @rstseq { tcp sequence } add @rstack { tcp ackseq } drop
    icmp type destination-unreachable add @unr4 { @th,96,16 } drop
    icmpv6 type destination-unreachable add @unr6 { @th,64,32 } drop
    drop
  }
}
`;

const OBSERVER_SETS = [
  'in4',
  'in6',
  'out4',
  'out6',
  'fwd4',
  'fwd6',
  'rstseq',
  'rstack',
  'unr4',
  'unr6',
];

/** TCP sequence numbers of probe `id`: a reset answering it carries one of them back. */
export const probeSeq = (id: number): number => id * 65536 + 1000;
export const probeAck = (id: number): number => id * 65536 + 5000;

/** Bytes each TCP option takes in a probe (rawsend.py's encoding, NOP-padded to 4 bytes):
 * 2 mss, 3 window scale, 4 sack-permitted: 4; 5 sack (one block), 8 timestamp: 12. */
const TCP_OPTION_BYTES: Readonly<Record<number, number>> = { 2: 4, 3: 4, 4: 4, 5: 12, 8: 12 };

export function tcpOptionLength(options: readonly number[]): number {
  return options.reduce((n, o) => n + (TCP_OPTION_BYTES[o] ?? 4), 0);
}

/** Bytes each IPv4 option takes in a probe (rawsend.py's encoding): a source route (3, 9) with
 * one hop, NOP-padded: 8; record route (7), router alert (20): 4. */
export function ipOptionLength(options: readonly number[]): number {
  return options.reduce((n, o) => n + (o === 3 || o === 9 ? 8 : 4), 0);
}

/** Bytes after the IP and transport headers (what rawsend.py pads the packet with). */
const payloadLength = (p: Packet): number =>
  p.length -
  (p.ipVersion === 4 ? 20 + ipOptionLength(p.ipOptions) : 40) -
  (p.protocol === 6
    ? 20 + tcpOptionLength(p.tcpOptions ?? [])
    : p.protocol === 17 || p.protocol === 1 || p.protocol === 58
      ? 8
      : 0);

const byteSwap32 = (v: number): number =>
  (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;

export class DataPlane {
  private constructor(
    readonly fw: Namespace,
    readonly peer: Namespace,
    private readonly fwMacs: Record<FwInterface, string>,
    private readonly peerMacs: Record<FwInterface, string>,
  ) {}

  static async create(net: TestNet): Promise<DataPlane> {
    const fw = await net.namespace('fw');
    const peer = await net.namespace('peer');
    await net.link(fw, peer, {
      aName: 'eth0',
      bName: 'eth0',
      aAddresses: ['10.50.0.1/24', 'fd50::1/64'],
      bAddresses: ['10.50.0.2/24', 'fd50::2/64'],
    });
    await net.link(fw, peer, {
      aName: 'eth1',
      bName: 'eth1',
      aAddresses: ['10.51.0.1/24', 'fd51::1/64'],
      bAddresses: ['10.51.0.2/24', 'fd51::2/64'],
    });
    await fw.sh(
      [
        'ip route add local 10.60.0.0/24 dev lo',
        'ip -6 route add local fd60::/64 dev lo',
        'ip route add 10.70.0.0/24 via 10.50.0.2',
        'ip route add 10.71.0.0/24 via 10.51.0.2',
        'ip -6 route add fd70::/64 via fd50::2',
        'ip -6 route add fd70:0:0:1::/64 via fd51::2',
        // fw routes between its two links: an inbound packet for the other side is forwarded.
        'sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1',
        // Probes may carry a (fully used) loose/strict source route option: accept them.
        'sysctl -qw net.ipv4.conf.all.accept_source_route=1 net.ipv4.conf.default.accept_source_route=1',
        'sysctl -qw net.ipv4.conf.eth0.accept_source_route=1 net.ipv4.conf.eth1.accept_source_route=1',
        // Reject replies must not be rate limited: every one is counted.
        'sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0',
        'sysctl -qw net.ipv4.icmp_msgs_per_sec=100000 net.ipv4.icmp_msgs_burst=100000',
      ].join(' && '),
    );
    await fw.loadNft(OBSERVER);
    const fwMacs = { eth0: await net.mac(fw, 'eth0'), eth1: await net.mac(fw, 'eth1') };
    const peerMacs = { eth0: await net.mac(peer, 'eth0'), eth1: await net.mac(peer, 'eth1') };
    return new DataPlane(fw, peer, fwMacs, peerMacs);
  }

  /**
   * Take the observer out while real sockets talk (it drops whatever the rules accept, which a
   * TCP handshake cannot survive), and put it back for hand-built probes.
   */
  async pauseObserver(): Promise<void> {
    await this.fw.nft(['delete', 'table', 'inet', 'twobs']);
  }

  async resumeObserver(): Promise<void> {
    await this.fw.loadNft(OBSERVER);
  }

  /** Empty the observer's record (before a batch). */
  async resetObserver(): Promise<void> {
    await this.fw.loadNft(OBSERVER_SETS.map((s) => `flush set inet twobs ${s}`).join('\n') + '\n');
  }

  private async observed(): Promise<Record<string, Set<number>>> {
    const listing = (await this.fw.nftJson(['list', 'table', 'inet', 'twobs'])) as {
      nftables: Array<{ set?: { name: string; elem?: unknown[] } }>;
    };
    const out: Record<string, Set<number>> = {};
    for (const item of listing.nftables) {
      if (!item.set) continue;
      const values = new Set<number>();
      for (const e of item.set.elem ?? []) {
        const v =
          typeof e === 'object' && e !== null && 'elem' in e
            ? (e as { elem: { val: unknown } }).elem.val
            : e;
        values.add(Number(v));
      }
      out[item.set.name] = values;
    }
    return out;
  }

  /**
   * Send packets in order (ids 1..n) and report each one's fate. Inbound packets must come from a
   * remote pool address (which fixes their interface); outbound ones must go to one.
   */
  async send(packets: readonly Packet[]): Promise<ProbeFate[]> {
    if (packets.length > 60000) throw new Error('at most 60000 probes per batch');
    await this.resetObserver();
    const probes = packets.map((p, i) => this.probe(p, i + 1));
    const dir = mkdtempSync(join(tmpdir(), 'tw-probes-'));
    try {
      const file = join(dir, 'probes.json');
      writeFileSync(file, JSON.stringify({ mark: PROBE_MARK, interfaces: INTERFACES, probes }), {
        mode: 0o600,
      });
      await this.fw.exec(['python3', rawsendPath, `/run/netns/${this.peer.name}`, file], {
        timeoutMs: 60_000,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const seen = await this.observed();
    const has = (set: string, v: number) => seen[set]?.has(v) ?? false;
    return packets.map((p, i) => {
      const id = i + 1;
      const v4 = p.ipVersion === 4;
      const delivered =
        p.direction === 'inbound'
          ? has(v4 ? 'in4' : 'in6', id) || has(v4 ? 'fwd4' : 'fwd6', id)
          : has(v4 ? 'out4' : 'out6', id);
      let replied = false;
      if (p.protocol === 6) {
        const flags = p.tcpFlags ?? [];
        replied = flags.includes('ack')
          ? has('rstseq', probeAck(id))
          : has(
              'rstack',
              (probeSeq(id) +
                payloadLength(p) +
                (flags.includes('syn') ? 1 : 0) +
                (flags.includes('fin') ? 1 : 0)) >>>
                0,
            );
      }
      // unr6 holds the quoted first word of the IPv6 header (version, traffic class, flow label)
      // in a `mark`, which nft keeps in host byte order.
      if (!replied)
        replied = v4
          ? has('unr4', id)
          : has('unr6', byteSwap32((0x6000_0000 | ((p.dscp << 2) << 20) | id) >>> 0));
      return { delivered, replied };
    });
  }

  private probe(p: Packet, id: number): Record<string, unknown> {
    const payloadLen = payloadLength(p);
    if (payloadLen < 0) throw new Error(`packet length ${p.length} is shorter than its headers`);
    const base = {
      direction: p.direction === 'inbound' ? 'in' : 'out',
      ipVersion: p.ipVersion,
      src: p.src,
      dst: p.dst,
      protocol: p.protocol,
      ttl: p.ttl,
      tos: p.dscp << 2,
      id,
      flowLabel: id,
      payloadLen,
      ...(p.payload?.length ? { payloadHex: Buffer.from(p.payload).toString('hex') } : {}),
      srcPort: p.srcPort ?? 0,
      dstPort: p.dstPort ?? 0,
      flags: p.tcpFlags ?? [],
      seq: probeSeq(id),
      ack: probeAck(id),
      icmpType: p.icmpType ?? 0,
      icmpCode: p.icmpCode ?? 0,
      ipOptions: p.ipVersion === 4 ? p.ipOptions : [],
      tcpOptions: p.protocol === 6 ? (p.tcpOptions ?? []) : [],
    };
    if (p.direction === 'outbound') {
      const via = interfaceFor(p.dst);
      if (!via || p.outInterface !== via)
        throw new Error(
          `outbound probe to ${p.dst} must leave by ${via ?? 'a remote pool interface'}`,
        );
      return base;
    }
    const via = interfaceFor(p.src);
    if (!via || p.inInterface !== via)
      throw new Error(
        `inbound probe from ${p.src} must arrive on ${via ?? 'a remote pool interface'}`,
      );
    return { ...base, ifname: via, dstMac: this.fwMacs[via], srcMac: this.peerMacs[via] };
  }
}

// Runtime: plain Node (pure logic), tests only. What the kernel should do with a sequence of probe
// packets in the DataPlane topology, according to the reference evaluator: each probe's fate and
// the per-rule counter increments, including the reply packets a Reject or Drop connection makes
// the kernel send (they cross the rules too, and count).
// The same sequence is also judged by the second oracle, the table walk: `predict` reports where
// the two disagree (they never should; the kernel is then held to both).
// Invariant: packets are judged in order with one evaluator state, the way the kernel sees them.

import {
  createState,
  evaluate,
  formatPacket,
  type Evaluation,
  type EvaluatorState,
  type Packet,
  type Verdict,
} from '../../shared/evaluator/index.ts';
import { flattenTable, tableWalk } from '../../shared/evaluator/table-walk.ts';
import type { FirewallDocument } from '../../shared/model/types.ts';
import { interfaceFor } from './dataplane.ts';

export interface Counts {
  packets: number;
  bytes: number;
}

export interface PacketPrediction {
  delivered: boolean;
  replied: boolean;
  evaluation: Evaluation;
  /** Reply packets and how they were judged (outbound, then inbound on lo for a local sender). */
  replies: { packet: Packet; evaluation: Evaluation }[];
}

export interface Prediction {
  packets: PacketPrediction[];
  counters: Record<string, Counts>;
  /** Where the table walk judged a packet (or a reply) otherwise than the evaluator. */
  oracleDisagreements: string[];
}

/** ICMP types that are errors: the kernel never answers an error with an error. */
const ICMP4_ERRORS = new Set([3, 4, 5, 11, 12]);
const NR_ICMP_TYPES = 18;

/** The fw namespace's IPv6 source for ICMPv6 errors it sends to a host behind `iface`
 * (source address selection prefers the outgoing interface's address; to a local address over lo
 * it picks eth0's). The any-IP pool addresses are not assigned to an interface, so never chosen. */
const ICMP6_SOURCE: Record<string, string> = { eth0: 'fd50::1', eth1: 'fd51::1', lo: 'fd50::1' };

/** The reply the kernel generates for a rejected packet, or undefined when it sends none. */
export function replyFor(p: Packet, verdict: Verdict): Packet | undefined {
  if (verdict !== 'reject' && verdict !== 'drop connection') return undefined;
  const outbound = p.direction === 'outbound';
  // A reply to a packet this host sent is routed back to this host, over lo.
  const iface = outbound ? 'lo' : (p.inInterface ?? 'lo');
  const base = {
    direction: 'outbound' as const,
    outInterface: iface,
    ipVersion: p.ipVersion,
    ttl: 64,
    dscp: 0,
    fragmentOffset: 0,
    ipOptions: [],
  };
  if (p.protocol === 6) {
    const flags = p.tcpFlags ?? [];
    if (flags.includes('rst')) return undefined; // never reset a reset
    return {
      ...base,
      // nf_reject writes resets with TOS / traffic class 0 (DEFAULT_TOS_VALUE).
      dscp: 0,
      src: p.dst,
      dst: p.src,
      protocol: 6,
      srcPort: p.dstPort ?? 0,
      dstPort: p.srcPort ?? 0,
      tcpFlags: flags.includes('ack') ? ['rst'] : ['rst', 'ack'],
      length: p.ipVersion === 4 ? 40 : 60,
    };
  }
  if (verdict === 'drop connection') return undefined; // only TCP gets a reset; the rest is dropped
  if (p.ipVersion === 4) {
    if (
      p.protocol === 1 &&
      (ICMP4_ERRORS.has(p.icmpType ?? 0) || (p.icmpType ?? 0) > NR_ICMP_TYPES)
    )
      return undefined;
    // icmp_send: an error keeps the original's TOS bits 1-4 and sets precedence "internet control".
    const tos = ((p.dscp << 2) & 0x1e) | 0xc0;
    return {
      ...base,
      dscp: tos >> 2,
      // To a local sender: from its own address. To a remote one: from the original destination
      // when that is this host's, else (a routed packet) from fw's address on the arrival link.
      src: outbound
        ? p.src
        : interfaceFor(p.dst)
          ? (FW_ADDRESS4[p.inInterface ?? 'eth0'] ?? p.dst)
          : p.dst,
      dst: p.src,
      protocol: 1,
      icmpType: 3,
      icmpCode: 3,
      length: 28 + Math.min(p.length, 548),
    };
  }
  if (p.protocol === 58 && (p.icmpType ?? 0) < 128) return undefined;
  const via = outbound ? 'lo' : (interfaceFor(p.src) ?? 'lo');
  return {
    ...base,
    src: ICMP6_SOURCE[via] ?? 'fd50::1',
    dst: p.src,
    protocol: 58,
    icmpType: 1,
    icmpCode: 4,
    length: 48 + Math.min(p.length, 1232),
  };
}

/** fw's own IPv4 address on each link (the source of errors about routed packets). */
const FW_ADDRESS4: Record<string, string> = { eth0: '10.50.0.1', eth1: '10.51.0.1' };

/**
 * Through the rules: a pass, a Route to (the packet leaves, by its next hop) or a Delay (it
 * arrives later; with no queue worker, as in the data-plane harness, its fallback passes at once).
 */
const delivers = (v: Verdict): boolean => v === 'pass' || v === 'route to' || v === 'delay';

/** Judge `packets` in order, as the DataPlane sends them. */
export function predict(
  doc: FirewallDocument,
  packets: readonly Packet[],
  start: EvaluatorState = createState(0),
): Prediction {
  let state = start;
  let walkState = start;
  const table = flattenTable(doc.rules);
  const oracleDisagreements: string[] = [];
  const counters: Record<string, Counts> = {};
  const count = (evaluation: Evaluation, p: Packet): void => {
    for (const id of evaluation.matched) {
      const c = (counters[id] ??= { packets: 0, bytes: 0 });
      c.packets += 1;
      c.bytes += p.length;
    }
  };
  const judge = (p: Packet): Evaluation => {
    const e = evaluate(doc, p, state);
    const t = tableWalk(doc, p, walkState, {}, table);
    const mine = JSON.stringify([e.verdict, e.verdictRuleId, e.matched, e.logEvents]);
    const theirs = JSON.stringify([t.verdict, t.verdictRuleId, t.matched, t.logEvents]);
    if (mine !== theirs)
      oracleDisagreements.push(
        `${formatPacket(p)}: evaluator ${mine}, table walk ${theirs} (verdict, rule, matched, log)`,
      );
    state = e.state;
    walkState = t.state;
    count(e, p);
    return e;
  };
  const out: PacketPrediction[] = [];
  for (const p of packets) {
    // A routed packet reaches the forward hook after the router decremented its TTL / hop limit,
    // so that is the packet the rules judge.
    const routed = p.direction === 'inbound' && interfaceFor(p.dst) !== undefined;
    const evaluation = judge(routed ? { ...p, ttl: p.ttl - 1 } : p);
    const replies: PacketPrediction['replies'] = [];
    let replied = false;
    const reply = replyFor(p, evaluation.verdict);
    if (reply) {
      const first = judge(reply);
      replies.push({ packet: reply, evaluation: first });
      if (delivers(first.verdict)) {
        if (p.direction === 'outbound') {
          const back: Packet = { ...reply, direction: 'inbound', inInterface: 'lo' };
          delete back.outInterface;
          const second = judge(back);
          replies.push({ packet: back, evaluation: second });
          replied = delivers(second.verdict);
        } else replied = true;
      }
    }
    out.push({ delivered: delivers(evaluation.verdict), replied, evaluation, replies });
  }
  return { packets: out, counters, oracleDisagreements };
}

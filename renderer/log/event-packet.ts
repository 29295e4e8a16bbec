// Runtime: browser (renderer/), pure. A log event as a packet for the evaluator (simulator and
// "make a rule from this"), and the rule a user most likely wants from it.
// The log does not carry TCP flags: a logged TCP packet is taken to be a connection attempt
// (SYN), which is what firewalls delete and log nearly always. The text says so.

import {
  evaluate,
  parsePacketSpec,
  type Evaluation,
  type Packet,
} from '../../shared/evaluator/index.ts';
import type { LogEvent } from '../../shared/ipc/app-api.ts';
import { createRule, insertBefore } from '../../shared/model/tree.ts';
import type { FirewallDocument, Rule } from '../../shared/model/types.ts';
import type { ActionName, PropertyName } from '../../shared/model/vocabulary.ts';
import type { Result } from '../../shared/model/values.ts';

const PROTOCOL_WORDS: Readonly<Record<string, string>> = {
  tcp: 'tcp',
  udp: 'udp',
  icmp: 'icmp',
  'ipv6-icmp': 'icmpv6',
  icmpv6: 'icmpv6',
};

const endpoint = (address: string, port: number | null, ports: boolean) =>
  !ports || port === null
    ? address
    : address.includes(':')
      ? `[${address}]:${port}`
      : `${address}:${port}`;

/** The packet line (simulator syntax) of a log event, or why there is none. */
export function eventToSpec(e: LogEvent): Result<string> {
  if (!e.src || !e.dst) return { ok: false, error: 'the event has no addresses' };
  const words: string[] = [e.direction === 'outbound' ? 'out' : 'in'];
  const iface = e.direction === 'outbound' ? e.outInterface : e.inInterface;
  if (iface) words.push(iface);
  const proto = e.protocol ?? '';
  const word = PROTOCOL_WORDS[proto] ?? (/^\d+$/.test(proto) ? `proto ${proto}` : proto);
  if (!word) return { ok: false, error: 'the event has no protocol' };
  words.push(word);
  const ports = word === 'tcp' || word === 'udp';
  words.push(endpoint(e.src, e.srcPort, ports), '>', endpoint(e.dst, e.dstPort, ports));
  if (word === 'tcp') words.push('flags', 'syn');
  if (word === 'icmp' || word === 'icmpv6') words.push('type', word === 'icmp' ? '8' : '128');
  words.push('len', String(Math.max(20, e.length)));
  return { ok: true, value: words.join(' ') };
}

export function eventToPacket(e: LogEvent): Result<Packet> {
  const spec = eventToSpec(e);
  return spec.ok ? parsePacketSpec(spec.value) : spec;
}

export type ProposalTest = 'source' | 'port' | 'protocol';

export interface Proposal {
  rule: Rule;
  /** The rule it goes before (where the packet is decided), or null: the end of the top level. */
  beforeId: string | null;
  rules: Rule[];
  /** The packet judged by the edited rules: decided by the new rule, if all is well. */
  after: Evaluation;
  before: Evaluation;
}

/** The tests a proposal may use for this event (a port only for TCP and UDP). */
export function proposalTests(e: LogEvent): ProposalTest[] {
  const tests: ProposalTest[] = ['source'];
  if ((e.protocol === 'tcp' || e.protocol === 'udp') && e.dstPort !== null) tests.push('port');
  if (e.protocol) tests.push('protocol');
  return tests;
}

const TEST_PROPERTY: Record<ProposalTest, PropertyName> = {
  source: 'Source net',
  port: 'Dest port',
  protocol: 'Protocol',
};

/**
 * A rule matching the event's packet, placed where that packet would reach it: right before the
 * rule that decided it (every rule above was tested and let it go on), or at the end of the top
 * level when the default policy decided.
 */
export function proposeRule(
  doc: FirewallDocument,
  e: LogEvent,
  test: ProposalTest,
  action: ActionName,
  name?: string,
): Result<Proposal> {
  const packet = eventToPacket(e);
  if (!packet.ok) return packet;
  const before = evaluate(doc, packet.value);
  const value =
    test === 'source'
      ? packet.value.ipVersion === 6
        ? `${packet.value.src}/128`
        : `${packet.value.src}/32`
      : test === 'port'
        ? String(packet.value.dstPort ?? '')
        : String(packet.value.protocol);
  const rule = createRule({
    name:
      name ??
      `from log: ${e.protocol ?? ''} ${e.src ?? ''} > ${e.dst ?? ''}${e.dstPort !== null ? `:${e.dstPort}` : ''}`,
    property: TEST_PROPERTY[test],
    value,
    action,
    expanded: false,
  });
  const beforeId = before.verdictRuleId ?? null;
  const rules = beforeId ? insertBefore(doc.rules, beforeId, rule) : [...doc.rules, rule];
  const after = evaluate({ ...doc, rules }, packet.value);
  return { ok: true, value: { rule, beforeId, rules, after, before } };
}

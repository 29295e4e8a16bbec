// Runtime: pure (shared/). The golden cases: small documents, each pinning one behaviour of the
// compiler. `../golden.test.ts` compiles them and compares with
// `<name>.json` / `<name>.nft` beside this file (UPDATE_GOLDEN=1 rewrites them);
// `electron/testing/compiler-kernel.test.ts` loads every one into a network namespace.

import { DEFAULT_SETTINGS, type DocumentSettings, type FirewallDocument, type Rule } from '../../model/types.ts';
import type { ActionName, PropertyName, RelationName } from '../../model/vocabulary.ts';
import type { CompileOptions } from '../index.ts';

export interface GoldenCase {
  name: string;
  /** What the case pins, in one sentence. */
  pins: string;
  doc: FirewallDocument;
  options?: CompileOptions;
}

/** A rule for fixtures: `r('p22', 'Dest port', '==', '22', 'Pass')`. */
export function r(
  id: string,
  property: PropertyName,
  relation: RelationName,
  value: string,
  action: ActionName,
  children: Rule[] = [],
  extra: Partial<Rule> = {},
): Rule {
  return {
    id,
    enabled: true,
    name: '',
    property,
    relation,
    value,
    action,
    parameter: '',
    children,
    expanded: true,
    ...extra,
  };
}

export const doc = (rules: Rule[], settings: Partial<DocumentSettings> = {}): FirewallDocument => ({
  rules,
  settings: { ...DEFAULT_SETTINGS, ...settings },
});

const services = [22, 25, 53, 80, 110, 143, 443, 993];

/**
 * Sibling groups on disjoint destination networks (per-site groups): one dispatch map whose
 * elements jump to the groups' chains. The members cover every kind of body: children then no
 * action (`->`), children then the rule's own Delete with a Dont log child, a Group whose Exit
 * group returns to the run's chain, a break travelling up from two levels down, an IPv6 member,
 * a leaf verdict, and a disabled sibling that overlaps them all (it does not count). A rule after
 * the run and one after the group see what the dispatch lets through. Addresses fit the kernel
 * test bench (fw's own 10.60.0.0/24 and fd60::/64, a forwarded 10.71.0.0/24), so
 * `electron/testing/semantics.test.ts` sends real packets through the same document.
 */
export const GROUP_DISPATCH_DOC: FirewallDocument = doc([
  r('sites', 'Direction', '==', 'inbound', 'Group', [
    r('s1', 'Dest net', '==', '10.60.0.0/28', '->', [
      r('s1-web', 'Dest port', '==', '80', 'Pass'),
      r('s1-rest', 'Any', '==', '', 'Delete'),
    ]),
    r('s2', 'Dest net', '==', '10.60.0.16/28', 'Delete', [
      r('s2-ssh', 'Dest port', '==', '22', 'Pass'),
      r('s2-quiet', 'Dest port', '==', '23', 'Dont log'),
    ]),
    r('s3-off', 'Dest net', '==', '10.60.0.0/24', 'Pass', [], { enabled: false }),
    r('s3', 'Dest net', '==', '10.60.0.32/28', 'Group', [
      r('s3-exit', 'Dest port', '==', '443', 'Exit group'),
      r('s3-rest', 'Any', '==', '', 'Delete no log'),
    ]),
    r('s4', 'Dest net', '==', '10.60.0.48/28', '->', [
      r('s4-tcp', 'Protocol', '==', 'tcp', '->', [r('s4-exit', 'Dest port', '==', '8080', 'Exit group')]),
      r('s4-rest', 'Any', '==', '', 'Reject'),
    ]),
    r('s5', 'Dest net', '==', 'fd60::/120', '->', [r('s5-web', 'Dest port', '==', '80', 'Pass')]),
    r('s6', 'Dest net', '==', '10.71.0.0/28', 'Pass'),
    r('after', 'Dest port', '==', '8080', 'Delete'),
  ]),
  r('last', 'Dest port', '==', '443', 'Delete'),
]);

export const GOLDEN_CASES: GoldenCase[] = [
  {
    name: 'empty-document',
    pins: 'an empty outline is four base chains (input, forward, forward_out, output) jumping to empty direction chains, default pass',
    doc: doc([]),
  },
  {
    name: 'default-policy-delete',
    pins: 'the document default policy becomes the base chains\' policy',
    doc: doc([r('lo', 'Interface', '==', 'lo', 'Pass')], { defaultPolicy: 'delete' }),
  },
  {
    name: 'leaf-verdicts',
    pins: 'each terminating action of a leaf rule: Pass, Delete (logged), Delete no log, Reject, Drop connection',
    doc: doc([
      r('pass', 'Dest port', '==', '22', 'Pass'),
      r('del', 'Source net', '==', '192.0.2.0/24', 'Delete'),
      r('delnolog', 'Source net', '==', '198.51.100.7', 'Delete no log'),
      r('rej', 'Dest port', '==', '113', 'Reject'),
      r('dropc', 'Dest port', '==', '6000-6063', 'Drop connection'),
    ]),
  },
  {
    name: 'direction-folding',
    pins: 'Direction is folded per variant: the inbound subtree exists only in tw_in, the outbound one only in tw_out',
    doc: doc([
      r('in', 'Direction', '==', 'inbound', '->', [r('in-ssh', 'Dest port', '==', '22', 'Pass')]),
      r('out', 'Direction', '==', 'outbound', '->', [r('out-web', 'Dest port', '==', '443', 'Pass')]),
      r('notin', 'Direction', '!=', 'inbound', 'Log'),
    ]),
  },
  {
    name: 'interface-in-out',
    pins: 'Interface tests iifname inbound and oifname outbound; external expands to the document list',
    doc: doc(
      [
        r('lo', 'Interface', '==', 'lo', 'Pass'),
        r('wg', 'Interface', '==', 'wg*', 'Log'),
        r('ext', 'Interface', '==', 'external', '->', [r('ext-tcp', 'Protocol', '==', 'tcp', 'Log')]),
      ],
      { externalInterfaces: ['eth1', 'eth0'] },
    ),
  },
  {
    name: 'nested-parent-action',
    pins: 'a terminating rule with children fixes its verdict first: its chain walks the children for side effects (a Pass child counts and ends the walk with the Delete) and then deletes',
    doc: doc([
      r('dns', 'Dest port', '==', '53', 'Delete', [
        r('dns-lan', 'Source net', '==', '10.0.0.0/8', 'Pass'),
        r('dns-v6', 'Source net', '==', 'fd00::/8', 'Pass'),
      ]),
    ]),
  },
  {
    name: 'dont-log-child',
    pins: 'a Delete with a Dont log child sets the mark and its log (chain v_<key>, where the walk ends) is conditional; a later Delete is conditional too',
    doc: doc([
      r('netbios', 'Dest port', '==', '137-139', 'Delete', [r('quiet', 'Any', '==', '', 'Dont log')]),
      r('later', 'Dest port', '==', '445', 'Delete'),
    ]),
  },
  {
    name: 'exit-group',
    pins: 'Exit group directly in a group returns; nested two levels down it sets the mark and every level returns',
    doc: doc([
      r('protect', 'Direction', '==', 'inbound', 'Group', [
        r('web', 'Dest port', '==', '80', 'Exit group'),
        r('tcp', 'Protocol', '==', 'tcp', '->', [
          r('syn', 'TCP header flags', '==', 'syn,-ack', '->', [
            r('ssh', 'Dest port', '==', '22', 'Exit group'),
          ]),
          r('tcp-rest', 'Any', '==', '', 'Delete'),
        ]),
      ]),
      r('after', 'Dest port', '==', '8080', 'Pass'),
    ]),
  },
  {
    name: 'exit-group-vmap',
    pins: 'a run of Exit group leaves becomes a verdict map: return in the group chain, goto a mark-and-return chain deeper down',
    doc: doc([
      r('hosts', 'Direction', '==', 'inbound', 'Group', [
        ...[8040, 8041, 8042, 8043].map((p) => r(`top${p}`, 'Dest port', '==', String(p), 'Exit group')),
        r('tcp', 'Protocol', '==', 'tcp', '->', [
          ...[8050, 8051, 8052, 8053].map((p) => r(`deep${p}`, 'Dest port', '==', String(p), 'Exit group')),
        ]),
        r('rest', 'Dest port', '==', '8040-8060', 'Delete no log'),
      ]),
      r('after', 'Dest port', '==', '8040-8060', 'Pass'),
    ]),
  },
  {
    name: 'trigger-include',
    pins: 'Trigger fills its own dynamic sets with its duration; Include triggered looks up and refreshes every triggered set',
    doc: doc(
      [
        r('banned', 'Include', '==', 'triggered', 'Delete'),
        r('telnet', 'Dest port', '==', '23', 'Trigger', [], { parameter: '10 min' }),
        r('smb', 'Dest port', '==', '445', 'Trigger'),
        r('forever', 'Dest port', '==', '31337', 'Trigger', [], { parameter: 'unlimited' }),
      ],
      { defaultTriggerDuration: 3600 },
    ),
  },
  {
    name: 'service-ports-vmap',
    pins: 'contiguous sibling Dest port leaves ending in verdicts become one verdict map with per-element counters',
    doc: doc([
      r('syn', 'TCP header flags', '==', 'syn,-ack', '->', [
        ...services.map((p) => r(`svc${p}`, 'Dest port', '==', String(p), 'Pass')),
        r('svc-x11', 'Dest port', '==', '6000-6010', 'Pass'),
        r('syn-rest', 'Any', '==', '', 'Delete'),
      ]),
    ]),
  },
  {
    name: 'banned-networks-vmap',
    pins: 'a list of banned networks (IPv4 and IPv6) becomes two verdict maps whose elements go to logged drop chains',
    doc: doc([
      r('b1', 'Source net', '==', '192.0.2.0/24', 'Delete'),
      r('b2', 'Source net', '==', '198.51.100.0-198.51.100.99', 'Delete'),
      r('b3', 'Source net', '==', '2001:db8::/32', 'Delete'),
      r('b4', 'Source net', '==', '203.0.113.9', 'Delete no log'),
      r('b5', 'Source net', '==', '2001:db8:1::1', 'Delete no log'),
    ]),
  },
  {
    name: 'protocol-vmap',
    pins: 'a run of Protocol leaves is one inet_proto verdict map (nft lists its elements by name)',
    doc: doc([
      r('gre', 'Protocol', '==', '47', 'Pass'),
      r('esp', 'Protocol', '==', '50 (ESP)', 'Pass'),
      r('sctp', 'Protocol', '==', 'sctp', 'Delete no log'),
      r('icmp6', 'Protocol', '==', '58', 'Pass'),
      r('ospf', 'Protocol', '==', '89', 'Delete'),
    ]),
  },
  {
    name: 'group-dispatch-vmap',
    pins: 'a run of sibling rules with children on disjoint networks is one dispatch map per family (jump to each body), followed by one break check',
    doc: GROUP_DISPATCH_DOC,
  },
  {
    name: 'group-run-not-dispatched',
    pins: 'sibling groups are not dispatched when one logs at match time, one compiles per direction, or two overlap',
    doc: doc([
      r('g1', 'Dest port', '==', '1001', '->', [r('g1-a', 'Protocol', '==', 'tcp', 'Pass')]),
      r('g2', 'Dest port', '==', '1002', 'Log', [r('g2-a', 'Protocol', '==', 'tcp', 'Pass')]),
      r('g3', 'Dest port', '==', '1003', '->', [r('g3-a', 'Protocol', '==', 'tcp', 'Pass')]),
      r('g4', 'Dest port', '==', '1004', '->', [r('g4-a', 'Interface', '==', 'eth0', 'Pass')]),
      r('g5', 'Dest port', '==', '1005', '->', [r('g5-a', 'Protocol', '==', 'tcp', 'Pass')]),
      r('o1', 'Source net', '==', '10.0.0.0/8', '->', [r('o1-a', 'Protocol', '==', 'tcp', 'Pass')]),
      r('o2', 'Source net', '==', '10.1.0.0/16', '->', [r('o2-a', 'Protocol', '==', 'tcp', 'Pass')]),
      r('o3', 'Source net', '==', '10.2.0.0/16', '->', [r('o3-a', 'Protocol', '==', 'tcp', 'Pass')]),
      r('o4', 'Source net', '==', '10.3.0.0/16', '->', [r('o4-a', 'Protocol', '==', 'tcp', 'Pass')]),
    ]),
  },
  {
    name: 'overlapping-siblings-not-grouped',
    pins: 'sibling leaves whose values overlap stay separate rules, because outline order decides',
    doc: doc([
      r('o1', 'Dest port', '==', '1-1024', 'Pass'),
      r('o2', 'Dest port', '==', '22', 'Delete'),
      r('o3', 'Dest port', '==', '80', 'Delete'),
      r('o4', 'Dest port', '==', '443', 'Delete'),
    ]),
  },
  {
    name: 'disabled-subtree',
    pins: 'a disabled rule and its whole subtree produce nothing and no counters',
    doc: doc([
      r('off', 'Dest port', '==', '22', 'Pass', [r('off-child', 'Any', '==', '', 'Log')], { enabled: false }),
      r('on', 'Dest port', '==', '80', 'Pass', [r('on-off', 'Any', '==', '', 'Log', [], { enabled: false })]),
    ]),
  },
  {
    name: 'conditions-vocabulary',
    pins: 'one rule per compilable property, each with its nftables expression',
    doc: doc(
      [
        r('v-state', 'Connection state', '==', 'established,related', 'Pass'),
        r('v-state-inv', 'Connection state', '==', 'invalid', 'Delete no log'),
        r('v-frag', 'Fragment offset', '==', '1-63', 'Delete'),
        r('v-ipopt', 'IP options', '==', '3,9 (source route)', 'Delete'),
        r('v-icmp', 'ICMP type', '==', '8 (echo request)', 'Log'),
        r('v-icmpcode', 'ICMP code', '==', '3', 'Log'),
        r('v-flags', 'TCP header flags', '==', 'rst', 'Log'),
        r('v-tcpopt', 'TCP options', '==', '2', 'Log'),
        r('v-sport', 'Source port', '>=', '1024', 'Log'),
        r('v-proto', 'Protocol', '!=', '6 (TCP)', 'Log'),
        r('v-mac', 'Source MAC Address', '==', '00:11:22:33:44:55', 'Log'),
        r('v-dnet', 'Dest net', '!=', '10.0.0.0/8', 'Log'),
        r('v-ver', 'IP version', '==', '6', 'Log'),
        r('v-len', 'Packet length', '>=', '1400', 'Log'),
        r('v-ttl', 'TTL', '<=', '1', 'Log'),
        r('v-dscp', 'DSCP', '==', '46', 'Log'),
        r('v-tod', 'Time of day', '==', '08:00-17:30', 'Log'),
        r('v-dow', 'Day of week', '==', 'Saturday,Sunday', 'Log'),
        r('v-date', 'Date and time', '==', '2030-01-01 00:00', 'Log'),
        r('v-rate', 'Rate', '>=', '50/s', 'Delete'),
        r('v-rate-src', 'Rate', '>=', '10/s per source', 'Delete'),
        r('v-out', 'Direction', '==', 'outbound', '->', [
          r('v-uid', 'Owner UID', '==', '1000', 'Log'),
          r('v-gid', 'Owner GID', '==', '100-200', 'Log'),
        ]),
        r('v-auth', 'Include', '==', 'authorized', 'Pass'),
        r('v-keep', 'Dest port', '==', '8443', 'Keep address', [], { parameter: '1 day' }),
        r('v-none', 'None', '==', '', 'Pass'),
        r('v-idle', 'Idle seconds', '>=', '60', 'URL', [], { parameter: 'ping://192.168.0.2' }),
        r('v-alert', 'Dest port', '==', '3389', 'Alert', [], { parameter: 'RDP probe' }),
      ],
      { externalInterfaces: ['eth0'] },
    ),
  },
  {
    name: 'rate-limits',
    pins: 'Rate limit in (and a packet or per-source Rate limit out) polices its own direction: traffic over the rate is deleted, the rest goes on; a byte-rate Rate limit out shapes: meta priority set to its HTB class 7477:N, never a verdict',
    doc: doc([
      r('rl-in', 'Dest port', '==', '80', 'Rate limit in', [], { parameter: '100/s per source' }),
      r('rl-out', 'Protocol', '==', 'udp', 'Rate limit out', [], { parameter: '1 mbit/s' }),
      r('ping', 'ICMP type', '==', '8', '->', [r('flood', 'Rate', '>=', '50/s', 'Delete')]),
    ]),
  },
  {
    name: 'masquerade',
    pins: 'Masquerade marks the packet in the filter tree; a postrouting nat chain masquerades marked packets',
    doc: doc([
      r('vm', 'Source net', '==', '192.168.122.0/24', 'Masquerade', [], { name: 'VMs go out through us' }),
    ]),
  },
  {
    name: 'delay',
    pins: 'Delay: an arriving packet goes to chain delay<i> (jump to the empty placeholder dq<i> the helper fills with its queue rule, then the fallback: accept, or drop when closed); one queue per distinct delay and mode; a packet the host sends passes at once',
    doc: doc([
      r('resets', 'Direction', '==', 'inbound', '->', [
        r('rst', 'TCP header flags', '==', 'rst', 'Delay', [], { name: 'promiscuous resets' }),
      ]),
      r('slow', 'Source net', '==', '192.0.2.0/24', 'Delay', [], { parameter: '300ms closed' }),
      r('same', 'Source net', '==', '198.51.100.0/24', 'Delay', [], { parameter: '0.5' }),
    ]),
  },
  {
    name: 'skip-next',
    pins: '++ skips the next entry in outline order: a leaf sets the skip mark and the next sibling (or the entry after its parent) consumes it in a k_<key> chain; a ++ with children never runs its first child; one before a disabled entry skips nothing',
    doc: doc([
      r('skip1', 'Dest port', '==', '1000-1999', '++'),
      r('skipped1', 'Protocol', '==', 'tcp', 'Delete'),
      r('parent', 'Protocol', '==', 'udp', '->', [
        r('first-off', 'Dest port', '==', '53', '++'),
        r('off', 'Any', '==', '', 'Delete', [], { enabled: false }),
        r('last', 'Dest port', '==', '1234', '++'),
      ]),
      r('after-parent', 'Dest port', '==', '1234', 'Reject'),
      r('skip-child', 'Dest port', '==', '2000-2999', '++', [
        r('never', 'Any', '==', '', 'Delete'),
        r('second', 'Dest port', '==', '2222', 'Pass'),
      ]),
    ]),
  },
  {
    name: 'keep-invalid',
    pins: 'Keep invalid records the source in inv4/inv6 and goes on; Include == invalid looks it up and refreshes a hit, != refreshes a hit and fails; Include == state is conntrack confirmed (or a routed packet leaving)',
    doc: doc([
      r('bad', 'Connection state', '==', 'invalid', 'Keep invalid', [], { parameter: '10 min' }),
      r('known-bad', 'Include', '==', 'invalid', 'Delete no log'),
      r('tracked', 'Include', '==', 'state', 'Pass'),
      r('not-bad', 'Include', '!=', 'invalid', 'Log'),
    ]),
  },
  {
    name: 'absent-headers',
    pins: 'a header the packet lacks compares low: != and <= hold for it (one alternative tests its absence), ==, >= do not; option lists: == all present, != none present',
    doc: doc([
      r('port-ne', 'Dest port', '!=', '80', 'Log'),
      r('port-le', 'Source port', '<=', '1000-2000', 'Log'),
      r('port-ge', 'Dest port', '>=', '1024', 'Log'),
      r('icmp-ne', 'ICMP type', '!=', '8', 'Log'),
      r('flags-ne', 'TCP header flags', '!=', 'syn,-ack', 'Log'),
      r('tcpopt-ne', 'TCP options', '!=', '2,8', 'Log'),
      r('tcpopt-eq', 'TCP options', '==', '2,8', 'Log'),
      r('ipopt-ne', 'IP options', '!=', '7', 'Log'),
      r('frag-le', 'Fragment offset', '<=', '0', 'Log'),
      r('mac-ne', 'Source MAC Address', '!=', '02:00:00:00:00:01', 'Log'),
    ]),
  },
  {
    name: 'parent-count',
    pins: 'Parent match count / byte count per packet where every packet the parent matched reaches the test (numgen inc, quota on the line); the helper timer otherwise (a terminating sibling before it, a Reset parent, an Include parent)',
    doc: doc([
      r('ping', 'ICMP type', '==', '8', '->', [
        r('log', 'Any', '==', '', 'Log'),
        r('big', 'Parent byte count', '>=', '100000', 'Log'),
        r('exact', 'Parent match count', '==', '3', 'Alert'),
        r('flood', 'Parent match count', '>=', '50', 'Delete no log'),
        r('late', 'Parent match count', '>=', '100', 'Delete'),
      ]),
      r('udp', 'Protocol', '==', 'udp', '->', [
        r('dns', 'Dest port', '==', '53', 'Pass'),
        r('after-pass', 'Parent match count', '>=', '10', 'Delete'),
      ]),
      r('banned', 'Include', '==', 'triggered', '->', [
        r('per-host', 'Parent match count', '>=', '5', 'Delete'),
      ]),
    ]),
  },
  {
    name: 'hostile-names',
    pins: 'names travel only as JSON comment strings and ids that are not safe become hashed keys',
    doc: doc([
      r('"; flush ruleset; #', 'Dest port', '==', '22', 'Pass', [], {
        name: '"; flush ruleset; #\nline two\\ ünïcødé',
      }),
      r('a b\nc', 'Dest port', '==', '23', 'Delete', [], { name: '} } table ip x { chain y {' }),
    ]),
  },
];

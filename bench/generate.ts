// Runtime: Node or browser (benchmarks; pure, no I/O). Builds an N-rule document shaped like a
// real firewall, after IPNetSentryX's default configuration scaled up: a preamble of sanity
// checks, suspicious-activity triggers and the triggered table, a banned-networks list, a
// "Protect servers" group (inbound SYN to listed service ports passes, the rest is deleted),
// per-site groups of per-host service lists, and an ICMP logger. Same N, same document (values
// derive from positions); ids come from the model's newRuleId unless a makeId is given.
//
// NOTE: the benchmark's own traffic (TCP and ping from 10.99.0.1 to 10.99.0.2:5201) must pass
// this document while walking through as much of it as a real packet would: it is tested by the
// preamble, the triggered table, the banned list, the server-protection group (SYN allowed on
// 5201) and every site's address test, and finally passes by the default policy.

import { DEFAULT_SETTINGS, type FirewallDocument, type Rule } from '../shared/model/types.ts';
import { newRuleId } from '../shared/model/tree.ts';
import type { ActionName, PropertyName, RelationName } from '../shared/model/vocabulary.ts';

/** The benchmark's service port: listed in Protect servers so the SYN of iperf3 passes. */
export const BENCH_PORT = 5201;

interface Builder {
  makeId: () => string;
  expanded: boolean;
}

function rule(
  ids: Builder,
  property: PropertyName,
  relation: RelationName,
  value: string,
  action: ActionName,
  options: { name?: string; parameter?: string; children?: Rule[]; enabled?: boolean } = {},
): Rule {
  return {
    id: ids.makeId(),
    enabled: options.enabled ?? true,
    name: options.name ?? '',
    property,
    relation,
    value,
    action,
    parameter: options.parameter ?? '',
    children: options.children ?? [],
    expanded: ids.expanded && (options.children?.length ?? 0) > 0,
  };
}

export const countRules = (rules: Rule[]): number =>
  rules.reduce((n, r) => n + 1 + countRules(r.children), 0);

/** A /24 for the k-th ban, in 100.64.0.0/10 (shared address space, never the bench traffic, which
 * is 10.99.0.0/24). The third octet takes k's low 8 bits and the second 64 + the next 6, so the
 * nets repeat every 16,384 bans (the 100,000-rule document's ~30,000 bans hold ~16,384 distinct
 * nets): kept as it is so the figures stay comparable with earlier runs. */
const bannedNet = (k: number): string =>
  `${100 + Math.floor(k / 65536)}.${64 + ((k >> 8) & 63)}.${k & 255}.0/24`;

/** Service ports a host lists: well-known ones first, then high ports. */
const WELL_KNOWN = [
  22, 25, 53, 80, 110, 143, 443, 465, 587, 993, 995, 3306, 5432, 6379, 8080, 8443,
];
const servicePort = (k: number): number =>
  k < WELL_KNOWN.length ? (WELL_KNOWN[k] ?? 1) : 9000 + k;

const TRIGGER_PORTS = ['23', '111', '135', '139', '445', '1433', '3389', '5900'];

export interface GenerateOptions {
  /** Every rule with children shown open (the editor benchmark scrolls through all of them). */
  expanded?: boolean;
  /** Rule ids; the model's newRuleId (random, as in real documents) unless given. */
  makeId?: () => string;
}

/**
 * A document with exactly `size` rules (size >= 100).
 * Share of the rules: ~30% banned networks, ~60% site/host service groups, the rest fixed.
 */
export function generateDocument(size: number, options: GenerateOptions = {}): FirewallDocument {
  if (!Number.isInteger(size) || size < 100)
    throw new Error('generateDocument: size must be an integer >= 100');
  const ids: Builder = { makeId: options.makeId ?? newRuleId, expanded: options.expanded ?? false };
  const r = (...args: Parameters<typeof rule> extends [Builder, ...infer P] ? P : never) =>
    rule(ids, ...args);

  const preamble = r('Any', '==', '', 'Group', {
    name: 'Always first',
    children: [
      r('Fragment offset', '==', '1-63', 'Delete', { name: 'Tiny fragments' }),
      r('Source net', '==', '127.0.0.0/8', '->', {
        name: 'Loopback source',
        children: [
          r('Interface', '==', 'lo', 'Pass'),
          r('Any', '==', '', 'Delete', { name: 'Spoofed loopback' }),
        ],
      }),
      r('IP options', '==', '3,9 (source route)', 'Delete'),
    ],
  });

  const suspicious = r('Direction', '==', 'inbound', '->', {
    name: 'Suspicious activity',
    children: [
      r('Include', '==', 'triggered', 'Delete', { name: 'Banned hosts' }),
      r('Protocol', '==', '6 (TCP)', '->', {
        name: 'Probes of services we do not run',
        children: TRIGGER_PORTS.map((p) =>
          r('Dest port', '==', p, 'Trigger', { name: `probe ${p}` }),
        ),
      }),
      r('Dest port', '==', '113', 'Reject', { name: 'AUTH: refuse at once' }),
    ],
  });

  const protect = r('Direction', '==', 'inbound', 'Group', {
    name: 'Protect servers',
    children: [
      r('TCP header flags', '==', 'syn,-ack', '->', {
        name: 'New TCP connections',
        children: [
          ...[...WELL_KNOWN.slice(0, 8), BENCH_PORT].map((p) =>
            r('Dest port', '==', String(p), 'Exit group', { name: `service ${p}` }),
          ),
          r('Any', '==', '', 'Delete', { name: 'Everything else' }),
        ],
      }),
    ],
  });

  const icmp = r('Protocol', '==', '1 (ICMP)', '->', {
    name: 'ICMP logger',
    children: [
      r('ICMP type', '==', '8 (echo request)', 'Log', { name: 'ping' }),
      r('ICMP type', '==', '13 (timestamp)', 'Delete'),
      r('ICMP type', '==', '5 (redirect)', 'Delete'),
    ],
  });

  const fixed = [preamble, suspicious, protect, icmp];
  const fixedCount = countRules(fixed);

  // The rest: banned networks (a long list of sibling leaves) and site groups.
  const rest = size - fixedCount - 2; // two group headers below
  const bannedCount = Math.floor(rest * 0.3);
  let siteBudget = rest - bannedCount;

  const banned = r('Direction', '==', 'inbound', '->', {
    name: 'Banned networks',
    children: Array.from({ length: bannedCount }, (_, k) =>
      r('Source net', '==', bannedNet(k), 'Delete no log'),
    ),
  });

  // Sites 10.<100+s>.0.0/16, each with hosts 10.<100+s>.<h>.0/24 listing services.
  const sites: Rule[] = [];
  const HOSTS_PER_SITE = 40;
  const PORTS_PER_HOST = 12; // a host group is 1 + 1 (tcp) + ports + 1 (delete) rules
  let site = 0;
  while (siteBudget > 0) {
    const hosts: Rule[] = [];
    siteBudget -= 1; // the site rule itself
    for (let h = 0; h < HOSTS_PER_SITE && siteBudget >= 4; h++) {
      const ports = Math.min(PORTS_PER_HOST, siteBudget - 3);
      hosts.push(
        r('Dest net', '==', `10.${100 + site}.${h}.0/24`, 'Group', {
          name: `host ${site}.${h}`,
          children: [
            r('Protocol', '==', '6 (TCP)', '->', {
              children: Array.from({ length: ports }, (_, k) =>
                r('Dest port', '==', String(servicePort(k)), 'Exit group'),
              ),
            }),
            r('Any', '==', '', 'Delete'),
          ],
        }),
      );
      siteBudget -= 3 + ports;
    }
    // Whatever budget is left (fewer than 4) becomes disabled placeholders, as users keep them.
    while (siteBudget > 0 && siteBudget < 4) {
      hosts.push(r('Dest port', '==', '9', 'Delete', { name: 'discard (off)', enabled: false }));
      siteBudget -= 1;
    }
    sites.push(
      r('Dest net', '==', `10.${100 + site}.0.0/16`, '->', {
        name: `site ${site}`,
        children: hosts,
      }),
    );
    site += 1;
  }
  const siteGroup = r('Direction', '==', 'inbound', '->', { name: 'Sites', children: sites });

  const rules = [preamble, suspicious, banned, protect, siteGroup, icmp];
  const total = countRules(rules);
  if (total !== size) throw new Error(`generateDocument: built ${total} rules, wanted ${size}`);
  return { rules, settings: { ...DEFAULT_SETTINGS, defaultPolicy: 'pass' } };
}

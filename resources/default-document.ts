// Runtime: pure (no I/O). The factory default document, written as readable source: the default
// configuration of IPNetSentryX's walk-through, group by group, numbered exactly as it numbers
// them (1.1-1.4, 2.1-2.6, 2.1.5.5, 2.1.6.3.1, 2.4.1.3.2, 2.6.1.1.1-2.6.1.1.17).
// Invariant: `resources/default.treewall` is `documentToXml(buildDefaultDocument())`, byte for
// byte (`npm run gen:default` writes it; a test refuses drift). Ids derive from the outline
// position (`d-2-6-1-1-17`) so they never change between builds.
//
// Where the walk-through leaves a detail open, the choice follows the original product's own
// default rules (IPNetRouterX's DefaultRules.nsy has the same groups): probe ports, worm
// signatures, the NetTalk server check. The protect-servers services are today's Linux server
// services instead of 2003's Mac ones, each disabled, its name saying the service and ports.

import { DEFAULT_SETTINGS, type FirewallDocument, type Rule } from '../shared/model/types.ts';
import type { ActionName, PropertyName, RelationName } from '../shared/model/vocabulary.ts';

interface Spec {
  name?: string;
  test: readonly [PropertyName, RelationName, string];
  action: ActionName;
  parameter?: string;
  /** IPNetSentryX ships optional rules unchecked; default true. */
  enabled?: boolean;
  expanded?: boolean;
  children?: Spec[];
}

const ANY = ['Any', '==', ''] as const;
const rule = (
  name: string,
  test: Spec['test'],
  action: ActionName,
  more: Omit<Spec, 'name' | 'test' | 'action'> = {},
): Spec => ({ name, test, action, ...more });

/** A trigger rule of 2.1: ban the sender, and alert the user once about it. */
const probe = (port: string): Spec =>
  rule('', ['Dest port', '==', port], 'Trigger', {
    children: [rule(`${port} probe`, ANY, 'Alert')],
  });

/** A service of 2.6.1.1: when enabled, its connection requests leave the protect-servers group
 * (Exit group, IPNetSentryX's Break) before 2.6.1.1.17 deletes the rest. */
const service = (name: string, port: string): Spec =>
  rule(name, ['Dest port', '==', port], 'Exit group', { enabled: false });

/** A service on several ports that are not one range: one child per port (like 2.6.1.1.1). */
const multiPortService = (name: string, ports: string[]): Spec =>
  rule(name, ANY, '->', {
    enabled: false,
    children: ports.map((port) => rule('', ['Dest port', '==', port], 'Exit group')),
  });

const DEFAULT_FIRST: Spec = rule('default first', ANY, '->', {
  expanded: true,
  children: [
    // 1.1: only a packet built to sneak around a firewall fragments the IP or TCP header.
    rule('sneak around fragments', ['Fragment offset', '==', '1-63'], 'Delete'),
    // 1.2: later fragments pass; only the first fragment is tested by the rules below.
    rule('legitimate fragments', ['Fragment offset', '>=', '64'], 'Pass'),
    // 1.3: packets that claim to come from the loopback address.
    rule('loopback', ['Source net', '==', '127.0.0.0/8'], '->', {
      children: [
        rule('allow legitimate', ['Interface', '==', 'lo'], 'Pass'),
        rule('delete spoofs', ['Dest net', '==', '127.0.0.0/8'], 'Delete'),
        rule('delete spoofs from a real interface', ANY, 'Delete'),
      ],
    }),
    // 1.4: source routing has little legitimate use and helps sneak around other checks. One
    // child per option: `IP options == 3,9` holds only when both are present (IPNetSentryX's
    // own semantics, DESIGN §3.8), and the walk-through means either.
    rule('source route', ANY, '->', {
      children: [
        rule('loose source route', ['IP options', '==', '3 (loose source route)'], 'Delete'),
        rule('strict source route', ['IP options', '==', '9 (strict source route)'], 'Delete'),
      ],
    }),
  ],
});

const SUSPICIOUS_ACTIVITY: Spec = rule(
  'suspicious activity',
  ['Direction', '==', 'inbound'],
  '->',
  {
    children: [
      // 2.1.1: everything from a host already in the triggered table (refreshing its entry).
      rule('triggered address', ['Include', '==', 'triggered'], 'Delete', {
        children: [rule('ignore silently', ANY, 'Dont log')],
      }),
      rule('finger print', ['Dest port', '==', '0-5'], 'Trigger', {
        children: [rule('finger print scan', ANY, 'Alert')],
      }),
      probe('111 (RPC)'),
      probe('1433 (MS SQL)'),
      rule('', ['Protocol', '==', '6 (TCP)'], '->', {
        children: [
          probe('23 (Telnet)'),
          probe('25 (SMTP)'),
          probe('79 (Finger)'),
          probe('110 (POP3)'),
          // 2.1.5.5: refuse AUTH at once, so mail servers that check it do not wait or ban us.
          rule('', ['Dest port', '==', '113 (AUTH)'], 'Reject', {
            children: [rule('113 (AUTH) probe', ANY, 'Alert')],
          }),
        ],
      }),
      rule('', ['Protocol', '==', '17 (UDP)'], '->', {
        children: [
          probe('7 (Echo)'),
          rule('', ['Dest port', '==', '67 (DHCP server)'], '->', {
            children: [
              rule('', ['Dest net', '!=', '255.255.255.255/32'], 'Trigger', {
                children: [rule('67 (DHCP server) probe', ANY, 'Alert')],
              }),
            ],
          }),
          // 2.1.6.3: Windows name service: deleted silently (2.1.6.3.1), the host not banned.
          rule('Windows Name Service', ['Dest port', '==', '137-139'], 'Delete', {
            children: [rule('ignore silently', ANY, 'Dont log')],
          }),
        ],
      }),
    ],
  },
);

const WORMS: [string, string][] = [
  ['Worm', 'winnt'],
  ['Code Red worm', 'default.ida'],
  ['Worm', 'msadc'],
  ['Worm', '_vti_bin'],
  ['Worm', '_mem_bin'],
  ['Nimda', 'root.exe'],
  ['Nimda', 'cmd.exe'],
];

// 2.2: payload signatures of old IIS worms, as the original ships them: inbound TCP to port 80
// whose first 64 payload bytes hold the text (any case) lose their connection. Compiled into
// fixed-offset compares (shared/compiler/content.ts); only packets to port 80 pay for them.
const SERVER_ATTACKS: Spec = rule('server attacks', ['Direction', '==', 'inbound'], '->', {
  children: [
    rule('', ['Protocol', '==', '6 (TCP)'], '->', {
      children: [
        rule('', ['Dest port', '==', '80 (HTTP)'], '->', {
          children: WORMS.map(([name, signature]) =>
            rule(name, ['Data content', 'a=A', signature], 'Drop connection'),
          ),
        }),
      ],
    }),
  ],
});

// 2.3: the walk-through's clipboard text (collapsed parent, expanded child), on as the original
// ships it: an arriving TCP reset is held half a second before it reaches the host, so the real
// reply to a connection wins over a reset a promiscuous listener forged. Delay goes through the
// helper's queue worker (shared/compiler/delay.ts); with no worker the reset passes at once.
const PROMISCUOUS_RESETS: Spec = rule('promiscuous resets', ['Direction', '==', 'inbound'], '->', {
  children: [rule('', ['TCP header flags', '==', 'rst'], 'Delay', { expanded: true })],
});

const ICMP_LOGGER: Spec = rule('ICMP Logger', ['Protocol', '==', '1 (ICMP)'], '->', {
  children: [
    rule('', ['Direction', '==', 'inbound'], '->', {
      children: [
        rule('', ['ICMP type', '==', '4 (source quench)'], 'Log'),
        rule('', ['ICMP type', '==', '5 (redirect)'], 'Log'),
        rule('', ['ICMP type', '==', '8 (echo request)'], '->', {
          children: [
            // Quiet for 30 s: start counting again.
            rule('quiet again', ['Parent idle seconds', '>=', '30'], 'Reset parent'),
            // 2.4.1.3.2: more than 50 echo requests in a burst is a ping flood.
            rule('ping flood', ['Parent match count', '>=', '50'], 'Delete no log'),
            rule('', ANY, 'Log'),
          ],
        }),
        rule('', ['ICMP type', '==', '12 (parameter problem)'], 'Log'),
      ],
    }),
  ],
});

const CHECK_SERVERS: Spec = rule('Check servers', ['Direction', '==', 'inbound'], '->', {
  enabled: false,
  children: [
    rule('send probe(s)', ['Idle seconds', '>=', '60'], 'URL', { parameter: 'ping://192.168.0.2' }),
    rule('', ['ICMP type', '==', '0 (echo reply)'], '->', {
      children: [
        rule('NetTalk list server', ['Source net', '==', '192.168.0.2/32'], '->', {
          children: [
            rule('no response?', ['Parent idle seconds', '>=', '200'], '->', {
              children: [
                // No address: the one in the preferences (the walk-through's default).
                rule('NetTalk server not responding', ['Parent match count', '==', '1'], 'Email'),
                rule(
                  'restore when it comes back up',
                  ['Parent idle seconds', '>=', '3600'],
                  'Reset parent',
                ),
              ],
            }),
          ],
        }),
      ],
    }),
  ],
});

const PROTECT_SERVERS: Spec = rule('Protect servers', ['Direction', '==', 'inbound'], 'Group', {
  enabled: false,
  children: [
    rule('', ['Interface', '==', 'external'], '->', {
      children: [
        rule('', ['TCP header flags', '==', 'syn,-ack'], '->', {
          children: [
            multiPortService('File sharing - SMB/Samba (139, 445)', [
              '139 (NetBIOS session)',
              '445 (SMB)',
            ]),
            service('Remote login - SSH (22)', '22 (ssh)'),
            service('Web server - HTTP (80)', '80 (http)'),
            service('Web server - HTTPS (443)', '443 (https)'),
            service('Mail server - SMTP (25)', '25 (smtp)'),
            multiPortService('Mail submission - SMTPS and submission (465, 587)', [
              '465 (smtps)',
              '587 (submission)',
            ]),
            multiPortService('Mail access - IMAP and IMAPS (143, 993)', [
              '143 (imap)',
              '993 (imaps)',
            ]),
            multiPortService('Mail access - POP3 and POP3S (110, 995)', [
              '110 (pop3)',
              '995 (pop3s)',
            ]),
            service('File transfer - FTP control (21)', '21 (ftp)'),
            service('Name server - DNS over TCP (53)', '53 (domain)'),
            service('Printer sharing - IPP/CUPS (631)', '631 (ipp)'),
            service('File sharing - NFS (2049)', '2049 (nfs)'),
            service('Remote desktop - VNC (5900-5909)', '5900-5909'),
            service('Remote desktop - RDP (3389)', '3389 (rdp)'),
            service('Database - PostgreSQL (5432)', '5432 (postgresql)'),
            service('Database - MySQL/MariaDB (3306)', '3306 (mysql)'),
            rule('Disable all other inbound connections', ANY, 'Delete', { enabled: true }),
          ],
        }),
      ],
    }),
  ],
});

const DEFAULT_LAST: Spec = rule('default last', ANY, '->', {
  expanded: true,
  children: [
    SUSPICIOUS_ACTIVITY,
    SERVER_ATTACKS,
    PROMISCUOUS_RESETS,
    ICMP_LOGGER,
    CHECK_SERVERS,
    PROTECT_SERVERS,
  ],
});

function toRules(specs: readonly Spec[], path: readonly number[]): Rule[] {
  return specs.map((spec, i) => {
    const here = [...path, i + 1];
    return {
      id: `d-${here.join('-')}`,
      enabled: spec.enabled ?? true,
      name: spec.name ?? '',
      property: spec.test[0],
      relation: spec.test[1],
      value: spec.test[2],
      action: spec.action,
      parameter: spec.parameter ?? '',
      children: toRules(spec.children ?? [], here),
      expanded: spec.expanded ?? false,
    };
  });
}

/** The factory default document: a fresh copy on every call. */
export function buildDefaultDocument(): FirewallDocument {
  return {
    rules: toRules([DEFAULT_FIRST, DEFAULT_LAST], []),
    settings: {
      ...DEFAULT_SETTINGS,
      externalInterfaces: [...DEFAULT_SETTINGS.externalInterfaces],
      internalInterfaces: [...DEFAULT_SETTINGS.internalInterfaces],
    },
  };
}

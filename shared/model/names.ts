// Runtime: pure (shared/). Well-known names for numbers that rules may use in place of the
// number: protocols, ICMP types, service ports, TCP and IP options, DSCP classes. Pure code cannot
// read /etc/protocols or /etc/services, so the lists are fixed here; numbers always work.
// Invariant: keys are normalised by `normalizeName` (lower case, `-`/`_` as spaces).

export const normalizeName = (s: string): string =>
  s.trim().toLowerCase().replace(/[-_]+/g, ' ').replace(/\s+/g, ' ');

/** IANA protocol numbers; the first name per number is the canonical one (nft's spelling). */
const PROTOCOL_LIST: [number, ...string[]][] = [
  [0, 'hopopt'],
  [1, 'icmp'],
  [2, 'igmp'],
  [4, 'ipip', 'ipencap', 'ip in ip'],
  [6, 'tcp'],
  [8, 'egp'],
  [17, 'udp'],
  [41, 'ipv6'],
  [43, 'ipv6-route'],
  [44, 'ipv6-frag'],
  [46, 'rsvp'],
  [47, 'gre'],
  [50, 'esp'],
  [51, 'ah'],
  [58, 'ipv6-icmp', 'icmpv6', 'icmp6'],
  [59, 'ipv6-nonxt'],
  [60, 'ipv6-opts'],
  [89, 'ospf', 'ospfigp'],
  [103, 'pim'],
  [112, 'vrrp'],
  [115, 'l2tp'],
  [132, 'sctp'],
  [136, 'udplite'],
  [137, 'mpls-in-ip'],
];

const index = (list: [number, ...string[]][]): Map<string, number> => {
  const map = new Map<string, number>();
  for (const [n, ...names] of list) for (const name of names) map.set(normalizeName(name), n);
  return map;
};
const canonical = (list: [number, ...string[]][]): Map<number, string> =>
  new Map(list.map(([n, first]) => [n, first ?? String(n)]));

export const PROTOCOL_NUMBERS = index(PROTOCOL_LIST);
export const PROTOCOL_NAMES = canonical(PROTOCOL_LIST);

/** ICMP (IPv4) message types, RFC 792 and friends. ICMPv6 types are given as numbers. */
const ICMP_TYPE_LIST: [number, ...string[]][] = [
  [0, 'echo reply'],
  [3, 'destination unreachable', 'unreachable'],
  [4, 'source quench'],
  [5, 'redirect'],
  [8, 'echo request', 'ping'],
  [9, 'router advertisement'],
  [10, 'router solicitation'],
  [11, 'time exceeded'],
  [12, 'parameter problem'],
  [13, 'timestamp request', 'timestamp'],
  [14, 'timestamp reply'],
  [15, 'info request', 'information request'],
  [16, 'info reply', 'information reply'],
  [17, 'address mask request'],
  [18, 'address mask reply'],
];
export const ICMP_TYPE_NUMBERS = index(ICMP_TYPE_LIST);
export const ICMP_TYPE_NAMES = canonical(ICMP_TYPE_LIST);

/** Common service names for ports (TCP and UDP share the numbers here). */
const SERVICE_LIST: [number, ...string[]][] = [
  [20, 'ftp-data'],
  [21, 'ftp'],
  [22, 'ssh'],
  [23, 'telnet'],
  [25, 'smtp'],
  [53, 'domain', 'dns'],
  [67, 'bootps', 'dhcp'],
  [68, 'bootpc'],
  [69, 'tftp'],
  [80, 'http', 'www'],
  [110, 'pop3'],
  [113, 'auth', 'ident'],
  [119, 'nntp'],
  [123, 'ntp'],
  [137, 'netbios-ns'],
  [138, 'netbios-dgm'],
  [139, 'netbios-ssn'],
  [143, 'imap'],
  [161, 'snmp'],
  [389, 'ldap'],
  [443, 'https'],
  [445, 'microsoft-ds', 'smb'],
  [548, 'afp'],
  [587, 'submission'],
  [631, 'ipp'],
  [993, 'imaps'],
  [995, 'pop3s'],
  [3306, 'mysql'],
  [3389, 'rdp', 'ms-wbt-server'],
  [5353, 'mdns'],
  [5432, 'postgresql', 'postgres'],
  [5900, 'vnc'],
  [8080, 'http-alt'],
];
export const SERVICE_PORTS = index(SERVICE_LIST);

/** TCP option kinds (RFC 793, 7323, 2018). */
const TCP_OPTION_LIST: [number, ...string[]][] = [
  [0, 'eol', 'end of options'],
  [1, 'nop', 'no operation'],
  [2, 'mss', 'maxseg', 'maximum segment size'],
  [3, 'window', 'wscale', 'window scale'],
  [4, 'sack-permitted', 'sack perm', 'sackok'],
  [5, 'sack'],
  [8, 'timestamp', 'timestamps'],
  [19, 'md5sig', 'md5'],
  [30, 'mptcp'],
  [34, 'fastopen', 'tfo'],
];
export const TCP_OPTION_NUMBERS = index(TCP_OPTION_LIST);

/**
 * IP option numbers: the low 5 bits of the option type, as IPNetSentryX numbers them
 * (`3,9 (source route)` = loose and strict source route).
 */
const IP_OPTION_LIST: [number, ...string[]][] = [
  [0, 'eol', 'end of options'],
  [1, 'nop', 'no operation'],
  [2, 'security', 'sec'],
  [3, 'lsrr', 'loose source route'],
  [4, 'timestamp', 'ts'],
  [7, 'rr', 'record route'],
  [8, 'sid', 'stream id'],
  [9, 'ssrr', 'strict source route'],
  [20, 'ra', 'router alert'],
];
export const IP_OPTION_NUMBERS = index(IP_OPTION_LIST);

/** DSCP class names: CSn = 8n, AFxy = 8x + 2y, EF = 46. */
export const DSCP_NUMBERS = new Map<string, number>([
  ...Array.from({ length: 8 }, (_, n): [string, number] => [`cs${n}`, 8 * n]),
  ...[1, 2, 3, 4].flatMap((x) =>
    [1, 2, 3].map((y): [string, number] => [`af${x}${y}`, 8 * x + 2 * y]),
  ),
  ['ef', 46],
  ['be', 0],
]);

/**
 * Linux interface names: 1-15 characters, no spaces or `/`; a trailing `*` is a wildcard after at
 * least one character (nft refuses a bare `*`: use Any).
 */
export const INTERFACE_NAME = /^[A-Za-z0-9_.:@-]{1,15}\*?$/;

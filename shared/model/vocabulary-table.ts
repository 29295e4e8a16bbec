// Runtime: pure (shared/). What every property, relation and action means: the text of the
// editor's popups, the inspector's hints and the README's vocabulary table, and the facts the
// validator, compiler and evaluator share (allowed relations, terminating or not, timer or packet).
// Invariant: one entry per name in vocabulary.ts (a Record over the name unions makes a missing
// entry a compile error).

import type { ActionName, PropertyName, RelationName } from './vocabulary.ts';
import {
  ACTION_NAMES,
  PROPERTY_NAMES,
  RELATION_NAMES,
  actionCode,
  originalName,
  propertyCode,
} from './vocabulary.ts';
import type { ParameterKind, ValueKind } from './values.ts';

export interface PropertyInfo {
  name: PropertyName;
  /** What the property tests and how its value is read. */
  description: string;
  /** Placeholder text for an empty value field. */
  placeholder: string;
  /** Ready-made values for the popup menu (may carry IPNetSentryX-style comments). */
  examples: readonly string[];
  /** Relations this property accepts; the first is the default for a new rule. */
  relations: readonly RelationName[];
  /** What parseValue produces for this property. */
  valueKinds: readonly ValueKind[];
  /** Evaluated by the helper on a timer from counters, not per packet. */
  timer: boolean;
  /** A Linux addition, not in IPNetSentryX. */
  linux: boolean;
}

export interface ActionInfo {
  name: ActionName;
  description: string;
  /**
   * A terminating action gives the verdict when its rule matches and no child gave one
   * (DESIGN §3.5); a non-terminating one runs at once and testing goes on.
   */
  terminating: boolean;
  /** Runs in the helper (userspace) rather than in the kernel: alerts, mail, URLs, scripts. */
  helper: boolean;
  /** The packet is logged unless a Dont log matched on the way (DESIGN §3.7). */
  logsByDefault: boolean;
  /** What parseParameter produces for this action. */
  parameterKinds: readonly ParameterKind[];
  /** What the parameter means; empty when the action takes none. */
  parameterDescription: string;
  parameterPlaceholder: string;
  /** Ready-made parameters for the popup menu. */
  parameterExamples: readonly string[];
  linux: boolean;
}

export interface RelationInfo {
  name: RelationName;
  description: string;
}

const EQ: readonly RelationName[] = ['==', '!='];
const NUM: readonly RelationName[] = ['==', '!=', '>=', '<='];
const TEXT: readonly RelationName[] = ['==', '!=', 'a=A'];

type PropertyEntry = Omit<PropertyInfo, 'name' | 'timer' | 'linux'> & {
  timer?: boolean;
  linux?: boolean;
};

const NUMERIC_NOTE =
  'A single number or an inclusive range `a-b`; `>=` and `<=` take a single number.';

const PROPERTIES: Record<PropertyName, PropertyEntry> = {
  Any: {
    description: 'Matches every packet. The value is ignored.',
    placeholder: '',
    examples: [''],
    relations: EQ,
    valueKinds: ['none'],
  },
  None: {
    description:
      'Matches no packet (a rule kept for later, or a parent for timer rules). The value is ignored.',
    placeholder: '',
    examples: [''],
    relations: EQ,
    valueKinds: ['none'],
  },
  Direction: {
    description:
      '`inbound`: traffic arriving from a network interface, to this host or routed through it. `outbound`: traffic this host sends.',
    placeholder: 'inbound',
    examples: ['inbound', 'outbound'],
    relations: EQ,
    valueKinds: ['direction'],
  },
  Interface: {
    description:
      'The arrival interface for inbound traffic, the leaving interface for outbound. A name (`eth0`; `wg*` matches a prefix), or `external`/`internal` for the interfaces the document lists. `Loopback (lo0)` means the device in parentheses; macOS `lo0` is Linux `lo`.',
    placeholder: 'eth0',
    examples: ['external', 'internal', 'lo', 'eth0', 'wlan0', 'wg*'],
    relations: EQ,
    valueKinds: ['interface', 'interfaceAttribute'],
  },
  Include: {
    description:
      "The packet's source address is in a dynamic table: `triggered` (banned by Trigger; a match refreshes the entry), `authorized` (Authorize), `address` or `kept` (Keep address), `invalid` (Keep invalid); or `state`: the packet belongs to a connection already tracked. IPNetSentryX writes `trigger`, `authorize`, `address`, `invalid`, `state`; both spellings are read.",
    placeholder: 'triggered',
    examples: ['triggered', 'authorized', 'address', 'kept', 'invalid', 'state'],
    relations: EQ,
    valueKinds: ['include', 'includeState'],
  },
  'Source MAC Address': {
    description: 'The Ethernet source address, `aa:bb:cc:dd:ee:ff` (inbound traffic only).',
    placeholder: 'aa:bb:cc:dd:ee:ff',
    examples: [],
    relations: EQ,
    valueKinds: ['mac'],
  },
  'Dest MAC Address': {
    description: 'The Ethernet destination address, `aa:bb:cc:dd:ee:ff`.',
    placeholder: 'aa:bb:cc:dd:ee:ff',
    examples: [],
    relations: EQ,
    valueKinds: ['mac'],
  },
  'Source net': {
    description:
      'The source address: one address, a range `a-b` or a prefix `addr/len` (IPv4 also `addr/255.255.255.0`), IPv4 or IPv6. `==` means inside, `!=` outside. Host bits in a prefix are cleared (`10.1.2.3/8` is `10.0.0.0/8`).',
    placeholder: '192.168.0.0/24',
    examples: ['127.0.0.0/8', '10.0.0.0/8', '192.168.0.0/16', '::1', 'fe80::/10'],
    relations: EQ,
    valueKinds: ['address'],
  },
  'Dest net': {
    description:
      'The destination address: one address, a range `a-b` or a prefix `addr/len`, IPv4 or IPv6. `==` means inside, `!=` outside.',
    placeholder: '192.168.0.2',
    examples: ['127.0.0.0/8', '224.0.0.0/4', '255.255.255.255', 'ff00::/8'],
    relations: EQ,
    valueKinds: ['address'],
  },
  Protocol: {
    description:
      'The IP protocol (IPv6: the transport header), by number 0-255 or name: tcp, udp, icmp, ipv6-icmp, gre, esp, ah, sctp, ...',
    placeholder: '6 (TCP)',
    examples: [
      '6 (TCP)',
      '17 (UDP)',
      '1 (ICMP)',
      '58 (ICMPv6)',
      '47 (GRE)',
      '50 (ESP)',
      '132 (SCTP)',
    ],
    relations: EQ,
    valueKinds: ['protocol'],
  },
  'Fragment offset': {
    description: `The IPv4 fragment offset in 8-byte units (0-8191); 0 is a first or unfragmented packet. ${NUMERIC_NOTE} IPNetSentryX's help says \`1-63\` matches offsets 1 to 63; its code compared only the start: treewall follows the help (the whole range).`,
    placeholder: '1-63',
    examples: ['0', '1-63', '1-8191'],
    relations: NUM,
    valueKinds: ['range'],
  },
  'IP options': {
    description:
      'IPv4 options by option number (0-31) or name: `3,9 (source route)` is loose and strict source route; also rr, ts, ra. `==`: every listed option is present; `!=`: none of them is (as IPNetSentryX). A packet without the header (IPv6) compares low: `!=` matches.',
    placeholder: '3,9 (source route)',
    examples: ['3,9 (source route)', '7 (record route)', '4 (timestamp)', '20 (router alert)'],
    relations: EQ,
    valueKinds: ['ipOptions'],
  },
  'ICMP type': {
    description: `The ICMP message type, by number (0-255) or IPv4 name (echo request = 8, echo reply = 0, ...). ${NUMERIC_NOTE}`,
    placeholder: '8 (echo request)',
    examples: [
      '0 (echo reply)',
      '3 (destination unreachable)',
      '4 (source quench)',
      '5 (redirect)',
      '8 (echo request)',
      '11 (time exceeded)',
      '12 (parameter problem)',
      '13 (timestamp request)',
      '17 (address mask request)',
    ],
    relations: NUM,
    valueKinds: ['range'],
  },
  'ICMP code': {
    description: `The ICMP message code (0-255). ${NUMERIC_NOTE}`,
    placeholder: '0',
    examples: ['0', '1', '3'],
    relations: NUM,
    valueKinds: ['range'],
  },
  'TCP header flags': {
    description:
      'TCP flags: listed flags must be set, `-flag` must be clear, the rest do not matter (`syn,-ack` is a connection request). Names: fin, syn, rst, psh, ack, urg, ecn, cwr. Implies TCP.',
    placeholder: 'syn,-ack',
    examples: ['syn,-ack', 'rst', 'fin', 'syn,fin', 'ack'],
    relations: EQ,
    valueKinds: ['tcpFlags'],
  },
  'TCP options': {
    description:
      'TCP options by kind (0-255) or name: mss, window, sack-permitted, sack, timestamp. `==`: every listed option is present; `!=`: none of them is (as IPNetSentryX). Not TCP: compares low, so `!=` matches.',
    placeholder: 'mss',
    examples: ['2 (mss)', '3 (window scale)', '8 (timestamp)'],
    relations: EQ,
    valueKinds: ['tcpOptions'],
  },
  'Source port': {
    description: `The TCP/UDP/SCTP source port (0-65535), a range \`p1-p2\` or a service name (ssh, http, ...). ${NUMERIC_NOTE}`,
    placeholder: '1024-65535',
    examples: ['53 (DNS)', '123 (NTP)', '1024-65535'],
    relations: NUM,
    valueKinds: ['range'],
  },
  'Dest port': {
    description: `The TCP/UDP/SCTP destination port (0-65535), a range \`p1-p2\` or a service name (ssh, http, ...). ${NUMERIC_NOTE}`,
    placeholder: '22 (SSH)',
    examples: [
      '21 (FTP)',
      '22 (SSH)',
      '23 (Telnet)',
      '25 (SMTP)',
      '53 (DNS)',
      '80 (HTTP)',
      '113 (AUTH)',
      '137-139 (NetBIOS)',
      '143 (IMAP)',
      '443 (HTTPS)',
      '445 (SMB)',
      '548 (AFP)',
      '3389 (RDP)',
      '5900 (VNC)',
    ],
    relations: NUM,
    valueKinds: ['range'],
  },
  'Data content': {
    description:
      "The TCP or UDP payload holds these bytes within its first 64 bytes: text (UTF-8, with IPNetSentryX's `\\r \\n \\t \\0 \\f \\b` escapes; `\\x` is x) or `<hex>` (`<0d0a>`). An optional window first, as IPNetSentryX: `[offset,length]` searches `length` bytes from payload byte `offset`, `[offset,length,terminator]` also stops at the first byte `terminator` (`13` is CR); the whole match must lie inside the window. `a=A` ignores letter case. Relative windows (`[+5,...]`) are refused. A value starting with `[` must be a window (`\\[` searches for a bracket). Parentheses here are content, not a comment.",
    placeholder: 'GET /default.ida?',
    examples: ['GET /default.ida?', '<0d0a0d0a>'],
    relations: TEXT,
    valueKinds: ['content'],
  },
  'URL keyword': {
    description:
      'An HTTP request whose request line holds this text, in any case: TCP payload bytes 3 to 66 (after `GET`), up to the first CR, as IPNetSentryX searched it. (IPNetSentryX also looked after a `Host:` header found beyond byte 64; treewall does not: see docs/vocabulary.md.)',
    placeholder: 'cmd.exe',
    examples: ['cmd.exe', 'root.exe', '/scripts/'],
    relations: TEXT,
    valueKinds: ['content'],
  },
  'Time of day': {
    description:
      'Local time `HH:MM-HH:MM` inclusive (`22:00-06:00` wraps past midnight), or one time `HH:MM` for `>=`/`<=`.',
    placeholder: '08:00-17:30',
    examples: ['08:00-17:30', '22:00-06:00', '12:00'],
    relations: NUM,
    valueKinds: ['timeOfDay'],
  },
  'Day of week': {
    description:
      'Local day: `Mon-Fri`, `Sat,Sun`, `weekdays`, `weekend`, full names or 0-6 (0 is Sunday). Ranges wrap (`Fri-Mon`).',
    placeholder: 'Mon-Fri',
    examples: ['Mon-Fri', 'Sat,Sun', 'weekdays', 'weekend'],
    relations: EQ,
    valueKinds: ['dayOfWeek'],
  },
  'Date and time': {
    description:
      "A moment, ISO 8601 (`2026-12-31 18:00`, local time unless it ends in `Z` or `+01:00`), or seconds since 1970 (how IPNetSentryX stores it). `<=` (and `==`, as IPNetSentryX's help means it) match until then: the rule applies until that time. `>=` (and `!=`) match from then on. IPNetSentryX's code compared `==` to the exact second; treewall follows its help.",
    placeholder: '2026-12-31 18:00',
    examples: [],
    relations: ['<=', '>=', '==', '!='],
    valueKinds: ['dateTime'],
  },
  'Idle seconds': {
    description:
      'Seconds since this rule last matched (the helper checks it on a timer, then resets it when the rule fires). Seconds or a duration (`3 min`).',
    placeholder: '60',
    examples: ['60', '200', '3600'],
    relations: NUM,
    valueKinds: ['range'],
    timer: true,
  },
  'Parent idle seconds': {
    description:
      'Seconds since the parent rule last matched (timer). Seconds or a duration (`1 h`).',
    placeholder: '3600',
    examples: ['60', '3600'],
    relations: NUM,
    valueKinds: ['range'],
    timer: true,
  },
  'Parent match count': {
    description: "The parent rule's match count since it was last reset (timer).",
    placeholder: '50',
    examples: ['1', '50'],
    relations: NUM,
    valueKinds: ['range'],
    timer: true,
  },
  'Parent match rate': {
    description:
      "The parent rule's matches per second (`50`) or per period (`600/minute`), measured by the helper (timer).",
    placeholder: '50',
    examples: ['10', '50', '600/minute'],
    relations: ['>=', '<='],
    valueKinds: ['rate'],
    timer: true,
  },
  'Parent byte count': {
    description: "The parent rule's byte count since it was last reset (timer).",
    placeholder: '1000000',
    examples: ['1000000'],
    relations: NUM,
    valueKinds: ['range'],
    timer: true,
  },
  'Connection state': {
    description:
      'The conntrack state, one or more of new, established, related, invalid, untracked (`established,related`).',
    placeholder: 'established,related',
    examples: ['new', 'established,related', 'invalid'],
    relations: EQ,
    valueKinds: ['connectionState'],
    linux: true,
  },
  'Owner UID': {
    description: `The user id of the local socket that sends the packet (outbound only). Numbers only: user names are not resolved in a rule. ${NUMERIC_NOTE}`,
    placeholder: '1000',
    examples: ['0', '1000'],
    relations: NUM,
    valueKinds: ['range'],
    linux: true,
  },
  'Owner GID': {
    description: `The group id of the local socket that sends the packet (outbound only). Numbers only. ${NUMERIC_NOTE}`,
    placeholder: '1000',
    examples: ['0', '100'],
    relations: NUM,
    valueKinds: ['range'],
    linux: true,
  },
  'IP version': {
    description: 'The IP version, `4` or `6`.',
    placeholder: '4',
    examples: ['4', '6'],
    relations: EQ,
    valueKinds: ['ipVersion'],
    linux: true,
  },
  'Packet length': {
    description: `The packet's length in bytes (0-65535). ${NUMERIC_NOTE}`,
    placeholder: '0-1500',
    examples: ['1500', '0-64'],
    relations: NUM,
    valueKinds: ['range'],
    linux: true,
  },
  TTL: {
    description: `The IPv4 TTL or IPv6 hop limit (0-255). ${NUMERIC_NOTE}`,
    placeholder: '64',
    examples: ['1', '64', '255'],
    relations: NUM,
    valueKinds: ['range'],
    linux: true,
  },
  DSCP: {
    description: `The DiffServ code point (0-63) or class name (ef, af11-af43, cs0-cs7). ${NUMERIC_NOTE}`,
    placeholder: 'ef',
    examples: ['ef', 'af41', 'cs1', '0'],
    relations: NUM,
    valueKinds: ['range'],
    linux: true,
  },
  Rate: {
    description:
      "The rule's packet or byte rate: `10/s`, `100/minute per source` (one bucket per source address), `1 mbytes/s` (bytes 1024-based), `8 mbit/s` (bits 1000-based). `>=` (and `==`) match traffic over the rate, `<=` (and `!=`) traffic within it (nft `limit rate [over]`).",
    placeholder: '10/s',
    examples: ['10/s', '100/minute per source', '1 mbytes/s', '8 mbit/s'],
    relations: ['>=', '<=', '==', '!='],
    valueKinds: ['rate'],
    linux: true,
  },
};

type ActionEntry = Omit<
  ActionInfo,
  | 'name'
  | 'helper'
  | 'logsByDefault'
  | 'linux'
  | 'parameterDescription'
  | 'parameterPlaceholder'
  | 'parameterExamples'
> & {
  helper?: boolean;
  logsByDefault?: boolean;
  linux?: boolean;
  parameterDescription?: string;
  parameterPlaceholder?: string;
  parameterExamples?: readonly string[];
};

const DURATIONS = ['unlimited', '1 min', '10 min', '1 h', '10 h', '1 day', '10 days'];
const TIMEOUT_NOTE =
  'How long the address stays in the table: unlimited, 1 min, 10 min, 1 h, 10 h, 1 day, 10 days, plain seconds, or 30s/5m/2h/1d; 0 is unlimited. Empty, or text that is not a duration (a note): the document default.';

const ACTIONS: Record<ActionName, ActionEntry> = {
  '->': {
    description:
      'Go on to the children. No verdict of its own: after the children, testing continues with the next sibling.',
    terminating: false,
    parameterKinds: ['none'],
  },
  '++': {
    description:
      "Skip the next rule in outline order together with its subtree, then go on after it (its next sibling, or its parent's next sibling). No verdict of its own; its children are not walked.",
    terminating: false,
    parameterKinds: ['none'],
  },
  Group: {
    description:
      'Like `->`, and an `Exit group` anywhere below ends the group at once: testing continues after this rule, with no verdict.',
    terminating: false,
    parameterKinds: ['none'],
  },
  'Exit group': {
    description:
      'Leave the nearest enclosing Group at once, with no verdict (IPNetSentryX saves it as `Break`). Only valid inside a Group.',
    terminating: false,
    parameterKinds: ['none'],
  },
  Pass: {
    description: 'Let the packet through. Not logged unless a Log matched on the way.',
    terminating: true,
    parameterKinds: ['none'],
  },
  Delete: {
    description:
      'Drop the packet silently (no reply). Logged unless a Dont log matched on the way.',
    terminating: true,
    logsByDefault: true,
    parameterKinds: ['none'],
  },
  Reject: {
    description:
      'Drop the packet and answer: a TCP reset for TCP, ICMP port unreachable otherwise. Logged unless a Dont log matched.',
    terminating: true,
    logsByDefault: true,
    parameterKinds: ['none'],
  },
  'Drop connection': {
    description:
      'Drop the packet and end its connection (reset both ends, forget the conntrack entry). Logged unless a Dont log matched.',
    terminating: true,
    logsByDefault: true,
    parameterKinds: ['none'],
  },
  Delay: {
    description:
      'Hold an arriving packet, then pass it (IPNetSentryX holds promiscuous TCP resets half a second so the real reply wins); a packet this host sends passes at once. The helper holds the packets (NFQUEUE); without it the rule passes them at once, or deletes them when its parameter says closed. Takes no children.',
    terminating: true,
    parameterKinds: ['default', 'duration'],
    parameterDescription:
      'How long to hold the packet (0.5, 500ms, 2s; at most 60 s; empty: 0.5 s), then optionally open (the default: without the helper, pass at once) or closed (without the helper, delete).',
    parameterPlaceholder: '0.5',
    parameterExamples: ['0.5', '300ms', '1s closed'],
  },
  'Delete no log': {
    description: 'Delete without logging (Delete with Dont log).',
    terminating: true,
    parameterKinds: ['none'],
  },
  'Keep address': {
    description:
      "Record the packet's source address in the `kept` table (test it with `Include == kept`), then go on.",
    terminating: false,
    parameterKinds: ['default', 'duration', 'note'],
    parameterDescription: TIMEOUT_NOTE,
    parameterPlaceholder: '1 h',
    parameterExamples: DURATIONS,
  },
  'Keep invalid': {
    description:
      "Record the packet's source address in the `invalid` table (test it with `Include == invalid`), then go on.",
    terminating: false,
    parameterKinds: ['default', 'duration', 'note'],
    parameterDescription: TIMEOUT_NOTE,
    parameterPlaceholder: '1 h',
    parameterExamples: DURATIONS,
  },
  Authorize: {
    description:
      "Record the packet's source address in the `authorized` table (test it with `Include == authorized`), then go on.",
    terminating: false,
    parameterKinds: ['default', 'duration', 'note'],
    parameterDescription: TIMEOUT_NOTE,
    parameterPlaceholder: '1 h',
    parameterExamples: DURATIONS,
  },
  Trigger: {
    description:
      "Record the packet's source address in the triggered table (`Include == triggered` matches it until it expires; each match refreshes it), then delete the packet. Logged unless a Dont log matched.",
    terminating: true,
    logsByDefault: true,
    parameterKinds: ['default', 'duration', 'note'],
    parameterDescription: TIMEOUT_NOTE,
    parameterPlaceholder: '1 h',
    parameterExamples: DURATIONS,
  },
  'Rate limit in': {
    description:
      'Police inbound traffic: packets over the rate are deleted (that is a verdict; TCP backs off to about the rate after a first second at full speed); packets within it go on to the next rule. Outbound traffic is not affected. IPNetSentryX paced TCP windows instead; arriving traffic cannot be shaped here (tc runs before the firewall).',
    terminating: false,
    parameterKinds: ['rate'],
    parameterDescription:
      'A rate: 50/s, 100/minute, 1 mbit/s, 64 kbytes/s; add `per source` for one bucket per address. A plain number is bits per second with an optional K or M, as IPNetSentryX writes it (`100K` = 100 kbit/s).',
    parameterPlaceholder: '1 mbit/s',
    parameterExamples: ['50/s', '1 mbit/s', '10 mbit/s', '64 kbytes/s'],
  },
  'Rate limit out': {
    description:
      'Shape outbound traffic: with a byte rate (`2M` = 2 Mbit/s, `64 kbytes/s`) packets the rule matches wait in its own HTB class on the interface they leave by and go out at the rate (never deleted, no verdict; its children run). A packet rate (`50/s`) or `per source` polices instead: packets over it are deleted. Inbound traffic is not affected.',
    terminating: false,
    parameterKinds: ['rate'],
    parameterDescription:
      'A rate: 50/s, 100/minute, 1 mbit/s, 64 kbytes/s; add `per source` for one bucket per address. A plain number is bits per second with an optional K or M, as IPNetSentryX writes it (`100K` = 100 kbit/s).',
    parameterPlaceholder: '1 mbit/s',
    parameterExamples: ['50/s', '1 mbit/s', '10 mbit/s'],
  },
  'Route to': {
    description:
      "Send a packet this host sends to this gateway and/or out of this interface, bypassing the main routing table (policy routing: a mark, an `ip rule` and a routing table of treewall's, 27100-27107, removed when the firewall stops). It ends the walk (its children never run, as in IPNetSentryX). Arriving and routed packets were routed before the filter sees them: put the rule under `Direction == outbound`, else Apply refuses it.",
    terminating: true,
    parameterKinds: ['route'],
    parameterDescription:
      'A gateway address, an interface, or both: `192.168.1.1`, `eth1`, `192.168.1.1 eth1`.',
    parameterPlaceholder: '192.168.1.1 eth1',
    parameterExamples: [],
  },
  Log: {
    description:
      'Log the packet (to the log view, through NFLOG) and go on. A terminating Pass below it is then logged too.',
    terminating: false,
    parameterKinds: ['text'],
    parameterDescription: 'Optional text added to the log line (at most 127 characters).',
    parameterPlaceholder: 'note',
    parameterExamples: [],
  },
  'Dont log': {
    description: 'Do not log this packet, whatever verdict follows (a Delete below is silent).',
    terminating: false,
    parameterKinds: ['none'],
  },
  Alert: {
    description: 'Show an alert in the app (and log) when the rule matches, then go on.',
    terminating: false,
    helper: true,
    parameterKinds: ['text'],
    parameterDescription: 'Optional alert text.',
    parameterPlaceholder: 'Port scan from a triggered host',
    parameterExamples: [],
  },
  Email: {
    description:
      "Send an e-mail when the rule fires (the helper, on its timer or from the log, through the SMTP relay in the helper's configuration; rate-limited), then go on.",
    terminating: false,
    helper: true,
    parameterKinds: ['email', 'note'],
    parameterDescription:
      "Addresses, comma-separated. Empty, or text without an @ (a description, as IPNetSentryX documents have): the helper's mail-to address.",
    parameterPlaceholder: 'admin@example.com',
    parameterExamples: [],
  },
  URL: {
    description:
      "Open a URL when the rule fires: `ping://host` sends an echo request, `tcp://host:port` tries a connection, `http(s)://` POSTs the event as JSON. Only destinations on the helper's outbound list are contacted. Used by timer rules to probe servers.",
    terminating: false,
    helper: true,
    parameterKinds: ['url', 'note'],
    parameterDescription:
      '`ping://host`, `tcp://host:port`, `http://...` or `https://...`. Text without `://` is a note (a description): the rule then opens nothing.',
    parameterPlaceholder: 'ping://192.168.0.2',
    parameterExamples: ['ping://192.168.0.2', 'tcp://192.168.0.2:80', 'http://192.168.0.2/'],
  },
  'Reset parent': {
    description:
      "Reset the parent rule's counters and idle time (timer rules use it to start a new period). A parameter is only a note (IPNetSentryX documents put a description there).",
    terminating: false,
    helper: true,
    parameterKinds: ['none', 'note'],
  },
  Script: {
    description:
      "Run a program from the helper's scripts folder when the rule fires (without a shell; the event as JSON on its stdin; killed after 10 s; rate-limited), then go on. Replaces AppleScript.",
    terminating: false,
    helper: true,
    parameterKinds: ['command'],
    parameterDescription:
      "A file in the helper's scripts folder (its name, or an absolute path inside the folder) and arguments; double quotes group words. The folder and the file must be owned by root and writable by no one else.",
    parameterPlaceholder: 'on-alert "port scan"',
    parameterExamples: [],
  },
  Masquerade: {
    description:
      "Mark the packet for source NAT: when it leaves, its source address becomes the leaving interface's (for hosts this machine routes for: virtual machines, containers). No verdict: testing goes on. Routed traffic needs IP forwarding on, which the helper checks and reports (it never switches it).",
    terminating: false,
    linux: true,
    parameterKinds: ['none', 'portRange'],
    parameterDescription: 'Optional source port range to use (1024-65535).',
    parameterPlaceholder: '',
    parameterExamples: ['', '1024-65535'],
  },
  'Port forward': {
    description:
      "Forward a port to another host (DNAT, e.g. to a virtual machine), applied on arrival before the filter: the first Port forward whose own test and whose ancestors' tests hold for a new connection translates it, and that connection then passes the filter both ways. In the filter walk the rule never matches and takes no children; its path may test only packet fields (no Include, Rate, timer property or payload). Needs IP forwarding on (the helper reports it).",
    terminating: false,
    linux: true,
    parameterKinds: ['forward'],
    parameterDescription:
      '`addr`, `addr:port`, `[v6addr]:port`, or `:port` (redirect to this host).',
    parameterPlaceholder: '192.168.122.10:22',
    parameterExamples: [],
  },
  Notify: {
    description: 'Show a desktop notification when the rule matches, then go on.',
    terminating: false,
    helper: true,
    linux: true,
    parameterKinds: ['text'],
    parameterDescription: 'Optional notification text.',
    parameterPlaceholder: 'SSH login attempt',
    parameterExamples: [],
  },
  Webhook: {
    description:
      "POST the event as JSON to a URL when the rule matches (only destinations on the helper's outbound list; rate-limited), then go on.",
    terminating: false,
    helper: true,
    linux: true,
    parameterKinds: ['url'],
    parameterDescription: 'An `http://` or `https://` URL.',
    parameterPlaceholder: 'https://hooks.example.com/firewall',
    parameterExamples: [],
  },
};

const RELATIONS: Record<RelationName, string> = {
  '==': 'equals; with a range, prefix or list: inside it',
  '!=': 'differs; with a range, prefix or list: outside it',
  'a=A': 'contains, ignoring letter case (content and URL keyword)',
  '>=': 'at least (a single number, time or rate)',
  '<=': 'at most (a single number, time or rate)',
};

export const PROPERTY_INFO: Readonly<Record<PropertyName, PropertyInfo>> = Object.fromEntries(
  PROPERTY_NAMES.map((name) => {
    const e = PROPERTIES[name];
    return [name, { ...e, name, timer: e.timer ?? false, linux: e.linux ?? false }];
  }),
) as Record<PropertyName, PropertyInfo>;

export const ACTION_INFO: Readonly<Record<ActionName, ActionInfo>> = Object.fromEntries(
  ACTION_NAMES.map((name) => {
    const e = ACTIONS[name];
    const info: ActionInfo = {
      ...e,
      name,
      helper: e.helper ?? false,
      logsByDefault: e.logsByDefault ?? false,
      linux: e.linux ?? false,
      parameterDescription: e.parameterDescription ?? '',
      parameterPlaceholder: e.parameterPlaceholder ?? '',
      parameterExamples: e.parameterExamples ?? [],
    };
    return [name, info];
  }),
) as Record<ActionName, ActionInfo>;

export const RELATION_INFO: Readonly<Record<RelationName, RelationInfo>> = Object.fromEntries(
  RELATION_NAMES.map((name) => [name, { name, description: RELATIONS[name] }]),
) as Record<RelationName, RelationInfo>;

export const propertyInfo = (name: PropertyName): PropertyInfo => PROPERTY_INFO[name];
export const actionInfo = (name: ActionName): ActionInfo => ACTION_INFO[name];
export const relationsFor = (property: PropertyName): readonly RelationName[] =>
  PROPERTY_INFO[property].relations;
export const isRelationAllowed = (property: PropertyName, relation: RelationName): boolean =>
  PROPERTY_INFO[property].relations.includes(relation);
export const isTerminating = (action: ActionName): boolean => ACTION_INFO[action].terminating;
export const isTimerProperty = (property: PropertyName): boolean => PROPERTY_INFO[property].timer;
export const takesParameter = (action: ActionName): boolean =>
  !ACTION_INFO[action].parameterKinds.every((k) => k === 'none');

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/**
 * The vocabulary as Markdown tables (properties, relations, actions), for the README and the
 * docs, so the documentation is generated from the same table the editor and validator use.
 */
export function vocabularyMarkdown(): string {
  const lines: string[] = [];
  lines.push('| Property | Value | Relations | Example | Kind |', '|---|---|---|---|---|');
  for (const name of PROPERTY_NAMES) {
    const p = PROPERTY_INFO[name];
    const kind = [p.timer ? 'timer' : 'packet', p.linux ? 'Linux addition' : '']
      .filter(Boolean)
      .join(', ');
    const example = p.examples[0] ?? p.placeholder;
    lines.push(
      `| ${name} | ${cell(p.description)} | ${p.relations.map((r) => `\`${r}\``).join(' ')} | ${example === '' ? '' : `\`${cell(example)}\``} | ${kind} |`,
    );
  }
  lines.push('', '| Relation | Meaning |', '|---|---|');
  for (const name of RELATION_NAMES)
    lines.push(`| \`${name}\` | ${cell(RELATION_INFO[name].description)} |`);
  lines.push('', '| Action | What it does | Terminating | Parameter |', '|---|---|---|---|');
  for (const name of ACTION_NAMES) {
    const a = ACTION_INFO[name];
    const where = [a.helper ? 'runs in the helper' : '', a.linux ? 'Linux addition' : '']
      .filter(Boolean)
      .join(', ');
    const desc = where === '' ? a.description : `${a.description} (${where})`;
    lines.push(
      `| \`${name}\` | ${cell(desc)} | ${a.terminating ? 'yes' : 'no'} | ${cell(a.parameterDescription === '' ? '—' : a.parameterDescription)} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** IPNetSentryX's spelling and code of every treewall entry (DefaultRules.nsy's older codes beside
 * the newest FilterEntry.m's), as Markdown: what clipboard text and `.nsy` documents carry. */
export function originalNamesMarkdown(): string {
  // The codes of the version that wrote DefaultRules.nsy (no Keep invalid, so from Authorize on
  // one lower than the newest menu).
  const olderAction = (name: ActionName): string => {
    const code = actionCode(name);
    if (code === undefined || name === 'Keep invalid') return '—';
    return String(code > 9 ? code - 1 : code);
  };
  const lines: string[] = [
    '| treewall | IPNetSentryX writes | code written | older code (DefaultRules.nsy) |',
    '|---|---|---|---|',
  ];
  for (const name of PROPERTY_NAMES) {
    const code = propertyCode(name);
    const known = code !== undefined;
    lines.push(
      `| ${name} | ${known ? `\`${originalName(name)}\`` : '— (treewall only)'} | ${known ? code : 'none'} | ${known ? code : '—'} |`,
    );
  }
  for (const name of ACTION_NAMES) {
    const code = actionCode(name);
    const known = code !== undefined;
    const spelled =
      name === 'Exit group'
        ? '`Exit group` (older: `Break`)'
        : known
          ? `\`${originalName(name)}\``
          : name === 'Delete no log'
            ? '`Delete no log` (in its documents, never in its menu)'
            : '— (treewall only)';
    lines.push(`| \`${name}\` | ${spelled} | ${known ? code : 'none'} | ${olderAction(name)} |`);
  }
  return `${lines.join('\n')}\n`;
}

/** Actions whose verdict is logged unless a Dont log matched on the way (DESIGN §3.7). The
 * compiler, the evaluator and the helper all read this one set. */
export const LOGGED_ACTIONS: ReadonlySet<ActionName> = new Set(
  ACTION_NAMES.filter((a) => ACTION_INFO[a].logsByDefault),
);

/** Actions the helper performs (Alert, Notify, Email, URL, Webhook, Script, Reset parent): the
 * kernel sends it an NFLOG event carrying the rule's key when their rule matches. */
export const HELPER_ACTIONS: ReadonlySet<ActionName> = new Set(
  ACTION_NAMES.filter((a) => ACTION_INFO[a].helper),
);

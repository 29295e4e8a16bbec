// Runtime: pure (shared/). The vocabulary: every property, relation and action by its exact
// IPNetSentryX name, plus the Linux additions of DESIGN §2. Names, not numbers, are identity:
// IPNetSentryX changed its integer codes between versions, so `code` here is only what treewall
// writes for the original's benefit; on input the names win.

export const PROPERTY_NAMES = [
  // IPNetSentryX
  'Any',
  'None',
  'Direction',
  'Interface',
  'Include',
  'Source MAC Address',
  'Dest MAC Address',
  'Source net',
  'Dest net',
  'Protocol',
  'Fragment offset',
  'IP options',
  'ICMP type',
  'ICMP code',
  'TCP header flags',
  'TCP options',
  'Source port',
  'Dest port',
  'Data content',
  'URL keyword',
  'Time of day',
  'Day of week',
  'Date and time',
  'Idle seconds',
  'Parent idle seconds',
  'Parent match count',
  'Parent match rate',
  'Parent byte count',
  // Linux additions
  'Connection state',
  'Owner UID',
  'Owner GID',
  'IP version',
  'Packet length',
  'TTL',
  'DSCP',
  'Rate',
] as const;
export type PropertyName = (typeof PROPERTY_NAMES)[number];

export const RELATION_NAMES = ['==', '!=', 'a=A', '>=', '<='] as const;
export type RelationName = (typeof RELATION_NAMES)[number];

export const ACTION_NAMES = [
  // IPNetSentryX
  '->',
  '++',
  'Group',
  'Exit group',
  'Pass',
  'Delete',
  'Reject',
  'Drop connection',
  'Delay',
  'Delete no log',
  'Keep address',
  'Keep invalid',
  'Authorize',
  'Trigger',
  'Rate limit in',
  'Rate limit out',
  'Route to',
  'Log',
  'Dont log',
  'Alert',
  'Email',
  'URL',
  'Reset parent',
  'Script',
  // Linux additions
  'Masquerade',
  'Port forward',
  'Notify',
  'Webhook',
] as const;
export type ActionName = (typeof ACTION_NAMES)[number];

/** Names IPNetSentryX documents use for the same thing. `Break` is how it saves Exit group. */
export const ACTION_ALIASES: Readonly<Record<string, ActionName>> = {
  Break: 'Exit group',
  AppleScript: 'Script',
  'Don\u2019t log': 'Dont log',
  "Don't log": 'Dont log',
};

/**
 * The original's menus in code order (IPNetSentryX `FilterEntry.m`, the newest version): what its
 * reader maps an integer code to when a rule's name is missing or unknown. `__1`... are menu
 * separators. Older versions numbered differently (`DefaultRules.nsy`: no `Keep invalid`, so
 * Authorize 9 ... Reset parent 20; the walk-through's text: Delay 7, TCP header flags 14); names
 * are the same in all of them, which is why names win on input.
 */
export const ORIGINAL_PROPERTY_MENU = [
  'Any', 'None', 'Direction', 'Interface', 'Include', 'Source MAC Address', 'Dest MAC Address',
  '__1',
  'Source net', 'Dest net', 'Protocol', 'IPFragmentOffset', 'IPOptions', 'ICMP type', 'ICMP code',
  '__2',
  'TCP header flags', 'TCPOptions', 'Source port', 'Dest port', 'Data content', 'URL keyword',
  '__3',
  'Time of day', 'Day of week', 'Date and time', 'Idle seconds', 'Parent idle seconds',
  'Parent match count', 'Parent match rate', 'Parent byte count',
] as const; // prettier-ignore
export const ORIGINAL_RELATION_MENU = ['==', '!=', 'a=A', '>=', '<='] as const;
export const ORIGINAL_ACTION_MENU = [
  '->', '++', 'Group', 'Exit group', 'Pass', 'Delete', 'Reject', 'Drop connection',
  'Keep address', 'Keep invalid', 'Authorize', 'Trigger', 'Delay', 'Rate limit in',
  'Rate limit out', 'Route to', 'Log', 'Dont log', 'Alert', 'Email', 'URL', 'Reset parent',
  'AppleScript',
] as const; // prettier-ignore

/** treewall names the original spells otherwise (its menu titles). */
const ORIGINAL_SPELLING: Partial<Record<PropertyName | ActionName, string>> = {
  'Fragment offset': 'IPFragmentOffset',
  'IP options': 'IPOptions',
  'TCP options': 'TCPOptions',
  Script: 'AppleScript',
};

/** The name to write for the original: its own menu title, else treewall's name. */
export const originalName = (name: PropertyName | ActionName): string =>
  ORIGINAL_SPELLING[name] ?? name;

const codeIn = (menu: readonly string[], name: string): number | undefined => {
  const i = menu.indexOf(name);
  return i < 0 ? undefined : i;
};

/**
 * Integer codes treewall writes beside the names (`property`, `relation`, `filterAction`): the
 * code the original maps back to the same entry, or undefined for an entry the original does not
 * have (a Linux addition, `Delete no log`), which is then written without a code.
 */
export const propertyCode = (name: PropertyName): number | undefined =>
  codeIn(ORIGINAL_PROPERTY_MENU, originalName(name));
export const relationCode = (name: RelationName): number | undefined =>
  codeIn(ORIGINAL_RELATION_MENU, name);
export const actionCode = (name: ActionName): number | undefined =>
  codeIn(ORIGINAL_ACTION_MENU, originalName(name));

export const isPropertyName = (s: string): s is PropertyName =>
  (PROPERTY_NAMES as readonly string[]).includes(s);
export const isRelationName = (s: string): s is RelationName =>
  (RELATION_NAMES as readonly string[]).includes(s);
export const isActionName = (s: string): s is ActionName =>
  (ACTION_NAMES as readonly string[]).includes(s);

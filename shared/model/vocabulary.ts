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
  'Group',
  'Exit group',
  'Pass',
  'Delete',
  'Reject',
  'Drop connection',
  'Delay',
  'Delete no log',
  'Keep address',
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

/** Integer codes treewall writes beside the names (`property`, `relation`, `filterAction`). */
export const propertyCode = (name: PropertyName): number => PROPERTY_NAMES.indexOf(name);
export const relationCode = (name: RelationName): number => RELATION_NAMES.indexOf(name);
export const actionCode = (name: ActionName): number => ACTION_NAMES.indexOf(name);

export const isPropertyName = (s: string): s is PropertyName =>
  (PROPERTY_NAMES as readonly string[]).includes(s);
export const isRelationName = (s: string): s is RelationName =>
  (RELATION_NAMES as readonly string[]).includes(s);
export const isActionName = (s: string): s is ActionName =>
  (ACTION_NAMES as readonly string[]).includes(s);

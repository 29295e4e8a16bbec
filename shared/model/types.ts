// Runtime: pure (shared/). The rule tree and the document: the types every part agrees on.
// A rule's number (2.6.1.1.17) is derived from its position and never stored as identity;
// counters, log lines and triggered entries refer to rules by `id`.

import type { ActionName, PropertyName, RelationName } from './vocabulary.ts';

/** A value that survives a property-list round trip (unknown keys are kept as these). */
export type PlistValue =
  string | number | boolean | Uint8Array | Date | PlistValue[] | { [key: string]: PlistValue };

export interface Rule {
  /** Stable identity, unique in the document. Kernel object names derive from it. */
  id: string;
  enabled: boolean;
  /** Free text shown in the Name column (IPNetSentryX `nodeName`). */
  name: string;
  property: PropertyName;
  relation: RelationName;
  /** The value as the user typed it; parsed by the property's value kind. */
  value: string;
  action: ActionName;
  /** The action's parameter (a duration, an address, a URL, ...), as typed. */
  parameter: string;
  children: Rule[];
  /** Disclosure state in the outline (IPNetSentryX `expandedState`). */
  expanded: boolean;
  /** Keys read from a property list that treewall does not know; written back unchanged. */
  extra?: Record<string, PlistValue>;
}

/** Every field of Rule (a missing or extra one is a type error). */
export const RULE_FIELDS = Object.keys({
  id: true,
  enabled: true,
  name: true,
  property: true,
  relation: true,
  value: true,
  action: true,
  parameter: true,
  children: true,
  expanded: true,
  extra: true,
} satisfies Record<keyof Rule, true>) as readonly (keyof Rule)[];

/** The values of each settings field, once: the plist reader and the helper's protocol check use these. */
export const DEFAULT_POLICIES = ['pass', 'delete'] as const;
export type DefaultPolicy = (typeof DEFAULT_POLICIES)[number];

export const STATISTIC_KINDS = [
  'none',
  'matchCount',
  'byteCount',
  'lastMatch',
  'packetRate',
  'bitRate',
] as const;
export type StatisticKind = (typeof STATISTIC_KINDS)[number];

export interface DocumentSettings {
  /** Apply the document and turn the firewall on when it is opened at boot / by the helper. */
  firewallOn: boolean;
  /** Default Trigger duration in seconds; 0 means unlimited. IPNetSentryX default: 1 hour. */
  defaultTriggerDuration: number;
  /** What happens to a packet that reaches the end of the top level without a verdict. */
  defaultPolicy: DefaultPolicy;
  /** What the statistics column shows. */
  selectedStatistic: StatisticKind;
  /** Interfaces that `Interface == external` / `internal` stand for. */
  externalInterfaces: string[];
  internalInterfaces: string[];
}

/** Every field of DocumentSettings, in document order (a missing or extra one is a type error). */
export const SETTING_KEYS = Object.keys({
  firewallOn: true,
  defaultTriggerDuration: true,
  defaultPolicy: true,
  selectedStatistic: true,
  externalInterfaces: true,
  internalInterfaces: true,
} satisfies Record<keyof DocumentSettings, true>) as readonly (keyof DocumentSettings)[];

export interface FirewallDocument {
  /** The top-level rules (IPNetSentryX keeps them as the children of a root rule). */
  rules: Rule[];
  settings: DocumentSettings;
  /** Top-level document keys treewall does not know (`SentryDocument_*` and friends). */
  extra?: Record<string, PlistValue>;
}

export const DEFAULT_SETTINGS: DocumentSettings = {
  firewallOn: false,
  defaultTriggerDuration: 3600,
  defaultPolicy: 'pass',
  selectedStatistic: 'matchCount',
  externalInterfaces: [],
  internalInterfaces: [],
};

/**
 * How much a problem matters. `error`: the document cannot be applied as it is (validation of an
 * enabled rule, a compiler refusal). `warning`: it applies, but probably not as meant (the
 * compiler's "never matches"). `note`: worth knowing, changes nothing (free text where the
 * original kept a description; problems in rules that are turned off).
 */
export const SEVERITIES = ['error', 'warning', 'note'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** One problem found by validation or compilation, located by rule id and number. */
export interface Problem {
  /** Absent means `error` (every problem was an error before severities existed). */
  severity?: Severity;
  ruleId: string;
  /** The rule's outline number, `2.6.1.1.17`. */
  number: string;
  field?: 'property' | 'relation' | 'value' | 'action' | 'parameter' | 'name';
  /** Readable, starting with the property or action: `Dest port 70000 is out of range (0-65535)`. */
  message: string;
}

/** A problem's severity, `error` when it has none. */
export const severityOf = (p: Problem): Severity => p.severity ?? 'error';

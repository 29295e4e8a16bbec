// Runtime: pure (shared/), tests only. Terse builders for rule trees and packets in tests.
import type { FirewallDocument, Rule } from '../model/types.ts';
import { DEFAULT_SETTINGS } from '../model/types.ts';
import type { ActionName, PropertyName, RelationName } from '../model/vocabulary.ts';
import { parsePacketSpec, type Packet } from './packet.ts';

let counter = 0;

export interface RuleOptions {
  id?: string;
  enabled?: boolean;
  relation?: RelationName;
  parameter?: string;
  name?: string;
}

/** `rule('Dest port', '22', 'Pass')`, children after, options last. */
export function rule(
  property: PropertyName,
  value: string,
  action: ActionName,
  children: Rule[] = [],
  options: RuleOptions = {},
): Rule {
  return {
    id: options.id ?? `r${++counter}`,
    enabled: options.enabled ?? true,
    name: options.name ?? '',
    property,
    relation: options.relation ?? '==',
    value,
    action,
    parameter: options.parameter ?? '',
    children,
    expanded: true,
  };
}

export function doc(
  rules: Rule[],
  settings: Partial<FirewallDocument['settings']> = {},
): FirewallDocument {
  return { rules, settings: { ...DEFAULT_SETTINGS, ...settings } };
}

/** A packet from its one-line form; throws on a bad spec (tests only). */
export function pkt(spec: string): Packet {
  const parsed = parsePacketSpec(spec);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

// Runtime: pure (shared/). Route to: policy routing for the packets this host sends. The walk's
// Route to verdict marks the packet with its next hop's code and accepts it; `output` is a base
// chain of type route, so the kernel looks the route up again with the new mark, and an
// `ip rule fwmark CODE/MASK lookup TABLE` (set by the helper) sends it to treewall's own routing
// table for that next hop (see docs/vocabulary.md, "Route to").
// Invariant: codes use only treewall's reserved mark bits; a code always has the routed bit set,
// which nothing else sets on a packet the host sends, so no other packet can match a rule.

import type { ParsedParameter } from '../model/values.ts';

/** treewall's routing tables: ROUTE_TABLE_BASE .. ROUTE_TABLE_BASE + MAX_NEXT_HOPS - 1. */
export const ROUTE_TABLE_BASE = 27100;
/** Distinct next hops one document may name (three free mark bits beside the routed bit). */
export const MAX_NEXT_HOPS = 8;
/** `ip rule` priority of treewall's rules (one per next hop, the same for all). */
export const ROUTE_RULE_PRIORITY = 27100;

/** What the helper sets up for one next hop (`ip rule` + a route in treewall's table). */
export interface RouteTarget {
  /** Routing table number (ROUTE_TABLE_BASE + index). */
  table: number;
  /** fwmark value and mask of its `ip rule`. */
  mark: number;
  mask: number;
  /** Address family of the next hop; absent (interface only): both. */
  family?: 4 | 6;
  /** Next-hop address (gateway). */
  via?: string;
  /** Leaving interface. */
  dev?: string;
  /** The rules that route here, by id. */
  ruleIds: string[];
}

export interface RouteMarks {
  dontLog: number;
  exitGroup: number;
  skip: number;
  routed: number;
}

/** The mark bits a route code may use, and the code of next hop `index` (0..7). */
export function routeMask(m: RouteMarks): number {
  return (m.dontLog | m.exitGroup | m.skip | m.routed) >>> 0;
}

export function routeCode(index: number, m: RouteMarks): number {
  let code = m.routed;
  if (index & 1) code |= m.skip;
  if (index & 2) code |= m.exitGroup;
  if (index & 4) code |= m.dontLog;
  return code >>> 0;
}

/** One next hop's identity: rules with the same gateway and interface share a table. */
export function nextHopKey(p: ParsedParameter): string | undefined {
  if (p.kind !== 'route') return undefined;
  return `${p.address ?? ''}|${p.interface ?? ''}`;
}

// Runtime: pure (shared/). Port forward: the arrival translation (destination NAT) that runs
// before the filter walk, in a nat chain of our own table (see docs/vocabulary.md, "Port forward").
// Invariant: a Port forward line tests only its path's conditions (its own and its enabled
// ancestors', as the inbound program reads them), which are stateless: the arrival stage has no
// walk, no counts and no tables. The first line that holds translates the flow and marks its
// conntrack entry, so the filter hooks let that flow through (both directions).

import type { ParsedParameter } from '../model/values.ts';
import type { PropertyName } from '../model/vocabulary.ts';
import type { Cond } from './conditions.ts';
import { and, anonSet, counterRef, ct, match, meta, or, type Stmt } from './nft.ts';

/**
 * Bit of the conntrack mark a Port forward sets on the flows it translates (treewall reserves the
 * same bits of the ct mark as of the packet mark, 0x7c000000; this is the only one it uses there).
 */
export const CT_FORWARDED = 0x04000000;

/** Most lines one Port forward may need (alternatives of its path's tests, multiplied). */
const MAX_LINES = 64;

/**
 * Properties a Port forward's path may not test, and why: the arrival stage runs before the filter
 * walk, with no state (tables, counts, rates) and no payload.
 */
export function arrivalRefusal(property: PropertyName): string | undefined {
  switch (property) {
    case 'Include':
      return 'Include (a table or connection lookup with refresh)';
    case 'Rate':
      return 'Rate (a token bucket)';
    case 'Idle seconds':
    case 'Parent idle seconds':
    case 'Parent match count':
    case 'Parent match rate':
    case 'Parent byte count':
      return `${property} (a count kept by the walk)`;
    case 'Data content':
    case 'URL keyword':
      return `${property} (a payload search)`;
    default:
      return undefined;
  }
}

/** The nat statement of a Port forward target. */
function natStatement(p: Extract<ParsedParameter, { kind: 'forward' }>): Stmt {
  if (p.address === undefined) return { redirect: { port: p.port ?? 0 } };
  return {
    dnat: {
      family: p.family === 6 ? 'ip6' : 'ip',
      addr: p.address,
      ...(p.port !== undefined ? { port: p.port } : {}),
    },
  };
}

/**
 * The `nat_pre` lines of one Port forward rule: every way its path can hold (each test's
 * alternatives, multiplied), each ending in its counter, the conntrack mark and the translation.
 * `[]` when the path can never hold; a string when it cannot be compiled (the reason).
 */
export function forwardLines(
  path: readonly Cond[],
  param: ParsedParameter,
  counter: string,
): Stmt[][] | string {
  if (param.kind !== 'forward')
    return 'Port forward needs a target (addr, addr:port, [v6addr]:port or :port)';
  let ways: Stmt[][] = [[]];
  for (const cond of path) {
    if (cond.kind === 'true') continue;
    if (cond.kind === 'false') return [];
    if (cond.kind !== 'lines' || cond.exits !== undefined)
      return 'a test on its path cannot run before the filter walk';
    const next: Stmt[][] = [];
    for (const w of ways) for (const l of cond.lines) next.push([...w, ...l]);
    if (next.length > MAX_LINES)
      return `its path needs more than ${MAX_LINES} nft rules (too many alternatives)`;
    ways = next;
  }
  const head: Stmt[] = [];
  if (param.family !== undefined)
    head.push(match('==', meta('nfproto'), param.family === 6 ? 'ipv6' : 'ipv4'));
  // A port in the target: only TCP and UDP have one (nft needs the protocol for the mapping).
  if (param.port !== undefined) head.push(match('==', meta('l4proto'), anonSet(['tcp', 'udp'])));
  const tail: Stmt[] = [
    counterRef(counter),
    { mangle: { key: ct('mark'), value: or(ct('mark'), CT_FORWARDED) } },
    natStatement(param),
  ];
  return ways.map((w) => [...head, ...w, ...tail]);
}

/**
 * The filter hooks' first line (input, forward, forward_out, output): a flow a Port forward
 * translated passes, both directions (a redirected flow's replies leave by output).
 */
export function forwardedFlowLine(): Stmt[] {
  return [match('==', and(ct('mark'), CT_FORWARDED), CT_FORWARDED), { accept: null }];
}

// Runtime: plain Node, as root. What the kernel needs outside our nft table: the policy routing of
// Route to (an `ip rule` and a route in treewall's own routing table per next hop; see
// shared/compiler/route.ts) and the check of IP forwarding for NAT (Masquerade, Port forward).
// Invariants: only treewall's tables (ROUTE_TABLE_BASE .. + MAX_NEXT_HOPS - 1) and only rules that
// are exactly ours (priority ROUTE_RULE_PRIORITY, our fwmark codes, our tables) are ever added or
// removed; forwarding is read, never switched.

import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import {
  MAX_NEXT_HOPS,
  ROUTE_RULE_PRIORITY,
  ROUTE_TABLE_BASE,
  routeCode,
  routeMask,
  type RouteTarget,
} from '../../shared/compiler/route.ts';
import { DEFAULT_MARKS } from '../../shared/compiler/index.ts';
import { systemProgram } from './programs.ts';

/**
 * Runs `ip -4|-6 [-force] -batch -` with these command lines on stdin (one process per family);
 * rejects with ip's message when a line fails (with `force`, after trying every line).
 */
export type IpRunner = (family: 4 | 6, lines: string[], force: boolean) => Promise<void>;

/** `ip` from the system directories (never PATH). */
export const runIp: IpRunner = (family, lines, force) =>
  new Promise((resolve, reject) => {
    const child = execFile(
      systemProgram('ip'),
      [`-${family}`, ...(force ? ['-force'] : []), '-batch', '-'],
      { timeout: 10_000 },
      (error, _out, stderr) => {
        if (error) reject(new Error(String(stderr).trim() || error.message));
        else resolve();
      },
    );
    child.stdin?.end(lines.map((l) => `${l}\n`).join(''));
  });

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

/** The lines that remove every rule and route treewall may have set (of one family). */
export function removalCommands(): string[] {
  const out: string[] = [];
  const mask = routeMask(DEFAULT_MARKS);
  for (let i = 0; i < MAX_NEXT_HOPS; i++) {
    const table = ROUTE_TABLE_BASE + i;
    const code = hex(routeCode(i, DEFAULT_MARKS));
    out.push(
      `rule del priority ${ROUTE_RULE_PRIORITY} fwmark ${code}/${hex(mask)} lookup ${table}`,
    );
    out.push(`route flush table ${table}`);
  }
  return out;
}

/** The lines that set up `routes` for one family (after removalCommands). */
export function setupCommands(routes: readonly RouteTarget[], family: 4 | 6): string[] {
  const out: string[] = [];
  for (const r of routes) {
    if (r.family !== undefined && r.family !== family) continue;
    const via = r.via !== undefined ? ` via ${r.via}` : '';
    const dev = r.dev !== undefined ? ` dev ${r.dev}` : '';
    out.push(`route replace default${via}${dev} table ${r.table}`);
    out.push(
      `rule add priority ${ROUTE_RULE_PRIORITY} fwmark ${hex(r.mark)}/${hex(r.mask)} lookup ${r.table}`,
    );
  }
  return out;
}

/**
 * Make the kernel's policy routing match `routes`: remove what treewall set before, then add
 * these. Returns the error of the setup (removal errors are expected: nothing to remove).
 */
export async function syncRoutes(
  routes: readonly RouteTarget[],
  run: IpRunner = runIp,
): Promise<string | undefined> {
  for (const family of [4, 6] as const) {
    // Removal lines fail for whatever is not there: expected, ignored.
    await run(family, removalCommands(), true).catch(() => undefined);
    const lines = setupCommands(routes, family);
    if (lines.length === 0) continue;
    try {
      await run(family, lines, false);
    } catch (error) {
      return (error as Error).message;
    }
  }
  return undefined;
}

export interface ForwardingState {
  ipv4: boolean;
  ipv6: boolean;
}

/** net.ipv4.ip_forward and net.ipv6.conf.all.forwarding, as this process's namespace has them. */
export async function readForwarding(
  read: (path: string) => Promise<string> = (p) => readFile(p, 'utf8'),
): Promise<ForwardingState> {
  const on = async (p: string): Promise<boolean> => {
    try {
      return (await read(p)).trim() !== '0';
    } catch {
      return false;
    }
  };
  return {
    ipv4: await on('/proc/sys/net/ipv4/ip_forward'),
    ipv6: await on('/proc/sys/net/ipv6/conf/all/forwarding'),
  };
}

/** The warning for a document that translates while the host does not forward; else undefined. */
export function forwardingWarning(
  forwarding: { number: string; action: string } | undefined,
  state: ForwardingState,
): string | undefined {
  if (!forwarding) return undefined;
  const off = [
    ...(state.ipv4 ? [] : ['net.ipv4.ip_forward']),
    ...(state.ipv6 ? [] : ['net.ipv6.conf.all.forwarding']),
  ];
  if (off.length === 0) return undefined;
  return `${forwarding.action} (rule ${forwarding.number}) needs IP forwarding, but ${off.join(' and ')} ${off.length > 1 ? 'are' : 'is'} 0 on this host: routed traffic is not forwarded. treewall does not switch it; to forward: sysctl -w ${off.map((k) => `${k}=1`).join(' ')}`;
}

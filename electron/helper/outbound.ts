// Runtime: plain Node, as root. Which destinations the helper's own actions may reach (URL
// `ping://` / `tcp://` probes, Webhook POSTs). The list is the helper's configuration, never the
// document's: `--allow-outbound DEST[,DEST...]` and the file `outbound-allow` in the state
// directory (one destination per line, `#` comments). Default: none.
// Invariants:
// - A destination not on the list is never contacted: `apply` refuses a document whose
//   effectively enabled URL / Webhook rules name one (a problem per rule, with its number), and
//   the action itself checks again when it fires (a document applied before the list changed,
//   a rollback, `--apply-saved`).
// - Matching is exact on scheme, host and port (no DNS, no wildcards); a path on an http(s) entry
//   is a prefix at a `/` boundary.

import { promises as fs } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { effectivelyEnabledIds, numberRules, walk } from '../../shared/model/tree.ts';
import type { FirewallDocument, Problem } from '../../shared/model/types.ts';

export const OUTBOUND_FILE = 'outbound-allow';

export type OutboundScheme = 'http' | 'https' | 'tcp' | 'ping';

export interface Destination {
  scheme: OutboundScheme;
  /** Lower case; IPv6 without brackets, in URL-normal form. */
  host: string;
  /** null: http(s) -> the scheme's default port; tcp -> any port; ping: always null. */
  port: number | null;
  /** http(s): path prefix ('/' = any). */
  path: string;
}

const DEFAULT_PORT: Record<string, number> = { http: 80, https: 443 };

function normalHost(host: string): string | undefined {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === '') return undefined;
  if (isIP(bare) === 6) {
    try {
      return new URL(`http://[${bare}]/`).hostname.replace(/^\[(.*)\]$/, '$1');
    } catch {
      return undefined;
    }
  }
  return /^[a-z0-9.-]{1,253}$/.test(bare) ? bare.replace(/\.$/, '') : undefined;
}

/**
 * A URL or an allow-list entry as a destination. `entry`: a port may be left out (tcp: any port)
 * and a path given (http(s) prefix). Undefined: not a destination treewall contacts.
 */
export function parseDestination(text: string, entry = false): Destination | undefined {
  const t = text.trim();
  const probe = /^(ping|tcp):\/\/(\[[^\]]+\]|[^:/[\]]+)(?::(\d{1,5}))?\/?$/i.exec(t);
  if (probe) {
    const scheme = probe[1]!.toLowerCase() as 'ping' | 'tcp';
    const host = normalHost(probe[2]!);
    const port = probe[3] === undefined ? null : Number(probe[3]);
    if (host === undefined || (port !== null && (port < 1 || port > 65535))) return undefined;
    if (scheme === 'ping')
      return port === null ? { scheme, host, port: null, path: '/' } : undefined;
    if (port === null && !entry) return undefined;
    return { scheme, host, port, path: '/' };
  }
  if (!/^https?:\/\//i.test(t)) return undefined;
  let url: URL;
  try {
    url = new URL(t);
  } catch {
    return undefined;
  }
  const scheme = url.protocol.slice(0, -1) as 'http' | 'https';
  const host = normalHost(url.hostname);
  if (host === undefined) return undefined;
  const port = url.port === '' ? DEFAULT_PORT[scheme]! : Number(url.port);
  return { scheme, host, port, path: url.pathname || '/' };
}

const format = (d: Destination): string =>
  `${d.scheme}://${d.host.includes(':') ? `[${d.host}]` : d.host}${d.port === null ? '' : `:${d.port}`}${d.path === '/' ? '' : d.path}`;

export class OutboundPolicy {
  constructor(
    readonly entries: readonly Destination[],
    /** Where the list came from, for messages. */
    readonly source: string,
  ) {}

  static none(source = 'the helper has no outbound destinations configured'): OutboundPolicy {
    return new OutboundPolicy([], source);
  }

  /** Parse entries; throws with the bad entry named. */
  static parse(lines: readonly string[], source: string): OutboundPolicy {
    const entries: Destination[] = [];
    for (const raw of lines) {
      const line = raw.replace(/#.*$/, '').trim();
      if (line === '') continue;
      const d = parseDestination(line, true);
      if (!d) {
        throw new Error(
          `${source}: "${line}" is not a destination (http(s)://host[:port][/path], tcp://host[:port], ping://host)`,
        );
      }
      entries.push(d);
    }
    return new OutboundPolicy(entries, source);
  }

  /** May an action contact this URL (the rule's parameter as written)? */
  allows(text: string): boolean {
    const d = parseDestination(text);
    if (!d) return false;
    return this.entries.some(
      (e) =>
        e.scheme === d.scheme &&
        e.host === d.host &&
        (e.port === null || e.port === d.port) &&
        (e.path === '/' ||
          d.path === e.path ||
          d.path.startsWith(e.path.endsWith('/') ? e.path : `${e.path}/`)),
    );
  }

  describe(): string {
    return this.entries.length === 0 ? 'none' : this.entries.map(format).join(', ');
  }

  /**
   * The effectively enabled URL and Webhook rules whose destination is not allowed, as problems
   * naming the rule (disabled rules never fire, so what they name does not matter).
   */
  problems(doc: FirewallDocument): Problem[] {
    const enabled = effectivelyEnabledIds(doc.rules);
    const out: Problem[] = [];
    let numbers: Map<string, string> | undefined;
    walk(doc.rules, (rule) => {
      if (rule.action !== 'URL' && rule.action !== 'Webhook') return;
      if (!enabled.has(rule.id)) return;
      const text = rule.parameter.trim();
      if (this.allows(text)) return;
      numbers ??= numberRules(doc.rules);
      out.push({
        ruleId: rule.id,
        number: numbers.get(rule.id) ?? '',
        field: 'parameter',
        message: `${rule.action} destination ${text} is not allowed by the helper's configuration (allowed: ${this.describe()}; add it with --allow-outbound or in ${this.source})`,
      });
    });
    return out;
  }
}

/**
 * The helper's list: `--allow-outbound` entries plus `<stateDir>/outbound-allow` if present.
 * Throws on a bad entry (the helper refuses to start rather than guess).
 */
export async function loadOutboundPolicy(
  stateDir: string,
  fromOptions: readonly string[] = [],
): Promise<OutboundPolicy> {
  const file = path.join(stateDir, OUTBOUND_FILE);
  let lines: string[] = [];
  try {
    lines = (await fs.readFile(file, 'utf8')).split('\n');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const fromFile = OutboundPolicy.parse(lines, file);
  const fromArgs = OutboundPolicy.parse(fromOptions, '--allow-outbound');
  return new OutboundPolicy([...fromArgs.entries, ...fromFile.entries], file);
}

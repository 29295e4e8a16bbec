// Runtime: plain Node, as root. The triggered-address tables: the dynamic sets of our table
// (`trig4/6`: every triggered address, by a Trigger rule or by hand; `t4_<key>`/`t6_<key>`: which
// Trigger rule triggered it; `auth4/6` for Authorize, `keep4/6` for Keep address, `inv4/6` for Keep
// invalid), listed, edited, imported and exported.
// Invariant: only sets of `table inet treewall` whose names follow that scheme are touched, and
// addresses reach nft only as JSON strings after parsing as IPv4/IPv6.

import { isIP } from 'node:net';
import type { RuleObjects } from '../../shared/compiler/index.ts';
import type { TriggeredKind, TriggeredRecord } from '../../shared/ipc/helper-protocol.ts';
import type { Nft, NftJson } from './nft.ts';

const MANUAL_SET: Record<TriggeredKind, string> = {
  trigger: 'trig',
  authorize: 'auth',
  address: 'keep',
  invalid: 'inv',
};
/** The size nft gives a dynamic set declared without one (and what `nft list` reports). */
export const DEFAULT_SET_SIZE = 65535;

/** nft has no "never" for an element of a set with a default timeout: ten years stands in. */
const FOREVER_SECONDS = 3650 * 86400;

interface SetInfo {
  name: string;
  type: TriggeredKind;
  family: 4 | 6;
  ruleId: string | null;
  /** Elements with their remaining seconds (null: no timeout). */
  elems: { address: string; expires: number | null }[];
}

/** What the log told us about a triggered address (the kernel keeps no such history). */
export interface SeenRecord {
  firstSeenMs: number;
  hits: number;
}

export class TriggeredTables {
  /** `type|address` -> first time seen and hits, from Trigger rules' log events. */
  readonly seen = new Map<string, SeenRecord>();

  constructor(private readonly nft: Nft) {}

  /** Note a logged Trigger packet from `address`. */
  noteTrigger(address: string, timeMs: number): void {
    const key = `trigger|${address}`;
    const r = this.seen.get(key);
    if (r) r.hits++;
    else this.seen.set(key, { firstSeenMs: timeMs, hits: 1 });
  }

  async sets(objects: Record<string, RuleObjects>): Promise<SetInfo[]> {
    const bySet = new Map<string, string>();
    for (const [id, o] of Object.entries(objects)) for (const s of o.sets ?? []) bySet.set(s, id);
    return parseSets(await this.nft.listSets(), bySet);
  }

  async list(
    objects: Record<string, RuleObjects>,
    numbers: Map<string, string>,
    type?: TriggeredKind,
  ): Promise<TriggeredRecord[]> {
    const now = Date.now();
    const out: TriggeredRecord[] = [];
    const sets = await this.sets(objects);
    // Every Trigger rule adds to the shared trig4/6 (the ban, with its expiry) and to its own set
    // (which rule it was): a triggered address is listed once, from the shared set, attributed
    // from the per-rule sets. Per-rule elements missing from the shared set (a table compiled
    // before that) are listed from their own set.
    const shared = new Set<string>();
    const ruleOf = new Map<string, string | null>();
    for (const set of sets) {
      if (set.type !== 'trigger') continue;
      for (const e of set.elems) {
        const key = `${set.family}|${e.address.toLowerCase()}`;
        if (set.ruleId === null && set.name.startsWith('trig')) shared.add(key);
        else if (!ruleOf.has(key)) ruleOf.set(key, set.ruleId);
      }
    }
    for (const set of sets) {
      if (type && set.type !== type) continue;
      const isShared = set.type === 'trigger' && set.name.startsWith('trig');
      for (const e of set.elems) {
        const key = `${set.family}|${e.address.toLowerCase()}`;
        if (set.type === 'trigger' && !isShared && shared.has(key)) continue;
        const ruleId = isShared ? (ruleOf.get(key) ?? null) : set.ruleId;
        const seen = this.seen.get(`${set.type}|${e.address}`);
        out.push({
          address: e.address,
          type: set.type,
          ruleId,
          ruleNumber: ruleId ? (numbers.get(ruleId) ?? null) : null,
          triggeredAt: seen ? new Date(seen.firstSeenMs).toISOString() : null,
          hits: seen ? seen.hits : null,
          expiresAt:
            e.expires === null || e.expires >= FOREVER_SECONDS - 86400
              ? null
              : new Date(now + e.expires * 1000).toISOString(),
        });
      }
    }
    out.sort((a, b) =>
      a.type === b.type ? a.address.localeCompare(b.address) : a.type.localeCompare(b.type),
    );
    return out;
  }

  /** Add addresses to the hand-edited set of their type. Returns how many. */
  /**
   * Which entries fit in their set (`trig4`, `auth6`, ...): a set holds at most its size
   * (65535: the kernel refuses more with ENFILE, "Too many open files in system", for the whole
   * transaction). An address already in its set always fits (adding it again refreshes it).
   */
  async fit<T extends { address: string; type: TriggeredKind }>(
    entries: T[],
  ): Promise<{ fits: T[]; full: { entry: T; set: string; size: number }[] }> {
    if (entries.length === 0) return { fits: [], full: [] };
    const room = new Map<string, { size: number; present: Set<string> }>();
    for (const entry of (await this.nft.listSets()).nftables) {
      const set = entry.set as Record<string, unknown> | undefined;
      if (!set || typeof set.name !== 'string' || !/^(trig|auth|keep|inv)[46]$/.test(set.name))
        continue;
      const present = new Set<string>();
      for (const item of Array.isArray(set.elem) ? set.elem : []) {
        const value =
          typeof item === 'string'
            ? item
            : (item as { elem?: { val?: unknown } } | null)?.elem?.val;
        if (typeof value === 'string') present.add(familyOf(value).text);
      }
      const size = typeof set.size === 'number' && set.size > 0 ? set.size : DEFAULT_SET_SIZE;
      room.set(set.name, { size, present });
    }
    const fits: T[] = [];
    const full: { entry: T; set: string; size: number }[] = [];
    for (const entry of entries) {
      const family = familyOf(entry.address);
      const name = `${MANUAL_SET[entry.type]}${family.v}`;
      const r = room.get(name);
      if (!r || r.present.has(family.text) || r.present.size < r.size) {
        r?.present.add(family.text);
        fits.push(entry);
      } else full.push({ entry, set: name, size: r.size });
    }
    return { fits, full };
  }

  async add(
    entries: { address: string; type: TriggeredKind; durationSeconds?: number }[],
  ): Promise<number> {
    if (entries.length === 0) return 0;
    const commands: unknown[] = [{ metainfo: { json_schema_version: 1 } }];
    for (const e of entries) {
      const family = familyOf(e.address);
      const elem =
        e.durationSeconds === undefined
          ? family.text
          : {
              elem: {
                val: family.text,
                timeout: e.durationSeconds === 0 ? FOREVER_SECONDS : e.durationSeconds,
              },
            };
      commands.push({
        add: {
          element: {
            family: 'inet',
            table: this.nft.table,
            name: `${MANUAL_SET[e.type]}${family.v}`,
            elem: [elem],
          },
        },
      });
    }
    await this.nft.applyJson({ nftables: commands });
    return entries.length;
  }

  /** Remove an address from every set of its type (or of every type). Returns how many. */
  async remove(
    objects: Record<string, RuleObjects>,
    address: string,
    type?: TriggeredKind,
  ): Promise<number> {
    const { text } = familyOf(address);
    const targets: [string, string][] = [];
    const addresses = new Set<string>();
    for (const set of await this.sets(objects)) {
      if (type && set.type !== type) continue;
      for (const e of set.elems)
        if (sameAddress(e.address, text)) {
          targets.push([set.name, e.address]);
          addresses.add(`${set.type}|${e.address.toLowerCase()}`);
        }
    }
    await this.deleteElements(targets);
    // A triggered address is in the shared set and its rule's: one address, counted once.
    return addresses.size;
  }

  async flush(objects: Record<string, RuleObjects>, type?: TriggeredKind): Promise<number> {
    const targets: [string, string][] = [];
    const addresses = new Set<string>();
    for (const set of await this.sets(objects)) {
      if (type && set.type !== type) continue;
      for (const e of set.elems) {
        targets.push([set.name, e.address]);
        addresses.add(`${set.type}|${e.address.toLowerCase()}`);
      }
    }
    await this.deleteElements(targets);
    for (const key of [...this.seen.keys()])
      if (!type || key.startsWith(`${type}|`)) this.seen.delete(key);
    return addresses.size;
  }

  private async deleteElements(targets: [string, string][]): Promise<void> {
    if (targets.length === 0) return;
    // One transaction: either every address goes or none does.
    const commands: unknown[] = [{ metainfo: { json_schema_version: 1 } }];
    for (const [name, address] of targets) {
      commands.push({
        delete: { element: { family: 'inet', table: this.nft.table, name, elem: [address] } },
      });
    }
    await this.nft.applyJson({ nftables: commands });
    for (const [, address] of targets) this.seen.delete(`trigger|${address}`);
  }
}

function familyOf(address: string): { text: string; v: 4 | 6 } {
  const v = isIP(address);
  if (v === 0) throw new TriggeredInputError(`'${address}' is not an IPv4 or IPv6 address`);
  return { text: address.toLowerCase(), v: v as 4 | 6 };
}

const sameAddress = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

export class TriggeredInputError extends Error {}

const TYPE_OF_BASE: Record<string, TriggeredKind> = {
  trig: 'trigger',
  auth: 'authorize',
  keep: 'address',
  inv: 'invalid',
};

function parseSets(list: NftJson, bySet: Map<string, string>): SetInfo[] {
  const out: SetInfo[] = [];
  for (const entry of list.nftables) {
    const s = entry.set as Record<string, unknown> | undefined;
    if (!s || typeof s.name !== 'string') continue;
    const name = s.name;
    let type: TriggeredKind | undefined;
    let ruleId: string | null = null;
    const manual = /^(trig|auth|keep|inv)([46])$/.exec(name);
    const perRule = /^t([46])_/.exec(name);
    if (manual) type = TYPE_OF_BASE[manual[1]!];
    else if (perRule) {
      type = 'trigger';
      ruleId = bySet.get(name) ?? null;
    }
    if (!type) continue;
    const family = (manual ? manual[2] : perRule![1]) === '6' ? 6 : 4;
    const elems: SetInfo['elems'] = [];
    for (const item of Array.isArray(s.elem) ? s.elem : []) {
      if (typeof item === 'string') elems.push({ address: item, expires: null });
      else if (item && typeof item === 'object' && 'elem' in item) {
        const e = (item as { elem: Record<string, unknown> }).elem;
        if (typeof e.val !== 'string') continue;
        elems.push({ address: e.val, expires: typeof e.expires === 'number' ? e.expires : null });
      }
    }
    out.push({ name, type, family, ruleId, elems });
  }
  return out;
}

/* ---- tab-separated text (IPNetSentryX's triggered-address export: one address a line) ---- */

export const TSV_HEADER = '# address\ttype\trule\ttriggered\thits\texpires';

export function exportTsv(entries: TriggeredRecord[]): string {
  const lines = [TSV_HEADER];
  for (const e of entries) {
    lines.push(
      [
        e.address,
        e.type,
        e.ruleNumber ?? '',
        e.triggeredAt ?? '',
        e.hits ?? '',
        e.expiresAt ?? '',
      ].join('\t'),
    );
  }
  return lines.join('\n') + '\n';
}

/**
 * Read exported text (or a plain list of addresses): the first column is the address, the second
 * the type (default trigger), the sixth the expiry time (an ISO time; empty: the set's default).
 * Lines starting with `#` and blank lines are skipped.
 */
export function importTsv(text: string): {
  entries: { address: string; type: TriggeredKind; durationSeconds?: number; line: number }[];
  skipped: { line: number; message: string }[];
} {
  const entries: {
    address: string;
    type: TriggeredKind;
    durationSeconds?: number;
    line: number;
  }[] = [];
  const skipped: { line: number; message: string }[] = [];
  const now = Date.now();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const cols = raw.split('\t').map((c) => c.trim());
    const address = cols[0]!.split(/\s+/)[0]!;
    if (isIP(address) === 0) {
      skipped.push({ line: i + 1, message: `'${address}' is not an IPv4 or IPv6 address` });
      return;
    }
    const typeText = (cols[1] ?? '').toLowerCase();
    const type: TriggeredKind | undefined =
      typeText === '' || typeText === 'trigger' || typeText === 'triggered'
        ? 'trigger'
        : typeText === 'authorize' || typeText === 'authorized'
          ? 'authorize'
          : typeText === 'address' || typeText === 'kept'
            ? 'address'
            : typeText === 'invalid'
              ? 'invalid'
              : undefined;
    if (!type) {
      skipped.push({
        line: i + 1,
        message: `unknown type '${cols[1]}' (trigger, authorize, address or invalid)`,
      });
      return;
    }
    const expires = cols[5] ?? '';
    let durationSeconds: number | undefined;
    if (expires !== '') {
      const at = Date.parse(expires);
      if (Number.isNaN(at)) {
        skipped.push({ line: i + 1, message: `expiry '${expires}' is not a time` });
        return;
      }
      if (at <= now) {
        skipped.push({ line: i + 1, message: 'already expired' });
        return;
      }
      durationSeconds = Math.max(1, Math.round((at - now) / 1000));
    }
    entries.push(
      durationSeconds === undefined
        ? { address, type, line: i + 1 }
        : { address, type, durationSeconds, line: i + 1 },
    );
  });
  return { entries, skipped };
}

// Runtime: plain Node, as root. Reads the kernel counters of our table: through a long-lived
// netlink reader (`nft-counters.py`, dumps only counter objects and the named maps' elements)
// when python3 is there, else through `nft -j -f` (which dumps the whole ruleset first: at
// 10,000 rules most of a core at 1 Hz). Both give the same per-rule values; a kernel test checks
// them against each other.
// Invariant: a failing netlink reader never loses a reading: the call falls back to nft, and the
// reader is not tried again until the next apply (`reset()`).

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readCounters, type CounterValues } from '../../shared/compiler/counters.ts';
import type { RuleObjects } from '../../shared/compiler/index.ts';
import type { Json } from '../../shared/compiler/nft.ts';
import { formatIPv4, formatIPv6 } from '../../shared/model/address.ts';
import { deliverJsonReplies } from '../common/lines.ts';
import type { Nft } from './nft.ts';
import { systemProgram } from './programs.ts';

export type Totals = Record<string, CounterValues>;

const SCRIPT = fileURLToPath(new URL('./nft-counters.py', import.meta.url));

export interface NetlinkReply {
  ok: boolean;
  error?: string;
  counters?: Record<string, [number, number]>;
  elements?: Record<string, [string, number, number, number, string | null][]>;
  /** A `sets` request: key (hex), timeout and expiry (ms, when the kernel gives them). */
  sets?: Record<string, [string, number | null, number | null][]>;
  /** A `generation` request: the ruleset's generation id, and whether our table exists. */
  generation?: number;
  table?: boolean;
  /** A full reading asked with `nonzero`: every counter and element not in it reads zero. */
  zeros?: boolean;
}

/**
 * Set elements as `nft -j list` shows them: the address alone, or `{ elem: { val, timeout,
 * expires } }` (seconds, rounded down, each only when the kernel gave it). Empty sets left out.
 */
export function setElementsFromNetlink(
  sets: NonNullable<NetlinkReply['sets']>,
): Record<string, Json[]> {
  const out = Object.create(null) as Record<string, Json[]>;
  for (const [name, elements] of Object.entries(sets)) {
    const list: Json[] = [];
    for (const [hex, timeout, expires] of elements) {
      const val =
        hex.length === 8
          ? formatIPv4(BigInt(`0x${hex}`))
          : hex.length === 32
            ? formatIPv6(BigInt(`0x${hex}`))
            : undefined;
      if (val === undefined) continue;
      if (timeout === null && expires === null) {
        list.push(val);
        continue;
      }
      const elem: Record<string, Json> = { val };
      if (timeout !== null) elem.timeout = Math.floor(timeout / 1000);
      if (expires !== null) elem.expires = Math.floor(expires / 1000);
      list.push({ elem });
    }
    if (list.length > 0) out[name] = list;
  }
  return out;
}

/** The kernel values a netlink reader has seen, by counter name and by `map|first value`. */
export interface NetlinkValues {
  counters: Map<string, CounterValues>;
  elements: Map<string, CounterValues>;
}

export const emptyNetlinkValues = (): NetlinkValues => ({
  counters: new Map(),
  elements: new Map(),
});

/**
 * Fold a reply into `into`: a changed-only reply carries only the counters and map elements
 * that moved, and the rest keep the values they had (a rule may sum several elements, of which
 * only one moved, so values are kept per object, not per rule).
 */
export function mergeNetlink(
  reply: NetlinkReply,
  into: NetlinkValues,
  /** Told the counter names and element keys that came in (to find the rules that moved). */
  touched?: (key: string, kind: 'counter' | 'element') => void,
): NetlinkValues {
  for (const [name, [packets, bytes]] of Object.entries(reply.counters ?? {})) {
    into.counters.set(name, { packets, bytes });
    touched?.(name, 'counter');
  }
  for (const [map, list] of Object.entries(reply.elements ?? {})) {
    for (const [key, flags, packets, bytes] of list) {
      // Interval maps hold a start element (with the counter) and an end element per range;
      // ranges of one map never overlap, so the start value alone identifies the rule.
      if ((flags & 1) !== 0 || key === '') continue;
      const at = `${map}|${BigInt(`0x${key}`).toString()}`;
      into.elements.set(at, { packets, bytes });
      touched?.(at, 'element');
    }
  }
  return into;
}

/** What a reading needs to know about a compiled program, computed once per program. */
interface ObjectIndex {
  maps: string[];
  /** Counter name / `map|first` -> the rule ids whose value includes it. */
  byCounter: Map<string, string[]>;
  byElement: Map<string, string[]>;
  /** Rule ids with a counter or map elements (those the kernel counts). */
  counted: string[];
}

const indexes = new WeakMap<Record<string, RuleObjects>, ObjectIndex>();

/** A rule's parent in the document (null: a top-level rule), as the helper indexes it. */
export type ParentOf = ReadonlyMap<string, { id: string } | null>;

/**
 * What a quick reading needs (`nft-counters.py` read_guarded): the maps parents first, and per
 * map its guards, the counters of the parents of the rules it holds (counter objects `c`, other
 * maps' elements `m`). A child is tested only for packets its parent matched and counted (DESIGN
 * §3.4), so a map whose guards did not move holds no element that moved. A map holding a
 * top-level rule, or a rule whose parent the kernel does not count, has no guards (always read).
 */
export interface MapGuards {
  maps: string[];
  guards: Record<string, { c: string[]; m: string[] }>;
}

const guardCache = new WeakMap<
  Record<string, RuleObjects>,
  { parents: ParentOf; guards: MapGuards }
>();

export function mapGuards(objects: Record<string, RuleObjects>, parents: ParentOf): MapGuards {
  const cached = guardCache.get(objects);
  if (cached?.parents === parents) return cached.guards;
  const depthOf = (id: string): number => {
    let depth = 0;
    for (let p = parents.get(id); p; p = parents.get(p.id)) depth++;
    return depth;
  };
  const depth = new Map<string, number>();
  const guards = new Map<string, { c: Set<string>; m: Set<string> } | null>();
  for (const [id, o] of Object.entries(objects)) {
    if (!o.elements?.length) continue;
    const d = depthOf(id);
    const parent = parents.get(id);
    const po = parent ? objects[parent.id] : undefined;
    for (const e of o.elements) {
      depth.set(e.map, Math.max(depth.get(e.map) ?? 0, d));
      const g = guards.get(e.map);
      if (g === null) continue;
      const parentMaps = (po?.elements ?? []).map((pe) => pe.map);
      if (!po || (!po.counter && parentMaps.length === 0) || parentMaps.includes(e.map)) {
        guards.set(e.map, null); // read every time
        continue;
      }
      const next = g ?? { c: new Set<string>(), m: new Set<string>() };
      if (po.counter) next.c.add(po.counter);
      for (const pm of parentMaps) next.m.add(pm);
      guards.set(e.map, next);
    }
  }
  const out: MapGuards = {
    maps: [...depth.keys()].sort((a, b) => depth.get(a)! - depth.get(b)!),
    guards: Object.create(null) as MapGuards['guards'],
  };
  for (const [map, g] of guards) if (g) out.guards[map] = { c: [...g.c], m: [...g.m] };
  guardCache.set(objects, { parents, guards: out });
  return out;
}

function indexOf(objects: Record<string, RuleObjects>): ObjectIndex {
  let index = indexes.get(objects);
  if (index) return index;
  const maps = new Set<string>();
  const byCounter = new Map<string, string[]>();
  const byElement = new Map<string, string[]>();
  const note = (to: Map<string, string[]>, key: string, id: string): void => {
    const ids = to.get(key);
    if (ids) ids.push(id);
    else to.set(key, [id]);
  };
  const counted: string[] = [];
  for (const [id, o] of Object.entries(objects)) {
    if (o.counter || (o.elements?.length ?? 0) > 0) counted.push(id);
    if (o.counter) note(byCounter, o.counter, id);
    for (const e of o.elements ?? []) {
      maps.add(e.map);
      note(byElement, `${e.map}|${e.first}`, id);
    }
  }
  index = { maps: [...maps], byCounter, byElement, counted };
  indexes.set(objects, index);
  return index;
}

/** The value of one rule from everything seen, or undefined when none of its objects is. */
function ruleTotal(o: RuleObjects, seen: NetlinkValues): CounterValues | undefined {
  let found = false;
  let packets = 0;
  let bytes = 0;
  const add = (v: CounterValues | undefined): void => {
    if (!v) return;
    found = true;
    packets += v.packets;
    bytes += v.bytes;
  };
  if (o.counter) add(seen.counters.get(o.counter));
  for (const e of o.elements ?? []) add(seen.elements.get(`${e.map}|${e.first}`));
  return found ? { packets, bytes } : undefined;
}

/**
 * Per-rule values (the same mapping as shared/compiler readCounters) from everything a reader
 * has seen (`NetlinkValues`), or from one full reply.
 */
export function totalsFromNetlink(
  source: NetlinkReply | NetlinkValues,
  objects: Record<string, RuleObjects>,
): Totals {
  const seen = 'ok' in source ? mergeNetlink(source, emptyNetlinkValues()) : source;
  const out: Totals = Object.create(null) as Totals; // rule ids are keys, even __proto__
  for (const [id, o] of Object.entries(objects)) {
    const value = ruleTotal(o, seen);
    if (value) out[id] = value;
  }
  return out;
}

/**
 * Per-rule values of a full reading (`seen` empty before: it gets what the reply carries). With
 * `zeros` (the reply holds only what counted something; right after a load, next to nothing)
 * every rule with kernel objects reads zero but those the reply's counters and elements belong to
 * (found through the program's index): at 10,000 rules 16-50 ms of CPU for the walk of every rule
 * and its elements' keys, ~1 ms this way. Without `zeros`, every rule from the reply.
 */
export function fullTotals(
  reply: NetlinkReply,
  seen: NetlinkValues,
  objects: Record<string, RuleObjects>,
): Totals {
  if (!reply.zeros) return totalsFromNetlink(mergeNetlink(reply, seen), objects);
  const index = indexOf(objects);
  const named = new Set<string>();
  mergeNetlink(reply, seen, (key, kind) => {
    for (const id of (kind === 'counter' ? index.byCounter : index.byElement).get(key) ?? [])
      named.add(id);
  });
  const totals: Totals = Object.create(null) as Totals; // rule ids are keys, even __proto__
  for (const id of index.counted) totals[id] = { packets: 0, bytes: 0 };
  for (const id of named) {
    const value = ruleTotal(objects[id]!, seen);
    if (value) totals[id] = value;
  }
  return totals;
}

export class CounterReader {
  private child: ChildProcess | undefined;
  private waiting: ((reply: NetlinkReply) => void) | undefined;
  private disabled = false;
  private needFull = true;
  /** What the netlink reader has reported so far (changed-only replies are merged into it). */
  private seen: NetlinkValues = emptyNetlinkValues();
  /** The request in flight (askNow never rejects). */
  private asking: Promise<unknown> = Promise.resolve();
  /** The layout (maps and guards) the reader process was last given, and its id. */
  private layoutSent: { child: ChildProcess | undefined; guards: MapGuards } | undefined;
  private layoutId = 0;
  /** Which path the last reading took, for status and tests. */
  lastPath: 'netlink' | 'nft' | null = null;
  lastError: string | null = null;

  constructor(
    private readonly nft: Nft,
    /** The interpreter command (tests prefix `ip netns exec NS`). */
    private readonly python: string[] = [systemProgram('python3')],
    private readonly useNetlink = true,
    /** How long a request may wait for its answer before the reader is restarted. */
    private readonly answerTimeoutMs = 10_000,
  ) {}

  /**
   * Values per rule id of `objects` (ids whose objects are absent are omitted). With `parents`
   * (the document's tree), each map is known by its guards, and a `quick` reading dumps only
   * the maps whose guards moved (see `mapGuards`); without, or not quick, every map.
   */
  async read(
    objects: Record<string, RuleObjects>,
    options: { parents?: ParentOf; quick?: boolean } = {},
  ): Promise<Totals> {
    const index = indexOf(objects);
    const guarded = options.parents ? mapGuards(objects, options.parents) : undefined;
    const maps = guarded?.maps ?? index.maps;
    if (this.useNetlink && !this.disabled) {
      // Only counters and map elements that moved since the last reply come back (the first
      // after an apply or a restart of the reader: all), so a quiet 10,000-rule table costs a
      // small reply; the rest keep the values merged in before.
      const full = this.needFull;
      // A full reading (a table just loaded: mostly zeros) carries only what counted something.
      // The maps and guards go over once per program and reader process (a layout id), not in
      // every request (~30 kB of JSON at 10,000 rules, up to 4 times a second).
      let layout: Record<string, unknown> = { maps };
      if (guarded) {
        const sent = this.layoutSent;
        const known = sent !== undefined && sent.child === this.child && sent.guards === guarded;
        if (!known) this.layoutId += 1;
        layout = known
          ? { layout: this.layoutId }
          : { layout: this.layoutId, maps, guards: guarded.guards };
      }
      const reply = await this.ask({
        table: this.nft.table,
        ...layout,
        changed: true,
        full,
        nonzero: full,
        ...(guarded ? { quick: options.quick === true } : {}),
      });
      // The process that answered keeps it (a new one is told again).
      if (guarded && reply.ok) this.layoutSent = { child: this.child, guards: guarded };
      else this.layoutSent = undefined;
      if (reply.ok) {
        this.lastPath = 'netlink';
        this.needFull = false;
        if (full) {
          this.seen = emptyNetlinkValues();
          return fullTotals(reply, this.seen, objects);
        }
        // Changed-only: the rules that include something that moved, with their whole value
        // (the caller keeps the others' values, as it keeps values the kernel did not report).
        const moved = new Set<string>();
        mergeNetlink(reply, this.seen, (key, kind) => {
          for (const id of (kind === 'counter' ? index.byCounter : index.byElement).get(key) ?? [])
            moved.add(id);
        });
        const out: Totals = Object.create(null) as Totals; // rule ids, even __proto__
        for (const id of moved) {
          const value = ruleTotal(objects[id]!, this.seen);
          if (value) out[id] = value;
        }
        return out;
      }
      this.lastError = `netlink counter reader: ${reply.error}; using nft`;
      this.disabled = true;
      this.stop();
    }
    this.lastPath = 'nft';
    return readCounters(await this.nft.listCounters(maps), objects);
  }

  /**
   * The elements of `sets` in our table (absent sets or table: none), read over netlink without
   * the full ruleset dump an nft listing makes; undefined when the netlink reader is not
   * available (then list them through nft).
   */
  async readSets(sets: string[]): Promise<Record<string, Json[]> | undefined> {
    if (!this.useNetlink || this.disabled) return undefined;
    const reply = await this.ask({ table: this.nft.table, sets });
    if (!reply.ok || !reply.sets) return undefined;
    return setElementsFromNetlink(reply.sets);
  }

  /**
   * The ruleset's generation (every committed nft transaction in this namespace raises it;
   * packets filling dynamic sets do not) and whether our table exists: two netlink get
   * requests, no listing. Undefined when the netlink reader is not available or failed.
   */
  async generation(): Promise<{ generation: number; table: boolean } | undefined> {
    if (!this.useNetlink || this.disabled) return undefined;
    const reply = await this.ask({ table: this.nft.table, generation: true });
    if (!reply.ok || typeof reply.generation !== 'number') return undefined;
    return { generation: reply.generation, table: reply.table === true };
  }

  /** Whether a `quick` reading is cheap (netlink, which reads only the maps that may have moved). */
  get quickReadings(): boolean {
    return this.useNetlink && !this.disabled;
  }

  /** After an apply: try netlink again. */
  reset(): void {
    this.disabled = false;
    this.needFull = true;
  }

  stop(): void {
    this.child?.kill();
    this.child = undefined;
    this.needFull = true;
    const w = this.waiting;
    this.waiting = undefined;
    w?.({ ok: false, error: 'reader stopped' });
  }

  /** One request at a time (the reader answers in order; a second would steal the first's reply). */
  private ask(request: unknown): Promise<NetlinkReply> {
    const run = this.asking.then(() => this.askNow(request));
    this.asking = run.catch(() => undefined);
    return run;
  }

  private askNow(request: unknown): Promise<NetlinkReply> {
    return new Promise((resolve) => {
      const child = this.child ?? this.spawn();
      if (!child || !child.stdin) {
        resolve({ ok: false, error: 'cannot start python3' });
        return;
      }
      const timer = setTimeout(() => {
        // The reader answers in order: its late answer would go to the next request. So that
        // reader goes (killed, its late output ignored) and the next request starts another.
        this.waiting = undefined;
        if (this.child === child) {
          this.child = undefined;
          this.needFull = true;
          child.kill();
        }
        resolve({ ok: false, error: `no answer in ${this.answerTimeoutMs / 1000} s` });
      }, this.answerTimeoutMs);
      this.waiting = (reply) => {
        clearTimeout(timer);
        resolve(reply);
      };
      child.stdin.write(JSON.stringify(request) + '\n');
    });
  }

  private spawn(): ChildProcess | undefined {
    const [command, ...prefix] = this.python;
    const child = spawn(command!, [...prefix, SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    deliverJsonReplies<NetlinkReply>(child.stdout!, 256 * 1024 * 1024, () => {
      // A reader that was replaced answers nobody (its requests were answered already).
      if (this.child !== child) return undefined;
      const waiter = this.waiting;
      this.waiting = undefined;
      return waiter;
    });
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    child.stdin!.on('error', () => undefined);
    const fail = (why: string) => {
      // The end of a reader that was replaced (stop, a timeout) is not the current one's failure.
      if (this.child !== child) return;
      this.child = undefined;
      this.needFull = true;
      const w = this.waiting;
      this.waiting = undefined;
      w?.({ ok: false, error: why });
    };
    child.on('error', (error) => fail(`cannot run ${this.python.join(' ')}: ${error.message}`));
    child.on('close', (code) =>
      fail(`reader exited (${code}): ${stderr.trim().split('\n').pop() ?? ''}`),
    );
    this.child = child;
    return child;
  }
}

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
import { LineSplitter } from './lines.ts';
import type { Nft } from './nft.ts';

export type Totals = Record<string, CounterValues>;

const SCRIPT = fileURLToPath(new URL('./nft-counters.py', import.meta.url));

interface NetlinkReply {
  ok: boolean;
  error?: string;
  counters?: Record<string, [number, number]>;
  elements?: Record<string, [string, number, number, number, string | null][]>;
}

/**
 * Per-rule values from a netlink reply (the same mapping as shared/compiler readCounters). With a
 * changed-only reply, rules whose objects did not move are absent (the caller keeps their values).
 */
export function totalsFromNetlink(
  reply: NetlinkReply,
  objects: Record<string, RuleObjects>,
): Totals {
  const elements = new Map<string, CounterValues>();
  for (const [map, list] of Object.entries(reply.elements ?? {})) {
    for (const [key, flags, packets, bytes] of list) {
      // Interval maps hold a start element (with the counter) and an end element per range;
      // ranges of one map never overlap, so the start value alone identifies the rule.
      if ((flags & 1) !== 0 || key === '') continue;
      elements.set(`${map}|${BigInt(`0x${key}`).toString()}`, { packets, bytes });
    }
  }
  const out: Totals = {};
  for (const [id, o] of Object.entries(objects)) {
    let found = false;
    const sum = { packets: 0, bytes: 0 };
    const add = (v: CounterValues | undefined): void => {
      if (!v) return;
      found = true;
      sum.packets += v.packets;
      sum.bytes += v.bytes;
    };
    if (o.counter) {
      const c = reply.counters?.[o.counter];
      add(c ? { packets: c[0], bytes: c[1] } : undefined);
    }
    for (const e of o.elements ?? []) add(elements.get(`${e.map}|${e.first}`));
    if (found) out[id] = sum;
  }
  return out;
}

export class CounterReader {
  private child: ChildProcess | undefined;
  private waiting: ((reply: NetlinkReply) => void) | undefined;
  private disabled = false;
  private needFull = true;
  /** Which path the last reading took, for status and tests. */
  lastPath: 'netlink' | 'nft' | null = null;
  lastError: string | null = null;

  constructor(
    private readonly nft: Nft,
    /** The interpreter command (tests prefix `ip netns exec NS`). */
    private readonly python: string[] = ['python3'],
    private readonly useNetlink = true,
  ) {}

  /** Values per rule id of `objects` (ids whose objects are absent are omitted). */
  async read(objects: Record<string, RuleObjects>): Promise<Totals> {
    const maps = [
      ...new Set(Object.values(objects).flatMap((o) => (o.elements ?? []).map((e) => e.map))),
    ];
    if (this.useNetlink && !this.disabled) {
      // Only counters that moved since the last reply come back (the first after an apply or a
      // restart of the reader: all), so a quiet 10,000-rule table costs a small reply.
      const reply = await this.ask({
        table: this.nft.table,
        maps,
        changed: true,
        full: this.needFull,
      });
      if (reply.ok) {
        this.lastPath = 'netlink';
        this.needFull = false;
        return totalsFromNetlink(reply, objects);
      }
      this.lastError = `netlink counter reader: ${reply.error}; using nft`;
      this.disabled = true;
      this.stop();
    }
    this.lastPath = 'nft';
    return readCounters(await this.nft.listCounters(maps), objects);
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

  private ask(request: unknown): Promise<NetlinkReply> {
    return new Promise((resolve) => {
      const child = this.child ?? this.spawn();
      if (!child || !child.stdin) {
        resolve({ ok: false, error: 'cannot start python3' });
        return;
      }
      const timer = setTimeout(() => {
        this.waiting = undefined;
        resolve({ ok: false, error: 'no answer in 10 s' });
      }, 10_000);
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
    const splitter = new LineSplitter(256 * 1024 * 1024);
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      for (const item of splitter.push(chunk)) {
        const w = this.waiting;
        this.waiting = undefined;
        if (!w) continue;
        try {
          w(
            item.kind === 'line'
              ? (JSON.parse(item.text) as NetlinkReply)
              : { ok: false, error: 'oversized reply' },
          );
        } catch {
          w({ ok: false, error: 'reply is not JSON' });
        }
      }
    });
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    child.stdin!.on('error', () => undefined);
    const fail = (why: string) => {
      if (this.child === child) this.child = undefined;
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

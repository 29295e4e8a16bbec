// Runtime: browser (renderer/), pure state (no store, no I/O). The counters of many hosts added
// up per rule id: one document applied to several hosts keeps its rule ids on each, so the
// statistics column can show the sum over the hosts the picker selected.
// Invariants:
// - Each host's totals are the helper's own (monotonic per rule id); a snapshot replaces a
//   host's totals, a tick updates the rules it names.
// - The sum of a rule is the sum of the selected hosts' latest totals for that id: it equals the
//   per-host counts added by hand at any moment, whatever order the ticks came in.
// - `flush()` turns the ticks received since the last flush into ONE combined tick (the deltas of
//   every selected host added), so rates and highlights cover all hosts at once instead of
//   flickering host by host.

import type { CounterSnapshot, CounterTick, RuleCounter } from '../../shared/ipc/app-api.ts';

export interface FleetCounters {
  /** A host's snapshot (`host:counters`): its totals as they are now. */
  snapshot(host: string, snapshot: CounterSnapshot): void;
  /** A host's tick (`fleet:counters`). */
  tick(host: string, tick: CounterTick): void;
  /** Forget a host (removed from the fleet). */
  forget(host: string): void;
  /** One host's total over every rule (the fleet view's "matches" column). */
  hostTotal(host: string): RuleCounter;
  /** The totals of `hosts` added per rule id. */
  sum(hosts: readonly string[]): CounterSnapshot;
  /** The combined tick of `hosts` since the last flush, or null when none of them ticked. */
  flush(hosts: readonly string[], intervalMs: number): CounterTick | null;
}

export function createFleetCounters(): FleetCounters {
  const totals = new Map<string, Map<string, RuleCounter>>();
  /** Per rule id, the deltas received since the last flush (from any host), per host. */
  let pending = new Map<string, Map<string, { dPackets: number; dBytes: number }>>();

  const of = (host: string) => {
    let m = totals.get(host);
    if (!m) totals.set(host, (m = new Map()));
    return m;
  };

  function sumRule(hosts: readonly string[], id: string): RuleCounter {
    let packets = 0;
    let bytes = 0;
    for (const h of hosts) {
      const c = totals.get(h)?.get(id);
      if (c) {
        packets += c.packets;
        bytes += c.bytes;
      }
    }
    return { packets, bytes };
  }

  return {
    snapshot(host, snapshot) {
      const m = new Map<string, RuleCounter>();
      for (const [id, c] of Object.entries(snapshot.counters))
        m.set(id, { packets: c.packets, bytes: c.bytes });
      totals.set(host, m);
    },

    tick(host, tick) {
      const m = of(host);
      let p = pending.get(host);
      if (!p) pending.set(host, (p = new Map()));
      for (const [id, c] of Object.entries(tick.changed)) {
        m.set(id, { packets: c.packets, bytes: c.bytes });
        const d = p.get(id);
        if (d) {
          d.dPackets += c.dPackets;
          d.dBytes += c.dBytes;
        } else p.set(id, { dPackets: c.dPackets, dBytes: c.dBytes });
      }
    },

    forget(host) {
      totals.delete(host);
      pending.delete(host);
    },

    hostTotal(host) {
      let packets = 0;
      let bytes = 0;
      for (const c of totals.get(host)?.values() ?? []) {
        packets += c.packets;
        bytes += c.bytes;
      }
      return { packets, bytes };
    },

    sum(hosts) {
      const ids = new Set<string>();
      for (const h of hosts) for (const id of totals.get(h)?.keys() ?? []) ids.add(id);
      const counters: Record<string, RuleCounter> = {};
      for (const id of ids) counters[id] = sumRule(hosts, id);
      return { at: new Date().toISOString(), counters };
    },

    flush(hosts, intervalMs) {
      const deltas = new Map<string, { dPackets: number; dBytes: number }>();
      let any = false;
      for (const h of hosts) {
        const p = pending.get(h);
        if (!p) continue;
        any = true;
        for (const [id, d] of p) {
          const into = deltas.get(id);
          if (into) {
            into.dPackets += d.dPackets;
            into.dBytes += d.dBytes;
          } else deltas.set(id, { ...d });
        }
      }
      pending = new Map();
      if (!any) return null;
      const changed: CounterTick['changed'] = {};
      let dPackets = 0;
      let dBytes = 0;
      for (const [id, d] of deltas) {
        changed[id] = { ...sumRule(hosts, id), ...d };
        dPackets += d.dPackets;
        dBytes += d.dBytes;
      }
      return { at: new Date().toISOString(), intervalMs, changed, totals: { dPackets, dBytes } };
    },
  };
}

// Runtime: browser (renderer/). Feeds the fleet store from the backend (the fleet file, each
// host's state, counters, log, rollouts), and points the outline's live views at the picker's
// target: when it is one fleet host or several, the statistics column and the traffic chart get
// the sum of those hosts' counters (one combined tick a second), the log gets their logged
// packets, and the triggered list theirs. Invariant: `startFleetFeed()` returns the function that
// removes every listener and timer it installed.

import type { CounterTick, FleetHostState, LogEvent } from '../../shared/ipc/app-api.ts';
import { invoke, listen } from '../backend.ts';
import { useLogStore } from '../log/log-store.ts';
import { refreshTriggered } from '../triggered/triggered-store.ts';
import { applySnapshot, applyTick, resetCountersStore } from '../store/counters-store.ts';
import { createFleetCounters } from '../store/fleet-counters.ts';
import { targetHosts, targetKey, useFleetStore, type HostTotals } from '../store/fleet-store.ts';

/** The fleet's counters, per host (module state: the store holds only what rows show). */
export const fleetCounters = createFleetCounters();

/** How often the combined tick of a multi-host target reaches the statistics column. */
const COMBINED_TICK_MS = 1000;

export async function refreshFleet(): Promise<void> {
  const [list, status] = await Promise.all([invoke('fleet:get', {}), invoke('fleet:status', {})]);
  if (list.ok) useFleetStore.setState({ list: list.value, listError: null });
  else useFleetStore.setState({ listError: list.error.message });
  if (status.ok) {
    const states: Record<string, FleetHostState> = {};
    for (const s of status.value.hosts) states[s.name] = s;
    useFleetStore.setState({ states });
    for (const s of status.value.hosts) if (s.reachable) void snapshotHost(s.name);
  }
}

/** A host's totals as they are now (at start, and each time it becomes reachable). */
async function snapshotHost(host: string): Promise<void> {
  const r = await invoke('host:counters', { host, params: {} });
  if (!r.ok) return;
  fleetCounters.snapshot(host, r.value);
  markTotals(host, 0);
  // The column shows this host: its snapshot is part of the sum.
  if (targetHosts().includes(host)) applySnapshot(fleetCounters.sum(targetHosts()));
}

/* ---- per-host totals for the fleet view, at most once per frame ---- */

const dirtyTotals = new Map<string, number>();
let totalsFrame = 0;

function markTotals(host: string, packetsPerSecond: number): void {
  dirtyTotals.set(host, packetsPerSecond);
  totalsFrame ||= requestAnimationFrame(() => {
    totalsFrame = 0;
    const next: Record<string, HostTotals> = { ...useFleetStore.getState().totals };
    for (const [h, pps] of dirtyTotals) {
      const t = fleetCounters.hostTotal(h);
      const prev = next[h];
      if (
        prev &&
        prev.packets === t.packets &&
        prev.bytes === t.bytes &&
        prev.packetsPerSecond === pps
      )
        continue;
      next[h] = { ...t, packetsPerSecond: pps };
    }
    dirtyTotals.clear();
    useFleetStore.setState({ totals: next });
  });
}

export function startFleetFeed(): () => void {
  const stops: (() => void)[] = [];
  void refreshFleet();
  const logBatch = batched<LogEvent>((events) => useLogStore.getState().add(events));
  stops.push(logBatch.stop);

  stops.push(
    listen('fleet:changed', (list) => {
      useFleetStore.setState({ list, listError: null });
      const names = new Set(list.hosts.map((h) => h.name));
      const { states } = useFleetStore.getState();
      const kept = Object.fromEntries(Object.entries(states).filter(([n]) => names.has(n)));
      for (const n of Object.keys(states)) if (!names.has(n)) fleetCounters.forget(n);
      useFleetStore.setState({ states: kept });
    }),
  );
  stops.push(
    listen('fleet:state', ({ host, state }) => {
      const before = useFleetStore.getState().states[host];
      useFleetStore.setState((s) => ({ states: { ...s.states, [host]: state } }));
      const appliedChanged = before?.status?.appliedAt !== state.status?.appliedAt;
      if (state.reachable && (!before?.reachable || appliedChanged)) void snapshotHost(host);
    }),
  );
  stops.push(
    listen('fleet:counters', ({ host, tick }) => {
      fleetCounters.tick(host, tick);
      markTotals(host, tick.totals.dPackets / Math.max(0.001, tick.intervalMs / 1000));
    }),
  );
  stops.push(
    listen('fleet:log', ({ host, event }) => {
      if (targetHosts().includes(host)) logBatch.push(event);
    }),
  );
  stops.push(listen('fleet:rollout', (rollout) => useFleetStore.setState({ rollout })));

  // The picker: a new target restarts the live views on its hosts.
  const keyOf = () => `${targetKey(useFleetStore.getState().target)}|${targetHosts().join(',')}`;
  let key = keyOf();
  let combined: ReturnType<typeof setInterval> | undefined;
  const retarget = () => {
    const s = useFleetStore.getState();
    const next = keyOf();
    if (next === key) return;
    key = next;
    clearInterval(combined);
    combined = undefined;
    resetCountersStore();
    useLogStore.getState().clear();
    const hosts = targetHosts(s);
    if (s.target.kind === 'local') {
      void invoke('helper:counters', {}).then((r) => r.ok && applySnapshot(r.value));
    } else {
      applySnapshot(fleetCounters.sum(hosts));
      fleetCounters.flush(hosts, COMBINED_TICK_MS); // drop deltas from before the switch
      combined = setInterval(() => {
        const tick: CounterTick | null = fleetCounters.flush(targetHosts(), COMBINED_TICK_MS);
        if (tick) applyTick(tick);
      }, COMBINED_TICK_MS);
    }
    void refreshTriggered();
  };
  stops.push(useFleetStore.subscribe(retarget));
  stops.push(() => clearInterval(combined));
  stops.push(() => cancelAnimationFrame(totalsFrame));
  return () => stops.forEach((stop) => stop());
}

/** Events in bursts reach the store at most once per frame. */
function batched<T>(flush: (items: T[]) => void): { push(item: T): void; stop(): void } {
  let buffer: T[] = [];
  let frame = 0;
  return {
    push(item) {
      buffer.push(item);
      frame ||= requestAnimationFrame(() => {
        frame = 0;
        const items = buffer;
        buffer = [];
        flush(items);
      });
    },
    stop() {
      cancelAnimationFrame(frame);
    },
  };
}

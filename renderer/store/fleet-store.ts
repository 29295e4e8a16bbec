// Runtime: browser (renderer/). The fleet as the window sees it (issue 17): the fleet file's hosts,
// each host's last state, per-host counter totals, the running rollout, and which helper the
// outline's live views follow (the host picker: this machine, one fleet host, or a group).
// Invariants:
// - `states`, `totals` and `inForce` are records replaced per key: a row of the fleet view selects
//   its own host's entry, so one host's tick re-renders one row.
// - `target` says where the live views read from; `targetHosts()` the fleet hosts it stands for
//   (empty for this machine). Changing it is `setTarget`, which the live feed watches.

import { create } from 'zustand';
import type {
  FleetHostEntry,
  FleetHostState,
  FleetList,
  HelperStatus,
  Rollout,
} from '../../shared/ipc/app-api.ts';
import type { FirewallDocument } from '../../shared/model/types.ts';

/** What the live views (statistics column, traffic, triggered, log) show. */
export type LiveTarget =
  | { kind: 'local' }
  | { kind: 'host'; name: string }
  | { kind: 'group'; name: string }
  | { kind: 'all' };

export interface HostTotals {
  packets: number;
  bytes: number;
  /** Packets per second over the host's last tick. */
  packetsPerSecond: number;
}

export interface FleetState {
  /** The fleet file; null until the backend answered. */
  list: FleetList | null;
  /** Why reading or saving the fleet failed, shown in the fleet view. */
  listError: string | null;
  states: Readonly<Record<string, FleetHostState>>;
  totals: Readonly<Record<string, HostTotals>>;
  /** The rules in force on each host, read back when its apply changes (for drift). */
  inForce: Readonly<Record<string, { key: string; document: FirewallDocument | null }>>;
  target: LiveTarget;
  rollout: Rollout | null;
  /** Why starting, keeping or stopping the rollout failed. */
  rolloutError: string | null;
}

export const useFleetStore = create<FleetState>()(() => ({
  list: null,
  listError: null,
  states: {},
  totals: {},
  inForce: {},
  target: { kind: 'local' },
  rollout: null,
  rolloutError: null,
}));

/** Every group named in the fleet, sorted. */
export function fleetGroups(hosts: readonly FleetHostEntry[]): string[] {
  return [...new Set(hosts.flatMap((h) => h.groups))].sort((a, b) => a.localeCompare(b));
}

/** The fleet hosts a target stands for, in the fleet file's order (empty: this machine). */
export function hostsOf(target: LiveTarget, hosts: readonly FleetHostEntry[]): string[] {
  switch (target.kind) {
    case 'local':
      return [];
    case 'host':
      return hosts.some((h) => h.name === target.name) ? [target.name] : [];
    case 'group':
      return hosts.filter((h) => h.groups.includes(target.name)).map((h) => h.name);
    case 'all':
      return hosts.map((h) => h.name);
  }
}

export const targetHosts = (s: Pick<FleetState, 'target' | 'list'> = useFleetStore.getState()) =>
  hostsOf(s.target, s.list?.hosts ?? []);

export const isLocalTarget = (s: Pick<FleetState, 'target'> = useFleetStore.getState()) =>
  s.target.kind === 'local';

/** A stable string for a target (the picker's option values, effect keys). */
export function targetKey(target: LiveTarget): string {
  switch (target.kind) {
    case 'local':
      return 'local';
    case 'all':
      return 'all';
    default:
      return `${target.kind}:${target.name}`;
  }
}

export function parseTargetKey(key: string): LiveTarget {
  if (key === 'all') return { kind: 'all' };
  if (key.startsWith('host:')) return { kind: 'host', name: key.slice(5) };
  if (key.startsWith('group:')) return { kind: 'group', name: key.slice(6) };
  return { kind: 'local' };
}

/** What the picker and the status line call a target. */
export function targetLabel(target: LiveTarget, hosts: readonly FleetHostEntry[]): string {
  switch (target.kind) {
    case 'local':
      return 'This machine';
    case 'host':
      return target.name;
    case 'group': {
      const n = hostsOf(target, hosts).length;
      return `Group ${target.name} (${n} ${n === 1 ? 'host' : 'hosts'})`;
    }
    case 'all':
      return `All hosts (${hosts.length})`;
  }
}

export function setTarget(target: LiveTarget): void {
  useFleetStore.setState({ target });
}

/** A host's helper status, or null when it is unreachable / not heard from yet. */
export const hostStatus = (s: FleetState, name: string): HelperStatus | null =>
  s.states[name]?.status ?? null;

/** Rules are in force where the live views look: some host of the target has our table. */
export function targetActive(s: FleetState): boolean {
  return targetHosts(s).some((name) => {
    const st = s.states[name];
    return st?.reachable === true && st.status?.active === true;
  });
}

/** The live views have a helper to read from: this machine's connected helper, or some
 * reachable host of the fleet target. */
export function targetConnected(s: FleetState, localConnected: boolean): boolean {
  if (s.target.kind === 'local') return localConnected;
  return targetHosts(s).some((name) => s.states[name]?.reachable === true);
}

/** A host the backend tried and could not reach (not one whose first attempt is under way). */
export const isDown = (state: FleetHostState | undefined): boolean =>
  state !== undefined && !state.reachable && state.error !== null;

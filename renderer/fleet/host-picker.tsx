// Runtime: browser (renderer/). The host picker in the status bar: which helper the outline's
// live views (statistics column, traffic, triggered, log) show — this machine, one fleet host, a
// group (summed per rule), or every host. Shown once the fleet has a host.

import { useMemo } from 'react';
import {
  fleetGroups,
  hostsOf,
  parseTargetKey,
  setTarget,
  targetKey,
  useFleetStore,
} from '../store/fleet-store.ts';

export function HostPicker() {
  const list = useFleetStore((s) => s.list);
  const target = useFleetStore((s) => s.target);
  const hosts = useMemo(() => list?.hosts ?? [], [list]);
  const groups = useMemo(() => fleetGroups(hosts), [hosts]);
  const selected = hostsOf(target, hosts);
  const reachable = useFleetStore(
    (s) => selected.filter((n) => s.states[n]?.reachable === true).length,
  );
  if (hosts.length === 0 && target.kind === 'local') return null;
  return (
    <span className="host-picker" data-testid="host-picker">
      <select
        aria-label="Show counters, log and triggered addresses of"
        title="Whose counters, log and triggered addresses the outline shows (a group: summed per rule)"
        data-testid="host-picker-select"
        value={targetKey(target)}
        onChange={(e) => setTarget(parseTargetKey(e.target.value))}
      >
        <option value="local">This machine</option>
        {hosts.length > 1 && <option value="all">All hosts ({hosts.length}, summed)</option>}
        {groups.map((g) => (
          <option key={g} value={`group:${g}`}>
            Group {g} ({hostsOf({ kind: 'group', name: g }, hosts).length}, summed)
          </option>
        ))}
        {hosts.map((h) => (
          <option key={h.name} value={`host:${h.name}`}>
            {h.name}
          </option>
        ))}
      </select>
      {target.kind !== 'local' && (
        <span
          className={reachable < selected.length ? 'fleet-bad' : 'muted'}
          data-testid="host-picker-reachable"
        >
          {reachable} of {selected.length} reachable
        </span>
      )}
    </span>
  );
}

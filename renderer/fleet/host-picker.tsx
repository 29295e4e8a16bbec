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
  targetLabel,
  useFleetStore,
  type FleetState,
} from '../store/fleet-store.ts';

export interface TargetSummary {
  text: string;
  /** Every picked host is reachable. */
  ok: boolean;
  title: string;
}

function summarize(s: FleetState): string {
  if (s.target.kind === 'local') return '';
  const hosts = s.list?.hosts ?? [];
  const names = hostsOf(s.target, hosts);
  const states = names.map((n) => s.states[n]);
  const reachable = states.filter((st) => st?.reachable).length;
  const on = states.filter((st) => st?.reachable && st.status?.active);
  const counts = new Set(on.map((st) => st!.status!.ruleCount));
  const only = counts.size === 1 ? [...counts][0] : null;
  const rules = only !== null && only !== undefined ? ` (${only} rules)` : '';
  const down = names.filter((_, i) => !states[i]?.reachable);
  const summary: TargetSummary = {
    text:
      `${targetLabel(s.target, hosts)}: ${reachable} of ${names.length} reachable` +
      (on.length ? `, firewall on at ${on.length}${rules}` : ', firewall off'),
    ok: names.length > 0 && reachable === names.length,
    title: down.length
      ? `Not reachable: ${down.join(', ')} (the Fleet tab says why)`
      : 'The live views show these hosts; Apply rolls the outline out to them',
  };
  return JSON.stringify(summary);
}

/** What the status line says about the picked fleet hosts; null for this machine. (The selector
 * returns a string, so a tick that changes nothing here re-renders nothing.) */
export function useTargetSummary(): TargetSummary | null {
  const text = useFleetStore(summarize);
  return useMemo(() => (text ? (JSON.parse(text) as TargetSummary) : null), [text]);
}

export function HostPicker() {
  const list = useFleetStore((s) => s.list);
  const target = useFleetStore((s) => s.target);
  const hosts = useMemo(() => list?.hosts ?? [], [list]);
  const groups = useMemo(() => fleetGroups(hosts), [hosts]);
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
    </span>
  );
}

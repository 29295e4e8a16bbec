// Runtime: browser (renderer/). The helper's counters now (on connect, after an apply, when the
// Traffic panel opens); when they cannot be read, the Traffic panel says why, and the next read
// that works clears it. With no rules in force there is nothing to read: no call, no error.

import { panelCall, reportPanel } from '../common/panel-error.tsx';
import { useAppStore } from '../store/app-store.ts';
import { applySnapshot } from '../store/counters-store.ts';

export async function refreshCounters(): Promise<void> {
  // No rules in force (the firewall is off): nothing to read, and nothing wrong.
  const helper = useAppStore.getState().helper;
  if (helper?.connected === true && !helper.active) return reportPanel('traffic', null);
  const snapshot = await panelCall('traffic', 'Could not read the counters', 'helper:counters', {});
  if (snapshot) applySnapshot(snapshot);
}

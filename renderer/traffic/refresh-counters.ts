// Runtime: browser (renderer/). The helper's counters now (on connect, after an apply, when the
// Traffic panel opens); when they cannot be read, the Traffic panel says why, and the next read
// that works clears it.

import { panelCall } from '../common/panel-error.tsx';
import { applySnapshot } from '../store/counters-store.ts';

export async function refreshCounters(): Promise<void> {
  const snapshot = await panelCall('traffic', 'Could not read the counters', 'helper:counters', {});
  if (snapshot) applySnapshot(snapshot);
}

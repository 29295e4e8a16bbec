// Runtime: browser (renderer/). The helper's triggered-address tables as last listed, refreshed
// each second while the panel is open and at once when the helper says they changed.
// Invariant: `entries` is replaced only when the list differs, so an unchanged poll re-renders
// nothing.

import { create } from 'zustand';
import type { TriggeredEntry } from '../../shared/ipc/app-api.ts';
import { firstFailure, targetCall } from '../fleet/target-call.ts';

interface TriggeredState {
  entries: readonly TriggeredEntry[];
  /** Why the last listing failed (no helper, ...), null when it worked. */
  error: string | null;
  /** Epoch ms of the last successful listing. */
  listedAt: number | null;
}

export const useTriggeredStore = create<TriggeredState>()(() => ({
  entries: [],
  error: null,
  listedAt: null,
}));

/** The names the Include property uses for the same tables (one set of names everywhere). */
export const TABLE_LABELS: Record<TriggeredEntry['type'], string> = {
  trigger: 'triggered',
  authorize: 'authorized',
  address: 'kept',
  invalid: 'invalid',
};

const key = (entries: readonly TriggeredEntry[]) => JSON.stringify(entries);
let inFlight: Promise<void> | null = null;

export function refreshTriggered(): Promise<void> {
  inFlight ??= (async () => {
    try {
      // Follows the host picker: one helper's tables, or the selected fleet hosts' together.
      const results = await targetCall('triggered.list', {});
      const failed = firstFailure(results);
      const listed = results.flatMap((x) => (x.result.ok ? x.result.value.entries : []));
      if (failed !== null && listed.length === 0) {
        useTriggeredStore.setState({ error: failed });
        return;
      }
      const s = useTriggeredStore.getState();
      const entries = [...listed].sort(
        (a, b) =>
          (b.triggeredAt ?? '').localeCompare(a.triggeredAt ?? '') ||
          a.address.localeCompare(b.address),
      );
      useTriggeredStore.setState({
        ...(key(entries) !== key(s.entries) ? { entries } : {}),
        error: null,
        listedAt: Date.now(),
      });
    } finally {
      inFlight = null;
    }
  })();
  return inFlight;
}

// Runtime: browser (renderer/), pure. Which helper status the app believes when several arrive
// out of order. Invariant: a status never replaces a newer one — a confirm pending for an apply
// that was already kept never comes back, and a reply does not overwrite an event that arrived
// while its call was in flight.
//
// Where statuses come from: `helper:state` events, in the helper's own order (helper socket ->
// helper-link -> backend -> WebSocket, all synchronous forwarding); and the replies of
// helper:status/apply/confirm/revert/stop, which travel beside the events and can land after a
// newer event (the helper broadcasts `helper:state` before it replies, so the event already said
// what the reply says). A late reply that still carried the apply's pending confirm used to bring
// the "Keep these rules?" banner back after Keep.
//
// Apply generations: each apply (and each revert or rollback, which are applies) gets a new
// `appliedAt`, and its pending confirm (identified by its deadline) only ever goes away; once a
// status of the same apply says "no confirm pending", a status that still has that deadline is
// stale, wherever it came from.

import type { HelperStatus } from '../../shared/ipc/app-api.ts';

export interface HelperStateTracker {
  /** A `helper:state` event arrived: the status to show, or null to keep the current one. */
  event(status: HelperStatus): HelperStatus | null;
  /** Before a call whose reply is a status: a ticket for `reply`. */
  ask(): number;
  /** The reply of a call asked with `ticket`: the status to show, or null when stale. */
  reply(ticket: number, status: HelperStatus): HelperStatus | null;
}

export function createHelperStateTracker(): HelperStateTracker {
  /** Counts `helper:state` events; a reply asked before the last one is not newer than it. */
  let events = 0;
  let current: HelperStatus | null = null;
  /** Deadlines of confirms seen settled: the user kept the rules (same apply, none pending). */
  const settled = new Set<string>();

  function accept(status: HelperStatus): HelperStatus | null {
    const deadline = status.pendingConfirm?.deadline;
    if (deadline !== undefined && settled.has(deadline)) return null;
    const before = current?.pendingConfirm?.deadline;
    if (
      before !== undefined &&
      status.connected &&
      status.appliedAt === current?.appliedAt &&
      deadline !== before
    ) {
      settled.add(before);
    }
    current = status;
    return status;
  }

  return {
    event(status) {
      events++;
      return accept(status);
    },
    ask: () => events,
    reply(ticket, status) {
      if (ticket !== events) return null;
      return accept(status);
    },
  };
}

import { describe, expect, it } from 'vitest';
import type { HelperStatus } from '../../shared/ipc/app-api.ts';
import { createHelperStateTracker } from './helper-state.ts';

const APPLIED = '2026-11-23T13:00:00.000Z';
const DEADLINE = '2026-11-23T13:00:20.000Z';

function status(over: Partial<HelperStatus> = {}): HelperStatus {
  return {
    connected: true,
    socketPath: '/run/treewall.sock',
    active: true,
    appliedAt: APPLIED,
    ruleCount: 3,
    pendingConfirm: null,
    message: null,
    helper: null,
    ...over,
  };
}
const pending = (deadline = DEADLINE, appliedAt = APPLIED) =>
  status({ appliedAt, pendingConfirm: { deadline, timeoutSeconds: 20 } });

describe('helper state ordering', () => {
  it('shows events in order', () => {
    const t = createHelperStateTracker();
    expect(t.event(pending())).toEqual(pending());
    expect(t.event(status())).toEqual(status());
  });

  it('drops the apply reply that lands after the Keep event (the banner came back)', () => {
    const t = createHelperStateTracker();
    const applyTicket = t.ask();
    t.event(pending()); // the apply's broadcast: the banner shows
    const confirmTicket = t.ask(); // Keep, before the apply's reply arrived
    t.event(status()); // the confirm's broadcast
    expect(t.reply(applyTicket, pending())).toBeNull();
    expect(t.reply(confirmTicket, status())).toBeNull(); // the event already said it
  });

  it('a confirm deadline seen settled never comes back, from an event or a reply', () => {
    const t = createHelperStateTracker();
    t.event(pending());
    t.event(status());
    expect(t.event(pending())).toBeNull();
    expect(t.reply(t.ask(), pending())).toBeNull();
    // A new apply has a new deadline (and a new appliedAt): shown.
    const next = pending('2026-11-23T13:01:20.000Z', '2026-11-23T13:01:00.000Z');
    expect(t.event(next)).toEqual(next);
  });

  it('uses a reply when no event came while it was in flight', () => {
    const t = createHelperStateTracker();
    const ticket = t.ask();
    expect(t.reply(ticket, pending())).toEqual(pending());
    const keep = t.ask();
    expect(t.reply(keep, status())).toEqual(status());
    expect(t.event(pending())).toBeNull();
  });

  it('a stale status from before the apply does not settle its confirm', () => {
    const t = createHelperStateTracker();
    t.event(pending());
    // An older status (nothing applied yet) shows for a moment but marks nothing settled...
    t.event(status({ appliedAt: null, active: false }));
    // ...so the apply's pending confirm is still believed.
    expect(t.event(pending())).toEqual(pending());
  });

  it('a disconnect does not settle a pending confirm', () => {
    const t = createHelperStateTracker();
    t.event(pending());
    t.event(status({ connected: false, appliedAt: APPLIED }));
    expect(t.event(pending())).toEqual(pending());
  });
});

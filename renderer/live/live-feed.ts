// Runtime: browser (renderer/). Feeds the live views from the backend's events: counter ticks,
// log events, notifications and triggered-table changes; and sets the counters' baseline when
// the rules are (re)applied. Invariant: `startLiveFeed()` returns the function that removes
// every listener it installed.
// Failures go to the panel they starve (common/panel-error): a counter snapshot that fails, or
// a helper that went away, to Traffic; a helper that went away or does not read the log, to Log.
// The next snapshot that works, or the helper back with its log reader running, clears them.

import type { LogEvent } from '../../shared/ipc/app-api.ts';
import { listen } from '../backend.ts';
import { useLogStore } from '../log/log-store.ts';
import { useAppStore } from '../store/app-store.ts';
import { refreshTriggered } from '../triggered/triggered-store.ts';
import { applyTick, countingStopped, setBaseline } from '../store/counters-store.ts';
import { isLocalTarget } from '../store/fleet-store.ts';
import { notify } from './notifications.ts';
import { reportPanel } from '../common/panel-error.tsx';
import { refreshCounters } from '../traffic/refresh-counters.ts';

/** Log events arrive in bursts (a scan); they reach the store at most once per frame. */
function batchedLog(): { push(e: LogEvent): void; stop(): void } {
  let buffer: LogEvent[] = [];
  let frame = 0;
  return {
    push(e) {
      buffer.push(e);
      frame ||= requestAnimationFrame(() => {
        frame = 0;
        const batch = buffer;
        buffer = [];
        useLogStore.getState().add(batch);
      });
    },
    stop() {
      cancelAnimationFrame(frame);
    },
  };
}

export function startLiveFeed(): () => void {
  const stops: (() => void)[] = [];
  // This machine's counters and log reach the live views while the host picker shows it (a
  // fleet host or group is fed by renderer/fleet/fleet-feed.ts instead).
  stops.push(listen('counters:tick', (t) => isLocalTarget() && applyTick(t)));
  const log = batchedLog();
  stops.push(listen('log:event', (e) => isLocalTarget() && log.push(e)));
  stops.push(log.stop);
  stops.push(listen('notify:event', notify));
  stops.push(listen('triggered:changed', () => void refreshTriggered()));

  // A new apply (ours, or another window's, seen through helper:state) restarts the counts; a
  // helper that connects with rules already active gives its totals as they are.
  let appliedAt: string | null | undefined;
  let connected = false;
  let active = false;
  const onHelper = () => {
    const h = useAppStore.getState().helper;
    const nowConnected = h?.connected === true;
    const nowApplied = h?.appliedAt ?? null;
    if (isLocalTarget() && connected && !nowConnected) {
      const why = h?.message ?? 'the helper went away';
      reportPanel('traffic', `Counting stopped: ${why}`);
      reportPanel('log', `The log stopped: ${why}`);
    }
    if (isLocalTarget() && nowConnected) {
      const reader = h?.helper?.logReader;
      reportPanel(
        'log',
        reader === 'unavailable'
          ? `The helper is not reading the log (no log reader on the helper's machine): no events will arrive.`
          : null,
      );
    }
    if (!isLocalTarget()) {
      // The live views show fleet hosts; this machine's applies are still tracked for later.
      if (nowConnected) appliedAt = nowApplied;
    } else if (nowConnected && !connected) {
      appliedAt = nowApplied;
      void refreshCounters();
    } else if (nowConnected && nowApplied && nowApplied !== appliedAt) {
      appliedAt = nowApplied;
      // The totals last seen (the connect snapshot and the ticks since) are the new zero: rules
      // that keep their id carry their totals into the new table. Not a snapshot taken now: the
      // helper answers it after the apply's own work, when traffic may already have counted.
      setBaseline('apply', Date.parse(nowApplied) || Date.now());
      void refreshCounters();
    }
    // Rolled back to no rules, turned off, or the helper gone: nothing counts any more, so no
    // row stays lit and no rate keeps running from the last tick.
    const nowActive = nowConnected && h?.active === true;
    if (isLocalTarget() && active && !nowActive) countingStopped();
    active = nowActive;
    connected = nowConnected;
  };
  onHelper();
  stops.push(useAppStore.subscribe(onHelper));
  return () => stops.forEach((stop) => stop());
}

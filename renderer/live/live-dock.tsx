// Runtime: browser (renderer/). The live views under the outline: a tab strip (always visible,
// with live badges) and the open panel — Traffic, Triggered, Log, Simulator — plus the
// notification toasts. Mounting it starts the live feed (counters, log, notifications).

import { useEffect, useState, type PointerEvent } from 'react';
import { LogPanel } from '../log/log-panel.tsx';
import { useLogStore } from '../log/log-store.ts';
import { SimulatorPanel } from '../simulator/simulator-panel.tsx';
import { useSimStore } from '../simulator/sim-store.ts';
import { TrafficPanel } from '../traffic/traffic-panel.tsx';
import { TriggeredPanel } from '../triggered/triggered-panel.tsx';
import { useTriggeredStore } from '../triggered/triggered-store.ts';
import { useCountersStore } from '../store/counters-store.ts';
import { formatRate } from '../common/format.ts';
import { jumpToRule } from '../common/jump.ts';
import { startLiveFeed } from './live-feed.ts';
import { FleetPanel } from '../fleet/fleet-panel.tsx';
import '../fleet/fleet.css';
import { startFleetFeed } from '../fleet/fleet-feed.ts';
import { isDown, useFleetStore } from '../store/fleet-store.ts';
import { useLiveDock, type LiveTab } from './live-dock-store.ts';
import { dismissToast, useToasts } from './notifications.ts';
import './live.css';

const TABS: readonly { tab: LiveTab; label: string }[] = [
  { tab: 'traffic', label: 'Traffic' },
  { tab: 'triggered', label: 'Triggered' },
  { tab: 'log', label: 'Log' },
  { tab: 'simulator', label: 'Simulator' },
  { tab: 'fleet', label: 'Fleet' },
];

function Badge({ tab }: { tab: LiveTab }) {
  const text = useBadge(tab);
  return text ? <span className="dock-badge">{text}</span> : null;
}

function useBadge(tab: LiveTab): string {
  const pps = useCountersStore((s) => (tab === 'traffic' ? s.totalPacketsPerSecond : 0));
  const triggered = useTriggeredStore((s) => (tab === 'triggered' ? s.entries.length : 0));
  const log = useLogStore((s) => (tab === 'log' ? s.events.length + s.pending.length : 0));
  const sim = useSimStore((s) =>
    tab === 'simulator' ? (s.simulation?.evaluation.verdict ?? '') : '',
  );
  // Fleet: how many hosts are not reachable (a badge only when some are).
  const unreachable = useFleetStore((s) =>
    tab === 'fleet' ? Object.values(s.states).filter(isDown).length : 0,
  );
  switch (tab) {
    case 'traffic':
      return pps > 0 ? formatRate(pps, '/s') : '';
    case 'triggered':
      return triggered ? String(triggered) : '';
    case 'log':
      return log ? log.toLocaleString() : '';
    case 'simulator':
      return sim;
    case 'fleet':
      return unreachable ? `${unreachable} down` : '';
  }
}

export function LiveDock() {
  const { tab, open, height } = useLiveDock();
  useEffect(() => startLiveFeed(), []);
  useEffect(() => startFleetFeed(), []);

  const onGrip = (e: PointerEvent<HTMLDivElement>) => {
    e.preventDefault();
    const startY = e.clientY;
    const start = useLiveDock.getState().height;
    const el = e.currentTarget;
    el.setPointerCapture(e.pointerId);
    const move = (ev: globalThis.PointerEvent) =>
      useLiveDock.getState().setHeight(start - (ev.clientY - startY));
    const up = () => {
      el.removeEventListener('pointermove', move);
      el.removeEventListener('pointerup', up);
    };
    el.addEventListener('pointermove', move);
    el.addEventListener('pointerup', up);
  };

  return (
    <section className={`live-dock ${open ? 'open' : ''}`} data-testid="live-dock">
      {open && <div className="dock-grip" onPointerDown={onGrip} title="Drag to resize" />}
      <div className="dock-tabs" role="tablist" aria-label="Live views">
        {TABS.map((t) => (
          <button
            key={t.tab}
            type="button"
            role="tab"
            aria-selected={open && tab === t.tab}
            data-testid={`dock-tab-${t.tab}`}
            className={`dock-tab ${open && tab === t.tab ? 'active' : ''}`}
            onClick={() => useLiveDock.getState().toggle(t.tab)}
          >
            {t.label}
            <Badge tab={t.tab} />
          </button>
        ))}
        <span className="spacer" />
        <NotificationSwitch />
        {open && (
          <button
            type="button"
            className="dock-close"
            aria-label="Hide the live panel"
            onClick={() => useLiveDock.setState({ open: false })}
          >
            ▾
          </button>
        )}
      </div>
      {open && (
        <div className="dock-body" style={{ height }} role="tabpanel">
          {tab === 'traffic' && <TrafficPanel />}
          {tab === 'triggered' && <TriggeredPanel />}
          {tab === 'log' && <LogPanel />}
          {tab === 'simulator' && <SimulatorPanel />}
          {tab === 'fleet' && <FleetPanel />}
        </div>
      )}
      <Toasts />
    </section>
  );
}

function Toasts() {
  const toasts = useToasts((s) => s.toasts);
  if (!toasts.length) return null;
  return (
    <div className="toasts" aria-live="polite">
      {toasts.map((t) => (
        <div
          key={t.key}
          className={`toast toast-${t.kind} ${t.ruleId ? 'clickable' : ''}`}
          data-testid="toast"
          title={t.ruleId ? 'Click: show the rule in the outline' : undefined}
          onClick={() => t.ruleId && jumpToRule(t.ruleId, t.ruleNumber)}
        >
          <b>{t.title}</b>
          <span>{t.body}</span>
          <button
            type="button"
            aria-label="Dismiss"
            onClick={(e) => {
              e.stopPropagation();
              dismissToast(t.key);
            }}
          >
            ×
          </button>
        </div>
      ))}
    </div>
  );
}

/** Browsers ask for the permission only after a click: offer one until it is answered. */
function NotificationSwitch() {
  const supported = typeof Notification !== 'undefined';
  const [permission, setPermission] = useState(supported ? Notification.permission : 'denied');
  if (!supported || permission !== 'default') return null;
  return (
    <button
      type="button"
      className="dock-notify"
      title="Alert and Notify rules raise desktop notifications once you allow them"
      onClick={() => void Notification.requestPermission().then(setPermission)}
    >
      Allow desktop notifications
    </button>
  );
}

// Runtime: browser (renderer/). The statistics column's header: IPNetSentryX's popup choosing
// what the column shows (saved in the document as `selectedStatistic`), the sparkline and
// subtree-total switches (a preference of this browser), and Reset counters.

import { useEffect, useRef, useState } from 'react';
import type { StatisticKind } from '../../shared/model/types.ts';
import { useDocumentStore } from '../store/document-store.ts';
import { setBaseline, useCountersStore } from '../store/counters-store.ts';
import { formatTime, STATISTICS, statisticHeader } from '../common/format.ts';
import { useStatsPrefs } from './stats-prefs.ts';

export function StatsHeader() {
  const kind = useDocumentStore((s) => s.document.settings.selectedStatistic);
  const prefs = useStatsPrefs();
  const baseline = useCountersStore((s) => s.baseline);
  // The header cell clips its content: the menu is fixed to the window, under the button.
  const [open, setOpen] = useState<{ top: number; right: number } | null>(null);
  const root = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return;
    const close = (e: Event) => {
      if (
        e instanceof KeyboardEvent ? e.key === 'Escape' : !root.current?.contains(e.target as Node)
      )
        setOpen(null);
    };
    document.addEventListener('pointerdown', close, true);
    document.addEventListener('keydown', close, true);
    return () => {
      document.removeEventListener('pointerdown', close, true);
      document.removeEventListener('keydown', close, true);
    };
  }, [open]);

  const choose = (k: StatisticKind) => {
    if (k !== kind) useDocumentStore.getState().setSettings({ selectedStatistic: k });
    setOpen(null);
  };

  return (
    <div className="stats-header" ref={root}>
      <button
        type="button"
        className="stats-header-button"
        data-testid="stats-popup"
        aria-haspopup="menu"
        aria-expanded={open !== null}
        title="Choose what the statistics column shows"
        onClick={(e) => {
          const r = e.currentTarget.getBoundingClientRect();
          setOpen(open ? null : { top: r.bottom + 2, right: window.innerWidth - r.right });
        }}
      >
        {statisticHeader(kind) || 'Statistics'} ▾
      </button>
      {open && (
        <div className="stats-menu" role="menu" aria-label="Statistics" style={open}>
          {STATISTICS.map((s) => (
            <button
              key={s.kind}
              type="button"
              role="menuitemradio"
              aria-checked={s.kind === kind}
              className="stats-menu-item"
              onClick={() => choose(s.kind)}
            >
              <span className="check">{s.kind === kind ? '✓' : ''}</span>
              {s.label}
            </button>
          ))}
          <div className="stats-menu-sep" />
          <PrefToggle
            checked={prefs.subtreeTotals}
            onToggle={() => prefs.set({ subtreeTotals: !prefs.subtreeTotals })}
            close={() => setOpen(null)}
            label="Subtree totals on collapsed rules"
          />
          <PrefToggle
            checked={prefs.sparklines}
            onToggle={() => prefs.set({ sparklines: !prefs.sparklines })}
            close={() => setOpen(null)}
            label="Sparklines (last 3 minutes)"
          />
          <div className="stats-menu-sep" />
          <button
            type="button"
            role="menuitem"
            className="stats-menu-item"
            title="Count from zero in this window; the kernel's counters are not touched"
            onClick={() => {
              setBaseline('reset');
              setOpen(null);
            }}
          >
            <span className="check" />
            Reset counters
          </button>
          <div className="stats-menu-note" data-testid="stats-since">
            {baseline
              ? `Counting since the ${baseline.kind === 'apply' ? 'apply' : 'reset'} at ${formatTime(baseline.at)}`
              : 'Counting since the helper started counting these rules'}
          </div>
        </div>
      )}
    </div>
  );
}

/** A checkable item of the statistics menu: flips one display preference and closes the menu. */
function PrefToggle(props: {
  checked: boolean;
  onToggle: () => void;
  close: () => void;
  label: string;
}) {
  return (
    <button
      type="button"
      role="menuitemcheckbox"
      aria-checked={props.checked}
      className="stats-menu-item"
      onClick={() => {
        props.onToggle();
        props.close();
      }}
    >
      <span className="check">{props.checked ? '✓' : ''}</span>
      {props.label}
    </button>
  );
}

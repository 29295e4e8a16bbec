// Runtime: browser (renderer/). The traffic view: a chart of the totals over the last five
// minutes and the rules with the most packets and bytes since the baseline. The totals are the
// helper's: the sum over every rule, so a packet counts once per rule it matches ("matches/s",
// not packets on the wire); "busiest rules" adds each of the top rules as its own series.
//
// Why uPlot: it draws to one canvas and keeps the data as flat typed arrays; setData() at 1 Hz
// with hundreds of series redraws in about a millisecond, with no DOM node per point and no
// diffing (SVG chart libraries — recharts, Chart.js's animations, nivo — re-create thousands of
// elements or animate every update, which is what keeps a renderer busy at 1 Hz). It is 50 kB,
// has no dependencies, and needs no `eval` (the renderer runs under a strict CSP).

import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useDocumentStore } from '../store/document-store.ts';
import {
  HISTORY_SECONDS,
  rateHistory,
  tickTimeline,
  useCountersStore,
} from '../store/counters-store.ts';
import { formatBytes, formatCount, formatRate } from '../common/format.ts';
import { jumpToRule } from '../common/jump.ts';
import { describeRule, ruleIndex } from '../common/rule-index.ts';
import { topRules as top } from './top-rules.ts';
import { refreshCounters } from './refresh-counters.ts';
import { PanelError } from '../common/panel-error.tsx';
import { useAppStore } from '../store/app-store.ts';
import { useFleetStore } from '../store/fleet-store.ts';

export function TrafficPanel() {
  const connected = useAppStore((s) => s.helper?.connected === true);
  const off = useAppStore((s) => s.helper?.connected === true && !s.helper.active);
  const local = useFleetStore((s) => s.target.kind === 'local');
  // Opened with a helper connected: the counts as they are now (and why not, if that fails).
  useEffect(() => {
    if (connected) void refreshCounters();
  }, [connected]);
  return (
    <div className="traffic-panel" data-testid="traffic-panel">
      <PanelError panel="traffic" />
      {local && off && (
        <div className="panel-empty" data-testid="traffic-off">
          The firewall is off: no rules are in force, so nothing is counted. Apply to start
          counting.
        </div>
      )}
      <div className="traffic-grid">
        <TrafficChart />
        <TopRules by="packets" />
        <TopRules by="bytes" />
      </div>
    </div>
  );
}

/** Colours of the per-rule series (after the totals' blue and orange). */
const PALETTE = [
  '#2e9d4f',
  '#9c27b0',
  '#c62828',
  '#00838f',
  '#6d4c41',
  '#ef6c00',
  '#5c6bc0',
  '#7cb342',
];

function chartData(ruleIds: readonly string[]): uPlot.AlignedData {
  const { tick } = useCountersStore.getState();
  if (tick === 0) {
    // Before the first tick: the last minute, empty (one point alone gives uPlot a time axis of
    // years around it).
    const now = Date.now() / 1000;
    const zeros = () => new Float32Array(2);
    return [
      Float64Array.of(now - 60, now),
      zeros(),
      zeros(),
      ...ruleIds.map(zeros),
    ] as unknown as uPlot.AlignedData;
  }
  const n = Math.max(1, Math.min(tick, HISTORY_SECONDS));
  const x = tickTimeline(n);
  const packets = rateHistory(null, 'packets', n);
  const bytes = rateHistory(null, 'bytes', n);
  const bits = new Float32Array(n);
  for (let i = 0; i < n; i++) bits[i] = (bytes[i] ?? 0) * 8;
  // uPlot reads any array-like of numbers; typed arrays avoid a copy per series per tick.
  const series = [x, packets, bits, ...ruleIds.map((id) => rateHistory(id, 'packets', n))];
  return series as unknown as uPlot.AlignedData;
}

/** The rules drawn one by one: the busiest acting rules, as a stable string key. */
function useSeriesKey(perRule: boolean): string {
  const rules = useDocumentStore((s) => s.document.rules);
  return useCountersStore((s) =>
    perRule
      ? top(s.counters, ruleIndex(rules), 'packets')
          .map(([id]) => id)
          .join(' ')
      : '',
  );
}

function TrafficChart() {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const tick = useCountersStore((s) => s.tick);
  const pps = useCountersStore((s) => s.totalPacketsPerSecond);
  const bps = useCountersStore((s) => s.totalBitsPerSecond);
  const [perRule, setPerRule] = useState(false);
  const seriesKey = useSeriesKey(perRule);
  const ruleIds = useMemo(() => (seriesKey ? seriesKey.split(' ') : []), [seriesKey]);
  const index = ruleIndex(useDocumentStore((s) => s.document.rules));
  const idsRef = useRef(ruleIds);
  idsRef.current = ruleIds;

  // The chart is rebuilt when the set of series changes (rarely); each tick only sets data.
  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: Math.max(80, el.clientHeight - 28),
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      // A window ending now: at least a minute (a few seconds of data do not stretch across
      // the chart), growing with the data to the five minutes kept.
      scales: {
        x: {
          time: true,
          range: (_u, min, max) => [
            max - Math.min(HISTORY_SECONDS, Math.max(60, Math.ceil(max - min))),
            max,
          ],
        },
        p: { auto: true, range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] },
        b: { auto: true, range: (_u, _min, max) => [0, Math.max(8, max * 1.1)] },
      },
      series: [
        {},
        {
          label: 'matches/s',
          scale: 'p',
          stroke: '#2463d1',
          fill: 'rgba(36,99,209,0.12)',
          width: 1.5,
          points: { show: false },
        },
        {
          label: 'bits/s matched',
          scale: 'b',
          stroke: '#d9822b',
          width: 1.2,
          dash: [4, 3],
          points: { show: false },
        },
        ...ruleIds.map((id, i) => ({
          label: id,
          scale: 'p',
          stroke: PALETTE[i % PALETTE.length]!,
          width: 1.2,
          points: { show: false },
        })),
      ],
      axes: [
        { stroke: '#6e6e73', grid: { stroke: '#eee' }, ticks: { stroke: '#ddd' } },
        {
          scale: 'p',
          stroke: '#2463d1',
          size: 56,
          grid: { stroke: '#eee' },
          values: (_u, vals) => vals.map((v) => formatRate(v, '')),
        },
        {
          scale: 'b',
          side: 1,
          stroke: '#d9822b',
          size: 56,
          grid: { show: false },
          values: (_u, vals) => vals.map((v) => formatRate(v, '')),
        },
      ],
    };
    plot.current = new uPlot(opts, chartData(idsRef.current), el);
    const ro = new ResizeObserver(() =>
      plot.current?.setSize({
        width: Math.max(200, el.clientWidth),
        height: Math.max(80, el.clientHeight - 28),
      }),
    );
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [ruleIds]);

  useEffect(() => {
    plot.current?.setData(chartData(idsRef.current));
  }, [tick]);

  return (
    <section className="traffic-chart-wrap">
      <header className="panel-subhead">
        <span title="The helper's totals: a packet counts once for every rule it matches">
          All rules
        </span>
        <span className="legend-p">{formatRate(pps, 'matches/s')}</span>
        <span className="legend-b">{formatRate(bps, 'bits/s matched')}</span>
        {ruleIds.map((id, i) => (
          <span
            key={id}
            className="legend-rule"
            data-testid="chart-series"
            style={{ color: PALETTE[i % PALETTE.length] }}
          >
            {index.get(id)?.number ?? '?'}
          </span>
        ))}
        <label className="chart-toggle">
          <input
            type="checkbox"
            checked={perRule}
            onChange={(e) => setPerRule(e.target.checked)}
            data-testid="chart-per-rule"
          />
          busiest rules
        </label>
      </header>
      <div className="traffic-chart" ref={box} data-testid="traffic-chart" />
    </section>
  );
}

function TopRules({ by }: { by: 'packets' | 'bytes' }) {
  const counters = useCountersStore((s) => s.counters);
  const rules = useDocumentStore((s) => s.document.rules);
  const index = ruleIndex(rules);
  // Sorting every rule is cheap at 1 Hz, but not worth doing for each render in between.
  const rows = useMemo(() => top(counters, index, by), [counters, index, by]);
  const max = rows[0]?.[1][by] ?? 0;
  return (
    <section className="top-rules" data-testid={`top-${by}`}>
      <header className="panel-subhead">Top rules by {by}</header>
      {rows.length === 0 ? (
        <div className="panel-empty">No matches since the counters started.</div>
      ) : (
        <table className="live-table">
          <tbody>
            {rows.map(([id, c]) => {
              const info = index.get(id);
              return (
                <tr key={id} onClick={() => jumpToRule(id, info?.number)} className="clickable">
                  <td className="top-rule" title={describeRule(info)}>
                    <span className="rule-link">{info?.number ?? '?'}</span> {info?.name ?? ''}
                  </td>
                  <td className="top-bar">
                    <span style={{ width: `${max ? (100 * c[by]) / max : 0}%` }} />
                  </td>
                  <td className="num">
                    {by === 'packets' ? formatCount(c.packets) : formatBytes(c.bytes)}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

// Runtime: browser (renderer/). The statistics cell of an outline row and its sparkline.
// Invariant: every store selector here returns a string, number or boolean, so a counter tick
// re-renders a cell only when what it shows changed (zustand compares selector results by
// identity); nothing here reads the document beyond the row's own rule and one setting.

import { memo } from 'react';
import type { Rule, StatisticKind } from '../../shared/model/types.ts';
import { useAppStore } from '../store/app-store.ts';
import { targetActive, useFleetStore } from '../store/fleet-store.ts';
import { useDocumentStore } from '../store/document-store.ts';
import {
  hasHistory,
  rateHistory,
  useCountersStore,
  type RuleCounters,
} from '../store/counters-store.ts';
import { formatBytes, formatCount, formatRate, formatTime } from '../common/format.ts';
import { useStatsPrefs } from './stats-prefs.ts';

type Counters = ReadonlyMap<string, RuleCounters>;

interface Sum {
  packets: number;
  bytes: number;
  packetsPerSecond: number;
  bitsPerSecond: number;
  lastMatch: number;
}

const ZERO: Sum = { packets: 0, bytes: 0, packetsPerSecond: 0, bitsPerSecond: 0, lastMatch: 0 };

function own(counters: Counters, id: string): Sum {
  const c = counters.get(id);
  if (!c) return ZERO;
  return { ...c, lastMatch: c.lastMatch ?? 0 };
}

/**
 * Sum over the rules without children inside a collapsed rule. Not every descendant: a parent
 * counts every packet its children see, so adding parents would count a packet twice; the
 * leaves are where packets end up (in a list of services, the sum is the packets that reached
 * the list). A packet that matches several non-terminating leaves still counts once per leaf.
 */
function subtree(counters: Counters, rules: readonly Rule[], into: Sum = { ...ZERO }): Sum {
  for (const r of rules) {
    const c = r.children.length ? undefined : counters.get(r.id);
    if (c) {
      into.packets += c.packets;
      into.bytes += c.bytes;
      into.packetsPerSecond += c.packetsPerSecond;
      into.bitsPerSecond += c.bitsPerSecond;
      into.lastMatch = Math.max(into.lastMatch, c.lastMatch ?? 0);
    }
    if (r.children.length) subtree(counters, r.children, into);
  }
  return into;
}

export function statisticText(kind: StatisticKind, s: Sum): string {
  switch (kind) {
    case 'matchCount':
      return formatCount(s.packets);
    case 'byteCount':
      return formatBytes(s.bytes);
    case 'lastMatch':
      return s.lastMatch ? formatTime(s.lastMatch) : '—';
    case 'packetRate':
      return formatRate(s.packetsPerSecond, 'p/s');
    case 'bitRate':
      return formatRate(s.bitsPerSecond, 'b/s');
    case 'none':
      return '';
  }
}

export const StatsCell = memo(function StatsCell({ rule }: { rule: Rule }) {
  const kind = useDocumentStore((s) => s.document.settings.selectedStatistic);
  const { sparklines, subtreeTotals } = useStatsPrefs();
  // Rules are in force where the host picker points: this machine, or a fleet host or group.
  const localActive = useAppStore((s) => s.helper?.connected === true && s.helper.active);
  const active = useFleetStore((s) => (s.target.kind === 'local' ? localActive : targetActive(s)));
  const summed = subtreeTotals && rule.children.length > 0 && !rule.expanded;
  const text = useCountersStore((s) =>
    statisticText(kind, summed ? subtree(s.counters, rule.children) : own(s.counters, rule.id)),
  );
  // Only rules the kernel counts: a disabled rule, or one under a disabled parent, is not there.
  const never = useCountersStore(
    (s) => active && s.counted.has(rule.id) && (s.counters.get(rule.id)?.packets ?? 0) === 0,
  );
  // Not in the kernel at all (disabled, under a disabled parent, added since the apply): no
  // count to show, and "0" would read as "in force, never matched".
  const absent = useCountersStore(
    (s) => active && !summed && s.counted.size > 0 && !s.counted.has(rule.id),
  );
  const since = useCountersStore((s) => s.baseline);
  // No rules in force and nothing counted this session: an empty column, not a column of zeros.
  const anything = useCountersStore((s) => s.counters.size > 0);
  // No rules in force, but counts from when some were (rolled back to none, turned off, the
  // helper gone): shown as what was counted then, never as live counts; nothing counted: a dash.
  // Rates are not kept past the rules they measured.
  const stale = !active;
  const nothing = useCountersStore(
    (s) =>
      stale &&
      (kind === 'packetRate' ||
        kind === 'bitRate' ||
        (summed ? subtree(s.counters, rule.children) : own(s.counters, rule.id)).packets === 0),
  );
  if (kind === 'none' || (!active && !anything))
    return <div className="cell c-stats" role="gridcell" data-testid="cell-stats" />;
  if (absent || nothing)
    return (
      <div
        className="cell c-stats not-in-force"
        role="gridcell"
        data-testid="cell-stats"
        data-in-force="false"
        title={
          stale
            ? 'Not counting now (no rules in force, or no helper)'
            : rule.enabled
              ? 'Not in the rules in force (added or changed since the apply, or under a disabled rule): no count'
              : 'Disabled: not in the rules in force, no count'
        }
      >
        <span className="stats-value" data-testid="stats-value">
          —
        </span>
      </div>
    );
  if (stale)
    return (
      <div
        className="cell c-stats not-in-force"
        role="gridcell"
        data-testid="cell-stats"
        data-in-force="false"
        title="Not counting now (no rules in force, or no helper): what was counted until then"
      >
        <span className="stats-value" data-testid="stats-value">
          {summed && text ? `Σ ${text}` : text}
        </span>
      </div>
    );
  const title = never
    ? `Never matched since ${since ? `${since.kind === 'apply' ? 'the apply' : 'the reset'} at ${formatTime(since.at)}` : 'the rules were applied'}`
    : summed
      ? 'Σ: total of the rules without children inside this collapsed rule'
      : undefined;
  return (
    <div
      className={`cell c-stats ${never ? 'never' : ''}`}
      role="gridcell"
      data-testid="cell-stats"
      data-never={never ? 'true' : undefined}
      title={title}
    >
      {sparklines && active && <Sparkline ruleId={rule.id} />}
      {never && <span className="never-mark" aria-label="never matched" />}
      <span className="stats-value" data-testid="stats-value">
        {summed && text ? `Σ ${text}` : text}
      </span>
    </div>
  );
});

const SPARK_SAMPLES = 180; // three minutes
const SPARK_BUCKETS = 36; // five seconds a point
const SPARK_W = 36;
const SPARK_H = 14;

/** Packets per second over the last three minutes; redraws each tick only for rules that ever
 * matched (a rule that never did returns -1 from its selector and never re-renders). */
function Sparkline({ ruleId }: { ruleId: string }) {
  const tick = useCountersStore((s) => (hasHistory(ruleId) ? s.tick : -1));
  if (tick < 0) return <span className="sparkline" />;
  const series = rateHistory(ruleId, 'packets', SPARK_SAMPLES);
  const per = SPARK_SAMPLES / SPARK_BUCKETS;
  const points: number[] = [];
  let max = 0;
  for (let b = 0; b < SPARK_BUCKETS; b++) {
    let sum = 0;
    for (let i = 0; i < per; i++) sum += series[b * per + i] ?? 0;
    points.push(sum / per);
    max = Math.max(max, sum / per);
  }
  if (max === 0) return <span className="sparkline" />;
  const step = SPARK_W / (SPARK_BUCKETS - 1);
  const d = points
    .map(
      (v, i) => `${(i * step).toFixed(1)},${(SPARK_H - 1 - (v / max) * (SPARK_H - 2)).toFixed(1)}`,
    )
    .join(' ');
  return (
    <svg className="sparkline" width={SPARK_W} height={SPARK_H} aria-hidden="true">
      <polyline points={`0,${SPARK_H} ${d} ${SPARK_W},${SPARK_H}`} className="spark-fill" />
      <polyline points={d} className="spark-line" />
    </svg>
  );
}

// Runtime: browser (renderer/), pure functions. How the statistics column and the live panels
// write numbers: compact, fixed units, readable at a glance in a 90-pixel column.

import type { StatisticKind } from '../../shared/model/types.ts';

export const STATISTICS: readonly { kind: StatisticKind; label: string; header: string }[] = [
  { kind: 'matchCount', label: 'Match count', header: 'Matches' },
  { kind: 'byteCount', label: 'Byte count', header: 'Bytes' },
  { kind: 'lastMatch', label: 'Last match time', header: 'Last match' },
  { kind: 'packetRate', label: 'Rate (packets/s)', header: 'Packets/s' },
  { kind: 'bitRate', label: 'Rate (bits/s)', header: 'Bits/s' },
  { kind: 'none', label: 'None', header: '' },
];

export const statisticHeader = (kind: StatisticKind): string =>
  STATISTICS.find((s) => s.kind === kind)?.header ?? '';

// One formatter for every count: `toLocaleString` builds ICU formatting state on each call, and
// every statistics cell that mounts while the outline scrolls formats a count.
const COUNT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** 1234 -> "1,234"; 1234567 -> "1.23 M" (counts stay exact below ten million). */
export function formatCount(n: number): string {
  if (n < 10_000_000) return COUNT.format(Math.round(n));
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} M`;
  return `${(n / 1e9).toFixed(2)} G`;
}

/** Bytes with binary units: 512 B, 1.5 KiB, 20.0 MiB. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${Math.round(v)} B` : `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

/** A rate with SI prefixes: 0, 0.5, 12.0, 1.2 k, 3.4 M, followed by `unit`. */
export function formatRate(perSecond: number, unit: string): string {
  if (perSecond <= 0) return `0 ${unit}`;
  const prefixes = ['', 'k', 'M', 'G', 'T'];
  let v = perSecond;
  let p = 0;
  while (v >= 1000 && p < prefixes.length - 1) {
    v /= 1000;
    p++;
  }
  const digits = v < 10 ? 1 : 0;
  return `${v.toFixed(digits)} ${prefixes[p]}${unit}`;
}

/** Epoch ms -> local `HH:MM:SS`, with the date in front when it was not today. */
export function formatTime(ms: number, now = Date.now()): string {
  const d = new Date(ms);
  const time = d.toLocaleTimeString('en-GB', { hour12: false });
  if (new Date(now).toDateString() === d.toDateString()) return time;
  return `${d.toLocaleDateString('en-CA')} ${time}`;
}

/** Seconds -> `59 s`, `4 min 05 s`, `2 h 03 min`, `3 d 4 h`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  if (s < 86400)
    return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

import { describe, expect, it } from 'vitest';
import { formatBytes, formatCount, formatDuration, formatRate } from './format.ts';

describe('statistics formats', () => {
  it('counts exactly below ten million, then in millions and billions', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(9_999_999)).toBe('9,999,999');
    expect(formatCount(12_345_678)).toBe('12.3 M');
    expect(formatCount(4_200_000_000)).toBe('4.20 G');
  });
  it('bytes in binary units', () => {
    expect(formatBytes(60)).toBe('60 B');
    expect(formatBytes(1536)).toBe('1.50 KiB');
    expect(formatBytes(20 * 1024 * 1024)).toBe('20.0 MiB');
  });
  it('rates with SI prefixes', () => {
    expect(formatRate(0, 'p/s')).toBe('0 p/s');
    expect(formatRate(2.5, 'p/s')).toBe('2.5 p/s');
    expect(formatRate(1234, 'b/s')).toBe('1.2 kb/s');
    expect(formatRate(45_000_000, 'b/s')).toBe('45 Mb/s');
  });
  it('durations as a person reads them', () => {
    expect(formatDuration(59.4)).toBe('59 s');
    expect(formatDuration(245)).toBe('4 min 05 s');
    expect(formatDuration(7380)).toBe('2 h 03 min');
    expect(formatDuration(3 * 86400 + 4 * 3600)).toBe('3 d 4 h');
    expect(formatDuration(-5)).toBe('0 s');
  });
});

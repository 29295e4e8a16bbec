import { describe, expect, it } from 'vitest';
import { COLUMNS, fitWidths, totalWidth, type ColumnKey } from './ui-store.ts';

const defaults = Object.fromEntries(COLUMNS.map((c) => [c.key, c.width])) as Record<
  ColumnKey,
  number
>;

describe('fitWidths', () => {
  it('gives a wide window to the name column', () => {
    const wide = fitWidths(defaults, 1600);
    expect(totalWidth(wide)).toBe(1600);
    expect(wide.name).toBe(defaults.name + 1600 - totalWidth(defaults));
    expect(wide.stats).toBe(defaults.stats);
  });
  it('narrows the wide columns to fit 1000 and 900 px, never the checkbox or Matches', () => {
    for (const width of [1000, 900]) {
      const fitted = fitWidths(defaults, width);
      expect(Math.abs(totalWidth(fitted) - width)).toBeLessThanOrEqual(3); // rounding
      expect(fitted.enabled).toBe(defaults.enabled);
      expect(fitted.stats).toBe(defaults.stats);
      expect(fitted.relation).toBe(defaults.relation);
      expect(fitted.name).toBeGreaterThanOrEqual(120);
      expect(fitted.number).toBeGreaterThanOrEqual(100);
    }
  });
  it('stops at the compact widths: a very narrow window scrolls sideways', () => {
    const fitted = fitWidths(defaults, 500);
    expect(fitted.name).toBe(120);
    expect(fitted.number).toBe(100);
    expect(totalWidth(fitted)).toBeGreaterThan(500);
  });
});

// Triggered-table text: tab-separated export and import.
import { describe, expect, it } from 'vitest';
import { exportTsv, importTsv } from './triggered.ts';

describe('triggered text', () => {
  it('round-trips export through import', () => {
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const text = exportTsv([
      {
        address: '10.0.0.1',
        type: 'trigger',
        ruleId: 'r',
        ruleNumber: '2.1.2',
        triggeredAt: null,
        hits: 3,
        expiresAt: future,
      },
      {
        address: 'fd00::1',
        type: 'authorize',
        ruleId: null,
        ruleNumber: null,
        triggeredAt: null,
        hits: null,
        expiresAt: null,
      },
    ]);
    const { entries, skipped } = importTsv(text);
    expect(skipped).toEqual([]);
    expect(entries[0]).toMatchObject({ address: '10.0.0.1', type: 'trigger' });
    expect(entries[0]!.durationSeconds).toBeGreaterThan(3590);
    expect(entries[1]).toEqual({ address: 'fd00::1', type: 'authorize', line: 3 });
  });

  it('accepts a bare address list and names the lines it skips', () => {
    const { entries, skipped } = importTsv(
      '# banned\n192.0.2.7\n\nnot-an-address\n198.51.100.1\tfriend\n203.0.113.9\ttrigger\t\t\t\t2000-01-01T00:00:00Z\n',
    );
    expect(entries).toEqual([{ address: '192.0.2.7', type: 'trigger', line: 2 }]);
    expect(skipped.map((s) => s.line)).toEqual([4, 5, 6]);
  });
});

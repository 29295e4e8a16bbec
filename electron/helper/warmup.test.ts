// The warm-up's document goes through every step of an apply before nft (a pass that threw would
// stop the warm-up early and silently), and passes run only while the helper answers nothing.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { countRules } from '../../shared/model/tree.ts';
import { applyLine, startWarmUp, warmupDocument, warmUpOnce, WARMUP_RULES } from './warmup.ts';

/** The warm-up as the helper starts it, with the test's own passes. */
const warmUp = (options: Omit<Parameters<typeof startWarmUp>[0], 'logGroup' | 'tableName'>) =>
  startWarmUp({ logGroup: 7, tableName: 'treewall', ...options });

describe('warm-up', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('builds a document of about WARMUP_RULES rules that validates and compiles', () => {
    const doc = warmupDocument();
    expect(countRules(doc.rules)).toBeGreaterThanOrEqual(WARMUP_RULES);
    expect(countRules(doc.rules)).toBeLessThan(WARMUP_RULES + 10);
    expect(() => warmUpOnce(applyLine(doc), { logGroup: 7, tableName: 'treewall' })).not.toThrow();
  });

  it('refuses a request that is not a valid apply', () => {
    expect(() =>
      warmUpOnce(JSON.stringify({ id: 0, call: 'apply', params: {} }), {
        logGroup: 7,
        tableName: 'treewall',
      }),
    ).toThrow(/refused/);
  });

  it('runs its passes only while idle, and no more than asked', async () => {
    vi.useFakeTimers();
    let idle = false;
    let passes = 0;
    const stop = warmUp({
      idle: () => idle,
      passes: 3,
      pass: () => passes++,
    });
    await vi.advanceTimersByTimeAsync(500);
    expect(passes).toBe(0);
    idle = true;
    await vi.advanceTimersByTimeAsync(500);
    expect(passes).toBe(3);
    stop();
  });

  it('stops when told to, and after a pass that throws', async () => {
    vi.useFakeTimers();
    let passes = 0;
    const stop = warmUp({
      idle: () => true,
      passes: 5,
      pass: () => {
        passes++;
        if (passes === 2) throw new Error('boom');
      },
    });
    await vi.advanceTimersByTimeAsync(500);
    expect(passes).toBe(2);
    let more = 0;
    const stop2 = warmUp({
      idle: () => true,
      passes: 5,
      pass: () => more++,
    });
    stop2();
    await vi.advanceTimersByTimeAsync(500);
    expect(more).toBe(0);
    stop();
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRule } from '../../shared/model/tree.ts';
import type { ActionName } from '../../shared/model/vocabulary.ts';
import type { RuleCounters } from '../store/counters-store.ts';
import type { RuleInfo } from '../common/rule-index.ts';
import { TOP, topRules } from './top-rules.ts';

const ACTIONS: ActionName[] = ['Pass', 'Delete', '->', 'Group', 'Exit group', 'Log'];

describe('top rules', () => {
  it('equals sorting every acting rule with a count, descending, first TOP (stable for ties)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(50), fc.nat(5000), fc.constantFrom(...ACTIONS)), {
          maxLength: 60,
        }),
        (rows) => {
          const counters = new Map<string, RuleCounters>();
          const index = new Map<string, RuleInfo>();
          rows.forEach(([packets, bytes, action], i) => {
            const id = `r${i}`;
            counters.set(id, {
              packets,
              bytes,
              packetsPerSecond: 0,
              bitsPerSecond: 0,
              hot: false,
            });
            index.set(id, { number: String(i + 1), name: '', rule: createRule({ id, action }) });
          });
          for (const by of ['packets', 'bytes'] as const) {
            const expected = [...counters]
              .filter(
                ([id, c]) => c[by] > 0 && !['->', 'Group'].includes(index.get(id)!.rule.action),
              )
              .sort((a, b) => b[1][by] - a[1][by])
              .slice(0, TOP)
              .map(([id]) => id);
            expect(topRules(counters, index, by).map(([id]) => id)).toEqual(expected);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

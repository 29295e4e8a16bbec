import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRule, flatten } from '../../shared/model/tree.ts';
import type { Rule } from '../../shared/model/types.ts';
import { ruleTree } from '../../shared/plist/test-arbitraries.ts';
import { countRulesAndProblems, documentProblems } from './validation.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

/** A clock that jumps 10 ms at every reading: the count yields at every chance it gets. */
function impatientClock(): void {
  let now = 0;
  vi.spyOn(performance, 'now').mockImplementation(() => (now += 10));
}

describe('countRulesAndProblems', () => {
  it('counts every rule and every problem documentProblems lists, yielding or not', async () => {
    await fc.assert(
      fc.asyncProperty(ruleTree('xml', 3), fc.boolean(), async (rules, yielding) => {
        vi.restoreAllMocks();
        if (yielding) impatientClock();
        expect(await countRulesAndProblems(rules, () => false)).toEqual({
          rules: flatten(rules).length,
          problems: documentProblems(rules).length,
        });
      }),
      { numRuns: 150 },
    );
  });

  it('counts one huge group in slices, and gives up when told the count is stale', async () => {
    // 3,000 rules under one parent, 400 of them with a problem, nested 3 deep in places.
    const leaf = (i: number) =>
      createRule({ property: 'Dest port', value: i % 3 === 0 && i < 1200 ? '70000' : `${i}` });
    const group = createRule({
      action: 'Group',
      children: Array.from({ length: 1000 }, (_, i) =>
        createRule({
          property: 'Dest port',
          value: `${i}`,
          children: [leaf(2 * i), leaf(2 * i + 1)],
        }),
      ),
    });
    const rules: Rule[] = [group];
    impatientClock();
    let yields = 0;
    const counted = await countRulesAndProblems(rules, () => (yields++, false));
    expect(counted).toEqual({ rules: 3001, problems: documentProblems(rules).length });
    expect(documentProblems(rules).length).toBe(400);
    expect(yields).toBeGreaterThan(5);

    // A new document object: nothing cached, and stale after the first slice.
    const again = [{ ...group, children: [...group.children] }];
    expect(await countRulesAndProblems(again, () => true)).toBeNull();
  });
});

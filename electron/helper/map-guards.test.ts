// Unit test (no kernel): which counters guard each verdict map (counter-reader.ts mapGuards),
// from a real compile of a small tree.
import { describe, expect, it } from 'vitest';
import { compile } from '../../shared/compiler/index.ts';
import { createRule, parentIndex } from '../../shared/model/tree.ts';
import { DEFAULT_SETTINGS, type Rule } from '../../shared/model/types.ts';
import { mapGuards } from './counter-reader.ts';

const r = (id: string, p: Partial<Rule>): Rule => createRule({ id, ...p });
const ports = (prefix: string, from: number): Rule[] =>
  [0, 1, 2, 3].map((i) =>
    r(`${prefix}${i}`, { property: 'Dest port', value: String(from + i), action: 'Pass' }),
  );

describe('map guards', () => {
  it('guards a map by its rules’ parent, reads top-level maps always, parents first', () => {
    const rules = [
      ...ports('top', 7000),
      r('grp', { property: 'Protocol', value: '17', action: '->', children: ports('in', 8000) }),
    ];
    const compiled = compile({ settings: { ...DEFAULT_SETTINGS }, rules });
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.problems));
    const o = compiled.objects;
    const topMap = o.top0!.elements![0]!.map;
    const inMap = o.in0!.elements![0]!.map;
    expect(topMap).not.toBe(inMap);
    const g = mapGuards(o, parentIndex(rules));
    expect(g.guards[topMap]).toBeUndefined();
    expect(g.guards[inMap]).toEqual({ c: [o.grp!.counter], m: [] });
    expect(g.maps.indexOf(topMap)).toBeLessThan(g.maps.indexOf(inMap));
    // A parent the kernel does not count (not in the compiled objects): no guard.
    const orphan = new Map(parentIndex(rules));
    for (const id of ['in0', 'in1', 'in2', 'in3']) orphan.set(id, r('elsewhere', {}));
    expect(mapGuards(o, orphan).guards[inMap]).toBeUndefined();
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Rule } from './types.ts';
import {
  RULE_ID_PATTERN,
  canDrop,
  copySubtree,
  countRules,
  createRule,
  deleteRules,
  effectivelyEnabledIds,
  findById,
  findByNumber,
  flatten,
  indentRules,
  insertBefore,
  insertChild,
  insertSibling,
  moveRules,
  newRuleId,
  numberOf,
  numberRules,
  outdentRules,
  parentOf,
  pathOf,
  setEnabled,
  setExpanded,
  updateRule,
  walk,
} from './tree.ts';

/* Fixtures ------------------------------------------------------------------------------- */

/** `t('a', t('b'), t('c'))`: a rule with id and name `a` and children b, c. */
const t = (id: string, ...children: Rule[]): Rule => createRule({ id, name: id, children });
/** The outline as text: `a(b c(d))`. */
const shape = (rules: readonly Rule[]): string =>
  rules.map((r) => (r.children.length ? `${r.id}(${shape(r.children)})` : r.id)).join(' ');

const sample = (): Rule[] => [t('a', t('b'), t('c', t('d'), t('e'))), t('f'), t('g', t('h'))];

interface Shape {
  enabled: boolean;
  expanded: boolean;
  children: Shape[];
}
const shapeArb = fc.letrec<{ forest: Shape[]; node: Shape }>((tie) => ({
  forest: fc.array(tie('node'), { maxLength: 4 }),
  node: fc.record({
    enabled: fc.boolean(),
    expanded: fc.boolean(),
    children: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constant<Shape[]>([]),
      tie('forest'),
    ),
  }),
})).forest;

/** Random trees with ids n0, n1, ... in outline order. */
const treeArb: fc.Arbitrary<Rule[]> = shapeArb.map((forest) => {
  let n = 0;
  const build = (list: Shape[]): Rule[] =>
    list.map((s) => {
      const id = `n${n++}`;
      return createRule({
        id,
        name: id,
        enabled: s.enabled,
        expanded: s.expanded,
        children: build(s.children),
      });
    });
  return build(forest);
});
const nonEmptyTreeArb = treeArb.filter((rules) => rules.length > 0);

const allIds = (rules: readonly Rule[]): string[] => flatten(rules).map((r) => r.id);
/** Every rule's own fields (children as ids), to compare trees up to position. */
const contents = (rules: readonly Rule[]): Map<string, string> =>
  new Map(
    flatten(rules).map((r) => [
      r.id,
      JSON.stringify({ ...r, children: r.children.map((c) => c.id).sort() }),
    ]),
  );
const subtreeIds = (rule: Rule): string[] => flatten([rule]).map((r) => r.id);
/** Pick rules by seeds (indices modulo the number of rules). */
const pick = (rules: readonly Rule[], seeds: readonly number[]): string[] => {
  const ids = allIds(rules);
  return [...new Set(seeds.map((s) => ids[s % ids.length] as string))];
};

/* Unit tests ----------------------------------------------------------------------------- */

describe('ids and new rules', () => {
  it('makes short ids that fit the pattern and start with a letter', () => {
    const ids = new Set(Array.from({ length: 2000 }, () => newRuleId()));
    expect(ids.size).toBe(2000);
    for (const id of ids) {
      expect(id).toMatch(RULE_ID_PATTERN);
      expect(id).toMatch(/^[a-z][a-z0-9]{9}$/);
    }
  });
  it('fills every field of a new rule', () => {
    const r = createRule({ property: 'Dest port', value: '22' });
    expect(r).toMatchObject({
      enabled: true,
      name: '',
      property: 'Dest port',
      relation: '==',
      value: '22',
      action: '->',
      parameter: '',
      children: [],
      expanded: true,
    });
    expect(r.id).toMatch(RULE_ID_PATTERN);
  });
});

describe('reading', () => {
  const rules = sample();
  it('numbers rules by position', () => {
    expect([...numberRules(rules)]).toEqual([
      ['a', '1'],
      ['b', '1.1'],
      ['c', '1.2'],
      ['d', '1.2.1'],
      ['e', '1.2.2'],
      ['f', '2'],
      ['g', '3'],
      ['h', '3.1'],
    ]);
    expect(numberOf(rules, 'e')).toBe('1.2.2');
    expect(numberOf(rules, 'zz')).toBeUndefined();
    expect(findByNumber(rules, '1.2.2')?.id).toBe('e');
    expect(findByNumber(rules, '1.9')).toBeUndefined();
    expect(pathOf(rules, 'd')).toEqual([0, 1, 0]);
  });
  it('walks, flattens, counts and finds parents', () => {
    expect(
      flatten(rules)
        .map((r) => r.id)
        .join(''),
    ).toBe('abcdefgh');
    const collapsed = setExpanded(rules, ['c'], false);
    expect(
      flatten(collapsed, { onlyVisible: true })
        .map((r) => r.id)
        .join(''),
    ).toBe('abcfgh');
    expect(countRules(rules)).toBe(8);
    const seen: string[] = [];
    walk(rules, (r, path, parent) => {
      seen.push(`${r.id}:${path.join('.')}:${parent?.id ?? '-'}`);
      return r.id !== 'c';
    });
    expect(seen).toEqual(['a:0:-', 'b:0.0:a', 'c:0.1:a', 'f:1:-', 'g:2:-', 'h:2.0:g']);
    expect(parentOf(rules, 'd')?.id).toBe('c');
    expect(parentOf(rules, 'f')).toBeNull();
    expect(parentOf(rules, 'zz')).toBeUndefined();
  });
});

describe('editing', () => {
  it('inserts siblings after and before, and children at an index or the end', () => {
    const rules = sample();
    expect(shape(insertSibling(rules, 'd', t('x')))).toBe('a(b c(d x e)) f g(h)');
    expect(shape(insertBefore(rules, 'a', [t('x'), t('y')]))).toBe('x y a(b c(d e)) f g(h)');
    expect(shape(insertChild(rules, 'c', t('x')))).toBe('a(b c(d e x)) f g(h)');
    expect(shape(insertChild(rules, 'c', t('x'), 0))).toBe('a(b c(x d e)) f g(h)');
    expect(shape(insertChild(rules, null, t('x'), 1))).toBe('a(b c(d e)) x f g(h)');
    expect(shape(insertChild(rules, 'f', t('x')))).toBe('a(b c(d e)) f(x) g(h)');
    expect(insertSibling(rules, 'nope', t('x'))).toBe(rules);
  });
  it('expands the parent that receives a child', () => {
    const rules = setExpanded(sample(), ['g'], false);
    expect(findById(insertChild(rules, 'g', t('x')), 'g')?.expanded).toBe(true);
  });
  it('deletes rules with their subtrees', () => {
    expect(shape(deleteRules(sample(), ['c', 'd', 'g']))).toBe('a(b) f');
    const rules = sample();
    expect(deleteRules(rules, ['nope'])).toBe(rules);
  });
  it('updates one rule and copies only its path', () => {
    const rules = sample();
    const next = updateRule(rules, 'd', { value: '22', property: 'Dest port' });
    expect(findById(next, 'd')).toMatchObject({ value: '22', property: 'Dest port', id: 'd' });
    expect(next).not.toBe(rules);
    expect(next[0]).not.toBe(rules[0]);
    expect(next[1]).toBe(rules[1]); // f untouched
    expect(next[2]).toBe(rules[2]); // g untouched
    expect(next[0]!.children[0]).toBe(rules[0]!.children[0]); // b untouched
    expect(next[0]!.children[1]!.children[1]).toBe(rules[0]!.children[1]!.children[1]); // e untouched
    expect(updateRule(rules, 'd', { value: '' })).toBe(rules); // no change, same tree
  });
  it('moves rules the way react-arborist reports a drop', () => {
    const rules = sample();
    expect(shape(moveRules(rules, ['f'], 'c', 1))).toBe('a(b c(d f e)) g(h)');
    expect(shape(moveRules(rules, ['a'], null, 3))).toBe('f g(h) a(b c(d e))');
    // index counts the list before the move: dropping `a` between f and g is index 2
    expect(shape(moveRules(rules, ['a'], null, 2))).toBe('f a(b c(d e)) g(h)');
    // several rules keep outline order; a selected descendant travels with its ancestor
    expect(shape(moveRules(rules, ['h', 'b', 'c', 'd'], 'f', 0))).toBe('a f(b c(d e) h) g');
  });
  it('moves many rules at once the same way as a few (one pass over the tree above 64)', () => {
    const list = Array.from({ length: 100 }, (_, i) => createRule({ id: `m${i}` }));
    const box = createRule({ id: 'box' });
    const rules = [...list, box];
    const many = list.filter((_, i) => i % 3 !== 0).map((r) => r.id); // 66 rules
    const moved = moveRules(rules, many, 'box', 0);
    expect(findById(moved, 'box')!.children.map((r) => r.id)).toEqual(many);
    expect(moved.map((r) => r.id).slice(0, 3)).toEqual(['m0', 'm3', 'm6']);
    const few = moveRules(rules, many.slice(0, 3), 'box', 0);
    expect(findById(few, 'box')!.children.map((r) => r.id)).toEqual(['m1', 'm2', 'm4']);
    expect(few.map((r) => r.id).slice(0, 4)).toEqual(['m0', 'm3', 'm5', 'm6']);
  });
  it('refuses drops into the moved subtree or out of range', () => {
    const rules = sample();
    expect(canDrop(rules, ['a'], 'd', 0)).toBe(false);
    expect(canDrop(rules, ['c'], 'c', 0)).toBe(false);
    expect(canDrop(rules, ['c'], 'f', 1)).toBe(false); // f has no children
    expect(canDrop(rules, ['zz'], null, 0)).toBe(false);
    expect(canDrop(rules, [], null, 0)).toBe(false);
    expect(canDrop(rules, ['c'], 'nope', 0)).toBe(false);
    expect(canDrop(rules, ['c'], null, 3)).toBe(true);
    expect(canDrop(rules, ['c'], null, 4)).toBe(false);
    expect(moveRules(rules, ['a'], 'd', 0)).toBe(rules);
  });
  it('returns the same tree for a drop where the rules already are', () => {
    const rules = sample();
    // just above or just below itself, in its own list
    expect(moveRules(rules, ['f'], null, 1)).toBe(rules);
    expect(moveRules(rules, ['f'], null, 2)).toBe(rules);
    expect(moveRules(rules, ['d'], 'c', 0)).toBe(rules);
    expect(moveRules(rules, ['d', 'e'], 'c', 2)).toBe(rules);
    // a real move of the same rules still moves them
    expect(shape(moveRules(rules, ['d'], 'c', 2))).toBe('a(b c(e d)) f g(h)');
    expect(shape(moveRules(rules, ['b', 'f'], null, 1))).toBe('a(c(d e)) b f g(h)');
  });
  it('indents and outdents', () => {
    const rules = sample();
    expect(shape(indentRules(rules, ['f', 'g']))).toBe('a(b c(d e) f g(h))');
    expect(shape(indentRules(rules, ['a']))).toBe(shape(rules));
    expect(shape(outdentRules(rules, ['d', 'e']))).toBe('a(b c d e) f g(h)');
    expect(shape(outdentRules(rules, ['b']))).toBe('a(c(d e)) b f g(h)');
  });
  it('sets enabled and expanded only where it changes', () => {
    const rules = sample();
    const off = setEnabled(rules, ['c', 'h'], false);
    expect(findById(off, 'c')?.enabled).toBe(false);
    expect(findById(off, 'd')?.enabled).toBe(true); // children keep their own box
    expect(effectivelyEnabledIds(off)).toEqual(new Set(['a', 'b', 'f', 'g']));
    expect(setEnabled(rules, ['c'], true)).toBe(rules);
  });
  it('copies a subtree with fresh ids', () => {
    const original = sample()[0]!;
    const copy = copySubtree(original);
    expect(shape([copy]).replace(/[a-z0-9]{10}/g, '#')).toBe('#(# #(# #))');
    expect(
      flatten([copy])
        .map((r) => r.name)
        .join(''),
    ).toBe('abcde');
  });
});

/* Properties ----------------------------------------------------------------------------- */

describe('properties', () => {
  const seeds = fc.array(fc.nat(), { minLength: 1, maxLength: 4 });

  it('a move keeps the set of rules and their contents, and puts the moved rules where asked', () => {
    fc.assert(
      fc.property(
        nonEmptyTreeArb,
        seeds,
        fc.nat(),
        fc.nat(),
        fc.boolean(),
        (rules, moveSeeds, targetSeed, indexSeed, toTop) => {
          const ids = pick(rules, moveSeeds);
          const parentId = toTop ? null : (pick(rules, [targetSeed])[0] ?? null);
          const target = parentId === null ? rules : findById(rules, parentId)!.children;
          const index = indexSeed % (target.length + 1);
          const moved = moveRules(rules, ids, parentId, index);
          if (!canDrop(rules, ids, parentId, index)) {
            expect(moved).toBe(rules);
            return;
          }
          expect(allIds(moved).sort()).toEqual(allIds(rules).sort());
          // Each rule is unchanged except for which children it holds.
          const before = contents(rules);
          for (const r of flatten(moved)) {
            expect({ ...r, children: undefined }).toEqual({
              ...findById(rules, r.id)!,
              children: undefined,
            });
          }
          expect(before.size).toBe(countRules(moved));
          // The top-most moved rules are now consecutive children of the target, in outline order.
          const order = allIds(rules);
          const top = ids.filter(
            (id) =>
              !ids.some(
                (other) => other !== id && subtreeIds(findById(rules, other)!).includes(id),
              ),
          );
          top.sort((x, y) => order.indexOf(x) - order.indexOf(y));
          const newList = parentId === null ? moved : findById(moved, parentId)!.children;
          const start = newList.findIndex((r) => r.id === top[0]);
          expect(newList.slice(start, start + top.length).map((r) => r.id)).toEqual(top);
          // Every other rule keeps its place relative to the others.
          const travelled = new Set(top.flatMap((id) => subtreeIds(findById(rules, id)!)));
          const stay = (list: Rule[]) => allIds(list).filter((id) => !travelled.has(id));
          expect(stay(moved)).toEqual(stay(rules));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('canDrop refuses every drop into a moved subtree', () => {
    fc.assert(
      fc.property(nonEmptyTreeArb, seeds, fc.nat(), (rules, moveSeeds, targetSeed) => {
        const ids = pick(rules, moveSeeds);
        const inside = ids.flatMap((id) => subtreeIds(findById(rules, id)!));
        const target = inside[targetSeed % inside.length]!;
        expect(canDrop(rules, ids, target, 0)).toBe(false);
      }),
    );
  });

  it('a copied subtree has fresh, unique ids and the same contents', () => {
    fc.assert(
      fc.property(nonEmptyTreeArb, fc.nat(), (rules, seed) => {
        const original = findById(rules, pick(rules, [seed])[0]!)!;
        const copy = copySubtree(original);
        const copyIds = subtreeIds(copy);
        expect(new Set(copyIds).size).toBe(copyIds.length);
        for (const id of copyIds) {
          expect(id).toMatch(RULE_ID_PATTERN);
          expect(findById(rules, id)).toBeUndefined();
        }
        const strip = (r: Rule): unknown => ({
          ...r,
          id: undefined,
          children: r.children.map(strip),
        });
        expect(strip(copy)).toEqual(strip(original));
      }),
    );
  });

  it('disabling a rule takes exactly its subtree out of evaluation', () => {
    fc.assert(
      fc.property(nonEmptyTreeArb, fc.nat(), (rules, seed) => {
        const id = pick(rules, [seed])[0]!;
        const before = effectivelyEnabledIds(rules);
        const after = effectivelyEnabledIds(setEnabled(rules, [id], false));
        const subtree = new Set(subtreeIds(findById(rules, id)!));
        expect(after).toEqual(new Set([...before].filter((x) => !subtree.has(x))));
        // And enabling it again restores what was there, if its ancestors are enabled.
        const restored = effectivelyEnabledIds(
          setEnabled(setEnabled(rules, [id], false), [id], true),
        );
        const reenabled = effectivelyEnabledIds(setEnabled(rules, [id], true));
        expect(restored).toEqual(reenabled);
      }),
    );
  });

  it('deleting an inserted rule gives back the same tree', () => {
    fc.assert(
      fc.property(
        treeArb,
        fc.nat(),
        fc.constantFrom('sibling', 'before', 'child', 'top'),
        (rules, seed, where) => {
          const fresh = createRule({ id: 'fresh' });
          const anchor = rules.length > 0 ? pick(rules, [seed])[0]! : null;
          let inserted: Rule[];
          if (where === 'top' || anchor === null)
            inserted = insertChild(rules, null, fresh, seed % (rules.length + 1));
          else if (where === 'sibling') inserted = insertSibling(rules, anchor, fresh);
          else if (where === 'before') inserted = insertBefore(rules, anchor, fresh);
          else inserted = insertChild(setExpanded(rules, [anchor], true), anchor, fresh);
          expect(countRules(inserted)).toBe(countRules(rules) + 1);
          const base =
            where === 'child' && anchor !== null ? setExpanded(rules, [anchor], true) : rules;
          expect(deleteRules(inserted, ['fresh'])).toEqual(base);
        },
      ),
    );
  });

  it('deleting and re-inserting at the same place gives back the same tree', () => {
    fc.assert(
      fc.property(nonEmptyTreeArb, fc.nat(), (rules, seed) => {
        const id = pick(rules, [seed])[0]!;
        const rule = findById(rules, id)!;
        const parent = parentOf(rules, id);
        const index = pathOf(rules, id)!.at(-1)!;
        const removed = deleteRules(rules, [id]);
        const back = parent
          ? insertChild(removed, parent.id, rule, index)
          : insertChild(removed, null, rule, index);
        const expected = parent ? setExpanded(rules, [parent.id], true) : rules;
        expect(back).toEqual(expected);
      }),
    );
  });

  it('edits copy only the path to the change', () => {
    fc.assert(
      fc.property(nonEmptyTreeArb, fc.nat(), (rules, seed) => {
        const id = pick(rules, [seed])[0]!;
        const next = updateRule(rules, id, { name: 'changed' });
        const onPath = new Set<string>();
        for (let p = pathOf(rules, id)!; p.length > 0; p = p.slice(0, -1)) {
          onPath.add(flatten(rules).find((r) => pathOf(rules, r.id)!.join() === p.join())!.id);
        }
        walk(next, (r) => {
          const old = findById(rules, r.id)!;
          if (onPath.has(r.id)) expect(r).not.toBe(old);
          else expect(r).toBe(old);
        });
      }),
    );
  });

  it('numbers agree with paths', () => {
    fc.assert(
      fc.property(treeArb, (rules) => {
        const numbers = numberRules(rules);
        expect(numbers.size).toBe(countRules(rules));
        for (const [id, number] of numbers) {
          expect(findByNumber(rules, number)?.id).toBe(id);
          expect(number).toBe(
            pathOf(rules, id)!
              .map((i) => i + 1)
              .join('.'),
          );
        }
      }),
    );
  });
});

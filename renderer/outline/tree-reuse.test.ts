// Runtime: Node (vitest). The outline's react-arborist is patched (patches/react-arborist+*.patch)
// to keep the nodes of unchanged subtrees across updates (`immutableData`) and to update its
// visible list and id index instead of rebuilding them. These tests drive the patched TreeApi the
// way the outline does (the store's structurally shared documents, undo to older ones) and check
// every update against a tree built from scratch: same rows, in the same order, with the same
// levels, row indexes, positions, parents and index, and a consistent node tree.

import fc from 'fast-check';
import { TreeApi, type NodeApi } from 'react-arborist';
import { initialState } from 'react-arborist/dist/main/state/initial.js';
import { describe, expect, it } from 'vitest';
import type { Rule } from '../../shared/model/types.ts';
import { createRule, deleteRules, insertSibling, moveRules } from '../../shared/model/tree.ts';
import { setExpanded } from '../store/model-ops.ts';

const childrenAccessor = (r: Rule): readonly Rule[] => (r.expanded ? r.children : []);
const idAccessor = (r: Rule): string => r.id;

function makeTree(data: Rule[], immutableData: boolean): TreeApi<Rule> {
  const props: TreeApi<Rule>['props'] = {
    data,
    childrenAccessor,
    idAccessor,
    openByDefault: true,
    immutableData,
  };
  const state = initialState();
  // Only getState is read while building; nothing is dispatched here.
  const store = { getState: () => state, dispatch: () => undefined, subscribe: () => () => {} };
  return new TreeApi<Rule>(
    store as unknown as ConstructorParameters<typeof TreeApi<Rule>>[0],
    props,
    { current: null },
    { current: null },
  );
}

const update = (tree: TreeApi<Rule>, data: Rule[]) => tree.update({ ...tree.props, data });

interface Row {
  id: string;
  level: number;
  rowIndex: number | null;
  childIndex: number;
  parent: string | null;
  number: string;
}

/** What the outline reads from the tree, row by row. */
function rows(tree: TreeApi<Rule>): Row[] {
  return tree.visibleNodes.map((n) => {
    const path: number[] = [];
    for (let p: NodeApi<Rule> | null = n; p && !p.isRoot; p = p.parent) path.push(p.childIndex + 1);
    return {
      id: n.id,
      level: n.level,
      rowIndex: n.rowIndex,
      childIndex: n.childIndex,
      parent: n.parent?.isRoot ? null : (n.parent?.id ?? null),
      number: path.reverse().join('.'),
    };
  });
}

/** The node tree mirrors the data: children, parents, positions, levels; the index is exact. */
function checkConsistent(tree: TreeApi<Rule>) {
  const walk = (node: NodeApi<Rule>, data: readonly Rule[]) => {
    expect(node.children?.length ?? 0).toBe(data.length);
    node.children?.forEach((child, i) => {
      expect(child.data).toBe(data[i]);
      expect(child.parent).toBe(node);
      expect(child.siblingIndex).toBe(i);
      expect(child.level).toBe(node.level + 1);
      walk(child, childrenAccessor(child.data));
    });
  };
  walk(tree.root, tree.props.data ?? []);
  expect(tree.idToNode.size).toBe(tree.visibleNodes.length);
  tree.visibleNodes.forEach((n, i) => {
    expect(tree.get(n.id)).toBe(n);
    expect(tree.indexOf(n.id)).toBe(i);
  });
}

function expectSameAsFresh(tree: TreeApi<Rule>, data: Rule[]) {
  checkConsistent(tree);
  expect(rows(tree)).toEqual(rows(makeTree(data, false)));
}

const rule = (id: string, children: Rule[] = [], expanded = true) =>
  createRule({ id, name: id, children, expanded });

const numbersOf = (tree: TreeApi<Rule>) => rows(tree).map((r) => `${r.number} ${r.id}`);

describe('react-arborist with immutableData (patched)', () => {
  it('keeps the nodes of unchanged subtrees and builds only the changed paths', () => {
    const big = rule(
      'big',
      Array.from({ length: 50 }, (_, i) => rule(`b${i}`)),
    );
    const doc = [rule('a', [rule('a1'), rule('a2')]), big, rule('c')];
    const tree = makeTree(doc, true);
    const bigNode = tree.get('big');
    const b7 = tree.get('b7');
    // Move a1 to the top level: `a` and the top-level list change, `big` does not.
    const moved = moveRules(doc, ['a1'], null, 3);
    update(tree, moved);
    expectSameAsFresh(tree, moved);
    expect(tree.get('big')).toBe(bigNode);
    expect(tree.get('b7')).toBe(b7);
    expect(numbersOf(tree).slice(0, 3)).toEqual(['1 a', '1.1 a2', '2 big']);
    expect(numbersOf(tree).at(-1)).toBe('4 a1');
  });

  it('a drag across levels, undo, redo, collapse and expand keep rows and numbers right', () => {
    const v0 = [
      rule('g1', [rule('x', [rule('x1'), rule('x2')]), rule('y')]),
      rule('g2', [rule('z')]),
      rule('last'),
    ];
    const tree = makeTree(v0, true);
    expect(numbersOf(tree)).toEqual([
      '1 g1',
      '1.1 x',
      '1.1.1 x1',
      '1.1.2 x2',
      '1.2 y',
      '2 g2',
      '2.1 z',
      '3 last',
    ]);
    // Drag x1 (level 2) to be g2's first child (level 1), then `last` into x.
    const v1 = moveRules(v0, ['x1'], 'g2', 0);
    update(tree, v1);
    expectSameAsFresh(tree, v1);
    expect(numbersOf(tree)).toEqual([
      '1 g1',
      '1.1 x',
      '1.1.1 x2',
      '1.2 y',
      '2 g2',
      '2.1 x1',
      '2.2 z',
      '3 last',
    ]);
    const v2 = moveRules(v1, ['last'], 'x', 0);
    update(tree, v2);
    expectSameAsFresh(tree, v2);
    // Undo twice (older documents come back as they were), redo once.
    update(tree, v1);
    expectSameAsFresh(tree, v1);
    update(tree, v0);
    expectSameAsFresh(tree, v0);
    expect(numbersOf(tree)[2]).toBe('1.1.1 x1');
    update(tree, v1);
    expectSameAsFresh(tree, v1);
    // Collapse g1, then expand it again.
    const v3 = setExpanded(v1, 'g1', false);
    update(tree, v3);
    expectSameAsFresh(tree, v3);
    expect(numbersOf(tree)).toEqual(['1 g1', '2 g2', '2.1 x1', '2.2 z', '3 last']);
    const v4 = setExpanded(v3, 'g1', true);
    update(tree, v4);
    expectSameAsFresh(tree, v4);
    expect(numbersOf(tree)).toEqual(numbersOf(makeTree(v1, false)));
  });

  it('any sequence of moves, inserts, deletes, disclosure and undo matches a fresh build', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('move' as const), a: fc.nat(), b: fc.nat(), at: fc.nat(4) }),
      fc.record({ kind: fc.constant('insert' as const), a: fc.nat() }),
      fc.record({ kind: fc.constant('delete' as const), a: fc.nat() }),
      fc.record({ kind: fc.constant('toggle' as const), a: fc.nat() }),
      fc.record({ kind: fc.constant('undo' as const), a: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 25 }), (ops) => {
        let seq = 0;
        const leaf = () => rule(`n${seq++}`);
        const start = [
          rule('p', [leaf(), rule('q', [leaf(), leaf()]), leaf()]),
          rule('r', [leaf(), leaf()]),
          leaf(),
        ];
        const history: Rule[][] = [start];
        let doc = start;
        const tree = makeTree(doc, true);
        const ids = (rules: readonly Rule[]): string[] =>
          rules.flatMap((r) => [r.id, ...ids(r.children)]);
        for (const o of ops) {
          const all = ids(doc);
          const pick = (n: number) => all[n % Math.max(1, all.length)];
          if (o.kind === 'move') {
            const id = pick(o.a);
            const target = o.b % 3 === 0 ? null : pick(o.b);
            if (id) doc = moveRules(doc, [id], target ?? null, o.at);
          } else if (o.kind === 'insert') {
            const id = pick(o.a);
            doc = id ? insertSibling(doc, id, [leaf()]) : [leaf()];
          } else if (o.kind === 'delete') {
            const id = pick(o.a);
            if (id) doc = deleteRules(doc, [id]);
          } else if (o.kind === 'toggle') {
            const id = pick(o.a);
            const r = id ? all.indexOf(id) : -1;
            if (id && r >= 0) doc = setExpanded(doc, id, o.a % 2 === 0);
          } else {
            doc = history[o.a % history.length] ?? doc;
          }
          history.push(doc);
          update(tree, doc);
          expectSameAsFresh(tree, doc);
        }
      }),
      { numRuns: 150 },
    );
  });
});

// Moving rules by dragging where the outline's levels meet, in Chromium against `treewall serve`:
// a child dragged a little left goes beside its group, a drop under the last row makes the last
// top-level rule; each shows its drop line first, is one undoable move, and the numbers follow.

import { createRule } from '../shared/model/tree.ts';
import type { Rule } from '../shared/model/types.ts';
import { document } from './pages/documents.ts';
import { expect, test } from './pages/fixtures.ts';

const rule = (name: string, children: Rule[] = []) =>
  createRule({ name, expanded: children.length > 0, children });

test('a child dragged a little left, under its group, lands beside the group', async ({ ui }) => {
  const { outline, page } = ui;
  await ui.openWith('out.treewall', document([rule('g', [rule('a'), rule('b')]), rule('last')]));
  const before = ['1 g', '1.1 a', '1.2 b', '2 last'];
  const moved = ['1 g', '1.1 a', '2 b', '3 last'];
  await expect.poll(() => outline.outlineText()).toEqual(before);

  // b's number moved left until it is under g's number, just below b's own row.
  await outline.dragTo('1.2', await outline.gapBelow('1.2', '1'));
  await expect(outline.dropLine()).toBeVisible();
  await expect(outline.dropLine()).toHaveAttribute('data-level', '0');
  await expect(page.getByTestId('drop-refused')).toHaveCount(0);
  await page.mouse.up();
  await expect.poll(() => outline.outlineText()).toEqual(moved);
  await expect(outline.dropLine()).toHaveCount(0);

  // One move: a single undo and redo.
  await outline.undo();
  await expect.poll(() => outline.outlineText()).toEqual(before);
  await outline.redo();
  await expect.poll(() => outline.outlineText()).toEqual(moved);
  await outline.undo();
  await expect.poll(() => outline.outlineText()).toEqual(before);

  // Under the child's own number the same gap keeps it inside the group (nothing moves).
  await outline.dragTo('1.2', await outline.gapBelow('1.2', '1.1'));
  await expect(outline.dropLine()).toHaveAttribute('data-level', '1');
  await page.mouse.up();
  await expect.poll(() => outline.outlineText()).toEqual(before);

  // The group itself, to that gap at its children's level, would go inside itself: refused, and
  // it says why (no drop line); released there, nothing moves.
  await outline.dragTo('1', await outline.gapBelow('1.2', '1.1'));
  await expect(page.getByTestId('drop-refused')).toContainText('inside itself');
  await expect(outline.dropLine()).toHaveCount(0);
  await page.mouse.up();
  await expect(page.getByTestId('drop-refused')).toHaveCount(0);
  await expect.poll(() => outline.outlineText()).toEqual(before);
});

test('a rule dropped under the last row becomes the last top-level rule', async ({ ui }) => {
  const { outline, page } = ui;
  await ui.openWith(
    'end.treewall',
    document([rule('g', [rule('a'), rule('b')]), rule('h', [rule('c')])]),
  );
  const before = ['1 g', '1.1 a', '1.2 b', '2 h', '2.1 c'];
  const moved = ['1 g', '1.1 b', '2 h', '2.1 c', '3 a'];
  await expect.poll(() => outline.outlineText()).toEqual(before);

  // The last row is a child (c), the pointer is over the name column: still the top level.
  await outline.dragTo('1.1', await outline.belowLastRow());
  await expect(outline.dropLine()).toBeVisible();
  await expect(outline.dropLine()).toHaveAttribute('data-level', '0');
  await page.mouse.up();
  await expect.poll(() => outline.outlineText()).toEqual(moved);

  await outline.undo();
  await expect.poll(() => outline.outlineText()).toEqual(before);
  await outline.redo();
  await expect.poll(() => outline.outlineText()).toEqual(moved);

  // A group dropped there goes with its children.
  await outline.dragTo('1', await outline.belowLastRow());
  await expect(outline.dropLine()).toHaveAttribute('data-level', '0');
  await page.mouse.up();
  await expect.poll(() => outline.outlineText()).toEqual(['1 h', '1.1 c', '2 a', '3 g', '3.1 b']);
});

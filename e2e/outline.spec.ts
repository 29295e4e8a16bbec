// The outline by hand, in Chromium against `treewall serve`: building, enabling, moving and
// editing rules, each undone and redone.

import { createRule } from '../shared/model/tree.ts';
import type { Rule } from '../shared/model/types.ts';
import { document, emptyDocument, smallDocument } from './pages/documents.ts';
import { expect, test } from './pages/fixtures.ts';

test('building a three-level tree by clicking, then undo and redo', async ({ ui }) => {
  const { outline } = ui;
  await ui.openWith('empty.treewall', emptyDocument());
  await expect(outline.rows).toHaveCount(0);

  await outline.addRule();
  await expect.poll(() => outline.numbers()).toEqual(['1']);
  await outline.choose('1', 'property', 'Direction');
  await outline.type('1', 'value', 'inbound');

  await outline.select('1');
  await outline.addChild();
  await expect.poll(() => outline.numbers()).toEqual(['1', '1.1']);
  await outline.choose('1.1', 'property', 'Protocol');
  await outline.type('1.1', 'value', 'tcp');

  await outline.select('1.1');
  await outline.addChild();
  await expect.poll(() => outline.numbers()).toEqual(['1', '1.1', '1.1.1']);
  await outline.choose('1.1.1', 'property', 'Dest port');
  await outline.type('1.1.1', 'value', '443');
  await outline.choose('1.1.1', 'action', 'Pass');

  // A sibling of 1.1.1 (the selected row is a leaf, so New adds after it).
  await outline.select('1.1.1');
  await outline.addRule();
  await expect.poll(() => outline.numbers()).toEqual(['1', '1.1', '1.1.1', '1.1.2']);

  const built = await outline.snapshot();
  expect(built[2]).toMatchObject({ property: 'Dest port', value: '443', action: 'Pass' });
  expect(built[1]).toMatchObject({ property: 'Protocol', value: 'tcp' });

  // Undo the sibling, then the Pass action: one step each.
  await outline.undo();
  await expect.poll(() => outline.numbers()).toEqual(['1', '1.1', '1.1.1']);
  await outline.undo();
  await expect(outline.cell('1.1.1', 'action')).toContainText('->');
  await outline.redo();
  await expect(outline.cell('1.1.1', 'action')).toContainText('Pass');
  await outline.redo();
  await expect.poll(() => outline.numbers()).toEqual(['1', '1.1', '1.1.1', '1.1.2']);
});

test('unchecking a parent greys its children; undo and redo', async ({ ui }) => {
  const { outline } = ui;
  await ui.openWith('small.treewall', smallDocument());
  await expect(outline.rowByNumber('1.1')).toHaveAttribute('data-active', 'true');

  await outline.toggleEnabled('1');
  await expect(outline.rowByNumber('1')).toHaveAttribute('data-active', 'false');
  await expect(outline.rowByNumber('1.1')).toHaveAttribute('data-active', 'false');
  await expect(outline.rowByNumber('1.2')).toHaveAttribute('data-active', 'false');
  // The children keep their own checkboxes: only the parent changed.
  await expect(outline.rowByNumber('1.1').getByTestId('enable')).toBeChecked();
  await expect(outline.rowByNumber('3')).toHaveAttribute('data-active', 'true');

  await outline.undo();
  await expect(outline.rowByNumber('1.1')).toHaveAttribute('data-active', 'true');
  await expect(outline.rowByNumber('1').getByTestId('enable')).toBeChecked();
  await outline.redo();
  await expect(outline.rowByNumber('1.2')).toHaveAttribute('data-active', 'false');

  // Space toggles the selected rule from the keyboard.
  await outline.select('3');
  await ui.page.keyboard.press('Space');
  await expect(outline.rowByNumber('3').getByTestId('enable')).not.toBeChecked();
});

test('drag and drop reparents a rule and renumbers; undo and redo', async ({ ui }) => {
  const { outline } = ui;
  await ui.openWith('small.treewall', smallDocument());
  await expect.poll(() => outline.numbers()).toEqual(['1', '1.1', '1.2', '2', '3']);

  // Rule 3 ("last") onto rule 1: it becomes 1.1 and the old children shift down.
  await outline.dragOnto('3', '1');
  await expect.poll(() => outline.numbers()).toEqual(['1', '1.1', '1.2', '1.3', '2']);
  await expect(outline.cell('1.1', 'name')).toHaveText('last');
  await expect(outline.cell('1.2', 'name')).toHaveText('ssh');

  await outline.undo();
  await expect.poll(() => outline.numbers()).toEqual(['1', '1.1', '1.2', '2', '3']);
  await expect(outline.cell('3', 'name')).toHaveText('last');
  await outline.redo();
  await expect(outline.cell('1.1', 'name')).toHaveText('last');
});

test('a port of 70000 shows an error on the row and blocks Apply; undo clears it', async ({
  ui,
}) => {
  const { outline } = ui;
  await ui.openWith('small.treewall', smallDocument());

  // Validated as you type, before Enter.
  await outline.type('1.1', 'value', '70000', { commit: false });
  await expect(outline.editProblem()).toContainText('70000');
  await ui.page.getByTestId('edit-value').press('Enter');
  await expect(outline.rowByNumber('1.1')).toHaveAttribute('data-invalid', 'true');
  await expect(outline.cell('1.1', 'value')).toHaveAttribute('title', /70000.*range/);

  await ui.apply();
  await expect(ui.problems).toBeVisible();
  await expect.poll(() => ui.blockingNumbers()).toEqual(['1.1']);
  await expect(ui.problems).toContainText('65535');

  // The link selects and reveals the rule, even inside a collapsed parent.
  await outline.collapse('1');
  await ui.problems.getByTestId('problem-link').click();
  await expect(outline.rowByNumber('1.1')).toHaveAttribute('aria-selected', 'true');

  await outline.undo();
  await expect(outline.cell('1.1', 'value')).toHaveText('22');
  await expect(outline.rowByNumber('1.1')).not.toHaveAttribute('data-invalid', 'true');
  // The list follows the edits: with the problem gone it closes by itself.
  await expect(ui.problems).toHaveCount(0);
  await outline.redo();
  await expect(outline.rowByNumber('1.1')).toHaveAttribute('data-invalid', 'true');
});

test('keyboard: arrows move, Enter edits, Ctrl+N adds, Delete removes', async ({ ui }) => {
  const { outline, page } = ui;
  await ui.openWith('small.treewall', smallDocument());
  await outline.select('1.1');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await page.getByTestId('edit-name').fill('https');
  await page.keyboard.press('Enter');
  await expect(outline.cell('1.2', 'name')).toHaveText('https');

  await outline.select('2');
  await page.keyboard.press('ArrowRight');
  await expect.poll(() => outline.numbers()).toEqual(['1', '1.1', '1.2', '2', '2.1', '3']);
  await page.keyboard.press('ArrowLeft');
  await expect.poll(() => outline.numbers()).toEqual(['1', '1.1', '1.2', '2', '3']);

  await page.keyboard.press('Control+n');
  await expect.poll(() => outline.numbers()).toEqual(['1', '1.1', '1.2', '2', '3', '4']);
  await outline.select('4');
  await page.keyboard.press('Delete');
  await expect.poll(() => outline.numbers()).toEqual(['1', '1.1', '1.2', '2', '3']);
});

test('a double-click on a value while a large outline is still scrolling edits it', async ({
  ui,
}) => {
  // react-window ignored the pointer (pointer-events: none on its rows) until 150 ms after the
  // last scroll it had handled: a double-click just after the wheel, or on a busy machine, fell
  // on the list's background and no editor opened.
  const { outline, page } = ui;
  const rules = Array.from({ length: 2000 }, (_, i) =>
    createRule({
      name: `r${i + 1}`,
      property: 'Dest port',
      value: String(1000 + i),
      action: 'Pass',
    }),
  );
  await ui.openWith('large.treewall', document(rules));
  await outline.wheel(22 * 400);
  expect(await outline.scrollTop()).toBeGreaterThan(0);
  await expect(outline.rowByNumber('410')).toBeVisible();
  await outline.whileScrolling(() => outline.doubleClickOnScreen('410', 'value'));
  const input = page.getByTestId('edit-value');
  await expect(input).toBeFocused();
  await input.fill('8080');
  await input.press('Enter');
  await expect(outline.cell('410', 'value')).toHaveText('8080');
});

test('the filter shows matching rules with their ancestors and original numbers', async ({
  ui,
}) => {
  const { outline } = ui;
  await ui.openWith('small.treewall', smallDocument());
  await outline.filter('anything');
  await expect.poll(() => outline.numbers()).toEqual(['2', '2.1']);
  await outline.filter('');
  await expect.poll(() => outline.numbers()).toEqual(['1', '1.1', '1.2', '2', '3']);
});

test('Alt-click expands and collapses a whole subtree; Expand all opens every rule', async ({
  ui,
}) => {
  const { outline, page } = ui;
  await ui.menu('File', 'New'); // the factory default document
  await expect(page).toHaveTitle('Untitled — treewall');
  await outline.collapseAll();
  await expect.poll(() => outline.numbers()).toEqual(['1', '2']);
  await outline.expand('2');
  await outline.expand('2.6', { subtree: true });
  await expect.poll(() => outline.numbers()).toContain('2.6.1.1.1.1');
  // Alt-click on the open triangle closes 2.6 and everything below it.
  await outline
    .rowByNumber('2.6')
    .getByTestId('disclosure')
    .click({ modifiers: ['Alt'] });
  await expect.poll(() => outline.numbers()).not.toContain('2.6.1');
  await outline.expand('2.6');
  await expect.poll(() => outline.numbers()).toContain('2.6.1');
  expect(await outline.numbers()).not.toContain('2.6.1.1');

  // Expand all opens even the rules nobody opened before (the outline is virtual: look near the top).
  await outline.expandAll();
  await expect.poll(() => outline.numbers()).toContain('1.3.1');
  await expect.poll(() => outline.numbers()).toContain('2.1.1');
});

// The outline's react-arborist keeps the nodes of unchanged subtrees across edits (patches/):
// after a move across levels, undo (an older document), disclosure and redo, every row must
// still show its own rule with the right number, and the keyboard must walk the new order.
test('a drag across levels, undo, collapse and expand, redo: rows, numbers and arrows follow', async ({
  ui,
}) => {
  const { outline, page } = ui;
  const rule = (name: string, children: Rule[] = []) =>
    createRule({ name, expanded: children.length > 0, children });
  await ui.openWith(
    'levels.treewall',
    document([
      rule('g1', [rule('x', [rule('x1'), rule('x2')]), rule('y')]),
      rule('g2', [rule('z')]),
      rule('last'),
    ]),
  );
  const before = ['1 g1', '1.1 x', '1.1.1 x1', '1.1.2 x2', '1.2 y', '2 g2', '2.1 z', '3 last'];
  const moved = ['1 g1', '1.1 x', '1.1.1 x2', '1.2 y', '2 g2', '2.1 x1', '2.2 z', '3 last'];
  await expect.poll(() => outline.outlineText()).toEqual(before);

  // x1 (level 3) onto g2 (level 1): it becomes g2's first child.
  await outline.dragOnto('1.1.1', '2');
  await expect.poll(() => outline.outlineText()).toEqual(moved);
  // The keyboard walks the new order: up from `last` is z, then x1 (arrows move the focus).
  await outline.select('3');
  await page.keyboard.press('ArrowUp');
  await expect(outline.rowByNumber('2.2')).toBeFocused();
  await page.keyboard.press('ArrowUp');
  await expect(outline.rowByNumber('2.1')).toBeFocused();
  await expect(outline.cell('2.1', 'name')).toHaveText('x1');

  await outline.undo();
  await expect.poll(() => outline.outlineText()).toEqual(before);
  await outline.collapse('1');
  await expect.poll(() => outline.outlineText()).toEqual(['1 g1', '2 g2', '2.1 z', '3 last']);
  await outline.expand('1');
  await expect.poll(() => outline.outlineText()).toEqual(before);
  await outline.collapse('1.1');
  await expect
    .poll(() => outline.outlineText())
    .toEqual(['1 g1', '1.1 x', '1.2 y', '2 g2', '2.1 z', '3 last']);
  await outline.expand('1.1');

  await outline.redo();
  await expect.poll(() => outline.outlineText()).toEqual(moved);
  await outline.select('1.1.1');
  await page.keyboard.press('ArrowDown');
  await expect(outline.rowByNumber('1.2')).toBeFocused();
  await expect(outline.cell('1.2', 'name')).toHaveText('y');
});

// Scrolling hands the rows that leave the outline to the rules that enter it (`recycleRows`,
// patches/): every row must still show its own rule (number, name, checkbox, greying, triangle),
// a focused checkbox must not end up on another rule's row, a drag must move the rule under the
// pointer, and once the scrolling stops the rows are in the document's order again.
test('rows handed on while scrolling show their own rules; focus, drag and order follow', async ({
  ui,
}) => {
  const { outline, page } = ui;
  const rules = Array.from({ length: 300 }, (_, i) =>
    createRule({
      name: `r${i + 1}`,
      enabled: i % 3 !== 1,
      expanded: i % 10 === 4,
      children: i % 5 === 4 ? [createRule({ name: `c${i + 1}` })] : [],
    }),
  );
  await ui.openWith('many.treewall', document(rules));
  await expect(outline.rowByNumber('1')).toBeVisible();

  /** What is wrong with the rendered rows: a row not showing its rule, or (`inOrder`) a row out of
   * the document's order. */
  const wrongRows = async (inOrder: boolean) => {
    const shown = await outline.rows.evaluateAll((rows) =>
      rows.map((r) => ({
        number: r.querySelector('[data-testid="rule-number"]')?.textContent ?? '',
        name: r.querySelector('[data-testid="cell-name"]')?.textContent ?? '',
        checked: (r.querySelector('[data-testid="enable"]') as HTMLInputElement | null)?.checked,
        active: r.getAttribute('data-active'),
        open: r.querySelector('[data-testid="disclosure"]')?.classList.contains('open') ?? null,
      })),
    );
    const problems: string[] = [];
    let last = -1;
    for (const row of shown) {
      const [top = 0, child] = row.number.split('.').map(Number);
      const rule = rules[top - 1];
      if (!rule) {
        problems.push(`row ${row.number}: no such rule`);
        continue;
      }
      const shownRule = child ? rule.children[child - 1] : rule;
      if (row.name !== shownRule?.name) problems.push(`row ${row.number} shows ${row.name}`);
      if (row.checked !== shownRule?.enabled) problems.push(`row ${row.number}: checkbox`);
      if (row.active !== String(rule.enabled && (shownRule?.enabled ?? false)))
        problems.push(`row ${row.number}: greying`);
      const open = shownRule?.children.length ? shownRule.expanded : null;
      if (row.open !== open) problems.push(`row ${row.number}: triangle`);
      const place = top + (child ?? 0) / 10;
      if (inOrder && place < last) problems.push(`row ${row.number} out of order`);
      last = place;
    }
    return problems;
  };
  const scroll = async (dy: number) => {
    for (let i = 0; i < 20; i++) {
      await page.mouse.wheel(0, dy);
      await page.waitForTimeout(20);
      expect(await wrongRows(false)).toEqual([]);
    }
    await expect.poll(() => wrongRows(true)).toEqual([]);
  };

  // Focus a checkbox (the keyboard's place), then scroll it far out of sight.
  await outline.rowByNumber('3').getByTestId('enable').focus();
  await page.getByTestId('outline').hover();
  await scroll(200);
  await expect(outline.rowByNumber('3')).toHaveCount(0);
  // The focus is on no other rule's row: Space toggles nothing shown.
  const focusedRow = await page.evaluate(
    () =>
      window.document.activeElement?.closest('[data-rule-id]')?.getAttribute('data-rule-id') ??
      null,
  );
  expect([null, rules[2]!.id]).toContain(focusedRow);
  await page.keyboard.press('Space');
  await expect.poll(() => wrongRows(true)).toEqual([]);

  // A drag after scrolling moves the rule under the pointer into the open group it is dropped
  // on (the rows below it move up one).
  const numbers = await outline.numbers();
  const onto = numbers.filter((n) => !n.includes('.') && rules[Number(n) - 1]!.expanded)[2]!;
  const from = String(Number(onto) + 3);
  await outline.dragOnto(from, onto);
  await expect(outline.cell(`${onto}.1`, 'name')).toHaveText(`r${from}`);
  await expect(outline.cell(from, 'name')).toHaveText(`r${Number(from) + 1}`);
  await outline.undo();
  await expect(outline.cell(from, 'name')).toHaveText(`r${from}`);
  await expect.poll(() => wrongRows(true)).toEqual([]);

  // Back up: every row on the way shows its rule, and rule 3 was left alone.
  await scroll(-200);
  await expect(outline.rowByNumber('3').getByTestId('enable')).toBeChecked();
});

// The menu marks (▾) show on the row under the pointer while the list stands still, not while it
// scrolls (styles.css, outline.tsx: a hover change on every scrolled frame repainted every row),
// and come back once it stops; the selected row keeps its marks throughout.
test('hover marks rest while the list scrolls and come back when it stops', async ({ ui }) => {
  const { outline, page } = ui;
  const rules = Array.from({ length: 300 }, (_, i) => createRule({ name: `r${i + 1}` }));
  await ui.openWith('many.treewall', document(rules));
  await outline.select('2');
  const mark = (number: string) =>
    outline
      .rowByNumber(number)
      .getByTestId('cell-property')
      .evaluate((el) => getComputedStyle(el, '::after').visibility);
  const hovered = async () => {
    const box = await outline.rowByNumber('5').boundingBox();
    if (!box) throw new Error('row 5 is not on screen');
    return box;
  };
  const box = await hovered();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await expect.poll(() => mark('5')).toBe('visible');
  await expect.poll(() => mark('6')).toBe('hidden');

  // Scrolling by a row a frame from the page (as the benchmark does): the rule under the pointer
  // changes on every frame; while the outline says it scrolls (a scroll event came less than
  // 150 ms ago: a loaded machine may leave longer gaps between frames), no row shows the marks
  // for the pointer.
  const seen = await page.evaluate(
    () =>
      new Promise<{ scrolling: number; visible: number }>((resolve) => {
        const body = window.document.querySelector('[data-testid="outline"]')!;
        const scroller = body.querySelector('[role="rowgroup"] > div')!;
        const seen = { scrolling: 0, visible: 0 };
        let frames = 0;
        const frame = () => {
          scroller.scrollTop += 22;
          if (body.classList.contains('scrolling')) {
            seen.scrolling++;
            for (const row of body.querySelectorAll('[data-testid="rule-row"]:hover')) {
              if (row.classList.contains('selected')) continue;
              const cell = row.querySelector('[data-testid="cell-property"]')!;
              if (getComputedStyle(cell, '::after').visibility === 'visible') seen.visible++;
            }
          }
          if (++frames < 20) requestAnimationFrame(frame);
          else resolve(seen);
        };
        requestAnimationFrame(frame);
      }),
  );
  expect(seen.scrolling).toBeGreaterThan(0);
  expect(seen.visible).toBe(0);
  // Standing still again: the row under the pointer shows its marks.
  await expect
    .poll(() =>
      page.evaluate(() => {
        const row = window.document.querySelector('[data-testid="rule-row"]:hover');
        const cell = row?.querySelector('[data-testid="cell-property"]');
        return cell ? getComputedStyle(cell, '::after').visibility : 'no row';
      }),
    )
    .toBe('visible');
  await expect(page.getByTestId('outline').locator('.scrolling')).toHaveCount(0);
  // The selected row kept its marks; scrolled back to it, they are there.
  await page
    .getByTestId('outline')
    .locator('[role="rowgroup"] > div')
    .evaluate((scroller) => (scroller.scrollTop = 0));
  await expect.poll(() => mark('2')).toBe('visible');
});

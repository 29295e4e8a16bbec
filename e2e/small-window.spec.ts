// Issue 14 point 5: everything reachable in a small window. At 900×600 every toolbar command is
// either on the toolbar, inside the window, or in its "More" menu (inside the window too); each
// one runs from where it is; the menu bar's dropdowns and the outline's menus stay inside.

import type { Locator, Page } from '@playwright/test';
import { smallDocument } from './pages/documents.ts';
import { expect, test } from './pages/fixtures.ts';

test.use({ withHelper: true, viewport: { width: 900, height: 600 } });

const TOOLBAR_COMMANDS = [
  'rule.newSibling',
  'rule.newChild',
  'rule.duplicate',
  'edit.delete',
  'edit.undo',
  'edit.redo',
  'view.expandAll',
  'view.collapseAll',
  'firewall.showActive',
  'firewall.revert',
  'firewall.apply',
] as const;

async function inside(page: Page, locator: Locator): Promise<void> {
  const box = await locator.boundingBox();
  const size = page.viewportSize()!;
  expect(box, 'visible').not.toBeNull();
  expect(box!.x).toBeGreaterThanOrEqual(0);
  expect(box!.y).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width).toBeLessThanOrEqual(size.width);
  expect(box!.y + box!.height).toBeLessThanOrEqual(size.height);
}

/** The command's toolbar button, or its item in "More" (opened): whichever the toolbar has. */
async function reach(page: Page, command: string): Promise<Locator> {
  const button = page.getByTestId(`tool-${command}`);
  if (await button.isVisible()) return button;
  const more = page.getByTestId('more-menu');
  if (!(await more.isVisible())) await page.getByTestId('tool-more').click();
  return more.getByTestId(`more-${command}`);
}

test('at 900×600 every toolbar command is reachable inside the window and runs', async ({ ui }) => {
  const { page } = ui;
  await ui.openWith('small.treewall', smallDocument());
  await expect(ui.helperStatus).toContainText('Helper connected');
  // Something folded into More; the switch and Apply are on the toolbar, inside the window.
  await expect(page.getByTestId('tool-more')).toBeVisible();
  await inside(page, page.getByTestId('tool-firewall.apply'));
  await inside(page, page.getByTestId('firewall-toggle'));
  await inside(page, page.getByTestId('tool-more'));
  await inside(page, page.getByTestId('filter'));
  for (const command of TOOLBAR_COMMANDS) {
    const target = await reach(page, command);
    await inside(page, target);
    await page.keyboard.press('Escape');
  }

  // Each one runs from where it is.
  await ui.outline.select('3');
  const run = async (command: string) => (await reach(page, command)).click();
  await run('rule.duplicate');
  await expect.poll(() => ui.outline.numbers()).toEqual(['1', '1.1', '1.2', '2', '3', '4']);
  await run('edit.delete');
  await expect.poll(() => ui.outline.numbers()).toEqual(['1', '1.1', '1.2', '2', '3']);
  await run('edit.undo');
  await expect.poll(() => ui.outline.numbers()).toHaveLength(6);
  await run('edit.redo');
  await expect.poll(() => ui.outline.numbers()).toHaveLength(5);
  await run('view.expandAll');
  await expect(ui.outline.rowByNumber('2.1')).toBeVisible();
  await run('view.collapseAll');
  await expect(ui.outline.rowByNumber('1.1')).toHaveCount(0);
  await ui.outline.select('1');
  await run('rule.newChild');
  await expect(ui.outline.rowByNumber('1.1')).toBeVisible();
  await run('rule.newSibling');
  await run('firewall.apply');
  await ui.confirmBanner.getByRole('button', { name: 'Keep' }).click();
  await expect(ui.confirmBanner).toHaveCount(0);
  await run('firewall.showActive');
  await expect(page.getByTestId('active-dialog')).toBeVisible();
  await inside(page, page.getByTestId('active-dialog'));
  await page.getByTestId('active-dialog').getByRole('button', { name: 'Close' }).click();
  await run('firewall.revert');
  await ui.answer('Cancel');
  await page.getByTestId('firewall-toggle').click();
  await expect(ui.helperStatus).toContainText('firewall off');
  await page.screenshot({ path: test.info().outputPath('small.png') });
});

test('at 900×600 menus stay inside the window', async ({ ui }) => {
  const { page } = ui;
  await ui.openWith('small.treewall', smallDocument());
  // Every column, the statistics too, fits: the wide ones narrow instead of running off.
  await inside(page, page.getByRole('columnheader', { name: /Matches/ }));
  await inside(page, ui.outline.cell('1.1', 'parameter'));
  for (const menu of ['File', 'Edit', 'Rule', 'View', 'Firewall']) {
    await page.getByRole('menubar').getByRole('menuitem', { name: menu, exact: true }).click();
    await inside(page, page.getByRole('menu', { name: menu }));
    // One line per entry: a long label widens the menu instead of wrapping.
    const heights = await page
      .getByRole('menu', { name: menu })
      .getByRole('menuitem')
      .evaluateAll((items) => items.map((i) => i.getBoundingClientRect().height));
    expect(Math.max(...heights), `${menu} entries`).toBeLessThan(1.5 * Math.min(...heights));
    await page.keyboard.press('Escape');
  }
  // The action menu of the last column's neighbour: wide (descriptions), kept inside.
  await ui.outline.cell('3', 'action').click();
  const box = await page.getByTestId('menu-action').boundingBox();
  expect(box!.x + box!.width).toBeLessThanOrEqual(900);
  await page.keyboard.press('Escape');
  // The row's context menu near the bottom right corner.
  await ui.outline.rowByNumber('3').getByTestId('cell-parameter').click({ button: 'right' });
  await inside(page, page.getByTestId('row-context-menu'));
});

// The rows' right-click menu: it selects the row it opened on, and its items run the same
// commands as the toolbar and the Edit menu (duplicate, enable/disable, copy/paste, delete, new).

import { smallDocument } from './pages/documents.ts';
import { expect, test } from './pages/fixtures.ts';

test('right-click on a row: duplicate, disable/enable, copy and paste, delete, new child', async ({
  ui,
}) => {
  const { outline, page } = ui;
  await ui.openWith('small.treewall', smallDocument());
  const names = async () => (await outline.snapshot()).map((r) => `${r.number} ${r.name}`);
  await expect.poll(names).toContain('1.2 web');

  // A right-click outside the selection selects the row first.
  await outline.select('1.1');
  await outline.rowByNumber('1.2').getByTestId('rule-number').click({ button: 'right' });
  await expect(outline.rowByNumber('1.2')).toHaveAttribute('aria-selected', 'true');
  await expect(outline.rowByNumber('1.1')).not.toHaveAttribute('aria-selected', 'true');
  const menu = page.getByRole('menu', { name: 'Rule' });
  await expect(menu).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(menu).toHaveCount(0);

  await outline.contextMenu('1.2', 'Duplicate');
  await expect.poll(names).toEqual(expect.arrayContaining(['1.2 web', '1.3 web']));

  await outline.contextMenu('1.1', 'Disable');
  await expect(outline.rowByNumber('1.1').getByTestId('enable')).not.toBeChecked();
  await outline.contextMenu('1.1', 'Enable');
  await expect(outline.rowByNumber('1.1').getByTestId('enable')).toBeChecked();

  await outline.contextMenu('1.3', 'Delete');
  await expect.poll(names).not.toContain('1.3 web');

  const before = (await names()).length;
  await outline.contextMenu('3', 'Copy');
  await outline.contextMenu('1.1', 'Paste');
  await expect.poll(names).toContain('1.2 last');
  expect((await names()).length).toBe(before + 1);

  await outline.contextMenu('1.1', 'New child');
  await expect.poll(async () => (await names()).length).toBe(before + 2);
  await expect.poll(names).toContain('1.1.1 ');
});

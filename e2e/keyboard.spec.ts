// Issue 14 point 4: everything from the keyboard. A keyboard-only run builds a three-level
// policy from an empty document (Ctrl+N, Ctrl+Shift+N, Enter and Tab through the six fields,
// the property/relation/action menus opened by Tab and chosen with letters and Enter) and
// applies it (Ctrl+Enter, Enter on Keep) into a real helper; the menu bar follows the WAI-ARIA
// menu bar pattern; the row's context menu opens with Shift+F10 and reaches the field menus; the
// outline is a WAI-ARIA treegrid (column headers, rows with level, place and state, gridcells).

import type { Page } from '@playwright/test';
import { documentToXml } from '../shared/plist/document.ts';
import { smallDocument } from './pages/documents.ts';
import { expect, test } from './pages/fixtures.ts';

/** In an open property/relation/action menu: press the name's first letter until it is the
 * active item, then Enter. Keyboard only. */
async function pick(page: Page, field: 'property' | 'relation' | 'action', name: string) {
  const menu = page.getByTestId(`menu-${field}`);
  await expect(menu).toBeFocused();
  const active = menu.locator('.menu-item.active .menu-name');
  for (let i = 0; i < 40 && (await active.textContent()) !== name; i++) {
    await page.keyboard.press(name[0]!);
  }
  await expect(active).toHaveText(name);
  await page.keyboard.press('Enter');
  await expect(menu).toHaveCount(0);
}

/** The focused row's six fields, from its name: Enter, then Tab through them. */
async function fillRule(
  page: Page,
  rule: { name: string; property: string; value: string; action: string },
) {
  const k = page.keyboard;
  await k.press('Enter');
  await expect(page.getByTestId('edit-name')).toBeFocused();
  await k.type(rule.name);
  await k.press('Tab');
  // Property menu, open at the cell.
  const property = page.getByTestId('menu-property');
  await expect(property).toBeFocused();
  const active = property.locator('.menu-item.active .menu-name');
  for (let i = 0; i < 40 && (await active.textContent()) !== rule.property; i++) {
    await k.press(rule.property[0]!);
  }
  await expect(active).toHaveText(rule.property);
  await k.press('Tab'); // Tab moves on without picking: pick with Enter instead
  // Tab left the property unchanged: go back (Shift+Tab) and pick with Enter.
  await expect(page.getByTestId('menu-relation')).toBeFocused();
  await k.press('Shift+Tab');
  await pick(page, 'property', rule.property);
  // Enter gave the row back; P / R / A open the menus directly, and Tab continues from them.
  await k.press('r');
  await expect(page.getByTestId('menu-relation')).toBeFocused();
  await k.press('Tab');
  await expect(page.getByTestId('edit-value')).toBeFocused();
  await k.type(rule.value);
  await k.press('Tab');
  await pick(page, 'action', rule.action);
}

test.describe('with a helper', () => {
  test.use({ withHelper: true });
  test('keyboard only: build a three-level policy and apply it', async ({ ui, helper }) => {
    test.setTimeout(90_000);
    const { page } = ui;
    const k = page.keyboard;
    await ui.openWith('kb.treewall', smallDocument());
    await expect(ui.helperStatus).toContainText('Helper connected');
    // Empty the outline from the keyboard: Tab to it, select all, delete.
    const inOutline = () =>
      page.evaluate(
        () => document.activeElement?.closest('[role="treegrid"] [role="rowgroup"]') !== null,
      );
    for (let i = 0; i < 40 && !(await inOutline()); i++) await k.press('Tab');
    expect(await inOutline()).toBe(true);
    await k.press('Control+a');
    await k.press('Delete');
    await expect(ui.outline.rowByNumber('1')).toHaveCount(0);

    // 1 inbound: Direction == inbound ->
    await k.press('Control+n');
    await expect(ui.outline.rowByNumber('1')).toHaveAttribute('aria-selected', 'true');
    await fillRule(page, {
      name: 'inbound',
      property: 'Direction',
      value: 'inbound',
      action: '->',
    });
    // 1.1 tcp: Protocol == tcp ->
    await k.press('Control+Shift+n');
    await expect(ui.outline.rowByNumber('1.1')).toHaveAttribute('aria-selected', 'true');
    await fillRule(page, { name: 'tcp', property: 'Protocol', value: 'tcp', action: '->' });
    // 1.1.1 ssh: Dest port == 22 Pass
    await k.press('Control+Shift+n');
    await expect(ui.outline.rowByNumber('1.1.1')).toHaveAttribute('aria-selected', 'true');
    await fillRule(page, { name: 'ssh', property: 'Dest port', value: '22', action: 'Pass' });
    // 2 last: Any Delete — ← goes to the parent, or collapses an expanded rule: up to 1.1,
    // collapse it, up to 1, collapse it; then a new rule after it.
    await k.press('ArrowLeft');
    await expect(ui.outline.rowByNumber('1.1')).toHaveAttribute('aria-selected', 'true');
    await k.press('ArrowLeft');
    await k.press('ArrowLeft');
    await expect(ui.outline.rowByNumber('1')).toHaveAttribute('aria-selected', 'true');
    await k.press('ArrowLeft');
    await expect(ui.outline.rowByNumber('1.1')).toHaveCount(0);
    await k.press('Control+n');
    await expect(ui.outline.rowByNumber('2')).toHaveAttribute('aria-selected', 'true');
    await k.press('a');
    await pick(page, 'action', 'Delete');

    await k.press('ArrowLeft'); // nothing to collapse: stays
    await k.press('Home');
    await k.press('Alt+ArrowRight'); // expand 1 with its subtree
    await expect.poll(() => ui.outline.numbers()).toEqual(['1', '1.1', '1.1.1', '2']);
    await expect(ui.outline.cell('1', 'property')).toHaveText('Direction');
    await expect(ui.outline.cell('1.1', 'value')).toHaveText('tcp');
    await expect(ui.outline.cell('1.1.1', 'value')).toHaveText('22');
    await expect(ui.outline.cell('1.1.1', 'action')).toHaveText('Pass');
    await expect(ui.outline.cell('2', 'action')).toHaveText('Delete');
    await expect(page.getByTestId('problem-count')).toHaveText('No problems');

    // Apply, and keep with Enter: the banner has the keyboard.
    await k.press('Control+Enter');
    await expect(ui.confirmBanner.getByRole('button', { name: 'Keep' })).toBeFocused();
    await k.press('Enter');
    await expect(ui.confirmBanner).toHaveCount(0);
    await expect(ui.helperStatus).toContainText('firewall on (4 rules in force)');
    const table = await helper!.server.nft(['list', 'table', 'inet', 'treewall']);
    expect(table).toContain('dport 22');
    // Keyboard back on the outline.
    await expect(page.locator('[role="treegrid"] [role="row"]:focus')).toHaveCount(1);
  });
});

test("the outline is a WAI-ARIA treegrid that keeps its rows' place and state current", async ({
  ui,
}) => {
  const { page } = ui;
  await ui.openWith('kb.treewall', smallDocument());
  const grid = page.getByRole('treegrid', { name: 'Rules' });
  await expect(grid).toHaveAttribute('aria-multiselectable', 'true');
  await expect(grid.getByRole('columnheader')).toHaveText([
    '',
    '#',
    'Name',
    'Property',
    'Rel',
    'Value',
    'Action',
    'Parameter',
    /Matches/,
  ]);
  await expect(grid).toHaveAttribute('aria-colcount', '9');
  // 1 inbound (open: 1.1 ssh, 1.2 web), 2 outbound (closed), 3 last; plus the header row.
  await expect(grid).toHaveAttribute('aria-rowcount', '6');
  const row = (n: string) => ui.outline.rowByNumber(n);
  await expect(row('1')).toHaveAttribute('role', 'row');
  await expect(row('1')).toHaveAttribute('aria-level', '1');
  await expect(row('1')).toHaveAttribute('aria-expanded', 'true');
  await expect(row('2')).toHaveAttribute('aria-expanded', 'false');
  await expect(row('3')).not.toHaveAttribute('aria-expanded', /.*/);
  await expect(row('1.2')).toHaveAttribute('aria-level', '2');
  await expect(row('1.2')).toHaveAttribute('aria-posinset', '2');
  await expect(row('1.2')).toHaveAttribute('aria-setsize', '2');
  await expect(row('3')).toHaveAttribute('aria-posinset', '3');
  await expect(row('3')).toHaveAttribute('aria-setsize', '3');
  await expect(row('1.1').getByRole('gridcell')).toHaveCount(9);
  // Selection and disclosure from the keyboard show in the attributes.
  await ui.outline.select('1.1');
  await expect(row('1')).toHaveAttribute('aria-selected', 'false');
  await page.keyboard.press('ArrowDown');
  await expect(row('1.2')).toBeFocused();
  await page.keyboard.press('ArrowUp');
  await expect(row('1.1')).toBeFocused();
  // A new rule after 1.1: its siblings' place and set size follow, not only the new row's.
  await page.keyboard.press('Control+n');
  await expect(row('1.2')).toHaveAttribute('aria-selected', 'true');
  await expect(row('1.3')).toHaveAttribute('aria-posinset', '3');
  await expect(row('1.3')).toHaveAttribute('aria-setsize', '3');
  await expect(row('1.1')).toHaveAttribute('aria-setsize', '3');
  await expect(grid).toHaveAttribute('aria-rowcount', '7');
  await row('2').getByTestId('disclosure').click();
  await expect(row('2')).toHaveAttribute('aria-expanded', 'true');
  await expect(grid).toHaveAttribute('aria-rowcount', '8');
});

test('the menu bar: one Tab stop, arrows, Escape; disabled like the toolbar', async ({ ui }) => {
  const { page } = ui;
  const k = page.keyboard;
  await ui.openWith('s.treewall', smallDocument());
  const bar = page.getByRole('menubar');
  const title = (name: string) => bar.getByRole('menuitem', { name, exact: true });
  await expect(bar.locator('[tabindex="0"]')).toHaveCount(1);
  await k.press('F10');
  await expect(title('File')).toBeFocused();
  await k.press('ArrowRight');
  await expect(title('Edit')).toBeFocused();
  await k.press('ArrowDown');
  const edit = page.getByRole('menu', { name: 'Edit' });
  await expect(edit).toBeVisible();
  // Nothing to undo: Undo is disabled (as the toolbar's), so the first item is Redo? No: also
  // disabled; the first enabled item (Paste) has the focus.
  await expect(edit.getByRole('menuitem', { name: /^Undo/ })).toHaveAttribute(
    'aria-disabled',
    'true',
  );
  await expect(edit.getByRole('menuitem', { name: /^Paste/ }).first()).toBeFocused();
  await k.press('ArrowRight');
  await expect(page.getByRole('menu', { name: 'Rule' })).toBeVisible();
  await k.press('Escape');
  await expect(page.getByRole('menu')).toHaveCount(0);
  await expect(title('Rule')).toBeFocused();
  await expect(bar.locator('[tabindex="0"]')).toHaveText('Rule');
  // Firewall menu without a helper: Show Active and Revert to Active disabled, as on the toolbar.
  await k.press('End');
  await k.press('ArrowRight'); // wraps to File
  await expect(title('File')).toBeFocused();
  await k.press('ArrowLeft');
  await expect(title('Firewall')).toBeFocused();
  await k.press('Enter');
  const firewall = page.getByRole('menu', { name: 'Firewall' });
  await expect(firewall.getByRole('menuitem', { name: 'Show Active' })).toHaveAttribute(
    'aria-disabled',
    'true',
  );
  await expect(page.getByTestId('tool-firewall.showActive')).toBeDisabled();
  await expect(firewall.getByRole('menuitem', { name: 'Apply' })).toBeFocused();
  // ...and it shows: greyed beside an enabled entry; the pointer moves the one highlight.
  const color = (name: string) =>
    firewall.getByRole('menuitem', { name }).evaluate((el) => getComputedStyle(el).color);
  expect(await color('Show Active')).not.toBe(await color('Document Settings…'));
  await firewall.getByRole('menuitem', { name: 'Document Settings…' }).hover();
  await expect(firewall.getByRole('menuitem', { name: 'Document Settings…' })).toBeFocused();
  await firewall.getByRole('menuitem', { name: 'Show Active' }).hover();
  await expect(firewall.getByRole('menuitem', { name: 'Document Settings…' })).toBeFocused();
  // Document Settings… from the keyboard.
  await k.press('End');
  await k.press('Enter');
  await expect(page.getByTestId('settings-dialog')).toBeVisible();
  await k.press('Escape');
  await expect(page.getByTestId('settings-dialog')).toHaveCount(0);
});

test('Shift+F10 opens the row’s context menu; it reaches the field menus', async ({ ui }) => {
  const { page } = ui;
  const k = page.keyboard;
  await ui.openWith('s.treewall', smallDocument());
  await ui.outline.select('3');
  await k.press('Shift+F10');
  const menu = page.getByTestId('row-context-menu');
  await expect(menu).toBeVisible();
  await expect(menu.getByRole('menuitem').first()).toBeFocused();
  for (const item of ['Paste before', 'Property…', 'Relation…', 'Action…', 'Delete']) {
    await expect(menu.getByRole('menuitem', { name: item })).toBeVisible();
  }
  await k.press('End'); // Action…
  await k.press('Enter');
  await pick(page, 'action', 'Reject');
  await expect(ui.outline.cell('3', 'action')).toHaveText('Reject');
  // Back on the row: P opens its property menu; Escape closes it.
  await k.press('p');
  await expect(page.getByTestId('menu-property')).toBeFocused();
  await k.press('Escape');
  await expect(page.getByTestId('menu-property')).toHaveCount(0);
});

test('File > Open from the keyboard: the dialog takes the focus, arrows choose, Enter opens, Escape closes', async ({
  ui,
}) => {
  const { page } = ui;
  const k = page.keyboard;
  await ui.openWith('a.treewall', smallDocument());
  const other = smallDocument();
  other.rules[0]!.name = 'opened by keyboard';
  await ui.serve.writeFile('b.treewall', documentToXml(other));
  const dialog = page.getByTestId('open-dialog');
  // Escape closes it; Tab stays inside it.
  await k.press('Control+o');
  await expect(dialog).toBeVisible();
  await k.press('Escape');
  await expect(dialog).toHaveCount(0);
  await k.press('Control+o');
  await expect(dialog.getByRole('listbox')).toBeFocused();
  for (let i = 0; i < 4; i++) {
    await k.press('Tab');
    expect(await dialog.evaluate((d) => d.contains(document.activeElement))).toBe(true);
  }
  await dialog.getByRole('listbox').focus();
  await k.press('Home');
  await expect(dialog.getByRole('option', { name: /^a\.treewall/ })).toHaveAttribute(
    'aria-selected',
    'true',
  );
  await k.press('ArrowDown');
  await expect(dialog.getByRole('option', { name: /^b\.treewall/ })).toHaveAttribute(
    'aria-selected',
    'true',
  );
  await k.press('Enter');
  await expect(dialog).toHaveCount(0);
  await expect(ui.outline.rowByNumber('1')).toContainText('opened by keyboard');
});

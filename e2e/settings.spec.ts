// Issue 14 point 3: the Document Settings dialog (Firewall ▸ Document Settings…): interfaces,
// default policy, default Trigger duration, firewall on at start; the host's interfaces offered
// by the helper (here the helper's namespace: lo and eth0). Against a real helper, the external
// interface chosen in the dialog is what `Interface == external` compiles to in the kernel.

import { document } from './pages/documents.ts';
import { createRule } from '../shared/model/tree.ts';
import { expect, test } from './pages/fixtures.ts';

test('without a helper the dialog says where the interface list comes from; bad names are refused', async ({
  ui,
}) => {
  const { page } = ui;
  await ui.openWith('s.treewall', document([createRule({ name: 'any', action: 'Pass' })]));
  await ui.menu('Firewall', 'Document Settings…');
  const dialog = page.getByTestId('settings-dialog');
  await expect(dialog.getByTestId('settings-host-note')).toContainText('Connect a helper');
  await dialog.getByTestId('settings-external').fill('eth0, not an interface!');
  await expect(dialog.getByTestId('settings-problems')).toContainText('is not an interface name');
  await expect(dialog.getByRole('button', { name: 'OK' })).toBeDisabled();
  await dialog.getByTestId('settings-external').fill('eth0');
  await dialog.getByTestId('settings-internal').fill('eth0');
  await expect(dialog.getByTestId('settings-problems')).toContainText(
    'Interface eth0 is both external and internal',
  );
  await dialog.getByTestId('settings-internal').fill('br0');
  await dialog.getByTestId('settings-policy').selectOption({ label: 'Delete (drop it)' });
  await dialog.getByTestId('settings-duration').selectOption({ label: '10 minutes' });
  await dialog.getByTestId('settings-firewall-on').check();
  await dialog.getByRole('button', { name: 'OK' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(page).toHaveTitle(/^• /);

  // Reopened: the document holds what was chosen. Undo takes the whole change back.
  await ui.menu('Firewall', 'Document Settings…');
  await expect(dialog.getByTestId('settings-external')).toHaveValue('eth0');
  await expect(dialog.getByTestId('settings-internal')).toHaveValue('br0');
  await expect(dialog.getByTestId('settings-policy')).toHaveValue('delete');
  await expect(dialog.getByTestId('settings-duration')).toHaveValue('600');
  await expect(dialog.getByTestId('settings-firewall-on')).toBeChecked();
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await ui.outline.undo();
  await ui.menu('Firewall', 'Document Settings…');
  await expect(dialog.getByTestId('settings-external')).toHaveValue('');
  await expect(dialog.getByTestId('settings-policy')).toHaveValue('pass');
});

test.describe('with a helper', () => {
  test.use({ withHelper: true });
  test('the helper offers the host’s interfaces; the one ticked external is what the kernel matches', async ({
    ui,
    helper,
  }) => {
    const { page } = ui;
    await ui.openWith(
      's.treewall',
      document([
        createRule({
          name: 'from outside',
          property: 'Interface',
          value: 'external',
          action: 'Delete',
        }),
      ]),
    );
    await ui.menu('Firewall', 'Document Settings…');
    const dialog = page.getByTestId('settings-dialog');
    const eth0 = dialog.locator('[data-testid="settings-host-interface"][data-name="eth0"]');
    await expect(eth0).toContainText('10.77.0.2/24');
    await expect(
      dialog.locator('[data-testid="settings-host-interface"][data-name="lo"]'),
    ).toBeVisible();
    await eth0.getByRole('checkbox', { name: 'eth0 is external' }).check();
    await expect(dialog.getByTestId('settings-external')).toHaveValue('eth0');
    await page.screenshot({ path: test.info().outputPath('settings.png') });
    await dialog.getByRole('button', { name: 'OK' }).click();

    await ui.apply();
    await ui.confirmBanner.getByRole('button', { name: 'Keep' }).click();
    await expect(ui.confirmBanner).toHaveCount(0);
    const table = await helper!.server.nft(['list', 'table', 'inet', 'treewall']);
    expect(table).toMatch(/iifname "eth0"|iifname \{ "eth0" \}/);
  });
});

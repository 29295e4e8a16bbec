// Apply and friends against a real helper (in its own network namespace, through `treewall
// serve`): the confirm countdown with Keep and Revert, the firewall switch, the status line.

import { smallDocument } from './pages/documents.ts';
import { expect, test } from './pages/fixtures.ts';

test.use({ withHelper: true });

test('Apply asks to keep the rules; Keep keeps them, Revert restores the previous ones', async ({
  ui,
  helper,
}, testInfo) => {
  const { page } = ui;
  await ui.openWith('small.treewall', smallDocument());
  await expect(ui.helperStatus).toContainText('Helper connected');
  await expect(ui.helperStatus).toContainText('firewall off');
  const firewall = page.getByTestId('firewall-switch');
  await expect(firewall).not.toBeChecked();

  await ui.apply();
  await expect(ui.confirmBanner).toContainText('Keep these rules?');
  await expect(ui.confirmBanner).toContainText(/Reverting in \d+ s/);
  await page.screenshot({ path: testInfo.outputPath('apply-confirm.png') });
  await ui.confirmBanner.getByRole('button', { name: 'Keep' }).click();
  await expect(ui.confirmBanner).toHaveCount(0);
  await expect(firewall).toBeChecked();
  await expect(page.getByTestId('last-apply')).toContainText('Last apply');
  expect(await helper!.server.nft(['list', 'tables'])).toContain('table inet treewall');

  // A second apply, reverted: the kept rules come back (still on), the banner goes.
  await ui.outline.toggleEnabled('3');
  await ui.apply();
  await expect(ui.confirmBanner).toBeVisible();
  await ui.confirmBanner.getByRole('button', { name: 'Revert' }).click();
  await expect(ui.confirmBanner).toHaveCount(0);
  await expect(firewall).toBeChecked();

  // Show Active lists the rules in force; Revert to Active brings them into the outline
  // (rule 3 is still disabled in the editor, enabled in the kernel).
  await page.getByTestId('tool-firewall.showActive').click();
  const active = page.getByTestId('active-dialog');
  await expect(active).toContainText('nodeName = last;');
  await active.getByRole('button', { name: 'Close' }).click();
  await expect(ui.outline.rowByNumber('3').getByTestId('enable')).not.toBeChecked();
  await page.getByTestId('tool-firewall.revert').click();
  await ui.answer('Revert');
  await expect(ui.outline.rowByNumber('3').getByTestId('enable')).toBeChecked();

  // The switch turns the firewall off: our table leaves the kernel.
  await page.getByTestId('firewall-toggle').click();
  await expect(firewall).not.toBeChecked();
  await expect(ui.helperStatus).toContainText('firewall off');
  expect(await helper!.server.nft(['list', 'tables'])).not.toContain('table inet treewall');
});

test('Keep answers at once while the helper is slow to confirm: one click, no second chance to click', async ({
  ui,
  helper,
}) => {
  const { page } = ui;
  // The helper answers a confirm after the work queued before it (the apply's table fingerprint):
  // seconds on a busy machine. Here the confirm is held back on its way to serve instead.
  let held = 0;
  await page.routeWebSocket(/\/ws\?/, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((message) => {
      if (typeof message === 'string' && message.includes('"helper:confirm"')) {
        held++;
        setTimeout(() => server.send(message), 2500);
      } else server.send(message);
    });
  });
  await ui.openWith('small.treewall', smallDocument());
  await ui.apply();
  const keep = ui.confirmBanner.getByRole('button', { name: 'Keep' });
  await keep.click();
  await expect(ui.confirmBanner).toContainText('Keeping these rules…');
  await expect(keep).toBeDisabled();
  await expect(ui.confirmBanner).toHaveCount(0);
  expect(held).toBe(1);
  await expect(page.getByTestId('firewall-switch')).toBeChecked();
  expect(await helper!.server.nft(['list', 'tables'])).toContain('table inet treewall');
});

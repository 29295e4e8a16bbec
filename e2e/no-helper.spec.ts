// Without a helper (serve's --socket points where nothing listens): the status line gives the
// whole command that starts one for this serve, Apply only checks the rules and says why nothing
// was applied, and the firewall controls are disabled with the reason in their tooltips.

import { smallDocument } from './pages/documents.ts';
import { expect, test } from './pages/fixtures.ts';

test('no helper: the status line, Apply and the firewall switch say how to start it', async ({
  ui,
}) => {
  const { page } = ui;
  await ui.openWith('small.treewall', smallDocument());
  const command = /sudo treewall helper --socket \/\S+\/no-helper\.sock/;
  await expect(ui.helperStatus).toContainText('No helper connected');
  await expect(ui.helperStatus).toContainText(command);

  // Apply is not the highlighted action; its tooltip says why, and clicking it explains.
  const apply = page.getByTestId('tool-firewall.apply');
  await expect(apply).not.toHaveClass(/primary/);
  await expect(apply).toHaveAttribute('title', command);
  await ui.apply();
  await expect(ui.errorBanner).toContainText('nothing was applied');
  await expect(ui.errorBanner).toContainText(command);
  await expect(ui.confirmBanner).toHaveCount(0);

  // The switch and the kernel views are disabled, with the reason.
  await expect(page.getByTestId('firewall-switch')).toBeDisabled();
  await expect(page.getByTestId('firewall-toggle')).toHaveAttribute('title', command);
  await expect(page.getByTestId('tool-firewall.showActive')).toBeDisabled();
  await expect(page.getByTestId('tool-firewall.showActive')).toHaveAttribute('title', command);
});

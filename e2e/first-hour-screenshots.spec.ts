// The README's pictures of what a new user meets first: the rollback notice, the Document
// Settings dialog (with a helper's interfaces), the problem list (a compiler refusal and a
// warning) and the outline in the dark theme. They land in test-results/; with
// TREEWALL_UPDATE_SCREENSHOT=1 they also replace docs/rollback.png, docs/settings.png,
// docs/problems.png and docs/dark.png. Each test checks what its picture shows.

import path from 'node:path';
import type { Page } from '@playwright/test';
import { repoRoot } from './fixtures.ts';
import { smallDocument } from './pages/documents.ts';
import { expect, test } from './pages/fixtures.ts';

test.use({ viewport: { width: 1200, height: 640 } });

/** The whole window (status bar included); `height` makes the window shorter first. */
async function shoot(page: Page, name: string, height?: number): Promise<void> {
  if (height) await page.setViewportSize({ width: 1200, height });
  await page.screenshot({ path: test.info().outputPath(name) });
  if (process.env.TREEWALL_UPDATE_SCREENSHOT === '1') {
    await page.screenshot({ path: path.join(repoRoot, 'docs', name) });
  }
}

test.describe('with a helper', () => {
  test.use({ withHelper: true });

  test('rollback notice', async ({ ui }) => {
    const { page } = ui;
    await ui.openWith('home.treewall', smallDocument());
    await ui.apply();
    await ui.confirmBanner.getByRole('button', { name: 'Keep' }).click();
    await expect(ui.confirmBanner).toHaveCount(0);
    await ui.outline.toggleEnabled('3');
    await ui.apply();
    await ui.confirmBanner.getByRole('button', { name: 'Revert' }).click();
    const notice = page.getByTestId('rollback-banner');
    await expect(notice).toContainText('you chose Revert');
    await expect(page.getByTestId('in-force')).toHaveAttribute('data-differs', 'true');
    await ui.outline.select('3');
    await shoot(page, 'rollback.png', 400);
  });

  test('settings dialog', async ({ ui }) => {
    const { page } = ui;
    await ui.openWith('home.treewall', smallDocument());
    await ui.menu('Firewall', 'Document Settings…');
    const dialog = page.getByTestId('settings-dialog');
    const eth0 = dialog.locator('[data-testid="settings-host-interface"][data-name="eth0"]');
    await eth0.getByRole('checkbox', { name: 'eth0 is external' }).check();
    await dialog.getByTestId('settings-duration').selectOption({ label: '10 minutes' });
    await expect(dialog.getByTestId('settings-external')).toHaveValue('eth0');
    await shoot(page, 'settings.png', 780);
  });
});

test('problem list', async ({ ui }) => {
  const { page } = ui;
  const doc = smallDocument();
  doc.rules[0]!.children[1]!.action = 'Route to'; // for arriving packets: the compiler refuses it
  doc.rules[0]!.children[1]!.parameter = '10.0.0.9';
  doc.rules[0]!.children[0]!.value = '70000';
  doc.rules[2]!.property = 'Interface';
  doc.rules[2]!.value = 'external';
  await ui.openWith('home.treewall', doc);
  const count = page.getByTestId('problem-count');
  await expect(count).toHaveText('2 problems · 1 warning');
  await count.click();
  await expect(ui.problems.getByTestId('problem-item')).toHaveCount(3);
  await ui.outline.select('1.2');
  await expect(page.getByTestId('row-problem')).toContainText('Route to');
  await shoot(page, 'problems.png', 420);
});

test('dark theme outline', async ({ ui }) => {
  const { page, outline } = ui;
  await page.emulateMedia({ colorScheme: 'dark' });
  await ui.menu('File', 'New');
  await expect(page).toHaveTitle('Untitled — treewall');
  await expect(outline.rowByNumber('1')).toBeVisible();
  await outline.collapseAll();
  await outline.expand('1');
  await outline.expand('2');
  await outline.expand('2.6');
  await outline.select('2.6');
  await expect(outline.rowByNumber('2.6')).toHaveAttribute('data-active', 'false');
  expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe(
    'rgb(30, 31, 34)',
  );
  await shoot(page, 'dark.png');
});

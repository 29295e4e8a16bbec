// The factory default document as a user first sees it: the 1.x rules and 2.6 "Protect servers"
// expanded. The screenshot lands in test-results/; with TREEWALL_UPDATE_SCREENSHOT=1 it also
// replaces docs/outline.png (the README's picture), 1400x900.

import path from 'node:path';
import { repoRoot } from './fixtures.ts';
import { expect, test } from './pages/fixtures.ts';

test('the default document opens untitled with its two groups; screenshot', async ({
  ui,
}, testInfo) => {
  const { outline, page } = ui;
  await ui.menu('File', 'New');
  await expect(page).toHaveTitle('Untitled — treewall');
  await expect(outline.rowByNumber('1')).toBeVisible();
  await expect(outline.rowByNumber('2')).toBeVisible();

  await outline.collapseAll();
  await expect.poll(() => outline.numbers()).toEqual(['1', '2']);
  await outline.expand('1');
  await outline.expand('2');
  await outline.expand('2.6');
  await outline.expand('2.6.1');
  await outline.expand('2.6.1.1');
  const numbers = await outline.numbers();
  expect(numbers).toContain('1.1');
  expect(numbers).toContain('2.6.1.1.17');
  // Rule 2.6 ships disabled, so its services are greyed out while enabled themselves.
  await expect(outline.rowByNumber('2.6')).toHaveAttribute('data-active', 'false');
  await outline.select('2.6');

  const file = testInfo.outputPath('outline.png');
  await page.screenshot({ path: file });
  if (process.env.TREEWALL_UPDATE_SCREENSHOT === '1') {
    await page.screenshot({ path: path.join(repoRoot, 'docs/outline.png') });
  }
});

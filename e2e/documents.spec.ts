// Documents in the browser host: save, reopen, dirty marker, the unsaved-changes prompt.
import { readdir } from 'node:fs/promises';
import path from 'node:path';

import { documentToXml } from '../shared/plist/document.ts';
import { createRule } from '../shared/model/tree.ts';
import { document as withRules, smallDocument } from './pages/documents.ts';
import { expect, test } from './pages/fixtures.ts';

test('save, reopen: the identical tree', async ({ ui }) => {
  const { outline, page } = ui;
  await ui.openWith('small.treewall', smallDocument());

  // Make it ours: an edit, a disabled rule, a new child, a collapsed parent.
  await outline.type('1.1', 'name', 'ssh from anywhere');
  await outline.toggleEnabled('1.2');
  await outline.select('3');
  await outline.addChild();
  await outline.choose('3.1', 'property', 'Dest port');
  await outline.type('3.1', 'value', '8000-8080');
  await expect(page).toHaveTitle('• small.treewall — treewall');

  await outline.expandAll();
  const before = await outline.snapshot();
  expect(before.length).toBe(7);

  await ui.saveAs('mine.treewall');
  await expect(page).toHaveTitle('mine.treewall — treewall');

  // Somewhere else, then back through File > Open.
  await page.goto(ui.serve.urlFor('small.treewall'));
  await ui.waitForDocument('small.treewall');
  await ui.open('mine.treewall');
  await outline.expandAll();
  expect(await outline.snapshot()).toEqual(before);
});

test('the title marks unsaved changes and New asks before losing them', async ({ ui }) => {
  const { outline, page } = ui;
  await ui.openWith('small.treewall', smallDocument());
  await expect(page).toHaveTitle('small.treewall — treewall');
  await outline.toggleEnabled('3');
  await expect(page).toHaveTitle('• small.treewall — treewall');

  await ui.menu('File', 'New');
  await expect(page.getByTestId('confirm-dialog')).toBeVisible();
  await ui.answer('Cancel');
  await expect(page.getByTestId('confirm-dialog')).toHaveCount(0);
  await expect(outline.rowByNumber('3').getByTestId('enable')).not.toBeChecked();

  // Undo back to the saved state clears the marker.
  await outline.undo();
  await expect(page).toHaveTitle('small.treewall — treewall');

  // Ctrl+S saves in place.
  await outline.toggleEnabled('3');
  await ui.save();
  await expect(page).toHaveTitle('small.treewall — treewall');
});

test('unsaved work survives a crash: the next start offers to recover it', async ({
  ui,
  context,
}) => {
  const { outline, page } = ui;
  await ui.openWith('small.treewall', smallDocument());
  await outline.type('1.1', 'name', 'edited before the crash');
  // Autosave runs a few seconds after the last edit; wait until the backend wrote it. (The
  // backend does not offer work of a page that is still connected, so look at its folder.)
  const recoveryDir = path.join(ui.serve.stateDir, 'recovery');
  await expect
    .poll(
      () =>
        readdir(recoveryDir).then(
          (f) => f.length,
          () => 0,
        ),
      { timeout: 15_000 },
    )
    .toBe(1);
  await page.close({ runBeforeUnload: false }); // the tab dies without a clean exit

  const next = await context.newPage();
  await next.goto(ui.serve.url);
  const dialog = next.getByTestId('recover-dialog');
  await expect(dialog).toContainText('small.treewall');
  await dialog.getByRole('button', { name: 'Recover' }).click();
  await expect(next).toHaveTitle('• small.treewall — treewall');
  await expect(
    next.getByTestId('cell-name').filter({ hasText: 'edited before the crash' }),
  ).toHaveCount(1);
});

test('the autosave waits while the user scrolls, then runs once input pauses', async ({ ui }) => {
  const { outline, page } = ui;
  await ui.openWith('small.treewall', smallDocument());
  await outline.type('1.1', 'name', 'edited while scrolling');
  const recoveryDir = path.join(ui.serve.stateDir, 'recovery');
  const copies = () =>
    readdir(recoveryDir).then(
      (f) => f.length,
      () => 0,
    );
  // Keep scrolling well past the autosave's 3 s delay: encoding a large document would stall
  // the scroll, so no copy may be written meanwhile.
  await page.getByTestId('outline').hover();
  const until = Date.now() + 6_000;
  while (Date.now() < until) {
    await page.mouse.wheel(0, 40);
    await page.waitForTimeout(100);
  }
  expect(await copies()).toBe(0);
  // Input pauses: the copy follows.
  await expect.poll(copies, { timeout: 15_000 }).toBe(1);
});

test('Revert to Saved drops the edits; saved files are listed under Recent', async ({ ui }) => {
  const { outline, page } = ui;
  await ui.openWith('small.treewall', smallDocument());
  await ui.saveAs('kept.treewall');
  await outline.type('1.1', 'name', 'not kept');
  await expect(page).toHaveTitle('• kept.treewall — treewall');

  await ui.menu('File', 'Revert to Saved');
  await ui.answer('Revert');
  await expect(page).toHaveTitle('kept.treewall — treewall');
  await expect(outline.cell('1.1', 'name')).toHaveText('ssh');

  await page.getByRole('menubar').getByRole('menuitem', { name: 'File', exact: true }).click();
  await expect(
    page.getByRole('menu', { name: 'File' }).getByRole('menuitem', { name: 'kept.treewall' }),
  ).toBeVisible();
});

test('a truncated or malformed document is refused with its line and column; the open document stays as it was', async ({
  ui,
}) => {
  const { outline, page } = ui;
  await ui.openWith('small.treewall', smallDocument());
  await outline.type('1.1', 'name', 'edited, not saved');
  await expect(page).toHaveTitle('• small.treewall — treewall');

  const xml = documentToXml(smallDocument());
  await ui.serve.writeFile('truncated.treewall', xml.slice(0, Math.floor(xml.length / 2)));
  await ui.serve.writeFile('malformed.treewall', xml.replace('<key>nodeName</key>', '<key>'));
  await ui.menu('File', 'Open…');
  await ui.answer('Don’t Save');
  // The dialog stays open after a refusal, so another file can be picked.
  const dialog = page.getByTestId('open-dialog');
  for (const name of ['truncated.treewall', 'malformed.treewall']) {
    await dialog.getByRole('option', { name: new RegExp(`^${name.replace('.', '\\.')}`) }).click();
    await dialog.getByRole('button', { name: 'Open' }).click();
    await expect(ui.errorBanner).toContainText(`Could not open ${name}`);
    await expect(ui.errorBanner).toContainText(/\(line \d+, column \d+\)/);
  }
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  // Nothing of the refused files reached the editor: same document, same edit, still unsaved.
  await expect(page).toHaveTitle('• small.treewall — treewall');
  await expect(outline.cell('1.1', 'name')).toHaveText('edited, not saved');
  await expect(page.getByTestId('rule-count')).toHaveText('6 rules');
});

test('the status bar counts the rules and problems of the document it shows', async ({ ui }) => {
  const { page } = ui;
  const withProblem = smallDocument();
  withProblem.rules[0]!.children[0]!.value = '70000'; // Dest port out of range
  await ui.openWith('problem.treewall', withProblem);
  await expect(page.getByTestId('problem-count')).toHaveText('1 problem');
  await expect(page.getByTestId('rule-count')).toHaveText('6 rules');

  await ui.serve.writeFile('fine.treewall', documentToXml(smallDocument()));
  await ui.open('fine.treewall');
  await expect(page.getByTestId('problem-count')).toHaveText('No problems');
  await expect(page.getByTestId('rule-count')).toHaveText('6 rules');
});

test('a document just opened says Checking… until its own rules are counted', async ({ ui }) => {
  const { page } = ui;
  await ui.openWith('small.treewall', smallDocument());
  await expect(page.getByTestId('problem-count')).toHaveText('No problems');
  // Every text the problem count shows from here on, however briefly.
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { __seen: string[] }).__seen = seen;
    const bar = document.querySelector('[data-testid="statusbar"]')!;
    new MutationObserver(() => {
      const text = bar.querySelector('[data-testid="problem-count"]')?.textContent ?? '';
      if (seen[seen.length - 1] !== text) seen.push(text);
    }).observe(bar, { subtree: true, childList: true, characterData: true });
  });
  const big = withRules(
    Array.from({ length: 2000 }, (_, i) =>
      createRule({ name: `r${i}`, property: 'Dest port', value: i === 1999 ? '70000' : `${i}` }),
    ),
  );
  await ui.serve.writeFile('big.treewall', documentToXml(big));
  await ui.open('big.treewall');
  await expect(page.getByTestId('problem-count')).toHaveText('1 problem');
  await expect(page.getByTestId('rule-count')).toHaveText('2,000 rules');
  // Not the previous document's "No problems", not an unchecked one: checking, then the count.
  const seen = await page.evaluate(() => (window as unknown as { __seen: string[] }).__seen);
  expect(seen).toEqual(['Checking…', '1 problem']);
});

// File > Save As IPNetSentryX Document (.nsy): the name suggested ends in .nsy, the file holds
// the tree in the original's form, and it opens again as the same outline.
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import type { Rule } from '../shared/model/types.ts';
import { documentFromXml } from '../shared/plist/document.ts';
import { smallDocument } from './pages/documents.ts';
import { expect, test } from './pages/fixtures.ts';

test('Save As IPNetSentryX Document writes a .nsy the original reads, and it reopens', async ({
  ui,
}) => {
  const { outline, page } = ui;
  const doc = smallDocument();
  await ui.openWith('small.treewall', doc);
  await outline.expandAll();
  const before = await outline.snapshot();

  await ui.menu('File', 'Save As IPNetSentryX Document (.nsy)…');
  const dialog = page.getByTestId('save-dialog');
  await expect(dialog.getByTestId('save-name')).toHaveValue('small.nsy');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await ui.waitForDocument('small.nsy');

  const text = await readFile(path.join(ui.serve.folder, 'small.nsy'), 'utf8');
  expect(text).toContain('<key>SentryDocument_filterTable</key>');
  expect(text).not.toContain('<key>filterTable</key>');
  // Expand All above changed the disclosure states (saved too): compare everything else.
  const strip = (rules: Rule[]): unknown[] =>
    rules.map(({ expanded: _e, children, ...rest }) => ({ ...rest, children: strip(children) }));
  expect(strip(documentFromXml(text).rules)).toEqual(strip(doc.rules));

  await page.goto(ui.serve.urlFor('small.treewall'));
  await ui.waitForDocument('small.treewall');
  await ui.open('small.nsy');
  await outline.expandAll();
  expect(await outline.snapshot()).toEqual(before);
});

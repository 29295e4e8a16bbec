// Copy and paste of rules as NeXT property-list text through the system clipboard, in Chromium
// against `treewall serve`.

import { WALKTHROUGH_RULE_2_3, emptyDocument, smallDocument } from './pages/documents.ts';
import { expect, test } from './pages/fixtures.ts';

test('copying a collapsed parent and pasting it elsewhere duplicates its subtree; undo and redo', async ({
  ui,
}) => {
  const { outline } = ui;
  await ui.openWith('small.treewall', smallDocument());

  // Rule 2 is collapsed: copying it takes its child along.
  await outline.select('2');
  await outline.copy();
  await expect.poll(() => outline.clipboard()).toContain('nodeName = outbound;');
  expect(await outline.clipboard()).toContain('nodeName = anything;');

  await outline.select('3');
  await outline.paste();
  await expect.poll(() => outline.numbers()).toEqual(['1', '1.1', '1.2', '2', '3', '4']);
  await outline.expand('4');
  await expect.poll(() => outline.numbers()).toEqual(['1', '1.1', '1.2', '2', '3', '4', '4.1']);
  expect(await outline.row('4')).toMatchObject({
    name: 'outbound',
    property: 'Direction',
    value: 'outbound',
  });
  expect(await outline.row('4.1')).toMatchObject({ name: 'anything', action: 'Pass' });

  await outline.undo();
  await expect.poll(() => outline.numbers()).toEqual(['1', '1.1', '1.2', '2', '3']);
  await outline.redo();
  await expect(outline.cell('4', 'name')).toHaveText('outbound');
});

test('an expanded parent copies only the selected rows', async ({ ui }) => {
  const { outline } = ui;
  await ui.openWith('small.treewall', smallDocument());
  await outline.select('1');
  await outline.select('1.2', ['Control']);
  await outline.copy();
  await expect.poll(() => outline.clipboard()).toContain('nodeName = web;');
  const text = await outline.clipboard();
  expect(text).toContain('nodeName = inbound;');
  expect(text).not.toContain('nodeName = ssh;');
});

test("pasting the walk-through's rule 2.3 text creates that rule and its child; undo and redo", async ({
  ui,
}) => {
  const { outline } = ui;
  await ui.openWith('empty.treewall', emptyDocument());
  await outline.setClipboard(WALKTHROUGH_RULE_2_3);
  await outline.paste();

  // The text has no expandedState for 2.3, so it arrives collapsed, as IPNetSentryX would show it.
  await expect.poll(() => outline.numbers()).toEqual(['1']);
  await outline.expand('1');
  await expect.poll(() => outline.numbers()).toEqual(['1', '1.1']);
  expect(await outline.row('1')).toMatchObject({
    enabled: true,
    name: 'promiscuous resets',
    property: 'Direction',
    relation: '==',
    value: 'inbound',
    action: '->',
  });
  expect(await outline.row('1.1')).toMatchObject({
    enabled: true,
    property: 'TCP header flags',
    relation: '==',
    value: 'rst',
    action: 'Delay',
  });

  await outline.undo();
  await expect(outline.rows).toHaveCount(0);
  await outline.redo();
  await expect.poll(() => outline.numbers()).toEqual(['1', '1.1']);
  await expect(outline.cell('1.1', 'action')).toHaveText('Delay');
});

test("text that does not parse shows the parser's message with line and column and changes nothing", async ({
  ui,
}) => {
  const { outline } = ui;
  await ui.openWith('small.treewall', smallDocument());
  await outline.select('3');
  await outline.setClipboard('(\n{\nenabled = 1\nfilterActionName = Pass;\n}\n)');
  await outline.paste();
  await expect(ui.errorBanner).toBeVisible();
  await expect(ui.errorBanner).toContainText(/line \d+, column \d+/);
  await expect.poll(() => outline.numbers()).toEqual(['1', '1.1', '1.2', '2', '3']);
});

test('paste with Alt inserts before the selection', async ({ ui }) => {
  const { outline } = ui;
  await ui.openWith('small.treewall', smallDocument());
  await outline.setClipboard(WALKTHROUGH_RULE_2_3);
  await outline.select('3');
  await outline.paste({ before: true });
  await expect(outline.cell('3', 'name')).toHaveText('promiscuous resets');
  await expect(outline.cell('4', 'name')).toHaveText('last');
});

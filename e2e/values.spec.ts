// Issue 14 point 6 (the parts done): choosing a property clears the value and flags the row at
// once; properties with few legal values offer them while the value is edited (each one valid).

import { smallDocument } from './pages/documents.ts';
import { expect, test } from './pages/fixtures.ts';

test('a new property clears the value and the row says what is missing at once', async ({ ui }) => {
  const { page } = ui;
  await ui.openWith('s.treewall', smallDocument());
  await expect(ui.outline.cell('1.1', 'value')).toHaveText('22');
  await ui.outline.choose('1.1', 'property', 'Source net');
  await expect(ui.outline.cell('1.1', 'value')).toHaveText('');
  await expect(ui.outline.rowByNumber('1.1')).toHaveAttribute('data-invalid', 'true');
  await expect(page.getByTestId('row-problem')).toContainText('1.1: Source net');
  // One undo brings the property and the value back together.
  await ui.outline.undo();
  await expect(ui.outline.cell('1.1', 'property')).toHaveText('Dest port');
  await expect(ui.outline.cell('1.1', 'value')).toHaveText('22');
});

test('Direction, Include, Protocol and TCP flags offer their values', async ({ ui }) => {
  const { page } = ui;
  await ui.openWith('s.treewall', smallDocument());
  const offered = async (number: string) => {
    await ui.outline.cell(number, 'value').dblclick();
    const values = await page
      .getByTestId('value-suggestions')
      .locator('option')
      .evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value));
    await page.keyboard.press('Escape');
    return values;
  };
  expect(await offered('1')).toEqual(['inbound', 'outbound']);
  await ui.outline.choose('3', 'property', 'Protocol');
  expect(await offered('3')).toEqual(expect.arrayContaining(['tcp', 'udp', '6 (TCP)']));
  await ui.outline.choose('3', 'property', 'Include');
  expect(await offered('3')).toEqual(expect.arrayContaining(['triggered', 'authorized', 'kept']));
  await ui.outline.choose('3', 'property', 'TCP header flags');
  expect(await offered('3')).toEqual(expect.arrayContaining(['syn,-ack', 'syn', 'rst']));
  // The field takes the list's value like a typed one.
  await ui.outline.type('3', 'value', 'syn');
  await expect(ui.outline.rowByNumber('3')).not.toHaveAttribute('data-invalid', 'true');
});

test('a refused drop says why while the pointer is there', async ({ ui }) => {
  const { page, outline } = ui;
  await ui.openWith('s.treewall', smallDocument());
  // While filtering, rules cannot move (the view is not the document's order): it says so.
  await outline.filter('Pass');
  const source = outline.rowByNumber('1.2').getByTestId('rule-number');
  const target = outline.rowByNumber('1.1');
  const s = (await source.boundingBox())!;
  const t = (await target.boundingBox())!;
  await page.mouse.move(s.x + s.width / 2, s.y + s.height / 2);
  await page.mouse.down();
  await page.mouse.move(t.x + 200, t.y + 3, { steps: 12 });
  await page.mouse.move(t.x + 210, t.y + 3, { steps: 2 });
  await expect(page.getByTestId('drop-refused')).toContainText('while the filter is on');
  await page.mouse.up();
  await expect(page.getByTestId('drop-refused')).toHaveCount(0);
  await page.getByTestId('filter').press('Escape');
  await expect.poll(() => outline.numbers()).toEqual(['1', '1.1', '1.2', '2', '3']);
});

// Issue 14 point 2 (the renderer's part): the status bar's "N problems" opens the list of every
// problem; the selected row's problem is readable in the status bar without hovering; the action
// and property menus say which entries Apply refuses (asked of the compiler); each bottom panel's
// errors (Triggered, Traffic, Log, Simulator) appear in that panel and clear on the next success.

import { smallDocument } from './pages/documents.ts';
import { expect, test } from './pages/fixtures.ts';
import { LivePage } from './pages/live-page.ts';

test('"N problems" opens the list; the selected row says its problem in words', async ({ ui }) => {
  const { page } = ui;
  const doc = smallDocument();
  doc.rules[0]!.children[0]!.value = '70000'; // 1.1 Dest port out of range
  doc.rules[2]!.property = 'Dest port'; // 3: Dest port with an empty value
  await ui.openWith('small.treewall', doc);
  const count = page.getByTestId('problem-count');
  await expect(count).toHaveText('2 problems');
  await count.click();
  await expect(ui.problems).toHaveAttribute('data-source', 'document');
  await expect(ui.problems).toContainText('2 problems in this document');
  expect(await ui.blockingNumbers()).toEqual(['1.1', '3']);
  await expect(count).toHaveAttribute('aria-expanded', 'true');

  // A link selects its rule; the status bar then says what is wrong with it.
  await ui.problems.getByTestId('problem-link').first().click();
  await expect(ui.outline.rowByNumber('1.1')).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('row-problem')).toContainText('1.1: ');
  await expect(page.getByTestId('row-problem')).toContainText('70000');

  // Fixing it: the list follows; the count and the row's problem go.
  await ui.outline.type('1.1', 'value', '7000');
  await expect(page.getByTestId('row-problem')).toHaveCount(0);
  await expect.poll(() => ui.blockingNumbers()).toEqual(['3']);
  await expect(count).toHaveText('1 problem');
  // The count closes the list again.
  await count.click();
  await expect(ui.problems).toHaveCount(0);
  await page.screenshot({ path: test.info().outputPath('problems.png') });
});

test('compiler refusals and warnings are on their rows, in the count, the list and the status bar', async ({
  ui,
}) => {
  const { page } = ui;
  const doc = smallDocument();
  // 1.2: refused by the compiler only (a valid next hop, but an arriving packet's route is chosen).
  doc.rules[0]!.children[1]!.action = 'Route to';
  doc.rules[0]!.children[1]!.parameter = '10.0.0.9';
  doc.rules[2]!.property = 'Interface'; // 3: Interface == external, none listed: never matches
  doc.rules[2]!.value = 'external';
  await ui.openWith('small.treewall', doc);
  const count = page.getByTestId('problem-count');
  await expect(count).toHaveAttribute('data-full', 'true');
  await expect(count).toHaveText('1 problem · 1 warning');
  await expect(ui.outline.rowByNumber('1.2')).toHaveAttribute('data-invalid', 'true');
  await expect(ui.outline.rowByNumber('3')).toHaveAttribute('data-warned', 'true');
  await ui.outline.select('1.2');
  await expect(page.getByTestId('row-problem')).toContainText('1.2: Route to');
  await ui.outline.select('3');
  await expect(page.getByTestId('row-problem')).toContainText('warning: ');
  await count.click();
  await expect(ui.problems.getByTestId('problem-item')).toHaveCount(2);
  await expect(ui.problems.locator('[data-severity="warning"]')).toContainText('external');
  await page.screenshot({ path: test.info().outputPath('problem-list.png') });
  // Apply refuses what the compiler refuses, before asking any helper.
  await count.click();
  await ui.apply();
  expect(await ui.blockingNumbers()).toEqual(['1.2']);
});

test('the menus mark what Apply refuses, in the compiler’s words', async ({ ui }) => {
  const { page } = ui;
  await ui.openWith('small.treewall', smallDocument());
  await ui.outline.cell('3', 'action').click();
  // Delay runs (the helper's queue worker holds the packets): offered like any action.
  const delay = page.getByTestId('menu-action').getByRole('menuitemradio', { name: 'Delay' });
  await expect(delay).not.toHaveAttribute('data-refused', 'true');
  await expect(delay).not.toContainText('Not supported yet');
  await expect(delay).toHaveAttribute('title', /Hold an arriving packet/);
  const pass = page.getByTestId('menu-action').getByRole('menuitemradio', { name: 'Pass' });
  await expect(pass).not.toHaveAttribute('data-refused', 'true');
  await page.keyboard.press('Escape');
  await ui.outline.cell('3', 'property').click();
  const menu = page.getByTestId('menu-property');
  // Data content runs in the kernel now (fixed-offset payload compares): not marked.
  await expect(menu.getByRole('menuitemradio', { name: 'Data content' })).toBeVisible();
  await expect(menu.getByRole('menuitemradio', { name: 'Data content' })).not.toHaveAttribute(
    'data-refused',
    'true',
  );
  // Refused only outside `Direction == outbound`: not marked in the menu.
  await expect(menu.getByRole('menuitemradio', { name: 'Owner UID' })).not.toHaveAttribute(
    'data-refused',
    'true',
  );
});

test.describe('with a helper', () => {
  test.use({ withHelper: true });
  test('the Triggered panel shows its own errors and clears them on the next success', async ({
    ui,
  }) => {
    const { page } = ui;
    const live = new LivePage(page, ui.outline);
    await ui.openWith('small.treewall', smallDocument());
    await live.applyAndKeep();
    await live.openTab('triggered');
    const error = page.getByTestId('triggered-error');
    // The field does not promise networks.
    await expect(page.getByTestId('triggered-address')).toHaveAttribute(
      'placeholder',
      'IPv4 or IPv6 address',
    );
    await page.getByTestId('triggered-address').fill('10.0.0.0/8');
    await page.getByTestId('triggered-add').click();
    await expect(error).toContainText('Could not add 10.0.0.0/8');
    await expect(error).toContainText('single addresses, not networks');
    await expect(error).toContainText('Source net');
    await expect(ui.errorBanner).toHaveCount(0);
    await page.getByTestId('triggered-address').fill('192.0.2.7');
    await page.getByTestId('triggered-add').click();
    await expect(live.triggeredRow('192.0.2.7')).toBeVisible();
    await expect(live.triggeredRow('192.0.2.7')).toContainText('triggered');
    await expect(error).toHaveCount(0);
  });
});

test.describe('with a helper, the other panels', () => {
  test.use({ withHelper: true });
  test('Traffic, Log and Simulator show their own errors and clear them on the next success', async ({
    ui,
    helper,
  }) => {
    test.setTimeout(90_000);
    const { page } = ui;
    const live = new LivePage(page, ui.outline);
    await ui.openWith('small.treewall', smallDocument());
    await live.applyAndKeep();
    // The invalid table (Keep invalid, Include == invalid) is listed like the others.
    await live.openTab('triggered');
    const client = await helper!.connect();
    await client.call('triggered.add', { address: '192.0.2.9', type: 'invalid' });
    await client.close();
    await expect(live.triggeredRow('192.0.2.9')).toContainText('invalid');

    // Simulator: a line it cannot read, then one it can.
    const simError = page.getByTestId('simulator-error');
    await live.simulate('sideways tcp 1.2.3.4 > 5.6.7.8');
    await expect(simError).toContainText('in, out or routed');
    await live.simulate('in eth0 tcp 10.77.0.1:40000 > 10.77.0.2:22 flags syn');
    await expect(page.getByTestId('sim-verdict')).toBeVisible();
    await expect(simError).toHaveCount(0);
    // Rule 1.1 (ssh, Pass) decides; it has no children to run afterwards, and the path says so.
    await expect(page.getByTestId('sim-path')).toContainText('decides (Pass)');
    await expect(page.getByTestId('sim-path')).not.toContainText('its children run');

    // The helper stops: Traffic and Log say so, each in its own panel, not in a global banner.
    await helper!.kill();
    const trafficError = page.getByTestId('traffic-error');
    const logError = page.getByTestId('log-error');
    await live.openTab('traffic');
    await expect(trafficError).toContainText('Counting stopped', { timeout: 15_000 });
    await live.openTab('log');
    await expect(logError).toContainText('The log stopped');
    await expect(simError).toHaveCount(0);

    // Back with the same socket and state: the next reads that work clear both.
    await helper!.restart();
    await expect(logError).toHaveCount(0, { timeout: 20_000 });
    await live.openTab('traffic');
    await expect(trafficError).toHaveCount(0);
    await expect(page.getByTestId('traffic-panel')).toBeVisible();
  });
});

// Issue 14 point 1: what became of an apply is visible. Against a real helper in a namespace:
// Revert announces a rollback and why, the confirm deadline passing does too, the status line
// follows every outcome, the outline says when it differs from the rules in force, and the
// statistics of a rule the kernel does not hold are a dash, not "0". A helper killed before the
// deadline and restarted after it (same socket and state folder) rolls back, and the app says why.

import { smallDocument } from './pages/documents.ts';
import { expect, test } from './pages/fixtures.ts';
import { LivePage } from './pages/live-page.ts';

test.use({ withHelper: true });

test('Revert and the deadline each announce a rollback with its reason; the status line stays true', async ({
  ui,
  helper,
}) => {
  test.setTimeout(90_000);
  const { page } = ui;
  const rollback = page.getByTestId('rollback-banner');
  const lastApply = page.getByTestId('last-apply');
  const inForce = page.getByTestId('in-force');
  const firewall = page.getByTestId('firewall-switch');
  await ui.openWith('small.treewall', smallDocument());
  await expect(ui.helperStatus).toContainText('firewall off');

  // 1. Apply, then Revert: nothing was in force before, so the firewall is off again.
  await ui.apply();
  await expect(ui.confirmBanner).toBeVisible();
  await expect(lastApply).toContainText('6 rules applied, waiting for Keep');
  await ui.confirmBanner.getByRole('button', { name: 'Revert' }).click();
  await expect(rollback).toContainText('rolled back: you chose Revert');
  await expect(rollback).toContainText('The firewall is off again');
  await expect(lastApply).toHaveAttribute('data-outcome', 'rolledBack');
  await expect(ui.helperStatus).toContainText('firewall off');
  await expect(firewall).not.toBeChecked();
  expect(await helper!.server.nft(['list', 'tables'])).not.toContain('table inet treewall');

  // 2. Apply and Keep: the banner goes, the status line says kept, the outline is in force.
  await ui.apply();
  await expect(rollback).toHaveCount(0);
  await ui.confirmBanner.getByRole('button', { name: 'Keep' }).click();
  await expect(ui.confirmBanner).toHaveCount(0);
  await expect(lastApply).toContainText('6 rules applied and kept');
  await expect(ui.helperStatus).toContainText('firewall on (6 rules in force)');
  await expect(inForce).toHaveAttribute('data-differs', 'false');

  // An edit that changes what the kernel would do: the outline differs; the disabled rule's
  // statistics cell is a dash once the kernel's counters say it is not there.
  await ui.outline.toggleEnabled('3');
  await expect(inForce).toHaveAttribute('data-differs', 'true');
  await expect(inForce).toContainText('differs from the rules in force');

  // 3. Apply it and let the deadline pass: the kept rules come back, and the banner says why.
  await ui.apply();
  await expect(ui.confirmBanner).toBeVisible();
  await expect(rollback).toContainText('nobody chose Keep within 20 s', { timeout: 40_000 });
  await expect(rollback).toContainText('The previous 6 rules are in force again');
  await expect(ui.confirmBanner).toHaveCount(0);
  await expect(lastApply).toContainText('rolled back (nobody chose Keep within 20 s)');
  await expect(firewall).toBeChecked();
  // Short of room, the last apply's sentence gives way (whole in its tooltip), not the helper's.
  await expect(lastApply).toHaveAttribute('title', /rolled back \(nobody chose Keep within 20 s\)/);
  await page.setViewportSize({ width: 1000, height: 700 });
  expect(await ui.helperStatus.evaluate((el) => el.scrollWidth > el.clientWidth)).toBe(false);
  await page.setViewportSize({ width: 1400, height: 900 });
  // The kernel holds rule 3 again (enabled), the outline has it disabled: it differs.
  await expect(inForce).toHaveAttribute('data-differs', 'true');
  const active = await helper!.server.nft(['list', 'table', 'inet', 'treewall']);
  expect(active).toContain('treewall');
  // Show Active: the rules in force as a read-only outline, rule 3 marked as differing.
  await page.getByTestId('tool-firewall.showActive').click();
  const dialog = page.getByTestId('active-dialog');
  await expect(dialog.locator('[data-testid="active-row"][data-number="3"]')).toHaveAttribute(
    'data-diff',
    'changed',
  );
  await expect(dialog.locator('[data-testid="active-row"][data-number="1.1"]')).toHaveAttribute(
    'data-diff',
    'same',
  );
  await expect(dialog.getByTestId('active-summary')).toContainText('1 rule differs');
  await dialog.getByRole('button', { name: 'Close' }).click();
  await rollback.getByRole('button', { name: 'Dismiss' }).click();
  await expect(rollback).toHaveCount(0);

  // Undo the edit: the outline is the rules in force again.
  await ui.outline.toggleEnabled('3');
  await expect(inForce).toHaveAttribute('data-differs', 'false');

  // 4. The switch turns it off: the status line says so, not the old apply.
  await page.getByTestId('firewall-toggle').click();
  await expect(lastApply).toHaveAttribute('data-outcome', 'stopped');
  await expect(lastApply).toContainText('firewall turned off');
  await expect(inForce).toHaveCount(0);
});

test('a helper restarted after the deadline rolls back, and the app says that was why', async ({
  ui,
  helper,
}) => {
  test.setTimeout(90_000);
  const { page } = ui;
  const rollback = page.getByTestId('rollback-banner');
  await ui.openWith('small.treewall', smallDocument());
  await expect(ui.helperStatus).toContainText('firewall off');
  await ui.apply();
  await expect(ui.confirmBanner).toBeVisible();
  const client = await helper!.connect();
  const deadline = Date.parse((await client.call('status', {})).pendingConfirm!.deadline);
  await client.close();
  // A crash before anyone chose: the unconfirmed rules stay in the kernel, nobody rolls back.
  await helper!.kill('SIGKILL');
  await expect(ui.helperStatus).not.toContainText('firewall', { timeout: 15_000 });
  expect(await helper!.server.nft(['list', 'tables'])).toContain('table inet treewall');
  await expect.poll(() => Date.now() > deadline, { timeout: 40_000, intervals: [250] }).toBe(true);
  // Back with the same socket and state folder: it finds the deadline passed and rolls back.
  await helper!.restart();
  await expect(rollback).toContainText(
    'rolled back: the helper was restarted after the confirm deadline had passed',
    { timeout: 20_000 },
  );
  await expect(rollback).toContainText('The firewall is off again');
  await expect(ui.confirmBanner).toHaveCount(0);
  await expect(page.getByTestId('last-apply')).toHaveAttribute('data-outcome', 'rolledBack');
  await expect(ui.helperStatus).toContainText('firewall off');
  expect(await helper!.server.nft(['list', 'tables'])).not.toContain('table inet treewall');
});

test('statistics of rules the kernel does not hold show a dash, not 0; none in force: nothing live', async ({
  ui,
  helper,
}) => {
  const { page } = ui;
  const doc = smallDocument();
  doc.rules[1]!.enabled = false; // 2 outbound: disabled with its child
  await ui.openWith('small.treewall', doc);
  await ui.apply();
  await ui.confirmBanner.getByRole('button', { name: 'Keep' }).click();
  await expect(ui.confirmBanner).toHaveCount(0);
  const stats = (n: string) => ui.outline.rowByNumber(n).getByTestId('cell-stats');
  await expect(stats('2')).toHaveAttribute('data-in-force', 'false');
  await expect(stats('2')).toHaveText('—');
  await expect(stats('3')).not.toHaveAttribute('data-in-force', 'false');
  await expect(stats('3').getByTestId('stats-value')).toHaveText('0');
  await page.screenshot({ path: test.info().outputPath('stats.png') });

  // Traffic lights rule 1 and counts it; turned off, nothing is in force: what was counted is
  // marked as such, zeros become dashes, no row stays lit and no rate keeps running.
  const { client, serverAddress } = helper!;
  await expect
    .poll(
      async () => {
        await client.ping(serverAddress);
        return stats('1').getByTestId('stats-value').textContent();
      },
      { timeout: 15_000 },
    )
    .not.toBe('0');
  const counted = await stats('1').getByTestId('stats-value').textContent();
  await page.getByTestId('firewall-toggle').click();
  await expect(ui.helperStatus).toContainText('firewall off');
  await expect(stats('1')).toHaveAttribute('data-in-force', 'false');
  await expect(stats('1').getByTestId('stats-value')).toHaveText(counted!);
  for (const n of ['1.1', '2']) {
    await expect(stats(n)).toHaveAttribute('data-in-force', 'false');
    await expect(stats(n)).toHaveText('—');
  }
  await expect(page.locator('[data-testid="rule-row"][data-hit="true"]')).toHaveCount(0);
  // Traffic says the firewall is off; that is not an error.
  await new LivePage(page, ui.outline).openTab('traffic');
  await expect(page.getByTestId('traffic-off')).toBeVisible();
  await expect(page.getByTestId('traffic-error')).toHaveCount(0);
});

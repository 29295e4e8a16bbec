// The live views end to end: the browser host talking to a helper in a network namespace, real
// TCP connections from another namespace, and what the page shows about them — the statistics
// column, the Sentry Log, the triggered-address table — plus the simulator's path in the outline.
// Screenshots: test-results/, and docs/{stats,triggered,log}.png with TREEWALL_UPDATE_SCREENSHOT=1.
//
// The document is the factory default with 2.6 "Protect servers" enabled and only ssh allowed
// (2.6.1.1.2 Exit group), so a SYN to port 22 is counted by 2.6.1.1.2 and a SYN to port 80 by
// 2.6.1.1.17 "Disable all other inbound connections" (Delete, logged).

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Download, Page, TestInfo } from '@playwright/test';
import { repoRoot } from './fixtures.ts';
import { expect, protectServersDocument, RULES, test } from './pages/live-fixtures.ts';

async function readDownload(download: Download): Promise<string> {
  const file = await download.path();
  return readFile(file, 'utf8');
}

async function screenshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  await page.screenshot({ path: testInfo.outputPath(name) });
  if (process.env.TREEWALL_UPDATE_SCREENSHOT === '1') {
    await page.screenshot({ path: path.join(repoRoot, 'docs', name) });
  }
}

test.describe('with a helper and real traffic', () => {
  // Notifications allowed, as a user who clicked "Allow" would have them.
  test.use({
    withHelper: true,
    permissions: ['clipboard-read', 'clipboard-write', 'notifications'],
  });

  test('the statistics column counts ssh and the final delete; the log jumps to its rule', async ({
    ui,
    live,
    helper,
    consoleErrors,
  }, testInfo) => {
    const { outline, page } = ui;
    const { server, client, serverAddress } = helper!;
    await ui.openWith('protect.treewall', protectServersDocument());
    await live.applyAndKeep();
    const ssh = await server.listenTcp(22);
    const web = await server.listenTcp(80);

    await outline.filter('2.6.1.1');
    // Nothing matched yet: both rules carry the "never matched since apply" marker.
    await expect(outline.rowByNumber('2.6.1.1.2').getByTestId('cell-stats')).toHaveAttribute(
      'data-never',
      'true',
    );

    const SSH_CONNECTIONS = 3;
    const WEB_ATTEMPTS = 2;
    for (let i = 0; i < SSH_CONNECTIONS; i++)
      expect((await client.tcpConnect(serverAddress, 22)).result).toBe('connected');
    // Port 80 is not among the allowed services: its SYN is deleted (one SYN each: the attempt
    // gives up before the kernel's first retransmission after 1 s).
    for (let i = 0; i < WEB_ATTEMPTS; i++)
      expect((await client.tcpConnect(serverAddress, 80, { timeoutMs: 300 })).result).toBe(
        'timeout',
      );
    expect((await web.stats()).accepted ?? 0).toBe(0);

    // Only SYNs reach 2.6.1.1's children (TCP header flags == syn,-ack): one per connection.
    await expect(live.stats('2.6.1.1.2')).toHaveText(String(SSH_CONNECTIONS));
    await expect(live.stats('2.6.1.1.17')).toHaveText(String(WEB_ATTEMPTS));
    await expect(outline.rowByNumber('2.6.1.1.2').getByTestId('cell-stats')).not.toHaveAttribute(
      'data-never',
      'true',
    );
    // A disabled service never matched.
    await expect(outline.rowByNumber('2.6.1.1.3').getByTestId('cell-stats')).not.toHaveAttribute(
      'data-never',
      'true',
    );

    // The popup switches the column to bytes: a SYN is 60 bytes (IPv4 20 + TCP 20 + options 20).
    await live.chooseStatistic('Byte count');
    await expect(live.stats('2.6.1.1.17')).toHaveText(/^\d+ B$/);
    const bytes = Number((await live.stats('2.6.1.1.17').textContent())?.replace(' B', ''));
    expect(bytes).toBeGreaterThanOrEqual(WEB_ATTEMPTS * 40);
    await live.chooseStatistic('Match count');

    // Subtree totals: collapsed 2.6 shows the sum of the rules at the ends of its branches.
    await outline.filter('');
    await outline.collapse('2.6');
    await page.getByTestId('stats-popup').click();
    await expect(page.getByTestId('stats-since')).toContainText('Counting since the apply at');
    await page.getByRole('menuitemcheckbox', { name: /Subtree totals/ }).click();
    await expect(live.stats('2.6')).toHaveText(`Σ ${SSH_CONNECTIONS + WEB_ATTEMPTS}`);
    await page.getByTestId('stats-popup').click();
    await page.getByRole('menuitemcheckbox', { name: /Subtree totals/ }).click();
    await expect(live.stats('2.6')).not.toHaveText(/Σ/);

    // The traffic view lists the busiest rules.
    await live.openTab('traffic');
    await expect(page.getByTestId('top-packets')).toContainText('2.6.1.1.2');
    await expect(page.getByTestId('top-packets')).toContainText('2.6.1.1.17');
    // The chart can draw the busiest rules one by one beside the totals (2.3.1 may be among
    // them too: the factory default delays arriving resets, and closing connections send some).
    await page.getByTestId('chart-per-rule').check();
    await expect(page.getByTestId('chart-series')).toContainText(['2.6.1.1.2', '2.6.1.1.17']);
    // While ssh connections keep coming, the rules they match are highlighted (matched within
    // the last second), and the chart moves: the picture for the README.
    await outline.filter('2.6');
    let flowing = true;
    const traffic = (async () => {
      for (let i = 0; flowing && i < 200; i++) {
        await client.tcpConnect(serverAddress, 22);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })();
    await expect(outline.rowByNumber('2.6.1.1.2')).toHaveAttribute('data-hit', 'true');
    await expect(outline.rowByNumber('2.6.1.1.2')).toHaveClass(/\bhit\b/);
    await page.waitForTimeout(4000);
    await screenshot(page, testInfo, 'stats.png');
    flowing = false;
    await traffic;

    // Pings are logged too (2.4.1.3.3 Log): a pass the log shows beside the deletes.
    for (let i = 0; i < 3; i++) expect((await client.ping(serverAddress)).result).toBe('reply');

    // The Sentry Log shows the deleted SYNs, each naming the rule that deleted it.
    await live.openTab('log');
    await expect(live.logEventsOf('d-2-4-1-3-3')).toHaveCount(3);
    const deleted = live.logEventsOf(RULES.deleteOthers);
    await expect(deleted).toHaveCount(WEB_ATTEMPTS);
    await expect(deleted.first()).toContainText('Delete');
    await expect(deleted.first()).toContainText(`${serverAddress}:80`);
    // Jump: clicking the event clears the filter and selects 2.6.1.1.17 in the outline.
    await outline.filter('ssh');
    await deleted.first().click();
    await expect(page.getByTestId('filter')).toHaveValue('');
    await expect(outline.rowByNumber('2.6.1.1.17')).toHaveAttribute('aria-selected', 'true');
    await screenshot(page, testInfo, 'log.png');

    // Export as text: a header and one tab-separated line per event shown (here: the deletes).
    await page.getByRole('combobox', { name: 'Filter by action' }).selectOption('Delete');
    await expect(page.getByTestId('log-count')).toHaveText(`${WEB_ATTEMPTS} of 5`);
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export text' }).click();
    const lines = (await readDownload(await download)).trimEnd().split('\n');
    expect(lines).toHaveLength(1 + WEB_ATTEMPTS);
    expect(lines[1]?.split('\t').slice(1, 3)).toEqual(['2.6.1.1.17', 'Delete']);
    await page.getByRole('combobox', { name: 'Filter by action' }).selectOption('');

    // "Make rule…" proposes a rule before 2.6.1.1.17 that would pass this packet.
    await deleted.first().hover();
    await deleted.first().getByTestId('log-make-rule').click();
    const proposal = page.getByTestId('make-rule');
    await expect(proposal).toContainText('Goes before rule 2.6.1.1.17');
    await expect(proposal.getByTestId('make-rule-after')).toHaveText('pass');
    await page.screenshot({ path: testInfo.outputPath('make-rule.png') });
    await proposal.getByTestId('make-rule-insert').click();
    await expect(outline.rowByNumber('2.6.1.1.17')).toHaveAttribute('aria-selected', 'true');
    await expect(outline.cell('2.6.1.1.17', 'property')).toContainText('Source net');
    await expect(outline.cell('2.6.1.1.18', 'name')).toContainText('Disable all other');

    // Simulate the logged packet against the edited (not yet applied) rules: the new rule passes it.
    await deleted.first().hover();
    await deleted.first().getByTestId('log-simulate').click();
    await expect(page.getByTestId('simulator-panel')).toBeVisible();
    await expect(page.getByTestId('sim-verdict')).toHaveText('pass');
    await expect(outline.rowByNumber('2.6.1.1.17')).toHaveAttribute('data-sim', 'verdict');

    await ssh.close();
    await web.close();
    // Nothing the strict CSP refused (inline styles, eval) and no React errors on the way.
    expect(consoleErrors).toEqual([]);
  });

  test('a ban appears in the triggered table and removing it lets the host back in', async ({
    ui,
    live,
    helper,
  }, testInfo) => {
    const { page } = ui;
    const { server, client, serverAddress, clientAddress } = helper!;
    // Record the desktop notifications the page raises (the real constructor still runs).
    await page.addInitScript(() => {
      const Real = window.Notification;
      const shown: string[] = [];
      (window as unknown as { shownNotifications: string[] }).shownNotifications = shown;
      window.Notification = class extends Real {
        constructor(title: string, options?: NotificationOptions) {
          super(title, options);
          shown.push(title);
        }
      } as typeof Notification;
    });
    await ui.openWith('protect.treewall', protectServersDocument());
    await live.applyAndKeep();
    const ssh = await server.listenTcp(22);
    expect((await client.tcpConnect(serverAddress, 22)).result).toBe('connected');

    // A telnet probe: 2.1.5.1 triggers (bans the source) and its Alert child notifies.
    expect((await client.tcpConnect(serverAddress, 23, { timeoutMs: 300 })).result).toBe('timeout');
    await live.openTab('triggered');
    const row = live.triggeredRow(clientAddress);
    await expect(row).toBeVisible();
    await expect(row.getByTestId('triggered-rule')).toHaveText('2.1.5.1');
    await expect(row).toContainText('trigger');
    await expect(page.getByTestId('toast').filter({ hasText: '23 (Telnet) probe' })).toBeVisible();
    // ... and as a desktop notification (Alert).
    expect(
      await page.evaluate(
        () => (window as unknown as { shownNotifications: string[] }).shownNotifications,
      ),
    ).toEqual([expect.stringContaining('23 (Telnet) probe')]);
    // Banned: even ssh is refused now.
    expect((await client.tcpConnect(serverAddress, 22, { timeoutMs: 500 })).result).toBe('timeout');
    // An address added by hand, for an hour.
    await page.getByTestId('triggered-address').fill('192.0.2.66');
    await page.getByRole('combobox', { name: 'Duration' }).selectOption({ label: '1 hour' });
    await page.getByTestId('triggered-add').click();
    await expect(live.triggeredRow('192.0.2.66')).toContainText('added by hand');
    await expect(live.triggeredRow('192.0.2.66')).toContainText(/59 min|1 h 00 min/);

    // The triggering rule is one click away.
    await row.getByTestId('triggered-rule').click();
    await expect(ui.outline.rowByNumber('2.1.5.1')).toHaveAttribute('aria-selected', 'true');
    // Counted since the apply: the probe by its Trigger rule, the banned ssh SYN by 2.1.1.
    await expect(live.stats('2.1.5.1')).toHaveText('1');
    await expect(live.stats('2.1.1')).toHaveText('1');
    await screenshot(page, testInfo, 'triggered.png');

    // Export, remove all, import the exported text: the hand-added address comes back.
    const exported = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export…' }).click();
    const tsv = await readDownload(await exported);
    expect(tsv).toContain(`${clientAddress}\ttrigger`);
    expect(tsv).toContain('192.0.2.66');
    await page.getByTestId('triggered-flush').click();
    await page.getByTestId('confirm-dialog').getByRole('button', { name: 'Remove All' }).click();
    await expect(live.triggeredRows).toHaveCount(0);
    expect((await client.tcpConnect(serverAddress, 22, { timeoutMs: 500 })).result).toBe(
      'connected',
    );
    await page.getByTestId('triggered-import').setInputFiles({
      name: 'banned.tsv',
      mimeType: 'text/tab-separated-values',
      buffer: Buffer.from(tsv),
    });
    await expect(live.triggeredRow('192.0.2.66')).toBeVisible();
    await expect(live.triggeredRow(clientAddress)).toBeVisible();
    expect((await client.tcpConnect(serverAddress, 22, { timeoutMs: 500 })).result).toBe('timeout');

    await live.removeTriggered(clientAddress);
    await expect
      .poll(async () => (await client.tcpConnect(serverAddress, 22, { timeoutMs: 500 })).result)
      .toBe('connected');
    await ssh.close();
  });
});

test('the simulator judges a packet and marks its path in the outline', async ({
  ui,
  live,
  consoleErrors,
}, testInfo) => {
  const { outline, page } = ui;
  await ui.openWith('protect.treewall', protectServersDocument());

  await live.simulate('in eth0 tcp 10.77.0.1:40000 > 10.77.0.2:80 flags syn');
  await expect(page.getByTestId('sim-verdict')).toHaveText('delete');
  await expect(page.getByTestId('sim-path')).toContainText('2.6.1.1.17');
  await outline.filter('2.6.1.1.17');
  expect(await live.pathMark('2.6.1.1.17')).toBe('verdict');
  expect(await live.pathMark('2.6')).toBe('matched');
  expect(await live.pathMark('2.6.1.1')).toBe('matched');
  await outline.filter('ssh');
  expect(await live.pathMark('2.6.1.1.2')).toBe('tested');

  // The same packet to port 22 leaves the group by Exit group and is passed by default.
  await live.simulate('in eth0 tcp 10.77.0.1:40000 > 10.77.0.2:22 flags syn');
  await expect(page.getByTestId('sim-verdict')).toHaveText('pass');
  await expect(outline.rowByNumber('2.6.1.1.2')).toHaveAttribute('data-sim', 'matched');

  // An edit re-judges the shown packet: disable ssh, and port 22 is deleted too.
  await outline.toggleEnabled('2.6.1.1.2');
  await expect(page.getByTestId('sim-verdict')).toHaveText('delete');

  // The same from fields: a connection to 443 from 10.77.0.1 (HTTPS is not allowed). The
  // fields followed the last line simulated (destination 10.77.0.2).
  const builder = page.getByTestId('packet-builder');
  await expect(builder.getByRole('textbox', { name: 'Destination address' })).toHaveValue(
    '10.77.0.2',
  );
  await builder.getByRole('textbox', { name: 'Source address' }).fill('10.77.0.1');
  await builder.getByRole('textbox', { name: 'Destination port' }).fill('443');
  await expect(page.getByTestId('sim-spec')).toHaveValue(
    'in eth0 tcp 10.77.0.1:40000 > 10.77.0.2:443 flags syn',
  );
  await builder.getByRole('button', { name: 'Simulate these' }).click();
  await expect(page.getByTestId('sim-verdict')).toHaveText('delete');
  await page.screenshot({ path: testInfo.outputPath('simulator.png') });

  // A terminating rule decides first; its children run after it, for side effects only (the
  // Telnet probe's Trigger, then its Alert child), and the path says so.
  await live.simulate('in eth0 tcp 10.77.0.1:40000 > 10.77.0.2:23 flags syn');
  await expect(page.getByTestId('sim-verdict')).toHaveText('delete');
  const after = page.locator('[data-testid="sim-step"][data-after-verdict="true"]');
  await expect(after.first()).toBeVisible();
  await expect(page.getByTestId('sim-path')).toContainText('for side effects only');
  await expect(page.getByTestId('sim-path')).toContainText('decides (Trigger)');

  // A routed packet is tested on arrival and, if it passed, again on departure.
  await live.simulate('routed eth0 eth1 udp 10.77.0.1:40000 > 10.78.0.9:53');
  await expect(page.getByTestId('sim-passes')).toContainText('on arrival (inbound eth0)');
  await expect(page.getByTestId('sim-path')).toContainText('On arrival');

  // A packet line that does not parse says why.
  await live.simulate('sideways tcp 1.2.3.4 > 5.6.7.8');
  await expect(page.getByTestId('simulator-error')).toContainText('in, out or routed');
  expect(consoleErrors).toEqual([]);
});

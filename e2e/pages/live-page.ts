// Runtime: Node (Playwright page object). The live views as a user drives them: the statistics
// column and its popup, the dock's panels (Traffic, Triggered, Log, Simulator), and applying the
// rules for good (Apply, then Keep in the confirm banner).

import { expect, type Locator, type Page } from '@playwright/test';
import type { OutlinePage } from './outline-page.ts';

export type LiveTab = 'traffic' | 'triggered' | 'log' | 'simulator';

export class LivePage {
  readonly triggeredRows: Locator;
  readonly logEvents: Locator;

  constructor(
    readonly page: Page,
    readonly outline: OutlinePage,
  ) {
    this.triggeredRows = page.getByTestId('triggered-row');
    this.logEvents = page.getByTestId('log-event');
  }

  /** Apply and keep the rules (the confirm banner's Keep), waiting until the helper has them. */
  async applyAndKeep(): Promise<void> {
    await this.page.getByTestId('tool-firewall.apply').click();
    const banner = this.page.getByTestId('confirm-banner');
    await expect(banner).toBeVisible();
    await banner.getByRole('button', { name: 'Keep' }).click();
    // One click: the banner says "Keeping…" until the helper answers, which on a busy machine
    // waits for the apply's queued table fingerprint (seconds).
    await expect(banner).toBeHidden({ timeout: 30_000 });
    await expect(this.page.getByTestId('helper-status')).toContainText('firewall on');
    // Kept for good: no late status brings the countdown back.
    await expect(banner).toBeHidden();
  }

  async openTab(tab: LiveTab): Promise<void> {
    const button = this.page.getByTestId(`dock-tab-${tab}`);
    if ((await button.getAttribute('aria-selected')) !== 'true') await button.click();
    await expect(button).toHaveAttribute('aria-selected', 'true');
  }

  /** What the statistics column shows for a visible row. */
  stats(number: string): Locator {
    return this.outline.rowByNumber(number).getByTestId('stats-value');
  }

  async chooseStatistic(label: string): Promise<void> {
    await this.page.getByTestId('stats-popup').click();
    await this.page
      .getByRole('menu', { name: 'Statistics' })
      .getByRole('menuitemradio', { name: label })
      .click();
  }

  triggeredRow(address: string): Locator {
    return this.page.locator(`[data-testid="triggered-row"][data-address="${address}"]`);
  }

  async removeTriggered(address: string): Promise<void> {
    await this.triggeredRow(address).getByTestId('triggered-remove').click();
    await expect(this.triggeredRow(address)).toHaveCount(0);
  }

  logEventsOf(ruleId: string): Locator {
    return this.page.locator(`[data-testid="log-event"][data-rule-id="${ruleId}"]`);
  }

  async simulate(spec: string): Promise<void> {
    await this.openTab('simulator');
    await this.page.getByTestId('sim-spec').fill(spec);
    await this.page.getByTestId('sim-run').click();
  }

  /** The simulator's mark on a visible row: verdict, matched, tested, or null. */
  async pathMark(number: string): Promise<string | null> {
    return this.outline.rowByNumber(number).getAttribute('data-sim');
  }
}

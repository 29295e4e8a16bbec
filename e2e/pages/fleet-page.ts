// Runtime: Node (Playwright page object). The fleet as a user drives it: the Fleet tab of the live
// dock (hosts and their state, add/edit/remove, Apply to a group and its rollout strip) and the
// host picker in the status bar.

import { expect, type Locator, type Page } from '@playwright/test';

export class FleetPage {
  readonly rows: Locator;
  readonly rollout: Locator;
  readonly picker: Locator;

  constructor(readonly page: Page) {
    this.rows = page.getByTestId('fleet-row');
    this.rollout = page.getByTestId('rollout');
    this.picker = page.getByTestId('host-picker-select');
  }

  async open(): Promise<void> {
    const button = this.page.getByTestId('dock-tab-fleet');
    if ((await button.getAttribute('aria-selected')) !== 'true') await button.click();
    await expect(button).toHaveAttribute('aria-selected', 'true');
  }

  row(host: string): Locator {
    return this.page.locator(`[data-testid="fleet-row"][data-host="${host}"]`);
  }

  errorOf(host: string): Locator {
    return this.page.locator(`[data-testid="fleet-error"][data-host="${host}"]`);
  }

  cell(
    host: string,
    column:
      | 'reachable'
      | 'firewall'
      | 'fingerprint'
      | 'drift'
      | 'matches'
      | 'rollout'
      | 'last-apply'
      | 'rate',
  ): Locator {
    return this.row(host).getByTestId(`fleet-${column}`);
  }

  async addHost(name: string, address: string, groups: string): Promise<void> {
    await this.page.getByTestId('fleet-add').click();
    await this.page.getByTestId('fleet-form-name').fill(name);
    await this.page.getByTestId('fleet-form-address').fill(address);
    await this.page.getByTestId('fleet-form-groups').fill(groups);
    await this.page.getByTestId('fleet-form-save').click();
  }

  async removeHost(name: string): Promise<void> {
    await this.row(name).getByTestId('fleet-remove').click();
    await this.page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
  }

  /** "Apply the outline to" (all, group:NAME, host:NAME), then the Apply button. */
  async applyTo(key: string): Promise<void> {
    await this.page.getByTestId('fleet-apply-target').selectOption(key);
    await this.page.getByTestId('fleet-apply').click();
  }

  /** "confirm within N s": how long each host of the next rollout waits for its confirm. */
  async confirmWithin(seconds: number): Promise<void> {
    await this.page.getByTestId('fleet-confirm-seconds').fill(String(seconds));
  }

  /** Keep the canary when the strip asks. */
  async keepCanary(): Promise<void> {
    await expect(this.rollout).toHaveAttribute('data-phase', 'canary-confirm', { timeout: 60_000 });
    await this.page.getByTestId('rollout-keep').click();
  }

  /** Point the live views at `key`: local, all, group:NAME, host:NAME. */
  async show(key: string): Promise<void> {
    await this.picker.selectOption(key);
  }
}

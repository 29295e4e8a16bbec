// Runtime: Node (Playwright page object). The window around the outline: documents (menu bar and
// dialogs of the browser host), Apply and its problem list, banners, the title and status bar.

import { expect, type Locator, type Page } from '@playwright/test';
import type { FirewallDocument } from '../../shared/model/types.ts';
import { documentToXml } from '../../shared/plist/document.ts';
import type { ServeHandle } from '../fixtures.ts';
import { OutlinePage } from './outline-page.ts';

export class AppPage {
  readonly outline: OutlinePage;
  readonly errorBanner: Locator;
  readonly problems: Locator;
  readonly confirmBanner: Locator;
  readonly helperStatus: Locator;

  constructor(
    readonly page: Page,
    readonly serve: ServeHandle,
  ) {
    this.outline = new OutlinePage(page);
    this.errorBanner = page.getByTestId('error-banner');
    this.problems = page.getByTestId('problems');
    this.confirmBanner = page.getByTestId('confirm-banner');
    this.helperStatus = page.getByTestId('helper-status');
  }

  /** Write `document` into the served folder and open the app on it. */
  async openWith(name: string, document: FirewallDocument): Promise<void> {
    await this.serve.writeFile(name, documentToXml(document));
    await this.page.goto(this.serve.urlFor(name));
    await this.waitForDocument(name);
  }

  async waitForDocument(name: string): Promise<void> {
    await expect(this.page).toHaveTitle(new RegExp(`^${escape(name)} — treewall$`));
  }

  async title(): Promise<string> {
    return this.page.title();
  }

  async menu(menu: string, item: string): Promise<void> {
    await this.page.getByRole('menubar').getByRole('menuitem', { name: menu, exact: true }).click();
    await this.page.getByRole('menu', { name: menu }).getByRole('menuitem', { name: item }).click();
  }

  async apply(): Promise<void> {
    await this.page.getByTestId('tool-firewall.apply').click();
  }

  /** The rule numbers listed in the "Apply blocked" panel. */
  async blockingNumbers(): Promise<string[]> {
    return this.problems.getByTestId('problem-link').allTextContents();
  }

  /** File > Save As… with a name in the served folder. */
  async saveAs(name: string): Promise<void> {
    await this.menu('File', 'Save As…');
    const dialog = this.page.getByTestId('save-dialog');
    await dialog.getByTestId('save-name').fill(name);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await this.waitForDocument(name);
  }

  async save(): Promise<void> {
    await this.page.keyboard.press('Control+s');
  }

  /** File > Open… and pick a document of the served folder. */
  async open(name: string): Promise<void> {
    await this.menu('File', 'Open…');
    const dialog = this.page.getByTestId('open-dialog');
    await dialog.getByRole('option', { name: new RegExp(`^${escape(name)}`) }).click();
    await dialog.getByRole('button', { name: 'Open' }).click();
    await this.waitForDocument(name);
  }

  /** Answer the unsaved-changes question. */
  async answer(button: 'Save' | 'Don’t Save' | 'Cancel' | 'Revert'): Promise<void> {
    await this.page
      .getByTestId('confirm-dialog')
      .getByRole('button', { name: button, exact: true })
      .click();
  }
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

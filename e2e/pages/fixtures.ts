// Runtime: Node (Playwright fixtures). The shell engineer's `treewall serve` fixture, plus the
// page objects, so a spec reads `async ({ ui }) => ui.outline.addChild()`.

import { test as base, expect } from '../fixtures.ts';
import { AppPage } from './app-page.ts';

export const test = base.extend<{ ui: AppPage }>({
  ui: async ({ app, serve }, use) => {
    await use(new AppPage(app, serve));
  },
});

export { expect };

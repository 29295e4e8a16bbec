// Issue 14 point 7 (the parts done): the filter marks the rules that match and says "n of N";
// disabled rows keep 4.5:1 contrast, in the light and the dark theme; the dark theme follows the
// system's prefers-color-scheme; the Open dialog counts its documents in words.

import type { Page } from '@playwright/test';
import { emptyDocument, smallDocument } from './pages/documents.ts';
import { expect, test } from './pages/fixtures.ts';
import { LivePage } from './pages/live-page.ts';

/**
 * WCAG contrast of an element's text colour against the nearest opaque background, or, with
 * `against`, against that other element's text colour.
 */
async function contrast(page: Page, selector: string, against?: string): Promise<number> {
  return page.evaluate(
    ([sel, other]) => {
      const el = document.querySelector(sel!)!;
      const parse = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
      let bgEl: Element | null = el;
      let bg = [255, 255, 255];
      while (bgEl) {
        const c = parse(getComputedStyle(bgEl).backgroundColor);
        if (c.length >= 3 && (c.length < 4 || c[3] === 1)) {
          bg = c.slice(0, 3);
          break;
        }
        bgEl = bgEl.parentElement;
      }
      if (other) bg = parse(getComputedStyle(document.querySelector(other)!).color).slice(0, 3);
      const fg = parse(getComputedStyle(el).color).slice(0, 3);
      const lum = ([r, g, b]: number[]) => {
        const f = (v: number) => {
          const s = v / 255;
          return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
        };
        return 0.2126 * f(r!) + 0.7152 * f(g!) + 0.0722 * f(b!);
      };
      const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
      return (a! + 0.05) / (b! + 0.05);
    },
    [selector, against],
  );
}

test('the filter marks matches and says how many of all', async ({ ui }) => {
  const { page } = ui;
  await ui.openWith('s.treewall', smallDocument());
  await ui.outline.filter('web');
  await expect(page.getByTestId('filter-count')).toHaveText('1 of 6 rules match');
  await expect(ui.outline.rowByNumber('1.2')).toHaveAttribute('data-filter-match', 'true');
  // Its parent is shown for context, not marked.
  await expect(ui.outline.rowByNumber('1')).not.toHaveAttribute('data-filter-match', 'true');
  await page.getByTestId('filter').press('Escape');
  await expect(page.getByTestId('filter-count')).toHaveCount(0);
});

for (const scheme of ['light', 'dark'] as const) {
  test(`disabled rows keep 4.5:1 contrast (${scheme})`, async ({ ui }) => {
    const { page } = ui;
    await page.emulateMedia({ colorScheme: scheme });
    const doc = smallDocument();
    doc.rules[2]!.enabled = false;
    await ui.openWith('s.treewall', doc);
    const sel = '[data-testid="rule-row"][data-active="false"] [data-testid="cell-name"]';
    await expect(page.locator(sel)).toHaveText('last');
    expect(await contrast(page, sel)).toBeGreaterThanOrEqual(4.5);
    // Rule numbers: both readable, and a disabled rule's visibly different from an enabled one's.
    const off = '[data-testid="rule-row"][data-active="false"] [data-testid="rule-number"]';
    const on = '[data-testid="rule-row"][data-active="true"] [data-testid="rule-number"]';
    await expect(page.locator(off)).toHaveText('3');
    expect(await contrast(page, off)).toBeGreaterThanOrEqual(4.5);
    expect(await contrast(page, on)).toBeGreaterThanOrEqual(4.5);
    expect(await contrast(page, on, off)).toBeGreaterThanOrEqual(1.8);
    const body = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    if (scheme === 'dark') expect(body).toBe('rgb(30, 31, 34)');
    else expect(body).toBe('rgb(255, 255, 255)');
  });
}

test('a document without rules says so when it opens', async ({ ui }) => {
  const { page } = ui;
  await ui.openWith('empty.treewall', emptyDocument());
  await expect(ui.errorBanner).toContainText('“empty.treewall” holds no rules.');
  await expect(page.getByText('No rules. Click “New rule” to add one.')).toBeVisible();
});

test('the Open dialog counts its documents in words', async ({ ui }) => {
  const { page } = ui;
  await ui.openWith('s.treewall', smallDocument());
  await ui.menu('File', 'Open…');
  await expect(page.getByTestId('open-dialog')).toContainText('1 document in');
});

test.describe('with a helper', () => {
  test.use({ withHelper: true });
  test('log entries show the current number of their rule after later edits', async ({
    ui,
    helper,
  }) => {
    const { page } = ui;
    const live = new LivePage(page, ui.outline);
    await ui.openWith('s.treewall', smallDocument());
    await live.applyAndKeep();
    await live.openTab('log');
    // Port 23 reaches rule 3 (Any Delete), which logs.
    await helper!.client.tcpConnect(helper!.serverAddress, 23, { timeoutMs: 300 });
    const entry = live.logEvents.first();
    await expect(entry.getByTestId('rule-ref')).toHaveText('3');
    // A new rule at the top: "last" is rule 4 now, and the log says so.
    await ui.outline.select('1');
    await ui.outline.collapse('1');
    await ui.outline.addRule({ before: true });
    await expect(ui.outline.rowByNumber('4')).toContainText('last');
    await expect(entry.getByTestId('rule-ref')).toHaveText('4');
    await expect(entry.getByTestId('rule-ref')).toHaveAttribute('title', 'Rule 3 when it happened');
    // Deleted: the old number, struck through.
    await ui.outline.select('4');
    await ui.outline.deleteSelected();
    await expect(entry.getByTestId('rule-ref')).toHaveText('3');
    await expect(entry.getByTestId('rule-ref')).toHaveClass('rule-gone');
  });
});

test('the simulator’s line and its fields follow each other', async ({ ui }) => {
  const { page } = ui;
  await ui.openWith('s.treewall', smallDocument());
  await page.getByTestId('dock-tab-simulator').click();
  const line = page.getByTestId('sim-spec');
  const form = page.getByTestId('packet-builder');
  // Fields -> line.
  await form.getByRole('textbox', { name: 'Destination port' }).fill('80');
  await expect(line).toHaveValue(/10\.0\.0\.1:80 flags syn$/);
  // Line -> fields.
  await line.fill('out wlan0 udp 10.0.0.5:5353 > 224.0.0.251:53');
  await expect(form.getByRole('combobox', { name: 'Direction' })).toHaveValue('out');
  await expect(form.getByRole('combobox', { name: 'Protocol' })).toHaveValue('udp');
  await expect(form.getByRole('textbox', { name: 'Interface' })).toHaveValue('wlan0');
  await expect(form.getByRole('textbox', { name: 'Destination port' })).toHaveValue('53');
  await expect(page.getByTestId('pb-out-of-sync')).toHaveCount(0);
  // A line the fields cannot say: they say so.
  await line.fill('in eth0 tcp 192.0.2.7:40000 > 10.0.0.1:22 flags syn length 1400');
  await expect(page.getByTestId('pb-out-of-sync')).toBeVisible();
});

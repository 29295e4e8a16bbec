// Runtime: Node (Playwright page object). The rule outline as a user sees it: rows by their
// outline number, cells by column. Methods say what the user does (`addChild`, `dragOnto`), and
// selectors are roles and data-testids, never layout.

import { expect, type Locator, type Page } from '@playwright/test';

export type Column = 'name' | 'property' | 'relation' | 'value' | 'action' | 'parameter';

/** One row as the outline shows it. */
export interface RowView {
  number: string;
  enabled: boolean;
  active: boolean;
  name: string;
  property: string;
  relation: string;
  value: string;
  action: string;
  parameter: string;
}

export class OutlinePage {
  readonly rows: Locator;

  constructor(readonly page: Page) {
    this.rows = page.getByTestId('rule-row');
  }

  rowByNumber(number: string): Locator {
    return this.rows.filter({
      has: this.page.locator(`[data-testid="rule-number"]:text-is("${number}")`),
    });
  }

  cell(number: string, column: Column): Locator {
    return this.rowByNumber(number).getByTestId(`cell-${column}`);
  }

  /** The outline numbers of the visible rows, top to bottom. */
  async numbers(): Promise<string[]> {
    return this.page.getByTestId('rule-number').allTextContents();
  }

  /** Each row as `number name`, top to bottom. */
  async outlineText(): Promise<string[]> {
    const numbers = await this.numbers();
    const names = await this.page.getByTestId('cell-name').allTextContents();
    return numbers.map((n, i) => `${n} ${names[i] ?? ''}`);
  }

  async row(number: string): Promise<RowView> {
    const row = this.rowByNumber(number);
    const text = async (column: Column) =>
      ((await row.getByTestId(`cell-${column}`).textContent()) ?? '').replace(/▾$/, '').trim();
    return {
      number,
      enabled: await row.getByTestId('enable').isChecked(),
      active: (await row.getAttribute('data-active')) === 'true',
      name: await text('name'),
      property: await text('property'),
      relation: await text('relation'),
      value: await text('value'),
      action: await text('action'),
      parameter: await text('parameter'),
    };
  }

  /** Every visible row (expand first to see everything). */
  async snapshot(): Promise<RowView[]> {
    const out: RowView[] = [];
    for (const n of await this.numbers()) out.push(await this.row(n));
    return out;
  }

  /** Click a row (on its number, away from the cells that open menus or editors). */
  async select(number: string, modifiers: ('Shift' | 'Control' | 'Alt')[] = []): Promise<void> {
    await this.rowByNumber(number).getByTestId('rule-number').click({ modifiers });
    await expect(this.rowByNumber(number)).toHaveAttribute('aria-selected', 'true');
  }

  /** Right-click a row (on its number) and choose an item of its context menu. */
  async contextMenu(number: string, item: string): Promise<void> {
    await this.rowByNumber(number).getByTestId('rule-number').click({ button: 'right' });
    const menu = this.page.getByRole('menu', { name: 'Rule' });
    await menu.getByRole('menuitem', { name: item, exact: true }).click();
    await expect(menu).toHaveCount(0);
  }

  async addRule(options: { before?: boolean } = {}): Promise<void> {
    await this.page
      .getByTestId('tool-rule.newSibling')
      .click({ modifiers: options.before ? ['Alt'] : [] });
  }

  async addChild(): Promise<void> {
    await this.page.getByTestId('tool-rule.newChild').click();
  }

  async deleteSelected(): Promise<void> {
    await this.page.getByTestId('tool-edit.delete').click();
  }

  async toggleEnabled(number: string): Promise<void> {
    await this.rowByNumber(number).getByTestId('enable').click();
  }

  async isExpanded(number: string): Promise<boolean> {
    return (
      (await this.rowByNumber(number).getByTestId('disclosure').getAttribute('class'))?.includes(
        'open',
      ) ?? false
    );
  }

  async expand(number: string, options: { subtree?: boolean } = {}): Promise<void> {
    if (!(await this.isExpanded(number))) {
      await this.rowByNumber(number)
        .getByTestId('disclosure')
        .click({ modifiers: options.subtree ? ['Alt'] : [] });
    }
  }

  async collapse(number: string): Promise<void> {
    if (await this.isExpanded(number))
      await this.rowByNumber(number).getByTestId('disclosure').click();
  }

  /** A toolbar button, or its item in the toolbar's "More" menu when the window is narrow. */
  async toolbarCommand(command: string): Promise<void> {
    const button = this.page.getByTestId(`tool-${command}`);
    if (await button.isVisible()) return button.click();
    await this.page.getByTestId('tool-more').click();
    await this.page.getByTestId(`more-${command}`).click();
  }

  async expandAll(): Promise<void> {
    await this.toolbarCommand('view.expandAll');
  }

  async collapseAll(): Promise<void> {
    await this.toolbarCommand('view.collapseAll');
  }

  /** Pick from a cell's popup menu (property, relation, action). */
  async choose(
    number: string,
    column: 'property' | 'relation' | 'action',
    name: string,
  ): Promise<void> {
    await this.cell(number, column).click();
    await this.page
      .getByTestId(`menu-${column}`)
      .getByRole('menuitemradio', { name, exact: true })
      .click();
    await expect(this.cell(number, column)).toContainText(name);
  }

  /** Double-click a text cell and type; Enter commits unless `commit` is false. */
  async type(
    number: string,
    column: 'name' | 'value' | 'parameter',
    text: string,
    options: { commit?: boolean } = {},
  ): Promise<void> {
    await this.cell(number, column).dblclick();
    const input = this.page.getByTestId(`edit-${column}`);
    await input.fill(text);
    if (options.commit ?? true) {
      await input.press('Enter');
      await expect(input).toHaveCount(0);
    }
  }

  /** How far the rows are scrolled, in pixels. */
  scrollTop(): Promise<number> {
    return this.scroller().evaluate((el) => el.scrollTop);
  }

  /** Turn the mouse wheel over the outline by `dy` pixels and wait until the rows rest. */
  async wheel(dy: number): Promise<void> {
    await this.page.getByTestId('outline').hover();
    await this.page.mouse.wheel(0, dy);
    let last = -1;
    await expect
      .poll(async () => {
        const top = await this.scrollTop();
        const resting = top === last;
        last = top;
        return resting;
      })
      .toBe(true);
  }

  /**
   * Does `action` while the rows are still moving, as at the end of a touchpad's momentum: every
   * frame the list scrolls a pixel down, then back up (so the rows stay under the pointer).
   */
  async whileScrolling<T>(action: () => Promise<T>): Promise<T> {
    await this.scroller().evaluate((el) => {
      const w = window as unknown as { __twScrolling?: boolean };
      w.__twScrolling = true;
      let step = 1;
      const frame = () => {
        if (!w.__twScrolling) return;
        el.scrollTop += step;
        step = -step;
        requestAnimationFrame(frame);
      };
      requestAnimationFrame(frame);
    });
    // Wait until the outline has seen the scrolling (a frame or two).
    await this.page.evaluate(
      () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))),
    );
    try {
      return await action();
    } finally {
      await this.page.evaluate(() => {
        (window as unknown as { __twScrolling?: boolean }).__twScrolling = false;
      });
    }
  }

  /** Double-click a cell where it is on screen, without scrolling it into view first. */
  async doubleClickOnScreen(number: string, column: Column): Promise<void> {
    const box = await this.cell(number, column).boundingBox();
    if (!box) throw new Error(`row ${number} is not shown`);
    await this.page.mouse.dblclick(box.x + box.width / 2, box.y + box.height / 2);
  }

  /** react-arborist's scrolling list of rows. */
  private scroller(): Locator {
    return this.page.getByTestId('outline').locator('[role="rowgroup"] > div').first();
  }

  /** The message shown under the cell being edited, if the draft is invalid. */
  editProblem(): Locator {
    return this.page.getByTestId('edit-problem');
  }

  /** Drag row `from` onto the middle of row `to`: it becomes `to`'s first child. */
  async dragOnto(from: string, to: string): Promise<void> {
    const source = this.rowByNumber(from).getByTestId('rule-number');
    const target = this.rowByNumber(to);
    const s = await source.boundingBox();
    const t = await target.boundingBox();
    if (!s || !t) throw new Error(`rows ${from} or ${to} are not visible`);
    await this.page.mouse.move(s.x + s.width / 2, s.y + s.height / 2);
    await this.page.mouse.down();
    // Move in steps: react-dnd's HTML5 backend needs intermediate dragover events.
    await this.page.mouse.move(t.x + 200, t.y + t.height / 2, { steps: 12 });
    await this.page.mouse.move(t.x + 210, t.y + t.height / 2, { steps: 2 });
    await this.page.mouse.up();
  }

  /** Press on row `from`'s number and move, in steps, to `to`; the button stays down. */
  async dragTo(from: string, to: { x: number; y: number }): Promise<void> {
    const s = await this.rowByNumber(from).getByTestId('rule-number').boundingBox();
    if (!s) throw new Error(`row ${from} is not visible`);
    await this.page.mouse.move(s.x + s.width / 2, s.y + s.height / 2);
    await this.page.mouse.down();
    // Move in steps: react-dnd's HTML5 backend needs intermediate dragover events.
    await this.page.mouse.move(to.x, to.y, { steps: 12 });
    // A browser repeats dragover while the pointer rests; react-dnd answers the last one a frame
    // later with the targets of an earlier one. Rest there for a few frames, as a hand would.
    for (let i = 0; i < 3; i++) {
      await this.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));
      await this.page.mouse.move(to.x + (i % 2), to.y);
    }
  }

  /**
   * Between rows: just above row `below`'s bottom edge, the pointer under the start of row
   * `alignWith`'s number (a drop at that rule's level).
   */
  async gapBelow(below: string, alignWith: string): Promise<{ x: number; y: number }> {
    const row = await this.rowByNumber(below).boundingBox();
    const number = await this.rowByNumber(alignWith).getByTestId('rule-number').boundingBox();
    if (!row || !number) throw new Error(`rows ${below} or ${alignWith} are not visible`);
    return { x: number.x + 3, y: row.y + row.height - 3 };
  }

  /** The empty part of the outline under its last row, in the name column. */
  async belowLastRow(): Promise<{ x: number; y: number }> {
    const last = await this.rows.last().getByTestId('cell-name').boundingBox();
    const body = await this.page.getByTestId('outline').boundingBox();
    if (!last || !body) throw new Error('no rows');
    const y = last.y + last.height * 3;
    if (y > body.y + body.height - 4) throw new Error('no empty space under the last row');
    return { x: last.x + last.width / 2, y };
  }

  /** The line showing where a drag would drop (none while the drop is refused). */
  dropLine(): Locator {
    return this.page.getByTestId('drop-line');
  }

  async undo(): Promise<void> {
    await this.focusOutline();
    await this.page.keyboard.press('Control+z');
  }

  async redo(): Promise<void> {
    await this.focusOutline();
    await this.page.keyboard.press('Control+Shift+z');
  }

  async copy(): Promise<void> {
    await this.focusOutline();
    await this.page.keyboard.press('Control+c');
  }

  async paste(options: { before?: boolean } = {}): Promise<void> {
    await this.focusOutline();
    await this.page.keyboard.press(options.before ? 'Control+Alt+v' : 'Control+v');
  }

  /** Put text on the system clipboard, as if copied from a text editor. */
  async setClipboard(text: string): Promise<void> {
    await this.page.evaluate((t) => navigator.clipboard.writeText(t), text);
  }

  async clipboard(): Promise<string> {
    return this.page.evaluate(() => navigator.clipboard.readText());
  }

  /** Keyboard focus on the selected row, so shortcuts reach the outline. */
  async focusOutline(): Promise<void> {
    const selected = this.page.locator('[data-testid="rule-row"][aria-selected="true"]').first();
    if ((await selected.count()) > 0) await selected.focus();
    // The treegrid's rows sit in react-arborist's focusable list (a rowgroup).
    else await this.page.getByRole('treegrid').locator('[role="rowgroup"]').focus();
  }

  async filter(text: string): Promise<void> {
    await this.page.getByTestId('filter').fill(text);
  }
}

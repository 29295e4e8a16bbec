// The browser host losing its WebSocket to `treewall serve` (the route drops it and refuses
// reconnects for a while): a banner says so, edits made meanwhile stay in the page, and when the
// connection is back the banner says "reconnected" and autosave writes those edits.

import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { WebSocketRoute } from '@playwright/test';
import { smallDocument } from './pages/documents.ts';
import { expect, test } from './pages/fixtures.ts';

test('a lost connection to treewall serve shows a banner; edits survive; autosave resumes', async ({
  ui,
}) => {
  const { page, outline } = ui;
  let refuse = false;
  const open: WebSocketRoute[] = [];
  await page.routeWebSocket(/\/ws\?/, (ws) => {
    if (refuse) return void ws.close();
    ws.connectToServer();
    open.push(ws);
  });
  await ui.openWith('small.treewall', smallDocument());
  const banner = page.getByTestId('connection-banner');
  await expect(banner).toHaveCount(0);

  refuse = true;
  for (const ws of open.splice(0)) await ws.close();
  await expect(banner).toContainText('Lost connection to treewall serve — reconnecting…');

  // Editing goes on while the server is away.
  await outline.type('1.1', 'name', 'edited offline');
  await expect(outline.cell('1.1', 'name')).toHaveText('edited offline');
  await expect(banner).toHaveAttribute('data-state', 'lost');

  refuse = false;
  await expect(banner).toContainText('Reconnected to treewall serve', { timeout: 15_000 });
  await expect(outline.cell('1.1', 'name')).toHaveText('edited offline');
  // The recovery copy (autosave) has the offline edit.
  const recovery = path.join(ui.serve.stateDir, 'recovery');
  await expect
    .poll(async () => {
      const files = await readdir(recovery).catch(() => []);
      const texts = await Promise.all(files.map((f) => readFile(path.join(recovery, f), 'utf8')));
      return texts.some((t) => t.includes('edited offline'));
    })
    .toBe(true);
  // The notice goes away by itself.
  await expect(banner).toHaveCount(0, { timeout: 15_000 });
});

// The browser host serves the app: it loads under its token, mounts, talks to the backend over
// the WebSocket, and logs no errors on the way. Without the token there is nothing to see.
import '../shared/ipc/window-global.ts';
import { expect, test } from './fixtures.ts';

test('the app loads from treewall serve without console errors', async ({ app, consoleErrors }) => {
  await expect(app).toHaveTitle(/treewall/i);
  // The page reached the backend: app:info answers through window.treewall.
  const info = await app.evaluate(async () => {
    const result = await window.treewall.invoke('app:info', {});
    return result.ok ? result.value : result.error;
  });
  expect(info).toMatchObject({ host: 'browser', helperConnected: false, nativeDialogs: false });
  expect(consoleErrors).toEqual([]);
});

test('the page and its socket are refused without the token', async ({ page, serve }) => {
  const response = await page.goto(`http://127.0.0.1:${serve.port}/`);
  expect(response?.status()).toBe(401);
  await expect(page.locator('body')).toContainText('token');
});

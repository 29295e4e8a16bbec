// The browser host with a real helper in a network namespace: the page sees it connected, and
// Apply goes through window.treewall -> treewall serve -> the helper -> the kernel, and counters
// come back the same way as events.
import '../shared/ipc/window-global.ts';
import { DEFAULT_SETTINGS, type FirewallDocument } from '../shared/model/types.ts';
import { expect, test } from './fixtures.ts';

test.use({ withHelper: true });

const document: FirewallDocument = {
  settings: { ...DEFAULT_SETTINGS },
  rules: [
    {
      id: 'ssh',
      enabled: true,
      name: 'ssh',
      property: 'Dest port',
      relation: '==',
      value: '22',
      action: 'Pass',
      parameter: '',
      expanded: false,
      children: [],
    },
  ],
};

test('the page reaches the helper through treewall serve and applies a document', async ({
  app,
  helper,
}) => {
  const status = await app.evaluate(async () => {
    const r = await window.treewall.invoke('helper:status', {});
    return r.ok ? r.value : r.error;
  });
  expect(status).toMatchObject({ connected: true, active: false });

  // As JSON text: Playwright's argument types recurse without end on the Rule tree type.
  const applied = await app.evaluate(async (json) => {
    const r = await window.treewall.invoke('helper:apply', { document: JSON.parse(json) });
    return r.ok ? r.value : r.error;
  }, JSON.stringify(document));
  expect(applied).toMatchObject({ connected: true, active: true, ruleCount: 1 });
  // The kernel of the helper's namespace holds our table now.
  expect(await helper!.server.nft(['list', 'tables'])).toContain('table inet treewall');

  // Counters stream back as events: a connection to port 22 moves the ssh rule's counter.
  const tick = app.evaluate(
    () =>
      new Promise<number>((resolve) => {
        const stop = window.treewall.on('counters:tick', (t) => {
          const ssh = t.changed['ssh'];
          if (ssh && ssh.packets > 0) {
            stop();
            resolve(ssh.packets);
          }
        });
      }),
  );
  const listener = await helper!.server.listenTcp(22);
  expect((await helper!.client.tcpConnect(helper!.serverAddress, 22)).result).toBe('connected');
  expect(await tick).toBeGreaterThan(0);
  await listener.close();

  const stopped = await app.evaluate(async () => {
    const r = await window.treewall.invoke('helper:stop', {});
    return r.ok ? r.value : r.error;
  });
  expect(stopped).toMatchObject({ active: false });
  expect(await helper!.server.nft(['list', 'tables'])).not.toContain('table inet treewall');
});

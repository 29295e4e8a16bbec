// The browser host with a real helper in a network namespace: the page sees it connected, and
// Apply goes through window.treewall -> treewall serve -> the helper -> the kernel.
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

  const applied = await app.evaluate(async (doc) => {
    const r = await window.treewall.invoke('helper:apply', { document: doc });
    return r.ok ? r.value : r.error;
  }, document);
  expect(applied).toMatchObject({ connected: true, active: true, ruleCount: 1 });
  // The kernel of the helper's namespace holds our table now.
  expect(await helper!.server.nft(['list', 'tables'])).toContain('table inet treewall');

  const stopped = await app.evaluate(async () => {
    const r = await window.treewall.invoke('helper:stop', {});
    return r.ok ? r.value : r.error;
  });
  expect(stopped).toMatchObject({ active: false });
  expect(await helper!.server.nft(['list', 'tables'])).not.toContain('table inet treewall');
});

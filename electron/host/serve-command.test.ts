// `treewall serve` as a user runs it: a child process that prints its URL, serves only with the
// token, saves real property-list documents inside its folder, and stops cleanly on SIGTERM.
// Started through the test harness (electron/testing/treewall-processes.ts) like every other test.
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { call } from '../../shared/ipc/app-api.ts';
import { createWsApi, type WebSocketConstructor } from '../../renderer/transport/ws-client.ts';
import { DEFAULT_SETTINGS, type FirewallDocument } from '../../shared/model/types.ts';
import { runTreewall, startServe, type ServeHandle } from '../testing/treewall-processes.ts';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'tw-serve-'));
  await mkdir(path.join(root, 'renderer'));
  await writeFile(path.join(root, 'renderer/index.html'), '<!doctype html><title>treewall</title>');
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const document: FirewallDocument = {
  settings: { ...DEFAULT_SETTINGS, defaultTriggerDuration: 600 },
  rules: [
    {
      id: 'g1',
      enabled: true,
      name: 'Protect servers',
      property: 'Direction',
      relation: '==',
      value: 'inbound',
      action: 'Group',
      parameter: '',
      expanded: true,
      children: [
        {
          id: 's1',
          enabled: true,
          name: 'ssh "admin" é',
          property: 'Dest port',
          relation: '==',
          value: '22',
          action: 'Pass',
          parameter: '',
          expanded: false,
          children: [],
        },
      ],
    },
  ],
};

describe('treewall serve', () => {
  it('refuses bad options with exit 2', async () => {
    const bad = [
      ['--port', 'x'],
      ['--folder', path.join(root, 'nope')],
      ['--bogus'],
      ['--token', 'short'],
    ];
    const runs = await Promise.all(bad.map((args) => runTreewall(['serve', ...args])));
    expect(runs.map((r) => r.code)).toEqual([2, 2, 2, 2]);
  });

  it('prints a token URL, serves real documents in its folder, and stops on SIGTERM', async () => {
    const serve = await startServe({ extraArgs: ['--renderer-dir', path.join(root, 'renderer')] });
    try {
      await servesDocuments(serve);
      process.kill(serve.pid, 'SIGTERM');
      expect((await serve.exited()).code).toBe(0);
    } finally {
      await serve.stop();
    }
  });
});

async function servesDocuments(serve: ServeHandle): Promise<void> {
  const url = serve.url;
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{32}$/);
  const origin = new URL(url).origin;
  expect((await fetch(origin)).status).toBe(401);
  expect((await fetch(url)).status).toBe(200);

  const api = createWsApi({
    url: `${origin.replace('http', 'ws')}/ws?token=${new URL(url).searchParams.get('token')}`,
    WebSocket: WebSocket as unknown as WebSocketConstructor,
  });
  try {
    // XML (the default) and NeXT text both round-trip through real files.
    await call(api, 'document:save', { path: 'a.treewall', document });
    expect(await readFile(path.join(serve.folder, 'a.treewall'), 'utf8')).toMatch(/^<\?xml/);
    expect((await call(api, 'document:open', { path: 'a.treewall' }))?.document).toEqual(document);
    await call(api, 'document:save', { path: 'b.txt', document });
    const reopened = await call(api, 'document:open', { path: 'b.txt' });
    expect(reopened).toMatchObject({ format: 'next', document });
    await expect(
      call(api, 'document:save', { path: '../x.treewall', document }),
    ).rejects.toMatchObject({
      code: 'forbidden',
    });
    const status = await call(api, 'helper:status', {});
    expect(status.connected).toBe(false);
  } finally {
    api.close();
  }
}

// The preload against a stand-in `electron` module (the real one needs the binary): it exposes
// exactly the contract, refuses names outside it before any IPC, and never hands the page an
// IPC event object.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { TreewallApi } from '../../shared/ipc/app-api.ts';

const exposed = new Map<string, unknown>();
const invoked: unknown[][] = [];
const handlers = new Map<string, (event: unknown, payload: unknown) => void>();

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => exposed.set(key, api) },
  ipcRenderer: {
    invoke: async (...args: unknown[]) => {
      invoked.push(args);
      return { ok: true, value: { echoed: args[0] } };
    },
    on: (channel: string, handler: (event: unknown, payload: unknown) => void) =>
      handlers.set(channel, handler),
    off: (channel: string, handler: unknown) => {
      if (handlers.get(channel) === handler) handlers.delete(channel);
    },
  },
}));

let api: TreewallApi;

beforeAll(async () => {
  await import('./index.ts');
  api = exposed.get('treewall') as TreewallApi;
});

describe('preload', () => {
  it('exposes only window.treewall, with invoke and on', () => {
    expect([...exposed.keys()]).toEqual(['treewall']);
    expect(Object.keys(api).sort()).toEqual(['invoke', 'on']);
  });

  it('forwards contract channels under their own names', async () => {
    expect(await api.invoke('document:list', {})).toEqual({
      ok: true,
      value: { echoed: 'document:list' },
    });
    expect(invoked.at(-1)).toEqual(['document:list', {}]);
  });

  it('refuses other channels without sending anything', async () => {
    const before = invoked.length;
    const result = await (api.invoke as (c: string, r: unknown) => Promise<unknown>)(
      'fs:readFile',
      { path: '/etc/shadow' },
    );
    expect(result).toMatchObject({ ok: false, error: { code: 'unknown-channel' } });
    expect(invoked.length).toBe(before);
    expect(() => (api.on as (e: string, l: () => void) => void)('ipc:raw', () => {})).toThrow(
      'unknown event',
    );
  });

  it('hands listeners the payload only, and stops on unsubscribe', () => {
    const seen: unknown[][] = [];
    const stop = api.on('menu:command', (...args: unknown[]) => seen.push(args));
    handlers.get('menu:command')!({ sender: 'secret' }, { command: 'file.save' });
    expect(seen).toEqual([[{ command: 'file.save' }]]);
    stop();
    expect(handlers.has('menu:command')).toBe(false);
  });
});

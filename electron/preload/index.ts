// Runtime: Electron preload, sandboxed (contextIsolation on, no Node): bundled to CommonJS by
// `vite build --mode electron-preload`, because a sandboxed preload can require only `electron`.
// Invariant: the page gets exactly `window.treewall` (the contract of shared/ipc/app-api.ts) and
// nothing else; channel and event names outside the contract are refused here, before any IPC.

import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import {
  failure,
  isChannel,
  isEventName,
  type ApiResult,
  type TreewallApi,
} from '../../shared/ipc/app-api.ts';

const api: TreewallApi = {
  invoke(channel, request) {
    if (!isChannel(channel)) {
      return Promise.resolve(failure('unknown-channel', `unknown channel ${String(channel)}`));
    }
    // Main registers one handler per contract channel, under the channel's own name.
    return ipcRenderer.invoke(channel, request) as Promise<ApiResult<never>>;
  },
  on(event, listener) {
    if (!isEventName(event)) throw new Error(`unknown event ${String(event)}`);
    // Never hand the IpcRendererEvent (and its `sender`) to the page: payload only.
    const wrapped = (_event: IpcRendererEvent, payload: unknown) =>
      (listener as (payload: unknown) => void)(payload);
    ipcRenderer.on(event, wrapped);
    return () => {
      ipcRenderer.off(event, wrapped);
    };
  },
};

contextBridge.exposeInMainWorld('treewall', api);

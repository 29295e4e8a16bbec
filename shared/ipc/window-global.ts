// Runtime: pure (shared/), types only. The renderer's `window.treewall`, derived from the
// contract. Import it once for its side effect (`import '../shared/ipc/window-global.ts'`).
// In Electron the preload defines it (read-only, via contextBridge); in the browser host the
// renderer assigns `createWsApi(...)` from renderer/transport/ws-client.ts to it before rendering.

import type { TreewallApi } from './app-api.ts';

declare global {
  interface Window {
    treewall: TreewallApi;
  }
}

export {};

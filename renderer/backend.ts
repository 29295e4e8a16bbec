// Runtime: browser (renderer/). The renderer's one door to the backend: `window.treewall`
// (Electron's preload, or the browser host's WebSocket transport). Without either (the renderer
// opened from a plain dev server) every call answers `unsupported`, and the app says so: it still
// edits, but cannot open, save or apply.

import {
  failure,
  type ApiResult,
  type Channel,
  type ChannelRequest,
  type ChannelResponse,
  type EventName,
  type EventPayload,
  type TreewallApi,
  type Unsubscribe,
} from '../shared/ipc/app-api.ts';
import '../shared/ipc/window-global.ts';
import { reportHostConnection } from './store/app-store.ts';
import {
  createWsApi,
  wsUrlFromLocation,
  type WebSocketConstructor,
} from './transport/ws-client.ts';

let connected: TreewallApi | null | undefined;

/** window.treewall, creating the browser host's transport when the page came from `treewall serve`. */
export function backend(): TreewallApi | null {
  if (connected !== undefined) return connected;
  const w = window as Partial<Window>;
  if (w.treewall) return (connected = w.treewall);
  // The browser host serves the page with its token in the URL; the WebSocket needs it too.
  if (/[?&#]token=/.test(location.href)) {
    const api = createWsApi({
      url: wsUrlFromLocation(location.href),
      // The DOM's WebSocket is a superset of what the transport uses.
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      clipboard: navigator.clipboard,
      // A lost connection shows a banner; edits stay in the page, calls wait for the reconnect.
      onConnection: reportHostConnection,
    });
    (window as { treewall?: TreewallApi }).treewall = api;
    return (connected = api);
  }
  return (connected = null);
}

export function invoke<C extends Channel>(
  channel: C,
  request: ChannelRequest<C>,
): Promise<ApiResult<ChannelResponse<C>>> {
  const api = backend();
  if (!api) {
    return Promise.resolve(
      failure(
        'unsupported',
        'No backend: open treewall through `treewall serve` or the desktop app.',
      ),
    );
  }
  return api
    .invoke(channel, request)
    .catch((e: unknown) => failure('internal', e instanceof Error ? e.message : String(e)));
}

export function listen<E extends EventName>(
  event: E,
  listener: (p: EventPayload<E>) => void,
): Unsubscribe {
  return backend()?.on(event, listener) ?? (() => undefined);
}

/** Text to the clipboard: the contract's channel, else the page's own clipboard. */
export async function writeClipboard(text: string): Promise<void> {
  const r = await invoke('clipboard:writeText', { text });
  if (!r.ok) await navigator.clipboard?.writeText(text).catch(() => undefined);
}

export async function readClipboard(): Promise<string> {
  const r = await invoke('clipboard:readText', {});
  if (r.ok) return r.value.text;
  return (await navigator.clipboard?.readText().catch(() => '')) ?? '';
}

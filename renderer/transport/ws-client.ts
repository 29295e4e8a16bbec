// Runtime: pure (shared/); runs in the browser (and in Node tests), given a WebSocket
// constructor. The browser host's transport: builds a `TreewallApi` over one WebSocket to
// `treewall serve`. Invariant: every invoke settles — with the backend's result, or with an
// `internal` error when the socket closes first — and reconnects are transparent to listeners.
//
// Clipboard channels never leave the page: the server's clipboard is not the user's. They use
// the page's clipboard (navigator.clipboard) when it is given and allowed, else an in-memory one.
//
// Usage in the renderer:
//   const api = createWsApi({ url: wsUrlFromLocation(location.href), WebSocket, clipboard: navigator.clipboard });

import {
  failure,
  success,
  type ApiResult,
  type Channel,
  type ChannelRequest,
  type ChannelResponse,
  type EventName,
  type EventPayload,
  type TreewallApi,
} from '../../shared/ipc/app-api.ts';
import { decodeWire, encodeWire, type WireCall } from '../../shared/ipc/wire.ts';
import { expandCompactDocument, isCompactDocument } from '../../shared/ipc/compact-document.ts';
import { isGzip, storedGzipMember } from '../../shared/ipc/gzip.ts';

/** The part of the DOM WebSocket this transport uses (declared here: shared/ has no DOM lib). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string | Uint8Array): void;
  close(): void;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface ClipboardLike {
  readText(): Promise<string>;
  writeText(text: string): Promise<void>;
}

export interface WsApiOptions {
  url: string;
  WebSocket: WebSocketConstructor;
  clipboard?: ClipboardLike;
  /** Delay before reconnecting after the socket closes; default 1000 ms. */
  reconnectMs?: number;
  /** Told when the connection to the host opens (true) or drops (false). */
  onConnection?: (connected: boolean) => void;
}

export interface WsApi extends TreewallApi {
  /** Close for good (tests, page unload). Pending calls fail. */
  close(): void;
}

const OPEN = 1;

// shared/ has no DOM or node types; both runtimes have this global.
declare const setTimeout: (callback: () => void, ms: number) => unknown;

/** `http://127.0.0.1:8080/?token=abc&path=a.treewall` -> `ws://127.0.0.1:8080/ws?token=abc&path=a.treewall`
 * (the `path` parameter, if any, becomes the connection's `app:info` initialPath). */
export function wsUrlFromLocation(href: string): string {
  const match = /^(https?):\/\/([^/?#]+)[^?#]*(\?[^#]*)?/.exec(href);
  if (!match) throw new Error(`not an http(s) URL: ${href}`);
  const query = match[3] ?? '';
  const token = /[?&]token=([^&]*)/.exec(query)?.[1] ?? '';
  const file = /[?&]path=([^&]*)/.exec(query)?.[1];
  const scheme = match[1] === 'https' ? 'wss' : 'ws';
  // compact=1: whole documents in replies come in compact form (expanded in onmessage below).
  return `${scheme}://${match[2]}/ws?token=${token}${file ? `&path=${file}` : ''}&compact=1`;
}

/**
 * A call as wire text. A request's `documentText` (a document already written as wire JSON,
 * shared/ipc/document-json.ts) travels as its `document`, spliced in as it is: escaping 17 MB of
 * JSON into a string would cost the page ~80 ms, and the backend reads the same request either
 * way. Given as UTF-8 bytes (the document worker's, gzip'd or not), the message goes as one
 * binary frame of UTF-8 JSON (gzip'd if the document is): sending 17 MB as a string costs the
 * page's main thread ~100 ms of conversion, and even 17 MB of bytes ~50 ms; gzip'd it is ~1 MB.
 */
export function encodeCall(call: WireCall): string | Uint8Array {
  const request = call.request;
  const text =
    typeof request === 'object' && request !== null
      ? (request as { documentText?: unknown }).documentText
      : undefined;
  if (typeof text !== 'string' && !(text instanceof Uint8Array)) return encodeWire(call);
  const { documentText: _text, ...rest } = request as { documentText: unknown };
  // The placeholder is the message's last string: `document` is the request's last key, and the
  // request the call's last.
  const placeholder = '\u0000document';
  const head = encodeWire({ ...call, request: { ...rest, document: placeholder } });
  const quoted = JSON.stringify(placeholder);
  const at = head.lastIndexOf(quoted);
  if (typeof text === 'string') return head.slice(0, at) + text + head.slice(at + quoted.length);
  const utf8 = new TextEncoder();
  let before: Uint8Array = utf8.encode(head.slice(0, at));
  let after: Uint8Array = utf8.encode(head.slice(at + quoted.length));
  if (isGzip(text)) {
    // A gzip'd document (the worker's): the head and tail as stored gzip members around it.
    before = storedGzipMember(before);
    after = storedGzipMember(after);
  }
  const bytes = new Uint8Array(before.length + text.length + after.length);
  bytes.set(before, 0);
  bytes.set(text, before.length);
  bytes.set(after, before.length + text.length);
  return bytes;
}

/** A successful reply's document in compact form (shared/ipc/compact-document.ts), expanded in
 * place. */
function expandDocumentIn(result: unknown): void {
  if (!(result as ApiResult<unknown> | null)?.ok) return;
  const value = (result as { value?: unknown }).value as { document?: unknown } | null;
  if (typeof value === 'object' && value !== null && isCompactDocument(value.document)) {
    value.document = expandCompactDocument(value.document);
  }
}

export function createWsApi(options: WsApiOptions): WsApi {
  const pending = new Map<number, (result: ApiResult<unknown>) => void>();
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const queue: (string | Uint8Array)[] = [];
  let nextId = 1;
  let socket: WebSocketLike | null = null;
  let closed = false;
  let memoryClipboard = '';

  function connect(): void {
    const ws = new options.WebSocket(options.url);
    socket = ws;
    ws.onopen = () => {
      options.onConnection?.(true);
      for (const text of queue.splice(0)) ws.send(text);
    };
    ws.onmessage = (event) => {
      if (typeof event.data !== 'string') return;
      let message: unknown;
      try {
        message = decodeWire(event.data);
      } catch {
        return;
      }
      if (!message || typeof message !== 'object') return;
      const m = message as { id?: unknown; result?: unknown; event?: unknown; payload?: unknown };
      if (typeof m.id === 'number') {
        expandDocumentIn(m.result);
        const settle = pending.get(m.id);
        pending.delete(m.id);
        settle?.(m.result as ApiResult<unknown>);
      } else if (typeof m.event === 'string') {
        for (const listener of listeners.get(m.event) ?? []) listener(m.payload);
      }
    };
    ws.onerror = () => {
      // onclose follows; it does the work.
    };
    ws.onclose = () => {
      options.onConnection?.(false);
      // Calls in flight on this socket will never be answered.
      for (const [id, settle] of pending) {
        pending.delete(id);
        settle(failure('internal', 'Lost the connection to treewall serve; try again.'));
      }
      if (!closed) setTimeout(() => !closed && connect(), options.reconnectMs ?? 1000);
    };
  }

  async function clipboardCall(channel: Channel, request: unknown): Promise<ApiResult<unknown>> {
    if (channel === 'clipboard:writeText') {
      const text = (request as { text: string }).text;
      memoryClipboard = text;
      try {
        await options.clipboard?.writeText(text);
      } catch {
        // Not allowed (no user gesture, no permission): the in-memory copy still pastes here.
      }
      return success({});
    }
    try {
      if (options.clipboard) return success({ text: await options.clipboard.readText() });
    } catch {
      // Reading needs a permission the page may not have.
    }
    return success({ text: memoryClipboard });
  }

  connect();

  return {
    invoke<C extends Channel>(channel: C, request: ChannelRequest<C>) {
      if (channel === 'clipboard:readText' || channel === 'clipboard:writeText') {
        return clipboardCall(channel, request) as Promise<ApiResult<ChannelResponse<C>>>;
      }
      if (closed) return Promise.resolve(failure('internal', 'The connection is closed.'));
      const id = nextId++;
      const text = encodeCall({ id, channel, request });
      return new Promise<ApiResult<ChannelResponse<C>>>((resolve) => {
        pending.set(id, resolve as (result: ApiResult<unknown>) => void);
        if (socket && socket.readyState === OPEN) socket.send(text);
        else queue.push(text);
      });
    },
    on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      const entry = listener as (payload: unknown) => void;
      set.add(entry);
      return () => {
        set.delete(entry);
      };
    },
    close() {
      closed = true;
      socket?.close();
    },
  };
}

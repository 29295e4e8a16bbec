// Runtime: plain Node. The browser host: the built renderer over HTTP and the backend over one
// WebSocket per tab, on loopback by default.
// Invariants: nothing is served and no socket is accepted without this run's token (in the URL,
// or in the HttpOnly cookie the first authenticated page load sets, which is how the page's own
// scripts and styles load); every WebSocket message is validated before the backend sees it;
// the backend never throws, so a bad message costs one error reply and nothing else.

import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { WebSocketServer, type WebSocket } from 'ws';
import { isGzip } from '../../shared/ipc/gzip.ts';
import { failure, type ApiResult } from '../../shared/ipc/app-api.ts';
import { compactDocumentChecked, isDocumentLike } from '../../shared/ipc/compact-document.ts';
import { decodeWire, encodeWire } from '../../shared/ipc/wire.ts';
import type { Backend, CallContext } from '../common/backend.ts';
import { FrameHeaderReader } from './frame-headers.ts';

export interface HostOptions {
  backend: Backend;
  /** The built renderer (index.html and assets/). */
  rendererDir: string;
  /** 127.0.0.1 unless the user asks for more. */
  hostname: string;
  /** 0 picks a free port. */
  port: number;
  /** Random per run unless given (tests). */
  token?: string;
  /** Tests: the shared input budget (default SERVE_INPUT_BUDGET). */
  inputBudgetBytes?: number;
}

export interface RunningHost {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

/**
 * Four times a 100,000-rule document as JSON (16 MiB measured); anything larger is refused by
 * `ws`. Documents' binary data is bounded when they are read (shared/plist MAX_DATA_BYTES).
 */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/**
 * Bytes all WebSocket connections together may hold: messages being received plus messages
 * received and not yet answered (a frame's declared length is reserved when its header arrives).
 * A connection whose next frame does not fit is closed with 1013 (try again later) before its
 * payload is buffered; the others go on.
 */
export const SERVE_INPUT_BUDGET = MAX_MESSAGE_BYTES + 32 * 1024 * 1024;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

export function contentSecurityPolicy(origin: string): string {
  const ws = origin.replace(/^http/, 'ws');
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self' ${ws}`,
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export async function startHost(options: HostOptions): Promise<RunningHost> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const rendererDir = path.resolve(options.rendererDir);
  const sockets = new Set<WebSocket>();
  let port = options.port;
  // Cookies are per host name, not per port: name the cookie after the port so two hosts on
  // one machine do not overwrite each other's.
  const cookieName = () => `treewall_token_${port}`;

  const tokenMatches = (candidate: string | null | undefined): boolean => {
    if (!candidate) return false;
    const a = Buffer.from(candidate);
    const b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b);
  };

  const authorized = (request: http.IncomingMessage, url: URL): boolean =>
    tokenMatches(url.searchParams.get('token')) ||
    tokenMatches(readCookie(request.headers.cookie, cookieName()));

  /** DNS-rebinding guard: a page from another site that resolves to 127.0.0.1 has another Host. */
  const loopback = ['127.0.0.1', 'localhost', '::1'].includes(options.hostname);
  const hostAllowed = (request: http.IncomingMessage): boolean => {
    const host = request.headers.host ?? '';
    // Bound beyond loopback on purpose (a headless router): clients use names we cannot know.
    if (!loopback) return true;
    return (
      host === `${options.hostname}:${port}` ||
      host === `127.0.0.1:${port}` ||
      host === `localhost:${port}` ||
      host === `[::1]:${port}`
    );
  };

  const server = http.createServer((request, response) => {
    void serveHttp(request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(`internal error: ${(error as Error).message}\n`);
    });
  });

  async function serveHttp(request: http.IncomingMessage, response: http.ServerResponse) {
    const url = new URL(request.url ?? '/', 'http://host.invalid');
    const base = {
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
      'content-security-policy': contentSecurityPolicy(`http://${request.headers.host ?? ''}`),
    };
    if (!hostAllowed(request)) {
      response.writeHead(421, { ...base, 'content-type': 'text/plain' });
      response.end('misdirected request: unexpected Host header\n');
      return;
    }
    if (!authorized(request, url)) {
      response.writeHead(401, { ...base, 'content-type': 'text/plain' });
      response.end('treewall: this URL needs the token printed by `treewall serve`\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { ...base, allow: 'GET, HEAD' });
      response.end();
      return;
    }
    const relative = url.pathname === '/' ? 'index.html' : decodePath(url.pathname.slice(1));
    // The page will ask for this document as soon as its scripts run: read it while they load
    // and start (see Backend.prefetch and startPrefetch below).
    const wanted = url.searchParams.get('path');
    if (relative === 'index.html' && request.method === 'GET' && wanted) armPrefetch(wanted);
    if (relative === null) {
      response.writeHead(400, { ...base, 'content-type': 'text/plain' });
      response.end('bad request: malformed %-escape in the path\n');
      return;
    }
    const file = path.resolve(rendererDir, relative);
    if (!file.startsWith(rendererDir + path.sep) || relative.includes('\0')) {
      response.writeHead(404, base);
      response.end();
      return;
    }
    let body: Buffer;
    try {
      body = await fs.readFile(file);
    } catch {
      if (relative === 'favicon.ico') {
        // Browsers ask for it on their own; "no icon" is not an error worth a console line.
        response.writeHead(204, base);
        response.end();
        return;
      }
      response.writeHead(404, { ...base, 'content-type': 'text/plain' });
      response.end('not found\n');
      return;
    }
    const headers: Record<string, string> = {
      ...base,
      'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-store',
    };
    if (url.searchParams.has('token')) {
      headers['set-cookie'] = `${cookieName()}=${token}; HttpOnly; SameSite=Strict; Path=/`;
    }
    response.writeHead(200, headers);
    response.end(request.method === 'HEAD' ? undefined : body, () => {
      if (file.endsWith('.js')) startPrefetch();
    });
  }

  // NOTE: parsing a large document holds the event loop (0.5-1 s at 100,000 rules), so it must
  // not start before the page's script is on its way, or the page would wait for the parse
  // before it even starts. So a page load only arms the prefetch; it starts once a script has
  // been handed to the socket, when the page's WebSocket connects, or after a second, whichever
  // comes first.
  let armed: { path: string; timer: ReturnType<typeof setTimeout> } | null = null;
  function armPrefetch(wanted: string): void {
    if (armed) clearTimeout(armed.timer);
    armed = { path: wanted, timer: setTimeout(startPrefetch, 1000) };
  }
  function startPrefetch(): void {
    if (!armed) return;
    const { path: wanted, timer } = armed;
    armed = null;
    clearTimeout(timer);
    void options.backend.prefetch(wanted, { client: 'page-load', initialPath: wanted });
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const budget = { used: 0, max: options.inputBudgetBytes ?? SERVE_INPUT_BUDGET };

  server.on('upgrade', (request, socket, head) => {
    const url = new URL(request.url ?? '/', 'http://host.invalid');
    const origin = request.headers.origin;
    // Browsers always send Origin on WebSocket handshakes; a foreign page's differs from ours.
    const originOk = origin === undefined || origin === `http://${request.headers.host ?? ''}`;
    if (url.pathname !== '/ws' || !hostAllowed(request) || !originOk || !authorized(request, url)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    startPrefetch();
    // What this connection holds of the shared budget: a data frame's whole declared length is
    // reserved when its header arrives on the raw socket, before `ws` buffers any of it (this
    // listener runs before the one `ws` adds), so a frame that does not fit is refused after a
    // few bytes and what the connections hold never exceeds the budget.
    const input: ConnectionInput = { pending: 0, refused: false, ws: null };
    const frameStarts = (length: number): void => {
      if (input.refused || length > MAX_MESSAGE_BYTES) return; // over maxPayload: `ws` says 1009
      if (budget.used + length > budget.max) {
        input.refused = true;
        const reason = `serve already holds ${Math.round(budget.used / 1048576)} MiB of input (at most ${Math.round(budget.max / 1048576)} MiB)`;
        console.error(`treewall serve: closed a connection: ${reason}`);
        if (input.ws) {
          // The close frame says why; reading stops now (the rest of the message would only
          // be buffered), and the connection ends a second later whatever the client does.
          input.ws.close(1013, 'too much input at once; try again later');
          socket.pause();
          setTimeout(() => input.ws?.terminate(), 1000).unref();
        } else socket.destroy();
        return;
      }
      budget.used += length;
      input.pending += length;
    };
    const frames = new FrameHeaderReader(frameStarts);
    socket.on('data', (chunk: Buffer) => {
      if (!input.refused) frames.feed(chunk);
    });
    if (head.length > 0) frames.feed(head);
    socket.once('close', () => {
      budget.used -= input.pending;
      input.pending = 0;
    });
    wss.handleUpgrade(request, socket, head, (ws) => {
      const initialPath = url.searchParams.get('path');
      input.ws = ws;
      const compact = url.searchParams.get('compact') === '1';
      accept(ws, { client: randomUUID(), initialPath: initialPath || null }, input, compact);
    });
  });

  /** `compact`: the client reads whole documents in replies in compact form
   * (shared/ipc/compact-document.ts; the renderer's transport asks for it). */
  function accept(ws: WebSocket, context: CallContext, input: ConnectionInput, compact: boolean) {
    sockets.add(ws);
    ws.on('message', (data, isBinary) => {
      // The message's bytes stay taken until its answer is sent.
      const held = input.pending;
      input.pending = 0;
      void (async () => {
        // Nothing one tab sends may end the process that serves every tab: whatever throws
        // becomes an error reply (or, if even that cannot be sent, a log line).
        let text: string;
        try {
          const reply = await answer(isBinary ? utf8OrNull(data) : data.toString(), context);
          if (compact) {
            const { message, plain } = withCompactDocument(reply);
            text = encodeWire(message, plain);
          } else text = encodeWire(reply);
        } catch (error) {
          text = encodeWire({ id: null, result: failure('internal', messageOf(error)) });
        }
        if (ws.readyState === ws.OPEN) ws.send(text);
      })()
        .catch((error: unknown) => {
          console.error(`treewall serve: dropped a reply: ${messageOf(error)}`);
        })
        .finally(() => {
          budget.used -= held;
        });
    });
    ws.on('close', () => {
      sockets.delete(ws);
      options.backend.disconnect(context.client);
    });
    ws.on('error', () => ws.terminate());
  }

  /** A binary frame's bytes as text (the renderer sends a large autosave as UTF-8 bytes its
   * worker wrote and gzip'd); null when they are not UTF-8 (or not gzip, or more than a message
   * may hold once inflated). */
  function utf8OrNull(data: WebSocket.RawData): string | null {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(
        isGzip(bytes) ? gunzipSync(bytes, { maxOutputLength: MAX_MESSAGE_BYTES }) : bytes,
      );
    } catch {
      return null;
    }
  }

  async function answer(text: string | null, context: CallContext): Promise<unknown> {
    if (text === null)
      return {
        id: null,
        result: failure(
          'bad-request',
          'a binary message must be UTF-8 JSON (gzip allowed), as a text one is',
        ),
      };
    let message: unknown;
    try {
      message = decodeWire(text);
    } catch (error) {
      return { id: null, result: failure('bad-request', `not JSON: ${(error as Error).message}`) };
    }
    const m = (message ?? {}) as { id?: unknown; channel?: unknown; request?: unknown };
    if (typeof message !== 'object' || typeof m.id !== 'number' || !Number.isSafeInteger(m.id)) {
      return {
        id: null,
        result: failure(
          'bad-request',
          'id: a message is {"id": number, "channel": string, "request": ...}',
          {
            field: 'id',
          },
        ),
      };
    }
    return { id: m.id, result: await options.backend.handle(m.channel, m.request ?? {}, context) };
  }

  const unsubscribe = options.backend.onEvent((event, payload) => {
    if (sockets.size === 0) return;
    const text = encodeWire({ event, payload });
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(text);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.hostname, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const shownHost = options.hostname.includes(':') ? `[${options.hostname}]` : options.hostname;

  return {
    url: `http://${shownHost}:${port}/?token=${token}`,
    port,
    token,
    async close() {
      if (armed) clearTimeout(armed.timer);
      armed = null;
      unsubscribe();
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface ConnectionInput {
  /** Bytes reserved for the message being read (its frames' declared lengths; not yet a
   * 'message' event). Stays counted until the socket closes if the connection is refused. */
  pending: number;
  /** Closed for going over the budget: its further frames are not read. */
  refused: boolean;
  ws: WebSocket | null;
}

const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

/** The path with %-escapes decoded, or null when they are malformed (`%E0%A4%A`). */
function decodePath(encoded: string): string | null {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return null;
  }
}

function readCookie(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return null;
}

/** A reply whose value carries a whole document (document:open, new, recover), that document in
 * compact form; any other reply as it is. `plain`: its parts known to hold only JSON values (the
 * compact rules when no rule has `extra`), for encodeWire. */
function withCompactDocument(reply: unknown): { message: unknown; plain?: ReadonlySet<object> } {
  const result = (reply as { result?: ApiResult<unknown> } | null)?.result;
  if (!result?.ok) return { message: reply };
  const value = result.value as { document?: unknown } | null;
  if (typeof value !== 'object' || value === null || !isDocumentLike(value.document)) {
    return { message: reply };
  }
  const { compact, rulesPlain } = compactDocumentChecked(value.document);
  return {
    message: {
      ...(reply as object),
      result: { ...result, value: { ...value, document: compact } },
    },
    ...(rulesPlain ? { plain: new Set([compact.compactRules]) } : {}),
  };
}

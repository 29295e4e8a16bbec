import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { call, type ApiResult } from '../../shared/ipc/app-api.ts';
import { decodeWire, encodeWire } from '../../shared/ipc/wire.ts';
import {
  createWsApi,
  type WebSocketConstructor,
  type WsApi,
} from '../../renderer/transport/ws-client.ts';
import { DEFAULT_SETTINGS, type FirewallDocument } from '../../shared/model/types.ts';
import { ACTION_NAMES, PROPERTY_NAMES } from '../../shared/model/vocabulary.ts';
import { createBackend, type Backend, type DocumentCodec } from '../common/backend.ts';
import { disconnectedHelper } from '../common/helper-port.ts';
import { startHost, type RunningHost } from './server.ts';

const jsonCodec: DocumentCodec = {
  async read(file) {
    return {
      document: decodeWire(await readFile(file, 'utf8')) as FirewallDocument,
      format: 'xml',
    };
  },
  async writeAtomic(file, document) {
    await writeFile(file, encodeWire(document));
  },
  async factoryDefault() {
    return { settings: { ...DEFAULT_SETTINGS }, rules: [] };
  },
};

let root: string;
let backend: Backend;
let host: RunningHost;
const clients: WsApi[] = [];

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'tw-host-'));
  await mkdir(path.join(root, 'renderer/assets'), { recursive: true });
  await mkdir(path.join(root, 'docs'));
  await writeFile(path.join(root, 'renderer/index.html'), '<!doctype html><title>treewall</title>');
  await writeFile(path.join(root, 'renderer/assets/app.js'), 'console.log(1)');
  backend = createBackend({
    host: 'browser',
    version: 't',
    folder: path.join(root, 'docs'),
    stateDir: path.join(root, 'state'),
    helperSocket: '/nonexistent.sock',
    codec: jsonCodec,
    helper: disconnectedHelper('/nonexistent.sock'),
  });
  host = await startHost({
    backend,
    rendererDir: path.join(root, 'renderer'),
    hostname: '127.0.0.1',
    port: 0,
  });
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await host.close();
  await backend.close();
  await rm(root, { recursive: true, force: true });
});

function get(
  pathAndQuery: string,
  headers: Record<string, string> = {},
  port = host.port,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get(
      { host: '127.0.0.1', port, path: pathAndQuery, headers },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
        );
      },
    );
    request.on('error', reject);
  });
}

/** Open a raw socket; resolves when open, rejects with the HTTP status when refused. */
function rawSocket(query: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/ws${query}`, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, response) =>
      reject(new Error(`HTTP ${response.statusCode}`)),
    );
    ws.once('error', reject);
  });
}

function nextMessage(ws: WebSocket): Promise<{ id: unknown; result: ApiResult<unknown> }> {
  return new Promise((resolve) =>
    ws.once('message', (data) =>
      resolve(decodeWire(data.toString()) as { id: unknown; result: ApiResult<unknown> }),
    ),
  );
}

function client(query = ''): WsApi {
  const api = createWsApi({
    url: `ws://127.0.0.1:${host.port}/ws?token=${host.token}${query}`,
    WebSocket: WebSocket as unknown as WebSocketConstructor,
  });
  clients.push(api);
  return api;
}

describe('HTTP', () => {
  it('prints a loopback URL with the token', () => {
    expect(host.url).toBe(`http://127.0.0.1:${host.port}/?token=${host.token}`);
    expect(host.token.length).toBeGreaterThanOrEqual(32);
  });

  it('refuses requests without the token or with a wrong one', async () => {
    expect((await get('/')).status).toBe(401);
    expect((await get('/assets/app.js')).status).toBe(401);
    expect((await get('/?token=nope')).status).toBe(401);
    expect((await get(`/?token=${host.token}x`)).status).toBe(401);
  });

  it('serves the page with the token, a strict CSP and a cookie that then loads its assets', async () => {
    const page = await get(`/?token=${host.token}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>treewall</title>');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).not.toContain('unsafe');
    const cookie = String(page.headers['set-cookie']).split(';')[0]!;
    expect(String(page.headers['set-cookie'])).toContain('HttpOnly');
    const asset = await get('/assets/app.js', { cookie });
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toContain('javascript');
    expect((await get('/assets/app.js', { cookie: 'treewall_token_1=nope' })).status).toBe(401);
  });

  it('refuses a foreign Host header (DNS rebinding) and paths outside the renderer', async () => {
    expect((await get(`/?token=${host.token}`, { host: 'evil.example:80' })).status).toBe(421);
    expect((await get(`/..%2f..%2fetc%2fpasswd?token=${host.token}`)).status).toBe(404);
    expect((await get(`/missing.js?token=${host.token}`)).status).toBe(404);
    expect((await get(`/%00index.html?token=${host.token}`)).status).toBe(404);
  });

  it('answers a malformed %-escape with 400, not an internal error', async () => {
    const reply = await get(`/assets/%E0%A4%A?token=${host.token}`);
    expect(reply.status).toBe(400);
    expect(reply.body).not.toContain('internal error');
    expect((await get(`/assets/%E0%A4%A`)).status).toBe(401);
  });
});

describe('prefetch', () => {
  it('reads the document of an authorized page load once its script is on the way', async () => {
    const asked: string[] = [];
    const spied = await startHost({
      backend: {
        ...backend,
        prefetch: async (p: string) => {
          asked.push(p);
        },
      },
      rendererDir: path.join(root, 'renderer'),
      hostname: '127.0.0.1',
      port: 0,
    });
    const fetch = (query: string) => get(query, {}, spied.port);
    const script = `/assets/app.js?token=${spied.token}`;
    try {
      expect((await fetch(`/?path=a.treewall`)).status).toBe(401);
      expect((await fetch(`/?token=wrong&path=a.treewall`)).status).toBe(401);
      expect((await fetch(`/?token=${spied.token}`)).status).toBe(200);
      expect((await fetch(script)).status).toBe(200);
      expect(asked).toEqual([]);

      // Armed by the page, started by its script (not before: the parse holds the event loop).
      expect((await fetch(`/?token=${spied.token}&path=sub%2Fa.treewall`)).status).toBe(200);
      expect(asked).toEqual([]);
      expect((await fetch(script)).status).toBe(200);
      expect(asked).toEqual(['sub/a.treewall']);
      expect((await fetch(script)).status).toBe(200);
      expect(asked).toEqual(['sub/a.treewall']);

      // Or by the page's WebSocket, or after a second.
      expect((await fetch(`/?token=${spied.token}&path=b.treewall`)).status).toBe(200);
      const ws = new WebSocket(`ws://127.0.0.1:${spied.port}/ws?token=${spied.token}`);
      await new Promise((resolve) => ws.once('open', resolve));
      ws.close();
      expect(asked).toEqual(['sub/a.treewall', 'b.treewall']);
      expect((await fetch(`/?token=${spied.token}&path=c.treewall`)).status).toBe(200);
      expect(asked).toEqual(['sub/a.treewall', 'b.treewall']);
      await vi.waitFor(
        () => expect(asked).toEqual(['sub/a.treewall', 'b.treewall', 'c.treewall']),
        { timeout: 5_000, interval: 50 },
      );
    } finally {
      await spied.close();
    }
  });
});

describe('WebSocket', () => {
  it('refuses a socket without the token, with a wrong one, or from a foreign origin', async () => {
    await expect(rawSocket('')).rejects.toThrow('401');
    await expect(rawSocket('?token=wrong')).rejects.toThrow('401');
    await expect(
      rawSocket(`?token=${host.token}`, { origin: 'http://evil.example' }),
    ).rejects.toThrow('401');
    const ws = await rawSocket(`?token=${host.token}`, { origin: `http://127.0.0.1:${host.port}` });
    ws.close();
  });

  it('answers malformed messages with error replies and keeps serving', async () => {
    const ws = await rawSocket(`?token=${host.token}`);
    const replies: { id: unknown; result: ApiResult<unknown> }[] = [];
    for (const text of [
      'not json',
      '[]',
      '{"channel":"app:info","request":{}}',
      '{"id":1,"channel":"nope","request":{}}',
      '{"id":2,"channel":"document:open","request":{"path":5}}',
      '{"id":3,"channel":"document:save","request":{"path":"../x","document":{"rules":[],"settings":{}}}}',
    ]) {
      const reply = nextMessage(ws);
      ws.send(text);
      replies.push(await reply);
    }
    expect(replies.map((r) => [r.id, r.result.ok ? 'ok' : r.result.error.code])).toEqual([
      [null, 'bad-request'],
      [null, 'bad-request'],
      [null, 'bad-request'],
      [1, 'unknown-channel'],
      [2, 'bad-request'],
      [3, 'bad-request'],
    ]);
    const binary = nextMessage(ws);
    ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await binary).result.ok).toBe(false);
    // Binary frames are UTF-8 JSON, gzip'd or not (the renderer's large autosaves).
    const asBytes = nextMessage(ws);
    ws.send(Buffer.from(encodeWire({ id: 7, channel: 'app:info', request: {} })), { binary: true });
    expect((await asBytes).result).toMatchObject({ ok: true, value: { host: 'browser' } });
    const gzipped = nextMessage(ws);
    ws.send(gzipSync(encodeWire({ id: 8, channel: 'app:info', request: {} })), { binary: true });
    expect((await gzipped).result).toMatchObject({ ok: true, value: { host: 'browser' } });
    const bomb = nextMessage(ws);
    ws.send(gzipSync(Buffer.alloc(65 * 1024 * 1024, 32)), { binary: true });
    expect((await bomb).result.ok).toBe(false);
    const alive = nextMessage(ws);
    ws.send(encodeWire({ id: 9, channel: 'app:info', request: {} }));
    expect((await alive).result).toMatchObject({ ok: true, value: { host: 'browser' } });
    ws.close();
  });

  it.each([
    ['plain', ''],
    ['compact', '&compact=1'],
  ])(
    'round-trips a document through the WebSocket client (%s replies), keeping dates and data',
    async (_form, query) => {
      const api = client(query);
      const document: FirewallDocument = {
        settings: { ...DEFAULT_SETTINGS, firewallOn: true },
        rules: [
          {
            id: 'a',
            enabled: true,
            name: 'ssh "quoted" \\ é',
            property: 'Dest port',
            relation: '==',
            value: '22',
            action: 'Pass',
            parameter: '',
            expanded: true,
            children: [],
            extra: {
              when: new Date('2003-01-02T03:04:05.000Z'),
              blob: new Uint8Array([0, 255, 7]),
            },
          },
        ],
      };
      expect(await call(api, 'document:save', { path: 'a.treewall', document })).toEqual({
        path: 'a.treewall',
        name: 'a.treewall',
        format: 'xml',
      });
      const opened = await call(api, 'document:open', { path: 'a.treewall' });
      expect(opened?.document).toEqual(document);
      await expect(call(api, 'document:open', { path: '../../etc/passwd' })).rejects.toMatchObject({
        code: 'forbidden',
      });
    },
  );

  it('sends a whole document in compact form only to a client that asks for it', async () => {
    const document: FirewallDocument = {
      settings: DEFAULT_SETTINGS,
      rules: [
        {
          id: 'g',
          enabled: true,
          name: 'group',
          property: 'Any',
          relation: '==',
          value: '',
          action: 'Group',
          parameter: '',
          expanded: true,
          children: [
            {
              id: 'l',
              enabled: false,
              name: '',
              property: 'Dest port',
              relation: '!=',
              value: '22',
              action: 'Delete',
              parameter: '',
              expanded: false,
              children: [],
            },
          ],
        },
      ],
    };
    await call(client(), 'document:save', { path: 'compact.treewall', document });
    const open = encodeWire({
      id: 3,
      channel: 'document:open',
      request: { path: 'compact.treewall' },
    });
    const plain = await rawSocket(`?token=${host.token}`);
    const plainReply = nextMessage(plain);
    plain.send(open);
    const compact = await rawSocket(`?token=${host.token}&compact=1`);
    const compactReply = nextMessage(compact);
    compact.send(open);
    const plainValue = (await plainReply).result as { ok: true; value: { document: unknown } };
    const compactValue = (await compactReply).result as { ok: true; value: { document: unknown } };
    expect(plainValue.value.document).toEqual(document);
    expect(compactValue.value.document).toEqual({
      compactRules: [
        [
          'g',
          3,
          'group',
          PROPERTY_NAMES.indexOf('Any'),
          0,
          '',
          ACTION_NAMES.indexOf('Group'),
          '',
          [
            [
              'l',
              0,
              '',
              PROPERTY_NAMES.indexOf('Dest port'),
              1,
              '22',
              ACTION_NAMES.indexOf('Delete'),
              '',
            ],
          ],
        ],
      ],
      settings: DEFAULT_SETTINGS,
    });
    plain.close();
    compact.close();
  });

  it('fans backend events out to every connected client', async () => {
    const a = client();
    const b = client();
    // A call round trip on each guarantees both sockets are open before the event.
    await call(a, 'app:info', {});
    await call(b, 'app:info', {});
    const got = (api: WsApi) =>
      new Promise((resolve) => api.on('helper:state', (state) => resolve(state.message)));
    const both = Promise.all([got(a), got(b)]);
    backend.emit('helper:state', {
      connected: false,
      socketPath: '/s',
      active: false,
      appliedAt: null,
      ruleCount: null,
      pendingConfirm: null,
      message: 'gone',
      helper: null,
    });
    expect(await both).toEqual(['gone', 'gone']);
  });

  it('keeps the clipboard in the page, falling back to memory', async () => {
    const api = client();
    await call(api, 'clipboard:writeText', { text: '( { nodeName = x; } )' });
    expect(await call(api, 'clipboard:readText', {})).toEqual({ text: '( { nodeName = x; } )' });
  });

  it('fails calls in flight when the host goes away instead of hanging', async () => {
    const api = client();
    await call(api, 'app:info', {});
    const pending = api.invoke('document:list', {});
    await host.close();
    const result = await pending;
    // Either it was answered before the close, or it failed plainly.
    expect(result.ok || result.error.code === 'internal').toBe(true);
    host = await startHost({
      backend,
      rendererDir: path.join(root, 'renderer'),
      hostname: '127.0.0.1',
      port: 0,
    });
  });
});

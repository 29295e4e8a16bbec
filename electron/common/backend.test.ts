import { mkdtemp, readFile, rm, symlink, writeFile, mkdir, readdir } from 'node:fs/promises';
import os from 'node:os';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appChannels, type ApiResult, type Channel } from '../../shared/ipc/app-api.ts';
import { DocumentJsonEncoder } from '../../shared/ipc/document-json.ts';
import { encodeWire } from '../../shared/ipc/wire.ts';
import { DEFAULT_SETTINGS, type FirewallDocument } from '../../shared/model/types.ts';
import { createBackend, type Backend, type CallContext, type DocumentCodec } from './backend.ts';
import { disconnectedHelper } from './helper-port.ts';

/** A codec that writes JSON: these tests are about the backend's rules, not the file format. */
const jsonCodec: DocumentCodec = {
  async read(file) {
    return {
      document: JSON.parse(await readFile(file, 'utf8')) as FirewallDocument,
      format: 'xml',
    };
  },
  async writeAtomic(file, document) {
    await writeFile(file, JSON.stringify(document));
  },
  async factoryDefault() {
    return sampleDocument('factory');
  },
};

function sampleDocument(name: string): FirewallDocument {
  return {
    settings: { ...DEFAULT_SETTINGS },
    rules: [
      {
        id: 'r1',
        enabled: true,
        name,
        property: 'Dest port',
        relation: '==',
        value: '22',
        action: 'Pass',
        parameter: '',
        children: [],
        expanded: false,
      },
    ],
  };
}

const tab: CallContext = { client: 'tab-1', initialPath: null };

let root: string;
let folder: string;
let stateDir: string;
let backend: Backend;

async function call<C extends Channel>(
  channel: C,
  request: unknown,
  context: CallContext = tab,
  on: Backend = backend,
): Promise<ApiResult<unknown>> {
  const result = await on.handle(channel, request, context);
  if (result.ok) {
    // Every success must satisfy the contract's response schema.
    expect(appChannels[channel].response.safeParse(result.value).success).toBe(true);
  }
  return result;
}

const errorOf = (result: ApiResult<unknown>) => {
  expect(result.ok).toBe(false);
  return result.ok ? undefined : result.error;
};

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'tw-backend-'));
  folder = path.join(root, 'docs');
  stateDir = path.join(root, 'state');
  await mkdir(folder);
  await writeFile(path.join(root, 'secret.treewall'), JSON.stringify(sampleDocument('secret')));
  backend = createBackend({
    host: 'browser',
    version: '0.0.0-test',
    folder,
    stateDir,
    helperSocket: '/nonexistent/helper.sock',
    codec: jsonCodec,
    helper: disconnectedHelper('/nonexistent/helper.sock'),
  });
});

afterEach(async () => {
  await backend.close();
  await rm(root, { recursive: true, force: true });
});

describe('browser host folder', () => {
  it('saves and opens a document inside the folder, and lists it', async () => {
    const saved = await call('document:save', {
      path: 'a.treewall',
      document: sampleDocument('a'),
    });
    expect(saved).toEqual({
      ok: true,
      value: { path: 'a.treewall', name: 'a.treewall', format: 'xml' },
    });
    const opened = await call('document:open', { path: 'a.treewall' });
    expect(opened.ok && opened.value).toMatchObject({
      path: 'a.treewall',
      document: sampleDocument('a'),
    });
    const listed = await call('document:list', {});
    expect(
      listed.ok && (listed.value as { files: { name: string }[] }).files.map((f) => f.name),
    ).toEqual(['a.treewall']);
  });

  it.each([
    ['../secret.treewall'],
    ['sub/../../secret.treewall'],
    ['/etc/passwd'],
    [path.join(os.tmpdir(), 'elsewhere.treewall')],
  ])('refuses to open %s outside the folder', async (requested) => {
    expect(errorOf(await call('document:open', { path: requested }))?.code).toBe('forbidden');
  });

  it('refuses to save outside the folder and writes nothing there', async () => {
    const before = await readdir(root);
    const result = await call('document:save', {
      path: '../evil.treewall',
      document: sampleDocument('x'),
    });
    expect(errorOf(result)?.code).toBe('forbidden');
    expect(await readdir(root)).toEqual(before);
  });

  it('refuses a symlink inside the folder that leads outside it', async () => {
    await symlink(root, path.join(folder, 'escape'));
    expect(errorOf(await call('document:open', { path: 'escape/secret.treewall' }))?.code).toBe(
      'forbidden',
    );
    const save = await call('document:save', {
      path: 'escape/new.treewall',
      document: sampleDocument('x'),
    });
    expect(errorOf(save)?.code).toBe('forbidden');
  });

  it('says not-found for a missing file and needs a path to open', async () => {
    expect(errorOf(await call('document:open', { path: 'missing.treewall' }))?.code).toBe(
      'not-found',
    );
    expect(errorOf(await call('document:open', {}))?.code).toBe('unsupported');
    expect(errorOf(await call('document:save', { document: sampleDocument('x') }))?.code).toBe(
      'bad-request',
    );
  });

  it('keeps recent files, newest first, without the ones that disappeared', async () => {
    await call('document:save', { path: 'one.treewall', document: sampleDocument('1') });
    await call('document:save', { path: 'two.treewall', document: sampleDocument('2') });
    await call('document:open', { path: 'one.treewall' });
    await rm(path.join(folder, 'two.treewall'));
    const recent = await call('document:recent', {});
    expect(
      recent.ok && (recent.value as { files: { path: string }[] }).files.map((f) => f.path),
    ).toEqual(['one.treewall']);
  });
});

describe('prefetch (a page that will open a document is loading)', () => {
  /** The backend over a codec that counts its reads. */
  function countingBackend(): { backend: Backend; reads: string[] } {
    const reads: string[] = [];
    const counted = createBackend({
      host: 'browser',
      version: '0.0.0-test',
      folder,
      stateDir,
      helperSocket: '/nonexistent/helper.sock',
      codec: {
        ...jsonCodec,
        read: (file) => {
          reads.push(path.basename(file));
          return jsonCodec.read(file);
        },
      },
      helper: disconnectedHelper('/nonexistent/helper.sock'),
    });
    return { backend: counted, reads };
  }
  const pageLoad = (p: string): CallContext => ({ client: 'page-load', initialPath: p });

  it('opens the prefetched document without reading the file again', async () => {
    await writeFile(path.join(folder, 'a.treewall'), JSON.stringify(sampleDocument('a')));
    const { backend: b, reads } = countingBackend();
    b.prefetch('a.treewall', pageLoad('a.treewall'));
    const opened = await call('document:open', { path: 'a.treewall' }, tab, b);
    expect(opened.ok && opened.value).toMatchObject({ document: sampleDocument('a') });
    expect(reads).toEqual(['a.treewall']);
    // Taken once: the next open reads the file again.
    await call('document:open', { path: 'a.treewall' }, tab, b);
    expect(reads).toEqual(['a.treewall', 'a.treewall']);
    await b.close();
  });

  it('reads the file again when it changed after the prefetch', async () => {
    const file = path.join(folder, 'a.treewall');
    await writeFile(file, JSON.stringify(sampleDocument('before')));
    const { backend: b, reads } = countingBackend();
    // The prefetch finishes, then the file changes in place and by an atomic save.
    await b.prefetch('a.treewall', pageLoad('a.treewall'));
    await writeFile(file, JSON.stringify(sampleDocument('after, a longer name')));
    const opened = await call('document:open', { path: 'a.treewall' }, tab, b);
    expect(opened.ok && opened.value).toMatchObject({
      document: sampleDocument('after, a longer name'),
    });
    expect(reads).toEqual(['a.treewall', 'a.treewall']);

    await b.prefetch('a.treewall', pageLoad('a.treewall'));
    await call('document:save', { path: 'a.treewall', document: sampleDocument('saved') }, tab, b);
    const reopened = await call('document:open', { path: 'a.treewall' }, tab, b);
    expect(reopened.ok && reopened.value).toMatchObject({ document: sampleDocument('saved') });
    await b.close();
  });

  it('prefetches nothing outside the folder; the open refuses it as before', async () => {
    const { backend: b, reads } = countingBackend();
    await b.prefetch('../secret.treewall', pageLoad('../secret.treewall'));
    expect(reads).toEqual([]);
    const result = await call('document:open', { path: '../secret.treewall' }, tab, b);
    expect(errorOf(result)?.code).toBe('forbidden');
    expect(reads).toEqual([]);
    await b.close();
  });

  it('gives an unreadable document the same error as without a prefetch', async () => {
    await writeFile(path.join(folder, 'bad.treewall'), '{ not json');
    const { backend: b } = countingBackend();
    const plain = await call('document:open', { path: 'bad.treewall' }, tab, b);
    b.prefetch('bad.treewall', pageLoad('bad.treewall'));
    const early = await call('document:open', { path: 'bad.treewall' }, tab, b);
    expect(errorOf(early)).toEqual(errorOf(plain));
    b.prefetch('missing.treewall', pageLoad('missing.treewall'));
    expect(errorOf(await call('document:open', { path: 'missing.treewall' }, tab, b))?.code).toBe(
      'not-found',
    );
    await b.close();
  });
});

describe('request validation', () => {
  it('answers an unknown channel with unknown-channel', async () => {
    expect(errorOf(await backend.handle('document:delete', {}, tab))?.code).toBe('unknown-channel');
    expect(errorOf(await backend.handle(42, {}, tab))?.code).toBe('unknown-channel');
  });

  it('names the bad field of an invalid request', async () => {
    const bad = sampleDocument('x') as unknown as { rules: { property: string }[] };
    bad.rules[0]!.property = 'Warp factor';
    const error = errorOf(
      await backend.handle('document:save', { path: 'x.treewall', document: bad }, tab),
    );
    expect(error?.code).toBe('bad-request');
    expect(error?.field).toBe('document.rules.0.property');
    expect(await readdir(folder)).toEqual([]);
  });

  it('refuses extra keys on empty requests and non-objects', async () => {
    expect(errorOf(await backend.handle('app:info', { sneaky: 1 }, tab))?.code).toBe('bad-request');
    expect(errorOf(await backend.handle('document:open', 'a.treewall', tab))?.code).toBe(
      'bad-request',
    );
    expect(errorOf(await backend.handle('document:open', { path: 'a\0b' }, tab))?.code).toBe(
      'bad-request',
    );
  });
});

describe('helper absent', () => {
  it('reports not connected in status and app:info, and refuses helper calls plainly', async () => {
    const status = await call('helper:status', {});
    expect(status.ok && status.value).toMatchObject({
      connected: false,
      socketPath: '/nonexistent/helper.sock',
    });
    const info = await call('app:info', {});
    expect(info.ok && info.value).toMatchObject({
      host: 'browser',
      helperConnected: false,
      nativeDialogs: false,
    });
    const apply = errorOf(await call('helper:apply', { document: sampleDocument('x') }));
    expect(apply?.code).toBe('helper-unavailable');
    expect(apply?.message).toContain('treewall helper --socket /nonexistent/helper.sock');
    expect(errorOf(await call('triggered:list', {}))?.code).toBe('helper-unavailable');
  });
});

describe('recovery', () => {
  it('offers autosaved work of sessions that went away, not of live ones', async () => {
    const work = sampleDocument('unsaved');
    await call('document:autosave', {
      key: 'k1',
      path: 'a.treewall',
      name: 'a.treewall',
      document: work,
    });
    expect(await call('document:recover', {})).toEqual({ ok: true, value: { entries: [] } });
    backend.disconnect(tab.client);
    const recovered = await call('document:recover', {});
    expect(recovered.ok && recovered.value).toMatchObject({
      entries: [{ key: 'k1', path: 'a.treewall', document: work }],
    });
    await call('document:discardRecovery', { key: 'k1' });
    expect(await call('document:recover', {})).toEqual({ ok: true, value: { entries: [] } });
  });

  it('takes the document as its wire JSON text (documentText) and checks it as a document', async () => {
    const work = { ...sampleDocument('as text'), extra: { when: new Date(0) } };
    const documentText = new DocumentJsonEncoder().encode(work)!;
    expect(
      await call('document:autosave', { key: 'k3', path: null, name: 'x', documentText }),
    ).toEqual({ ok: true, value: {} });
    backend.disconnect(tab.client);
    const recovered = await call('document:recover', {});
    expect(recovered.ok && recovered.value).toMatchObject({
      entries: [{ key: 'k3', document: work }],
    });
    const asBytes = new TextEncoder().encode(documentText);
    expect(
      await call('document:autosave', { key: 'k5', path: null, name: 'x', documentText: asBytes }),
    ).toEqual({ ok: true, value: {} });
    expect(
      await call('document:autosave', {
        key: 'k6',
        path: null,
        name: 'x',
        documentText: new Uint8Array(gzipSync(asBytes)),
      }),
    ).toEqual({ ok: true, value: {} });
    const bad = { ...work, rules: [{ ...work.rules[0], action: 'Explode' }] };
    for (const request of [
      { key: 'k4', path: null, name: 'x', documentText: encodeWire(bad) },
      { key: 'k4', path: null, name: 'x', documentText: '{"rules":' },
      { key: 'k4', path: null, name: 'x', documentText: new Uint8Array([0xff, 0xfe]) },
      { key: 'k4', path: null, name: 'x', documentText, document: work },
      { key: 'k4', path: null, name: 'x' },
    ]) {
      const result = await call('document:autosave', request as never);
      expect(result.ok, JSON.stringify(request).slice(0, 80)).toBe(false);
      expect(!result.ok && result.error.code).toBe('bad-request');
    }
  });

  it('survives a restart, and a save with the recovery key discards it', async () => {
    await call('document:autosave', {
      key: 'k2',
      path: null,
      name: 'Untitled',
      document: sampleDocument('u'),
    });
    const restarted = createBackend({
      host: 'browser',
      version: 't',
      folder,
      stateDir,
      helperSocket: '/x',
      codec: jsonCodec,
      helper: disconnectedHelper('/x'),
    });
    const found = await call('document:recover', {}, tab, restarted);
    expect(found.ok && (found.value as { entries: unknown[] }).entries).toHaveLength(1);
    await call(
      'document:save',
      { path: 'u.treewall', document: sampleDocument('u'), recoveryKey: 'k2' },
      tab,
      restarted,
    );
    expect(await call('document:recover', {}, tab, restarted)).toEqual({
      ok: true,
      value: { entries: [] },
    });
    await restarted.close();
  });
});

describe('electron mode', () => {
  it('touches only files the user chose or the window was opened for', async () => {
    const secret = path.join(root, 'secret.treewall');
    const chosen = path.join(root, 'chosen.treewall');
    await writeFile(chosen, JSON.stringify(sampleDocument('chosen')));
    const electron = createBackend({
      host: 'electron',
      version: 't',
      folder: null,
      stateDir,
      helperSocket: '/x',
      codec: jsonCodec,
      helper: disconnectedHelper('/x'),
      dialogs: { open: async () => chosen, save: async () => null },
    });
    const win: CallContext = { client: 'w1', initialPath: null };
    expect(errorOf(await call('document:open', { path: secret }, win, electron))?.code).toBe(
      'forbidden',
    );
    expect(
      errorOf(await call('document:open', { path: 'rel.treewall' }, win, electron))?.code,
    ).toBe('bad-request');
    const viaDialog = await call('document:open', {}, win, electron);
    expect(viaDialog.ok && viaDialog.value).toMatchObject({
      path: chosen,
      name: 'chosen.treewall',
    });
    // Chosen once, it may be saved to by path.
    expect(
      (await call('document:save', { path: chosen, document: sampleDocument('c2') }, win, electron))
        .ok,
    ).toBe(true);
    // Cancelled save dialog: null, nothing written.
    expect(await call('document:save', { document: sampleDocument('x') }, win, electron)).toEqual({
      ok: true,
      value: null,
    });
    const opener: CallContext = { client: 'w2', initialPath: secret };
    expect((await call('document:open', { path: secret }, opener, electron)).ok).toBe(true);
    await electron.close();
  });
});

describe('hostile requests (issue 12, item 1): Electron IPC and the WebSocket share this edge', () => {
  const nested = (depth: number): unknown => {
    let v: unknown = 1;
    for (let i = 0; i < depth; i++) v = { a: v };
    return v;
  };

  it('refuses values nested deeper than the limit with bad-request, never a throw', async () => {
    for (const depth of [2_000, 100_000]) {
      const document = { ...sampleDocument('deep'), extra: { x: nested(depth) } };
      for (const [channel, request] of [
        ['document:save', { path: 'deep.treewall', document }],
        ['helper:apply', { document }],
        ['document:autosave', { key: 'k', path: null, name: 'x', document }],
        [
          'document:autosave',
          {
            key: 'k',
            path: null,
            name: 'x',
            // Written by hand: JSON.stringify itself cannot nest this deep.
            documentText: `{"rules":[],"settings":${encodeWire(DEFAULT_SETTINGS)},"extra":{"x":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}}`,
          },
        ],
        ['app:info', nested(depth)],
      ] as const) {
        const result = await backend.handle(channel, request, tab);
        expect(errorOf(result)).toMatchObject({ code: 'bad-request' });
        expect(errorOf(result)?.message).toMatch(/nested deeper than 256 levels/);
      }
    }
    expect(await readdir(folder)).toEqual([]);
  });
});

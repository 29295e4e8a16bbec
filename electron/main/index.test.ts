// The Electron main process against a stand-in `electron` module (the real one needs the
// binary): one IPC handler per contract channel, calls from anything but the main frame of one
// of our windows on app://treewall refused, windows locked down, menus forwarding commands.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CHANNELS } from '../../shared/ipc/app-api.ts';

type Handler = (event: unknown, request: unknown) => Promise<unknown>;

const state = vi.hoisted(() => ({
  handlers: new Map<string, (event: unknown, request: unknown) => Promise<unknown>>(),
  windows: [] as FakeWindowLike[],
  menu: [] as { label?: string; submenu?: unknown[] }[],
  userData: '',
  ready: null as null | (() => void),
  appProtocol: null as null | ((request: { url: string }) => Promise<Response>),
}));

interface FakeWindowLike {
  id: number;
  options: { webPreferences: Record<string, unknown> };
  webContents: { sent: unknown[][]; mainFrame: { url: string } };
  loaded: string;
}

vi.mock('electron', () => {
  let nextId = 1;
  class WebContents {
    sent: unknown[][] = [];
    mainFrame = { url: '' };
    send(...args: unknown[]) {
      this.sent.push(args);
    }
    on() {}
    setWindowOpenHandler() {}
    session = { setPermissionRequestHandler() {} };
  }
  class BrowserWindow {
    static all: BrowserWindow[] = [];
    id = nextId++;
    webContents = new WebContents();
    loaded = '';
    title = '';
    constructor(readonly options: { webPreferences: Record<string, unknown> }) {
      BrowserWindow.all.push(this);
      state.windows.push(this as unknown as FakeWindowLike);
    }
    static fromWebContents(wc: unknown) {
      return BrowserWindow.all.find((w) => w.webContents === wc) ?? null;
    }
    static getFocusedWindow() {
      return BrowserWindow.all.at(-1) ?? null;
    }
    once() {}
    on() {}
    show() {}
    focus() {}
    close() {}
    isDestroyed() {
      return false;
    }
    getTitle() {
      return this.title;
    }
    setTitle(title: string) {
      this.title = title;
    }
    setRepresentedFilename() {}
    setDocumentEdited() {}
    async loadURL(url: string) {
      this.loaded = url;
      this.webContents.mainFrame.url = url;
    }
  }
  return {
    app: {
      requestSingleInstanceLock: () => true,
      on: () => {},
      whenReady: () => new Promise<void>((resolve) => (state.ready = resolve)),
      getVersion: () => '0.0.0-test',
      getPath: () => state.userData,
      getAppPath: () => process.cwd(),
      isPackaged: false,
      addRecentDocument: () => {},
      quit: () => {},
    },
    BrowserWindow,
    clipboard: { readText: async () => 'from clipboard', writeText: async () => {} },
    dialog: {},
    ipcMain: {
      handle: (channel: string, handler: Handler) => state.handlers.set(channel, handler),
    },
    Menu: {
      buildFromTemplate: (template: { label?: string; submenu?: unknown[] }[]) => template,
      setApplicationMenu: (menu: { label?: string; submenu?: unknown[] }[]) => (state.menu = menu),
    },
    Notification: { isSupported: () => false },
    protocol: {
      registerSchemesAsPrivileged: () => {},
      handle: (_scheme: string, handler: (request: { url: string }) => Promise<Response>) =>
        (state.appProtocol = handler),
    },
    shell: { openExternal: async () => {} },
  };
});

const call = (channel: string, event: unknown, request: unknown = {}) =>
  state.handlers.get(channel)!(event, request) as Promise<{
    ok: boolean;
    error?: { code: string };
  }>;

let argv: string[];

beforeAll(async () => {
  state.userData = await mkdtemp(path.join(os.tmpdir(), 'tw-main-'));
  argv = process.argv;
  // No files on the command line: one untitled window. A helper socket nobody listens on.
  process.argv = ['electron', '.', `--socket=${path.join(state.userData, 'none.sock')}`];
  await import('./index.ts');
  state.ready!();
  await vi.waitFor(() => expect(state.windows.length).toBe(1));
});

afterAll(async () => {
  process.argv = argv;
  await rm(state.userData, { recursive: true, force: true });
});

describe('Electron main', () => {
  it('registers exactly one handler per contract channel', () => {
    expect([...state.handlers.keys()].sort()).toEqual([...CHANNELS].sort());
  });

  it('opens a locked-down window on the app scheme', () => {
    const window = state.windows[0]!;
    expect(window.options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
    });
    expect(window.loaded).toBe('app://treewall/index.html');
  });

  it('serves the renderer on app://treewall with the CSP, and nothing outside it', async () => {
    const get = (url: string) => state.appProtocol!({ url });
    const page = await get('app://treewall/index.html');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect((await get('app://treewall/..%2f..%2fpackage.json')).status).toBe(404);
    expect((await get('app://treewall/%00index.html')).status).toBe(404);
    expect((await get('app://elsewhere/index.html')).status).toBe(404);
    expect((await get('app://treewall/missing.js')).status).toBe(404);
    expect((await get('app://treewall/%E0%A4%A')).status).toBe(400);
  });

  it('answers our window and refuses other senders and frames', async () => {
    const window = state.windows[0]!;
    const ours = { sender: window.webContents, senderFrame: window.webContents.mainFrame };
    expect(await call('app:info', ours)).toMatchObject({
      ok: true,
      value: { host: 'electron', nativeDialogs: true, initialPath: null },
    });
    expect(await call('clipboard:readText', ours)).toMatchObject({
      ok: true,
      value: { text: 'from clipboard' },
    });

    const stranger = {
      sender: { mainFrame: { url: 'app://treewall/index.html' } },
      senderFrame: null,
    };
    expect((await call('app:info', stranger)).error?.code).toBe('forbidden');
    const iframe = {
      sender: window.webContents,
      senderFrame: { url: 'app://treewall/index.html' },
    };
    expect((await call('app:info', iframe)).error?.code).toBe('forbidden');
    window.webContents.mainFrame.url = 'https://evil.example/';
    const navigated = { sender: window.webContents, senderFrame: window.webContents.mainFrame };
    expect((await call('app:info', navigated)).error?.code).toBe('forbidden');
    window.webContents.mainFrame.url = 'app://treewall/index.html';
  });

  it('validates requests from our window like every backend', async () => {
    const window = state.windows[0]!;
    const ours = { sender: window.webContents, senderFrame: window.webContents.mainFrame };
    expect((await call('document:open', ours, { path: 42 })).error?.code).toBe('bad-request');
    expect((await call('document:open', ours, { path: '/etc/passwd' })).error?.code).toBe(
      'forbidden',
    );
  });

  it('builds File, Edit, Rule, View and Firewall menus whose items forward commands', () => {
    expect(state.menu.map((m) => m.label)).toEqual([
      '&File',
      '&Edit',
      '&Rule',
      '&View',
      'F&irewall',
    ]);
    const edit = state.menu[1]!.submenu as { label?: string; click?: () => void }[];
    edit.find((item) => item.label === 'Copy')!.click!();
    expect(state.windows[0]!.webContents.sent.at(-1)).toEqual([
      'menu:command',
      { command: 'edit.copy' },
    ]);
  });
});

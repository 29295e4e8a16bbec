// Runtime: Electron main process (bundled by `vite build --mode electron-main`). Windows, native
// menus and dialogs, and the IPC edge of the shared backend (electron/common/backend.ts).
// Invariants: every window is sandboxed with context isolation and no Node; pages load only from
// our own `app://treewall/` scheme with a strict CSP; an IPC call from any frame that is not the
// main frame of one of our windows on that scheme is refused; the backend sees only requests that
// passed the contract's schema.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promises as fs } from 'node:fs';
import {
  app,
  BrowserWindow,
  clipboard,
  dialog,
  ipcMain,
  Menu,
  Notification,
  protocol,
  shell,
  type IpcMainInvokeEvent,
  type MenuItemConstructorOptions,
} from 'electron';
import { CHANNELS, failure, type MenuCommand } from '../../shared/ipc/app-api.ts';
import { createBackend, type Backend, type CallContext } from '../common/backend.ts';
import { createDocumentCodec } from '../common/document-codec.ts';
import { connectHelper, DEFAULT_HELPER_SOCKET } from '../common/helper-link.ts';
import { connectFleet } from '../common/fleet-link.ts';

const SCHEME = 'app';
const ORIGIN = `${SCHEME}://treewall`;
const here = path.dirname(fileURLToPath(import.meta.url));
/** dist/electron/main -> dist/renderer and dist/electron/preload. */
const rendererDir = path.resolve(here, '../../renderer');
const preloadFile = path.resolve(here, '../preload/index.cjs');

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

interface WindowState {
  window: BrowserWindow;
  context: CallContext;
  dirty: boolean;
  closeAfterSave: boolean;
  lastPath: string | null;
}

const windows = new Map<number, WindowState>();
let backend: Backend;

protocol.registerSchemesAsPrivileged([
  { scheme: SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);

/** Serve dist/renderer under app://treewall/, with the CSP header, and nothing outside it. */
function registerAppProtocol(): void {
  protocol.handle(SCHEME, async (request) => {
    const url = new URL(request.url);
    let relative: string;
    try {
      relative = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname.slice(1));
    } catch {
      return new Response('bad request: malformed %-escape', { status: 400 });
    }
    const file = path.resolve(rendererDir, relative);
    if (
      url.host !== 'treewall' ||
      !file.startsWith(rendererDir + path.sep) ||
      relative.includes('\0')
    ) {
      return new Response('not found', { status: 404 });
    }
    try {
      const body = await fs.readFile(file);
      return new Response(body, {
        headers: {
          'content-type': contentType(file),
          'content-security-policy': CSP,
          'x-content-type-options': 'nosniff',
        },
      });
    } catch {
      return new Response('not found', { status: 404 });
    }
  });
}

function contentType(file: string): string {
  const types: Record<string, string> = {
    '.html': 'text/html; charset=utf-8',
    '.js': 'text/javascript; charset=utf-8',
    '.css': 'text/css; charset=utf-8',
    '.svg': 'image/svg+xml',
    '.png': 'image/png',
    '.json': 'application/json',
  };
  return types[path.extname(file)] ?? 'application/octet-stream';
}

function createWindow(initialPath: string | null): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 800,
    title: initialPath ? path.basename(initialPath) : 'treewall',
    show: false,
    webPreferences: {
      preload: preloadFile,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  const state: WindowState = {
    window,
    context: { client: `window-${window.id}`, initialPath },
    dirty: false,
    closeAfterSave: false,
    lastPath: initialPath,
  };
  windows.set(window.id, state);
  const id = window.id;

  // Links open in the user's browser; the window itself never leaves our scheme.
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  window.webContents.on('will-navigate', (event, url) => {
    if (!url.startsWith(`${ORIGIN}/`)) event.preventDefault();
  });
  window.once('ready-to-show', () => window.show());
  window.on('close', (event) => {
    if (!state.dirty) return;
    const answer = dialog.showMessageBoxSync(window, {
      type: 'warning',
      buttons: ['Save', "Don't Save", 'Cancel'],
      defaultId: 0,
      cancelId: 2,
      message: `Save changes to ${window.getTitle().replace(/^• /, '')}?`,
      detail: 'Your changes will be lost if you do not save them.',
    });
    if (answer === 1) return;
    event.preventDefault();
    if (answer === 0) {
      state.closeAfterSave = true;
      sendMenuCommand(window, 'file.save');
    }
  });
  window.on('closed', () => {
    windows.delete(id);
    backend.disconnect(state.context.client);
  });
  void window.loadURL(`${ORIGIN}/index.html`);
  return window;
}

function sendMenuCommand(window: BrowserWindow | null | undefined, command: MenuCommand): void {
  window?.webContents.send('menu:command', { command });
}

/** The window behind an IPC call, or null when the sender is not ours. */
function senderWindow(event: IpcMainInvokeEvent): WindowState | null {
  const window = BrowserWindow.fromWebContents(event.sender);
  const state = window ? windows.get(window.id) : undefined;
  if (!state || state.window.webContents !== event.sender) return null;
  // Only the main frame of our own page may speak; never an iframe or a navigated-away page.
  const frame = event.senderFrame;
  if (!frame || frame !== event.sender.mainFrame || !frame.url.startsWith(`${ORIGIN}/`))
    return null;
  return state;
}

function registerIpc(): void {
  for (const channel of CHANNELS) {
    ipcMain.handle(channel, async (event, request: unknown) => {
      const state = senderWindow(event);
      if (!state) return failure('forbidden', 'IPC from a frame that is not a treewall window');
      return backend.handle(channel, request, state.context);
    });
  }
}

async function openWithDialog(parent?: BrowserWindow): Promise<void> {
  const options = {
    title: 'Open Document',
    properties: ['openFile' as const],
    filters: [
      { name: 'treewall documents', extensions: ['treewall', 'plist', 'xml', 'txt'] },
      { name: 'All files', extensions: ['*'] },
    ],
  };
  const result = parent
    ? await dialog.showOpenDialog(parent, options)
    : await dialog.showOpenDialog(options);
  const chosen = result.filePaths[0];
  if (!result.canceled && chosen) openDocumentWindow(chosen);
}

function openDocumentWindow(file: string): void {
  app.addRecentDocument(file);
  // One window per document: focus the one that has it already.
  for (const state of windows.values()) {
    if (state.context.initialPath === file) {
      state.window.focus();
      return;
    }
  }
  createWindow(path.resolve(file));
}

async function buildMenu(): Promise<void> {
  const recent = await backend.handle('document:recent', {}, { client: 'menu', initialPath: null });
  const recentFiles = recent.ok
    ? (recent.value as { files: { path: string; name: string }[] }).files
    : [];
  const focused = () => BrowserWindow.getFocusedWindow();
  // Edit, rule and Apply shortcuts stay with the page (registerAccelerator: false): the renderer
  // has the same keymap in the browser host, and text fields being edited get Ctrl+C and
  // friends natively. The menu shows them and forwards clicks.
  const forward = (
    label: string,
    command: MenuCommand,
    accelerator?: string,
    registerAccelerator = true,
  ): MenuItemConstructorOptions => ({
    label,
    ...(accelerator ? { accelerator, registerAccelerator } : {}),
    click: () => sendMenuCommand(focused(), command),
  });
  const template: MenuItemConstructorOptions[] = [
    {
      label: '&File',
      submenu: [
        // Ctrl+N is New Rule in the outline (the same keys in both hosts); a new window has none.
        { label: 'New Window', click: () => createWindow(null) },
        {
          label: 'Open…',
          accelerator: 'CmdOrCtrl+O',
          click: () => void openWithDialog(focused() ?? undefined),
        },
        {
          label: 'Open Recent',
          submenu: recentFiles.length
            ? recentFiles.map((file) => ({
                label: file.path,
                click: () => openDocumentWindow(file.path),
              }))
            : [{ label: 'No recent documents', enabled: false }],
        },
        { type: 'separator' },
        forward('Save', 'file.save', 'CmdOrCtrl+S'),
        forward('Save As…', 'file.saveAs', 'CmdOrCtrl+Shift+S'),
        forward('Save As IPNetSentryX Document (.nsy)…', 'file.saveAsNsy'),
        forward('Revert to Saved', 'file.revert'),
        { type: 'separator' },
        { label: 'Close Window', accelerator: 'CmdOrCtrl+W', click: () => focused()?.close() },
        { role: 'quit' },
      ],
    },
    {
      label: '&Edit',
      submenu: [
        forward('Undo', 'edit.undo', 'CmdOrCtrl+Z', false),
        forward('Redo', 'edit.redo', 'CmdOrCtrl+Shift+Z', false),
        { type: 'separator' },
        forward('Cut', 'edit.cut', 'CmdOrCtrl+X', false),
        forward('Copy', 'edit.copy', 'CmdOrCtrl+C', false),
        forward('Paste', 'edit.paste', 'CmdOrCtrl+V', false),
        forward('Paste Before', 'edit.pasteBefore', 'CmdOrCtrl+Alt+V', false),
        forward('Delete', 'edit.delete', 'Delete', false),
        forward('Select All', 'edit.selectAll', 'CmdOrCtrl+A', false),
        { type: 'separator' },
        forward('Filter…', 'edit.find', 'CmdOrCtrl+F', false),
      ],
    },
    {
      label: '&Rule',
      submenu: [
        forward('New Rule', 'rule.newSibling', 'CmdOrCtrl+N', false),
        forward('New Child Rule', 'rule.newChild', 'CmdOrCtrl+Shift+N', false),
        forward('Insert Rule Before', 'rule.insertBefore', 'CmdOrCtrl+Alt+N', false),
        forward('Duplicate', 'rule.duplicate', 'CmdOrCtrl+D', false),
      ],
    },
    {
      label: '&View',
      submenu: [
        forward('Expand All', 'view.expandAll', 'CmdOrCtrl+Alt+Right', false),
        forward('Collapse All', 'view.collapseAll', 'CmdOrCtrl+Alt+Left', false),
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
        ...(app.isPackaged ? [] : [{ role: 'toggleDevTools' as const }]),
      ],
    },
    {
      label: 'F&irewall',
      submenu: [
        forward('Apply', 'firewall.apply', 'CmdOrCtrl+Enter', false),
        forward('Show Active', 'firewall.showActive'),
        forward('Revert to Active', 'firewall.revert'),
        { type: 'separator' },
        forward('Firewall On/Off', 'firewall.toggle'),
        { type: 'separator' },
        forward('Document Settings…', 'firewall.settings'),
      ],
    },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

async function start(): Promise<void> {
  const socketArg = process.argv.find((a) => a.startsWith('--socket='));
  const helperSocket = socketArg ? socketArg.slice('--socket='.length) : DEFAULT_HELPER_SOCKET;
  backend = createBackend({
    host: 'electron',
    version: app.getVersion(),
    folder: null,
    stateDir: app.getPath('userData'),
    helperSocket,
    codec: createDocumentCodec({
      // Packaged: extraResources of electron-builder.yml; from source: the repository.
      defaultDocument: app.isPackaged
        ? path.join(process.resourcesPath, 'default.treewall')
        : path.join(app.getAppPath(), 'resources/default.treewall'),
    }),
    helper: connectHelper(helperSocket),
    // The fleet file the CLI falls back to too ($TREEWALL_FLEET first).
    fleet: connectFleet({
      file:
        process.env.TREEWALL_FLEET ||
        path.join(app.getPath('home'), '.config', 'treewall', 'fleet.json'),
      client: process.env.TREEWALL_SSH_CONFIG ? { sshConfig: process.env.TREEWALL_SSH_CONFIG } : {},
    }),
    dialogs: {
      async open(context) {
        const window = windowFor(context);
        const options = { properties: ['openFile' as const] };
        const result = window
          ? await dialog.showOpenDialog(window, options)
          : await dialog.showOpenDialog(options);
        return result.canceled ? null : (result.filePaths[0] ?? null);
      },
      async save(context, suggestedName) {
        const window = windowFor(context);
        const options = { defaultPath: suggestedName };
        const result = window
          ? await dialog.showSaveDialog(window, options)
          : await dialog.showSaveDialog(options);
        return result.canceled ? null : (result.filePath ?? null);
      },
    },
    clipboard: {
      readText: () => clipboard.readText(),
      writeText: (text) => clipboard.writeText(text),
    },
    setWindowState(context, request) {
      const state = [...windows.values()].find((s) => s.context === context);
      if (!state) return;
      state.dirty = request.dirty;
      state.window.setTitle(`${request.dirty ? '• ' : ''}${request.title}`);
      if (request.path) state.window.setRepresentedFilename(request.path);
      state.window.setDocumentEdited(request.dirty);
      if (state.closeAfterSave && !request.dirty) state.window.close();
      // A new path means an open or a save happened: the recent list changed.
      if (request.path !== state.lastPath) {
        state.lastPath = request.path;
        void buildMenu();
      }
    },
  });
  backend.onEvent((event, payload) => {
    for (const state of windows.values()) {
      // A window between 'close' and 'closed' has no page left to tell.
      if (!state.window.isDestroyed()) state.window.webContents.send(event, payload);
    }
    if (event === 'notify:event' && Notification.isSupported()) {
      const { title, body } = payload as { title: string; body: string };
      new Notification({ title, body }).show();
    }
  });

  registerAppProtocol();
  registerIpc();
  await buildMenu();
  const files = process.argv.slice(app.isPackaged ? 1 : 2).filter((a) => !a.startsWith('-'));
  if (files.length === 0) createWindow(null);
  for (const file of files) openDocumentWindow(path.resolve(file));
}

function windowFor(context: CallContext): BrowserWindow | undefined {
  return [...windows.values()].find((s) => s.context === context)?.window;
}

// One app instance: a second launch opens its files in this one.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', (_event, argv, cwd) => {
    const files = argv
      .slice(1)
      .filter((a) => !a.startsWith('-') && /\.(treewall|plist|xml|txt)$/.test(a));
    if (files.length === 0) createWindow(null);
    for (const file of files) openDocumentWindow(path.resolve(cwd, file));
  });
  app.on('web-contents-created', (_event, contents) => {
    contents.session.setPermissionRequestHandler((_wc, permission, callback) =>
      callback(permission === 'notifications' || permission === 'clipboard-sanitized-write'),
    );
  });
  app.on('window-all-closed', () => {
    void backend?.close().finally(() => app.quit());
  });
  void app.whenReady().then(start);
}

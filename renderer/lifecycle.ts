// Runtime: browser (renderer/). What the app does around the editing: start-up (info, the first
// document, an offer to recover unsaved work), the window title and dirty marker, autosave for
// crash recovery, the prompt before leaving, helper events, and the global keyboard shortcuts.
// Invariant: every listener installed here is removed by the function `start()` returns.

import { invoke, listen } from './backend.ts';
import {
  copyForEvent,
  openPath,
  pasteText,
  recoveryKey,
  refreshHelper,
  refreshRecent,
  run,
} from './commands.ts';
import { receiveHelperEvent, useAppStore } from './store/app-store.ts';
import { selectDirty, useDocumentStore } from './store/document-store.ts';
import { documentText as encodedDocument } from './store/document-text.ts';
import { encodedInWorker } from './store/document-worker-client.ts';

const AUTOSAVE_DELAY_MS = 3000;
/** The autosave waits until the user's input has paused this long... */
const AUTOSAVE_QUIET_MS = 1000;
/** ...but never longer than this after the last edit. */
const AUTOSAVE_MAX_DELAY_MS = 15000;
/** How long "Reconnected to treewall serve" stays after a lost connection came back. */
const RECONNECTED_NOTICE_MS = 4000;

/** Crash-recovery copy of a dirty document (or drop the copy of a clean one). The document goes
 * as its wire JSON text, written by the document worker from its copy of the document
 * (./store/document-worker-client.ts; on the main thread in slices where no worker runs):
 * encoding or cloning a 100,000-rule document on the main thread would block it for 0.1-0.8 s. */
async function autosaveNow(): Promise<void> {
  const now = useDocumentStore.getState();
  if (!selectDirty(now)) {
    void invoke('document:discardRecovery', { key: recoveryKey });
    return;
  }
  const documentText =
    (await encodedInWorker(now.document)) ?? (await encodedDocument(now.document));
  if (documentText === null) return;
  void invoke('document:autosave', {
    key: recoveryKey,
    path: now.filePath,
    name: now.fileName,
    documentText,
  });
}

const isTextTarget = (t: EventTarget | null) =>
  t instanceof Element &&
  t.closest('input:not([type=checkbox]):not([type=radio]), textarea, select, [contenteditable]') !==
    null;
const inModal = () => useAppStore.getState().dialog !== null;

/** Ctrl (or Cmd on a Mac) shortcuts that work anywhere outside a text field. */
function onKeyDown(e: KeyboardEvent): void {
  const mod = e.ctrlKey || e.metaKey;
  if (!mod || inModal()) return;
  const key = e.key.toLowerCase();
  const text = isTextTarget(e.target);
  const go = (command: Parameters<typeof run>[0], alt = e.altKey) => {
    e.preventDefault();
    run(command, alt);
  };
  // Document-level shortcuts work even from the filter box.
  if (key === 's') return go(e.shiftKey ? 'file.saveAs' : 'file.save');
  if (key === 'o') return go('file.open');
  if (key === 'f') return go('edit.find');
  if (key === 'enter') return go('firewall.apply');
  if (text) return;
  if (key === 'z') return go(e.shiftKey ? 'edit.redo' : 'edit.undo');
  if (key === 'y') return go('edit.redo');
  if (key === 'n') return go(e.shiftKey ? 'rule.newChild' : 'rule.newSibling');
  if (key === 'd') return go('rule.duplicate');
  // Paste before (Alt) reads the clipboard through the contract; plain paste uses the paste event.
  if (key === 'v' && e.altKey) return go('edit.pasteBefore');
}

function onCopy(e: ClipboardEvent): void {
  if (isTextTarget(e.target) || inModal()) return;
  const text = copyForEvent();
  if (text === null || !e.clipboardData) return;
  e.clipboardData.setData('text/plain', text);
  e.preventDefault();
}

function onCut(e: ClipboardEvent): void {
  if (isTextTarget(e.target) || inModal()) return;
  onCopy(e);
  if (e.defaultPrevented) useDocumentStore.getState().deleteSelected();
}

function onPaste(e: ClipboardEvent): void {
  if (isTextTarget(e.target) || inModal()) return;
  const text = e.clipboardData?.getData('text/plain') ?? '';
  e.preventDefault();
  if (text) pasteText(text);
  else run('edit.paste');
}

function onBeforeUnload(e: BeforeUnloadEvent): void {
  // NOTE: in Electron a cancelled beforeunload silently keeps the window open; main asks there
  // instead (it knows the dirty state from window:setState).
  if (useAppStore.getState().info?.host === 'electron') return;
  if (selectDirty(useDocumentStore.getState())) {
    e.preventDefault();
    e.returnValue = '';
  }
}

/** `name — treewall`; the page title adds `• ` when dirty (Electron's main adds its own). */
function titleOf(): { title: string; dirty: boolean } {
  const s = useDocumentStore.getState();
  const dirty = selectDirty(s);
  return { title: `${s.fileName} — treewall`, dirty };
}

/** Start the app's background behaviour; returns the function that stops it. */
export function start(): () => void {
  const stops: (() => void)[] = [];
  window.addEventListener('keydown', onKeyDown);
  document.addEventListener('copy', onCopy);
  document.addEventListener('cut', onCut);
  document.addEventListener('paste', onPaste);
  window.addEventListener('beforeunload', onBeforeUnload);
  stops.push(() => {
    window.removeEventListener('keydown', onKeyDown);
    document.removeEventListener('copy', onCopy);
    document.removeEventListener('cut', onCut);
    document.removeEventListener('paste', onPaste);
    window.removeEventListener('beforeunload', onBeforeUnload);
  });

  // Title and dirty marker, pushed to Electron's window too.
  let lastTitle = '';
  const syncTitle = () => {
    const { title, dirty } = titleOf();
    const shown = `${dirty ? '• ' : ''}${title}`;
    if (shown === lastTitle) return;
    lastTitle = shown;
    document.title = shown;
    void invoke('window:setState', { title, dirty, path: useDocumentStore.getState().filePath });
  };
  syncTitle();
  stops.push(useDocumentStore.subscribe(syncTitle));

  // Autosave for crash recovery: a few seconds after the last edit, while the document is dirty.
  // The copy waits for a pause in the user's input (scrolling, typing, pointer) and then for an
  // idle period, never longer than AUTOSAVE_MAX_DELAY_MS after the last edit. (Its encoding is
  // incremental and sliced now; the wait still keeps the socket's send of a large document out
  // of the way of input.)
  let timer: ReturnType<typeof setTimeout> | undefined;
  let idle: number | undefined;
  let editedAt = 0;
  let lastInput = 0;
  const noteInput = () => {
    lastInput = performance.now();
  };
  const inputEvents = ['scroll', 'wheel', 'pointerdown', 'pointermove', 'keydown'] as const;
  for (const type of inputEvents) {
    // Capture on the window sees element scrolls too (scroll does not bubble).
    window.addEventListener(type, noteInput, { capture: true, passive: true });
    stops.push(() => window.removeEventListener(type, noteInput, { capture: true }));
  }
  const saveWhenIdle = () => {
    const now = performance.now();
    if (now - lastInput < AUTOSAVE_QUIET_MS && now - editedAt < AUTOSAVE_MAX_DELAY_MS) {
      timer = setTimeout(saveWhenIdle, AUTOSAVE_QUIET_MS);
      return;
    }
    if (typeof requestIdleCallback === 'function') {
      idle = requestIdleCallback(
        () => {
          idle = undefined;
          void autosaveNow();
        },
        { timeout: AUTOSAVE_QUIET_MS },
      );
    } else void autosaveNow();
  };
  let lastRevision = useDocumentStore.getState().revision;
  stops.push(
    useDocumentStore.subscribe((s) => {
      if (s.revision === lastRevision) return;
      lastRevision = s.revision;
      editedAt = performance.now();
      clearTimeout(timer);
      if (idle !== undefined) cancelIdleCallback(idle);
      idle = undefined;
      timer = setTimeout(saveWhenIdle, AUTOSAVE_DELAY_MS);
    }),
  );
  stops.push(() => {
    clearTimeout(timer);
    if (idle !== undefined) cancelIdleCallback(idle);
  });

  // Back from a lost connection to `treewall serve`: what happened meanwhile is asked again
  // (helper events were missed), the edits made meanwhile are autosaved, and the banner says
  // "reconnected" for a moment.
  let backTimer: ReturnType<typeof setTimeout> | undefined;
  stops.push(
    useAppStore.subscribe((s, before) => {
      if (s.hostConnection !== 'back' || before.hostConnection === 'back') return;
      void refreshHelper();
      if (selectDirty(useDocumentStore.getState())) void autosaveNow();
      clearTimeout(backTimer);
      backTimer = setTimeout(() => {
        if (useAppStore.getState().hostConnection === 'back') {
          useAppStore.setState({ hostConnection: 'up' });
        }
      }, RECONNECTED_NOTICE_MS);
    }),
  );
  stops.push(() => clearTimeout(backTimer));

  // Helper events.
  stops.push(listen('helper:state', receiveHelperEvent));
  stops.push(listen('menu:command', ({ command }) => run(command)));
  // Counter ticks, log and notification events: renderer/live/live-feed.ts.

  void boot();
  return () => stops.forEach((stop) => stop());
}

async function boot(): Promise<void> {
  const info = await invoke('app:info', {});
  if (!info.ok) return; // No backend: the status bar says so; editing still works.
  useAppStore.setState({ info: info.value });
  void refreshHelper();
  void refreshRecent();
  const opened = info.value.initialPath ? await openPath(info.value.initialPath) : false;
  if (!opened) {
    const fresh = await invoke('document:new', {});
    if (fresh.ok) useDocumentStore.getState().load(fresh.value.document, null, fresh.value.name);
  }
  const recovery = await invoke('document:recover', {});
  if (recovery.ok && recovery.value.entries.length) {
    useAppStore.getState().setDialog({ kind: 'recover', entries: recovery.value.entries });
  }
}

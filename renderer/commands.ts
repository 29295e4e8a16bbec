// Runtime: browser (renderer/). Every user command, by the contract's menu-command names, so the
// toolbar, the browser host's menu bar, keyboard shortcuts and Electron's native menus
// (`menu:command`) all run the same code.
// Invariant: a command that would lose unsaved changes asks first; a command that fails changes
// nothing and says why in the banner.

import type {
  ApiResult,
  ChannelRequest,
  HelperStatus,
  MenuCommand,
} from '../shared/ipc/app-api.ts';
import type { Rule } from '../shared/model/types.ts';
import { invoke, readClipboard, writeClipboard } from './backend.ts';
import {
  applyOutcomes,
  ask,
  believeHelper,
  helperMissingReason,
  helperStates,
  showError,
  useAppStore,
} from './store/app-store.ts';
import { rulesForCopy, rulesToText, textToRules } from './store/clipboard-codec.ts';
import { selectDirty, useDocumentStore } from './store/document-store.ts';
import { problemsNow } from './store/all-problems.ts';
import { severityOf } from '../shared/model/types.ts';
import { outlineApi } from './outline/outline-api.ts';
import { startRollout } from './fleet/fleet-actions.ts';
import { isLocalTarget, targetHosts } from './store/fleet-store.ts';
import { useLiveDock } from './live/live-dock-store.ts';

export const CONFIRM_TIMEOUT_SECONDS = 20;

const docs = () => useDocumentStore.getState();
const app = () => useAppStore.getState();

/** A per-tab key for crash-recovery autosaves. */
export const recoveryKey: string = (() => {
  const existing = sessionStorage.getItem('treewall.recoveryKey');
  if (existing) return existing;
  const key = `tab-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  sessionStorage.setItem('treewall.recoveryKey', key);
  return key;
})();

/** Ask before unsaved changes are lost. Resolves true when it is fine to go on. */
export async function confirmDiscard(action: string): Promise<boolean> {
  if (!selectDirty(docs())) return true;
  const choice = await ask(
    `Save changes to “${docs().fileName}”?`,
    `Your changes will be lost if you ${action} without saving.`,
    ['Save', 'Don’t Save', 'Cancel'],
  );
  if (choice === 'Save') return saveDocument(false);
  return choice === 'Don’t Save';
}

/* ---- documents ---- */

export async function newDocument(): Promise<void> {
  if (!(await confirmDiscard('create a new document'))) return;
  const r = await invoke('document:new', {});
  if (!r.ok) return showError(`New document failed: ${r.error.message}`);
  docs().load(r.value.document, null, r.value.name);
  app().setBanner(null);
}

export async function openPath(path: string): Promise<boolean> {
  const r = await invoke('document:open', { path });
  if (!r.ok) {
    showError(`Could not open ${path}: ${r.error.message}`);
    return false;
  }
  if (!r.value) return false;
  docs().load(r.value.document, r.value.path, r.value.name);
  showOpenNotes(r.value.notes, r.value);
  void refreshRecent();
  return true;
}

/** What the backend noticed while reading (invalid UTF-8 replaced), or no banner; a file that
 * opens with no rules says so, rather than look like a failed open. */
function showOpenNotes(
  notes: string[] | undefined,
  opened?: { document: { rules: unknown[] }; name: string },
): void {
  if (notes && notes.length > 0) {
    app().setBanner({
      kind: 'info',
      message: 'The document was opened with changes.',
      detail: notes.join(' '),
    });
  } else if (opened && opened.document.rules.length === 0) {
    app().setBanner({
      kind: 'info',
      message: `“${opened.name}” holds no rules.`,
      detail:
        'A property list without a rule tree (or with an empty one) opens as an empty document. New rule (Ctrl+N) adds one.',
    });
  } else app().setBanner(null);
}

export async function openDocument(): Promise<void> {
  if (!(await confirmDiscard('open another document'))) return;
  if (app().info?.nativeDialogs) {
    const r = await invoke('document:open', {});
    if (!r.ok) return showError(`Open failed: ${r.error.message}`);
    if (r.value) {
      docs().load(r.value.document, r.value.path, r.value.name);
      showOpenNotes(r.value.notes, r.value);
    }
    void refreshRecent();
    return;
  }
  const r = await invoke('document:list', {});
  if (!r.ok) return showError(`Could not list documents: ${r.error.message}`);
  app().setDialog({ kind: 'open', files: r.value.files, folder: r.value.folder });
}

/** Save; `saveAs` or an untitled document asks where. Resolves true when saved. `format`
 * 'nsy': Save As IPNetSentryX document (the name suggested ends in .nsy, which picks the form). */
export async function saveDocument(saveAs: boolean, format?: 'nsy'): Promise<boolean> {
  const { filePath } = docs();
  if ((saveAs || !filePath) && !app().info?.nativeDialogs) {
    const stem = (filePath ?? docs().fileName).replace(/\.[^.]*$/, '') || 'firewall';
    const suggested = format === 'nsy' ? `${stem}.nsy` : (filePath ?? `${stem}.treewall`);
    app().setDialog({ kind: 'saveAs', suggested });
    return new Promise((resolve) => {
      pendingSaveAs = resolve;
    });
  }
  return saveTo(saveAs ? null : filePath, saveAs, format);
}

let pendingSaveAs: ((saved: boolean) => void) | null = null;

/** The Save As dialog's answer (null: cancelled). */
export async function finishSaveAs(path: string | null): Promise<void> {
  app().setDialog(null);
  const resolve = pendingSaveAs;
  pendingSaveAs = null;
  const saved = path ? await saveTo(path, false) : false;
  resolve?.(saved);
}

async function saveTo(path: string | null, saveAs: boolean, format?: 'nsy'): Promise<boolean> {
  const revision = docs().revision;
  const request = {
    path: path ?? (format === 'nsy' ? docs().filePath : path),
    saveAs,
    ...(format ? { format } : {}),
    document: docs().document,
    recoveryKey,
  };
  let r = await invoke('document:save', request);
  // The file there is not a treewall document: replace it only if the user says so.
  if (!r.ok && r.error.code === 'exists') {
    const choice = await ask('Replace the file?', r.error.message, ['Replace', 'Cancel']);
    if (choice !== 'Replace') return false;
    r = await invoke('document:save', { ...request, overwrite: true });
  }
  if (!r.ok) {
    showError(`Save failed: ${r.error.message}`);
    return false;
  }
  if (!r.value) return false;
  // Edits made while the save was in flight keep the document dirty.
  if (docs().revision === revision) docs().markSaved(r.value.path, r.value.name);
  else useDocumentStore.setState({ filePath: r.value.path, fileName: r.value.name });
  void refreshRecent();
  return true;
}

export async function revertDocument(): Promise<void> {
  const { filePath } = docs();
  if (!filePath) return newDocument();
  if (selectDirty(docs())) {
    const choice = await ask(`Revert “${docs().fileName}”?`, 'Your unsaved changes will be lost.', [
      'Revert',
      'Cancel',
    ]);
    if (choice !== 'Revert') return;
  }
  await openPath(filePath);
}

export async function refreshRecent(): Promise<void> {
  const r = await invoke('document:recent', {});
  if (r.ok) useAppStore.setState({ recent: r.value.files });
}

export async function openRecent(path: string): Promise<void> {
  if (await confirmDiscard('open another document')) await openPath(path);
}

/* ---- clipboard ---- */

function copyText(): string | null {
  const { selection, document } = docs();
  if (selection.length === 0) return null;
  const rules = rulesForCopy(document.rules, new Set(selection));
  return rules.length ? rulesToText(rules) : null;
}

export async function copy(): Promise<void> {
  const text = copyText();
  if (text !== null) await writeClipboard(text);
}

export async function cut(): Promise<void> {
  await copy();
  docs().deleteSelected();
}

/** Paste NeXT text: after the selection, before it with Alt, as children of an expanded row. */
export function pasteText(text: string, before = false): void {
  let rules: Rule[];
  try {
    rules = textToRules(text);
  } catch (e) {
    showError(
      'Cannot paste: the clipboard does not hold rules.',
      e instanceof Error ? e.message : String(e),
    );
    return;
  }
  if (rules.length === 0)
    return showError('Cannot paste: the clipboard holds an empty list of rules.');
  app().setBanner(null);
  docs().insertRules(rules, { before });
}

export async function paste(before = false): Promise<void> {
  pasteText(await readClipboard(), before);
}

/** The DOM copy event's text (keyboard shortcut path: synchronous clipboard access). */
export function copyForEvent(): string | null {
  const text = copyText();
  if (text !== null) void writeClipboard(text);
  return text;
}

/* ---- the helper ---- */

type StatusChannel =
  'helper:status' | 'helper:apply' | 'helper:confirm' | 'helper:revert' | 'helper:stop';

/** A call answered with the helper's status; the reply is shown unless a newer status (a
 * `helper:state` event) arrived while it was in flight. */
async function statusCall<C extends StatusChannel>(
  channel: C,
  request: ChannelRequest<C>,
): Promise<ApiResult<HelperStatus>> {
  const ticket = helperStates.ask();
  const r = (await invoke(channel, request)) as ApiResult<HelperStatus>;
  if (r.ok) {
    const fresh = helperStates.reply(ticket, r.value);
    if (fresh) believeHelper(fresh);
  }
  return r;
}

export async function refreshHelper(): Promise<void> {
  await statusCall('helper:status', {});
}

export async function apply(): Promise<void> {
  // The host picker shows fleet hosts: Apply rolls the outline out to them (canary first).
  if (!isLocalTarget()) {
    useLiveDock.getState().show('fleet');
    return startRollout(targetHosts());
  }
  const { document } = docs();
  // What the helper would refuse, said here first: validation and the compiler's refusals.
  const problems = problemsNow(document).filter((p) => severityOf(p) === 'error');
  if (problems.length) {
    useAppStore.setState({ blockingProblems: problems, problemsSource: 'apply' });
    return;
  }
  useAppStore.setState({ blockingProblems: null });
  // Without a helper Apply is a check: it says the rules are fine and why nothing was loaded.
  const missing = helperMissingReason(app());
  if (missing) {
    app().setBanner({
      kind: 'info',
      message: 'The rules have no problems, but nothing was applied.',
      detail: missing,
    });
    return;
  }
  useAppStore.setState({ rollback: null });
  const r = await statusCall('helper:apply', {
    document,
    confirmTimeoutSeconds: CONFIRM_TIMEOUT_SECONDS,
  });
  const at = new Date().toISOString();
  if (!r.ok) {
    if (r.error.problems?.length)
      useAppStore.setState({ blockingProblems: r.error.problems, problemsSource: 'apply' });
    else showError(`Apply failed: ${r.error.message}`);
    useAppStore.setState({
      lastApply: { kind: 'failed', at, message: `failed — ${r.error.message}` },
    });
    return;
  }
  // Unless the helper already settled it (a status that arrived first), it waits for Keep.
  if (r.value.pendingConfirm) {
    const n = r.value.ruleCount;
    useAppStore.setState({
      lastApply: {
        kind: 'applied',
        at,
        message: `${n === null ? 'rules' : n === 1 ? '1 rule' : `${n} rules`} applied, waiting for Keep`,
      },
    });
  }
}

/** Keep the applied rules; resolves false (after saying why) when the helper refused. */
export async function confirmApply(): Promise<boolean> {
  applyOutcomes.choose('keep');
  const r = await statusCall('helper:confirm', {});
  if (!r.ok) showError(`Confirm failed: ${r.error.message}`);
  return r.ok;
}

export async function revertApply(): Promise<boolean> {
  applyOutcomes.choose('revert');
  const r = await statusCall('helper:revert', {});
  if (!r.ok) showError(`Revert failed: ${r.error.message}`);
  return r.ok;
}

export async function showActive(): Promise<void> {
  const r = await invoke('helper:showActive', {});
  if (!r.ok) return showError(`Show Active failed: ${r.error.message}`);
  app().setDialog({ kind: 'active', document: r.value.document });
}

/** Replace the editor's rules with the ones in the kernel (an undoable edit). */
export async function revertToActive(): Promise<void> {
  const r = await invoke('helper:showActive', {});
  if (!r.ok) return showError(`Revert to active failed: ${r.error.message}`);
  const active = r.value.document;
  if (!active) return showError('Nothing is active: the helper has no rules applied.');
  const choice = await ask(
    'Revert to the active rules?',
    'The outline will show the rules in force in the kernel. You can undo this.',
    ['Revert', 'Cancel'],
  );
  if (choice === 'Revert') docs().editRules(() => active.rules);
}

export async function setFirewallOn(on: boolean): Promise<void> {
  if (on) return apply();
  const r = await statusCall('helper:stop', {});
  if (!r.ok) showError(`Turning the firewall off failed: ${r.error.message}`);
}

/** The status bar's "N problems": list every problem of the document (or close the list). */
export function toggleProblemList(): void {
  if (app().blockingProblems) return useAppStore.setState({ blockingProblems: null });
  const problems = problemsNow(docs().document);
  useAppStore.setState({
    blockingProblems: problems.length ? problems : null,
    problemsSource: 'document',
  });
}

/** Select and show one rule (the problem list's links). */
export function revealRule(ruleId: string): void {
  docs().setFilter('');
  docs().revealRules([ruleId]);
}

/* ---- the command table ---- */

export const COMMANDS: Record<MenuCommand, (alt?: boolean) => void | Promise<void>> = {
  'file.new': newDocument,
  'file.open': openDocument,
  'file.save': () => void saveDocument(false),
  'file.saveAs': () => void saveDocument(true),
  'file.saveAsNsy': () => void saveDocument(true, 'nsy'),
  'file.revert': revertDocument,
  'file.close': () => window.close(),
  'edit.undo': () => docs().undo(),
  'edit.redo': () => docs().redo(),
  'edit.cut': cut,
  'edit.copy': copy,
  'edit.paste': (alt) => paste(alt === true),
  'edit.pasteBefore': () => paste(true),
  'edit.delete': () => docs().deleteSelected(),
  'edit.selectAll': () => outlineApi.current?.selectAll(),
  'edit.find': () => document.querySelector<HTMLInputElement>('[data-testid="filter"]')?.focus(),
  'rule.newSibling': (alt) => void docs().addRule({ before: alt === true }),
  'rule.newChild': () => void docs().addRule({ asChild: true }),
  'rule.insertBefore': () => void docs().addRule({ before: true }),
  'rule.duplicate': () => docs().duplicateSelected(),
  'view.expandAll': () => docs().expandAll(),
  'view.collapseAll': () => docs().collapseAll(),
  'firewall.apply': apply,
  'firewall.showActive': showActive,
  'firewall.revert': revertToActive,
  'firewall.toggle': () => setFirewallOn(!app().helper?.active),
  'firewall.settings': () => app().setDialog({ kind: 'settings' }),
};

export const run = (command: MenuCommand, alt?: boolean): void => {
  void Promise.resolve(COMMANDS[command](alt)).catch((e: unknown) =>
    showError(`${command} failed: ${e instanceof Error ? e.message : String(e)}`),
  );
};

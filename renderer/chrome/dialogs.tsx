// Runtime: browser (renderer/). In-app dialogs: open a document from the served folder, Save As
// (a file name), the three-button unsaved-changes question, crash recovery, and Show Active.

import { useEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { invoke } from '../backend.ts';
import { finishSaveAs, openPath, recoveryKey } from '../commands.ts';
import { useAppStore, type Dialog } from '../store/app-store.ts';
import { useDocumentStore } from '../store/document-store.ts';
import { SettingsDialog } from './settings-dialog.tsx';
import { ActiveView } from './active-view.tsx';

const FOCUSABLE =
  'button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/**
 * A modal dialog (WAI-ARIA dialog pattern): the keyboard is inside it from the start (an
 * autoFocus element, else the first control, else the dialog itself), Tab and Shift+Tab cycle
 * within it, Escape closes it, and the focus goes back where it was when it closes.
 */
function Modal(props: { title: string; children: ReactNode; onClose: () => void; testId: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (el && !el.contains(document.activeElement))
      (el.querySelector<HTMLElement>(FOCUSABLE) ?? el).focus();
    return () => {
      if (before?.isConnected) before.focus();
    };
  }, []);
  return (
    <div className="modal-backdrop" onMouseDown={props.onClose}>
      <div
        ref={box}
        className="modal"
        role="dialog"
        aria-modal="true"
        aria-label={props.title}
        data-testid={props.testId}
        tabIndex={-1}
        onMouseDown={(e) => e.stopPropagation()}
        onKeyDown={(e) => {
          e.stopPropagation();
          if (e.key === 'Escape') props.onClose();
          else if (e.key === 'Tab' && box.current) {
            const all = [...box.current.querySelectorAll<HTMLElement>(FOCUSABLE)];
            const first = all[0];
            const last = all.at(-1);
            if (!first || !last) return e.preventDefault();
            const at = document.activeElement;
            if (e.shiftKey && (at === first || at === box.current)) {
              e.preventDefault();
              last.focus();
            } else if (!e.shiftKey && at === last) {
              e.preventDefault();
              first.focus();
            }
          }
        }}
      >
        <h2>{props.title}</h2>
        {props.children}
      </div>
    </div>
  );
}

export function Dialogs() {
  const dialog = useAppStore((s) => s.dialog);
  if (!dialog) return null;
  return <DialogView dialog={dialog} />;
}

const close = () => useAppStore.getState().setDialog(null);

function DialogView({ dialog }: { dialog: Dialog }) {
  switch (dialog.kind) {
    case 'open':
      return <OpenDialog files={dialog.files} folder={dialog.folder} />;
    case 'saveAs':
      return <SaveAsDialog suggested={dialog.suggested} />;
    case 'confirm': {
      const { request } = dialog;
      return (
        <Modal title={request.title} onClose={() => request.resolve(null)} testId="confirm-dialog">
          <p>{request.message}</p>
          <div className="modal-buttons">
            {request.buttons.map((b, i) => (
              <button
                key={b}
                type="button"
                className={`tool ${i === 0 ? 'primary' : ''}`}
                autoFocus={i === 0}
                onClick={() => request.resolve(b)}
              >
                {b}
              </button>
            ))}
          </div>
        </Modal>
      );
    }
    case 'recover':
      return <RecoverDialog entries={dialog.entries} />;
    case 'settings':
      return <SettingsDialog />;
    case 'active':
      return (
        <Modal title="Rules in force" onClose={close} testId="active-dialog">
          {dialog.document ? (
            <ActiveView document={dialog.document} />
          ) : (
            <p>No rules are applied: the firewall is off.</p>
          )}
          <div className="modal-buttons">
            <button type="button" className="tool primary" autoFocus onClick={close}>
              Close
            </button>
          </div>
        </Modal>
      );
  }
}

function OpenDialog({
  files,
  folder,
}: {
  files: { path: string; name: string; size: number; modified: string }[];
  folder: string;
}) {
  const [chosen, setChosen] = useState<string | null>(files[0]?.path ?? null);
  const open = async (path: string | null) => {
    if (!path) return;
    if (await openPath(path)) close();
  };
  // The list takes the keyboard: arrows, Home/End choose, Enter opens.
  const onListKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const at = files.findIndex((f) => f.path === chosen);
    const to =
      e.key === 'ArrowDown'
        ? Math.min(files.length - 1, at + 1)
        : e.key === 'ArrowUp'
          ? Math.max(0, at - 1)
          : e.key === 'Home'
            ? 0
            : e.key === 'End'
              ? files.length - 1
              : null;
    if (to !== null && files[to]) {
      e.preventDefault();
      setChosen(files[to].path);
      document.getElementById(optionId(files[to].path))?.scrollIntoView({ block: 'nearest' });
    } else if (e.key === 'Enter') {
      e.preventDefault();
      void open(chosen);
    }
  };
  const optionId = (path: string) => `open-file-${files.findIndex((f) => f.path === path)}`;
  const where = folder === '.' || folder === '' ? 'the served folder' : folder;
  return (
    <Modal title="Open document" onClose={close} testId="open-dialog">
      <p className="muted">
        {files.length === 0
          ? 'No documents'
          : files.length === 1
            ? '1 document'
            : `${files.length} documents`}{' '}
        in <span className="mono">{where}</span>
      </p>
      <div
        className="file-list"
        role="listbox"
        aria-label="Documents"
        tabIndex={files.length ? 0 : -1}
        aria-activedescendant={chosen ? optionId(chosen) : undefined}
        onKeyDown={onListKey}
      >
        {files.map((f) => (
          <div
            key={f.path}
            id={optionId(f.path)}
            role="option"
            aria-selected={f.path === chosen}
            className={`file ${f.path === chosen ? 'selected' : ''}`}
            onClick={() => setChosen(f.path)}
            onDoubleClick={() => void open(f.path)}
          >
            <span>{f.name}</span>
            <span className="muted">{new Date(f.modified).toLocaleString()}</span>
          </div>
        ))}
      </div>
      <div className="modal-buttons">
        <button type="button" className="tool" onClick={close}>
          Cancel
        </button>
        <button
          type="button"
          className="tool primary"
          disabled={!chosen}
          onClick={() => void open(chosen)}
        >
          Open
        </button>
      </div>
    </Modal>
  );
}

function SaveAsDialog({ suggested }: { suggested: string }) {
  const [name, setName] = useState(suggested);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    input.current?.focus();
    input.current?.setSelectionRange(0, suggested.replace(/\.[^.]*$/, '').length);
  }, [suggested]);
  const ok = name.trim() !== '';
  return (
    <Modal title="Save As" onClose={() => void finishSaveAs(null)} testId="save-dialog">
      <label className="field">
        File name (in the served folder)
        <input
          ref={input}
          data-testid="save-name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && ok) void finishSaveAs(name.trim());
          }}
        />
      </label>
      <div className="modal-buttons">
        <button type="button" className="tool" onClick={() => void finishSaveAs(null)}>
          Cancel
        </button>
        <button
          type="button"
          className="tool primary"
          disabled={!ok}
          onClick={() => void finishSaveAs(name.trim())}
        >
          Save
        </button>
      </div>
    </Modal>
  );
}

function RecoverDialog({
  entries,
}: {
  entries: import('../../shared/ipc/app-api.ts').RecoveryEntry[];
}) {
  const entry = entries[0];
  if (!entry) return null;
  const discard = async () => {
    await invoke('document:discardRecovery', { key: entry.key });
    const rest = entries.slice(1);
    useAppStore.getState().setDialog(rest.length ? { kind: 'recover', entries: rest } : null);
  };
  const recover = async () => {
    useDocumentStore.getState().load(entry.document, entry.path, entry.name, true);
    // The recovered work now belongs to this tab: its autosaves replace the old entry.
    if (entry.key !== recoveryKey) await invoke('document:discardRecovery', { key: entry.key });
    close();
  };
  return (
    <Modal title="Recover unsaved work?" onClose={() => void discard()} testId="recover-dialog">
      <p>
        treewall found unsaved changes to <strong>{entry.name}</strong> from{' '}
        {new Date(entry.savedAt).toLocaleString()}, left when treewall last stopped unexpectedly.
      </p>
      <div className="modal-buttons">
        <button type="button" className="tool" onClick={() => void discard()}>
          Discard
        </button>
        <button type="button" className="tool primary" autoFocus onClick={() => void recover()}>
          Recover
        </button>
      </div>
    </Modal>
  );
}

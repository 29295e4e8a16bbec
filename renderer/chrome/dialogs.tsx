// Runtime: browser (renderer/). In-app dialogs: open a document from the served folder, Save As
// (a file name), the three-button unsaved-changes question, crash recovery, and Show Active.

import { useEffect, useRef, useState, type ReactNode } from 'react';
import { invoke } from '../backend.ts';
import { finishSaveAs, openPath, recoveryKey } from '../commands.ts';
import { useAppStore, type Dialog } from '../store/app-store.ts';
import { useDocumentStore } from '../store/document-store.ts';
import { SettingsDialog } from './settings-dialog.tsx';
import { ActiveView } from './active-view.tsx';

function Modal(props: { title: string; children: ReactNode; onClose: () => void; testId: string }) {
  return (
    <div className="modal-backdrop" onMouseDown={props.onClose}>
      <div
        className="modal"
        role="dialog"
        aria-modal="true"
        aria-label={props.title}
        data-testid={props.testId}
        onMouseDown={(e) => e.stopPropagation()}
        onKeyDown={(e) => {
          e.stopPropagation();
          if (e.key === 'Escape') props.onClose();
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
  return (
    <Modal title="Open document" onClose={close} testId="open-dialog">
      <p className="muted">
        {files.length === 0
          ? 'No documents'
          : files.length === 1
            ? '1 document'
            : `${files.length} documents`}{' '}
        in{' '}
        <span className="mono">
          {folder === '.' || folder === '' ? 'the served folder' : folder}
        </span>
      </p>
      <div className="file-list" role="listbox" aria-label="Documents">
        {files.length === 0 && <div className="muted">No documents in this folder.</div>}
        {files.map((f) => (
          <div
            key={f.path}
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

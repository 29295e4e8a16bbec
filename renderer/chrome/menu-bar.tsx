// Runtime: browser (renderer/). The browser host's menu bar (Electron shows native menus and
// forwards their commands as `menu:command` events instead). Same command names, same shortcuts.

import { useEffect, useState, type MouseEvent } from 'react';
import type { MenuCommand } from '../../shared/ipc/app-api.ts';
import { openRecent, refreshRecent, run } from '../commands.ts';
import { useAppStore } from '../store/app-store.ts';

type Entry = { command: MenuCommand; label: string; keys?: string } | 'separator';

const MENUS: { title: string; entries: Entry[] }[] = [
  {
    title: 'File',
    entries: [
      { command: 'file.new', label: 'New' },
      { command: 'file.open', label: 'Open…', keys: 'Ctrl+O' },
      'separator',
      { command: 'file.save', label: 'Save', keys: 'Ctrl+S' },
      { command: 'file.saveAs', label: 'Save As…', keys: 'Ctrl+Shift+S' },
      { command: 'file.revert', label: 'Revert to Saved' },
    ],
  },
  {
    title: 'Edit',
    entries: [
      { command: 'edit.undo', label: 'Undo', keys: 'Ctrl+Z' },
      { command: 'edit.redo', label: 'Redo', keys: 'Ctrl+Shift+Z' },
      'separator',
      { command: 'edit.cut', label: 'Cut', keys: 'Ctrl+X' },
      { command: 'edit.copy', label: 'Copy', keys: 'Ctrl+C' },
      { command: 'edit.paste', label: 'Paste', keys: 'Ctrl+V' },
      { command: 'edit.pasteBefore', label: 'Paste Before', keys: 'Ctrl+Alt+V' },
      { command: 'edit.delete', label: 'Delete', keys: 'Del' },
      'separator',
      { command: 'edit.selectAll', label: 'Select All', keys: 'Ctrl+A' },
      { command: 'edit.find', label: 'Filter…', keys: 'Ctrl+F' },
    ],
  },
  {
    title: 'Rule',
    entries: [
      { command: 'rule.newSibling', label: 'New Rule', keys: 'Ctrl+N' },
      { command: 'rule.newChild', label: 'New Child Rule', keys: 'Ctrl+Shift+N' },
      { command: 'rule.insertBefore', label: 'Insert Rule Before', keys: 'Ctrl+Alt+N' },
      { command: 'rule.duplicate', label: 'Duplicate', keys: 'Ctrl+D' },
    ],
  },
  {
    title: 'View',
    entries: [
      { command: 'view.expandAll', label: 'Expand All' },
      { command: 'view.collapseAll', label: 'Collapse All' },
    ],
  },
  {
    title: 'Firewall',
    entries: [
      { command: 'firewall.apply', label: 'Apply', keys: 'Ctrl+Enter' },
      { command: 'firewall.showActive', label: 'Show Active' },
      { command: 'firewall.revert', label: 'Revert to Active' },
      { command: 'firewall.toggle', label: 'Firewall On/Off' },
      'separator',
      { command: 'firewall.settings', label: 'Document Settings…' },
    ],
  },
];

export function MenuBar() {
  const [open, setOpen] = useState<string | null>(null);
  const recent = useAppStore((s) => s.recent);

  useEffect(() => {
    if (!open) return;
    const close = () => setOpen(null);
    window.addEventListener('mousedown', close);
    return () => window.removeEventListener('mousedown', close);
  }, [open]);

  const choose = (command: MenuCommand) => (e: MouseEvent) => {
    setOpen(null);
    run(command, e.altKey);
  };

  return (
    <nav className="menubar" role="menubar" data-testid="menubar">
      <span className="app-name">treewall</span>
      {MENUS.map((m) => (
        <div key={m.title} className="menubar-item" onMouseDown={(e) => e.stopPropagation()}>
          <button
            type="button"
            role="menuitem"
            aria-haspopup="menu"
            aria-expanded={open === m.title}
            className={open === m.title ? 'open' : ''}
            onClick={() => {
              if (m.title === 'File') void refreshRecent();
              setOpen(open === m.title ? null : m.title);
            }}
            onMouseEnter={() => open && setOpen(m.title)}
          >
            {m.title}
          </button>
          {open === m.title && (
            <div className="dropdown" role="menu" aria-label={m.title}>
              {m.entries.map((e, i) =>
                e === 'separator' ? (
                  <div key={i} className="dropdown-sep" role="separator" />
                ) : (
                  <button
                    key={e.command}
                    type="button"
                    role="menuitem"
                    className="dropdown-item"
                    onClick={choose(e.command)}
                  >
                    <span>{e.label}</span>
                    {e.keys && <kbd>{e.keys}</kbd>}
                  </button>
                ),
              )}
              {m.title === 'File' && recent.length > 0 && (
                <>
                  <div className="dropdown-sep" role="separator" />
                  <div className="dropdown-label">Recent</div>
                  {recent.slice(0, 8).map((f) => (
                    <button
                      key={f.path}
                      type="button"
                      role="menuitem"
                      className="dropdown-item"
                      title={f.path}
                      onClick={() => {
                        setOpen(null);
                        void openRecent(f.path);
                      }}
                    >
                      <span>{f.name}</span>
                    </button>
                  ))}
                </>
              )}
            </div>
          )}
        </div>
      ))}
    </nav>
  );
}

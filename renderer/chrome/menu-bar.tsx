// Runtime: browser (renderer/). The browser host's menu bar (Electron shows native menus and
// forwards their commands as `menu:command` events instead). Same command names, same shortcuts.
// Keyboard (WAI-ARIA menu bar pattern): one Tab stop (the last title used; F10 focuses it);
// ← → move between titles (and between open menus); ↓, Enter or Space opens a menu on its first
// item, ↑ on its last; in a menu ↑ ↓ Home End move, Enter runs, Escape closes it back to its
// title, Tab closes it. Items are disabled exactly when the toolbar's buttons are
// (command-state.ts), and a menu near the right edge opens leftward, inside the window.

import {
  useEffect,
  useLayoutEffect,
  useRef,
  useState,
  type KeyboardEvent,
  type MouseEvent,
} from 'react';
import type { MenuCommand } from '../../shared/ipc/app-api.ts';
import { openRecent, refreshRecent, run } from '../commands.ts';
import { useAppStore } from '../store/app-store.ts';
import { useCommandStates } from './command-state.ts';

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
      { command: 'file.saveAsNsy', label: 'Save As IPNetSentryX Document (.nsy)…' },
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
  /** The title in the Tab order (roving tabindex). */
  const [current, setCurrent] = useState(0);
  const recent = useAppStore((s) => s.recent);
  const states = useCommandStates();
  const bar = useRef<HTMLElement>(null);
  const dropdown = useRef<HTMLDivElement>(null);
  /** Where focus goes when a menu opens: its first or last item. */
  const focusOnOpen = useRef<'first' | 'last' | null>(null);

  useEffect(() => {
    if (!open) return;
    const close = () => setOpen(null);
    window.addEventListener('mousedown', close);
    return () => window.removeEventListener('mousedown', close);
  }, [open]);

  // F10 (as in desktop applications) puts the keyboard on the menu bar.
  useEffect(() => {
    const onKey = (e: globalThis.KeyboardEvent) => {
      if (e.key !== 'F10' || e.shiftKey || e.ctrlKey || e.altKey || e.metaKey) return;
      e.preventDefault();
      titles()[current]?.focus();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  // Kept inside the window: a dropdown that would run off the right edge moves left; one taller
  // than the window scrolls.
  useLayoutEffect(() => {
    const el = dropdown.current;
    if (!el) return;
    el.style.left = '0px';
    const r = el.getBoundingClientRect();
    const overflow = r.right - (window.innerWidth - 4);
    if (overflow > 0) el.style.left = `${-Math.min(overflow, r.left - 4)}px`;
    el.style.maxHeight = `${Math.max(120, window.innerHeight - r.top - 8)}px`;
    const want = focusOnOpen.current;
    focusOnOpen.current = null;
    if (want) {
      const list = items();
      (want === 'first' ? list[0] : list[list.length - 1])?.focus();
    }
  }, [open]);

  const focusItem = (e: MouseEvent<HTMLElement>) => e.currentTarget.focus();

  const titles = () => [
    ...(bar.current?.querySelectorAll<HTMLElement>('.menubar-item > [role="menuitem"]') ?? []),
  ];
  const items = () => [
    ...(dropdown.current?.querySelectorAll<HTMLElement>(
      '[role="menuitem"]:not([aria-disabled="true"])',
    ) ?? []),
  ];

  const openMenu = (index: number, focus: 'first' | 'last' | null) => {
    const m = MENUS[index];
    if (!m) return;
    if (m.title === 'File') void refreshRecent();
    setCurrent(index);
    focusOnOpen.current = focus;
    setOpen(m.title);
    titles()[index]?.focus();
  };
  const closeMenu = (focusTitle: boolean) => {
    setOpen(null);
    if (focusTitle) titles()[current]?.focus();
  };

  const choose = (command: MenuCommand) => (e: MouseEvent) => {
    setOpen(null);
    run(command, e.altKey);
  };

  const onTitleKey = (index: number) => (e: KeyboardEvent) => {
    const n = MENUS.length;
    const move = (to: number) => {
      const i = (to + n) % n;
      setCurrent(i);
      if (open) openMenu(i, 'first');
      else titles()[i]?.focus();
    };
    switch (e.key) {
      case 'ArrowRight':
        move(index + 1);
        break;
      case 'ArrowLeft':
        move(index - 1);
        break;
      case 'Home':
        move(0);
        break;
      case 'End':
        move(n - 1);
        break;
      case 'ArrowDown':
      case 'Enter':
      case ' ':
        openMenu(index, 'first');
        break;
      case 'ArrowUp':
        openMenu(index, 'last');
        break;
      case 'Escape':
        if (!open) return;
        closeMenu(true);
        break;
      default:
        return;
    }
    e.preventDefault();
    e.stopPropagation();
  };

  const onMenuKey = (index: number) => (e: KeyboardEvent) => {
    const list = items();
    const i = list.indexOf(document.activeElement as HTMLElement);
    switch (e.key) {
      case 'ArrowDown':
        list[(i + 1) % list.length]?.focus();
        break;
      case 'ArrowUp':
        list[(i - 1 + list.length) % list.length]?.focus();
        break;
      case 'Home':
        list[0]?.focus();
        break;
      case 'End':
        list[list.length - 1]?.focus();
        break;
      case 'ArrowRight':
        openMenu((index + 1) % MENUS.length, 'first');
        break;
      case 'ArrowLeft':
        openMenu((index - 1 + MENUS.length) % MENUS.length, 'first');
        break;
      case 'Escape':
        closeMenu(true);
        break;
      case 'Tab':
        setOpen(null);
        return; // the browser moves focus on
      default:
        return;
    }
    e.preventDefault();
    e.stopPropagation();
  };

  return (
    <nav className="menubar" role="menubar" aria-label="Menu" data-testid="menubar" ref={bar}>
      <span className="app-name">treewall</span>
      {MENUS.map((m, index) => (
        <div key={m.title} className="menubar-item" onMouseDown={(e) => e.stopPropagation()}>
          <button
            type="button"
            role="menuitem"
            aria-haspopup="menu"
            aria-expanded={open === m.title}
            tabIndex={index === current ? 0 : -1}
            className={open === m.title ? 'open' : ''}
            onClick={() => {
              if (open === m.title) setOpen(null);
              else openMenu(index, null);
            }}
            onMouseEnter={() => open && open !== m.title && openMenu(index, null)}
            onKeyDown={onTitleKey(index)}
          >
            {m.title}
          </button>
          {open === m.title && (
            <div
              ref={dropdown}
              className="dropdown"
              role="menu"
              aria-label={m.title}
              onKeyDown={onMenuKey(index)}
            >
              {m.entries.map((e, i) => {
                if (e === 'separator')
                  return <div key={i} className="dropdown-sep" role="separator" />;
                const state = states(e.command);
                return (
                  <button
                    key={e.command}
                    type="button"
                    role="menuitem"
                    tabIndex={-1}
                    className="dropdown-item"
                    aria-disabled={state.disabled || undefined}
                    title={state.disabled ? state.why : undefined}
                    onMouseEnter={state.disabled ? undefined : focusItem}
                    onClick={state.disabled ? undefined : choose(e.command)}
                  >
                    <span>{e.label}</span>
                    {e.keys && <kbd>{e.keys}</kbd>}
                  </button>
                );
              })}
              {m.title === 'File' && recent.length > 0 && (
                <>
                  <div className="dropdown-sep" role="separator" />
                  <div className="dropdown-label">Recent</div>
                  {recent.slice(0, 8).map((f) => (
                    <button
                      key={f.path}
                      type="button"
                      role="menuitem"
                      tabIndex={-1}
                      className="dropdown-item"
                      title={f.path}
                      onMouseEnter={focusItem}
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

// Runtime: browser (renderer/). The rows' right-click menu: the rule commands of the toolbar and
// the Edit menu for the selection, run through commands.ts like every other way to reach them.
// Invariant: a right-click on a row outside the selection selects that row first, so the menu
// always acts on what is highlighted.

import { useEffect, useRef, type KeyboardEvent } from 'react';
import { create } from 'zustand';
import type { MenuCommand } from '../../shared/ipc/app-api.ts';
import { run } from '../commands.ts';
import { useDocumentStore } from '../store/document-store.ts';
import { findRule } from '../store/model-ops.ts';
import { openFieldMenu } from './field-nav.ts';
import type { MenuField } from './ui-store.ts';

export const useContextMenu = create<{ at: { x: number; y: number } | null }>()(() => ({
  at: null,
}));

export const openContextMenu = (x: number, y: number): void =>
  useContextMenu.setState({ at: { x, y } });
const close = () => useContextMenu.setState({ at: null });

type Item =
  | { label: string; command: MenuCommand }
  | { label: string; toggle: true }
  | { label: string; field: MenuField }
  | 'sep';

const ITEMS: Item[] = [
  { label: 'New rule', command: 'rule.newSibling' },
  { label: 'New child', command: 'rule.newChild' },
  { label: 'Insert before', command: 'rule.insertBefore' },
  { label: 'Duplicate', command: 'rule.duplicate' },
  'sep',
  { label: 'Cut', command: 'edit.cut' },
  { label: 'Copy', command: 'edit.copy' },
  { label: 'Paste', command: 'edit.paste' },
  { label: 'Paste before', command: 'edit.pasteBefore' },
  { label: 'Delete', command: 'edit.delete' },
  'sep',
  { label: 'Enable/Disable', toggle: true },
  // The menu cells' menus, for the keyboard (also P, R, A on a focused row).
  { label: 'Property…', field: 'property' },
  { label: 'Relation…', field: 'relation' },
  { label: 'Action…', field: 'action' },
];

function toggleSelected(): void {
  const { selection, toggleEnabled } = useDocumentStore.getState();
  if (selection.length) toggleEnabled(selection);
}

export function RowContextMenu() {
  const at = useContextMenu((s) => s.at);
  const enabled = useDocumentStore((s) => {
    const first = s.selection[0];
    return first === undefined ? true : (findRule(s.document.rules, first)?.enabled ?? true);
  });
  const menu = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!at) return;
    menu.current?.querySelector<HTMLElement>('[role="menuitem"]')?.focus();
    const onDown = (e: MouseEvent) => {
      if (!menu.current?.contains(e.target as Node)) close();
    };
    window.addEventListener('mousedown', onDown, true);
    window.addEventListener('blur', close);
    window.addEventListener('resize', close);
    return () => {
      window.removeEventListener('mousedown', onDown, true);
      window.removeEventListener('blur', close);
      window.removeEventListener('resize', close);
    };
  }, [at]);

  if (!at) return null;
  const choose = (item: Exclude<Item, 'sep'>) => {
    close();
    if ('command' in item) run(item.command);
    else if ('field' in item) {
      const id = useDocumentStore.getState().selection[0];
      if (id) openFieldMenu(id, item.field);
    } else toggleSelected();
  };
  const onKeyDown = (e: KeyboardEvent) => {
    const items = [...(menu.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? [])];
    const i = items.indexOf(document.activeElement as HTMLElement);
    if (e.key === 'Escape' || e.key === 'Tab') {
      close();
      // Back to the row the menu was for.
      const id = useDocumentStore.getState().selection[0];
      if (id)
        document
          .querySelector<HTMLElement>(`[data-rule-id="${CSS.escape(id)}"]`)
          ?.focus({ preventScroll: true });
    } else if (e.key === 'Home') items[0]?.focus();
    else if (e.key === 'End') items[items.length - 1]?.focus();
    else if (e.key === 'ArrowDown') items[(i + 1) % items.length]?.focus();
    else if (e.key === 'ArrowUp') items[(i - 1 + items.length) % items.length]?.focus();
    else return;
    e.preventDefault();
    e.stopPropagation();
  };
  // Kept inside the window: a menu opened near the right or bottom edge opens leftward/upward.
  const left = Math.min(at.x, window.innerWidth - 200);
  const top = Math.min(at.y, window.innerHeight - 380);
  return (
    <div
      ref={menu}
      className="popup-menu context-menu"
      role="menu"
      aria-label="Rule"
      data-testid="row-context-menu"
      style={{ position: 'fixed', left: Math.max(0, left), top: Math.max(0, top), zIndex: 50 }}
      onKeyDown={onKeyDown}
      onContextMenu={(e) => e.preventDefault()}
    >
      {ITEMS.map((item, i) =>
        item === 'sep' ? (
          <div key={`sep-${i}`} className="menu-separator" role="separator" />
        ) : (
          <button
            key={item.label}
            type="button"
            role="menuitem"
            className="menu-item"
            data-testid={
              'command' in item
                ? `context-${item.command}`
                : 'field' in item
                  ? `context-${item.field}`
                  : 'context-toggle'
            }
            onClick={() => choose(item)}
          >
            {'toggle' in item ? (enabled ? 'Disable' : 'Enable') : item.label}
          </button>
        ),
      )}
    </div>
  );
}

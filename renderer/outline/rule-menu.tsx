// Runtime: browser (renderer/). The one popup menu for the property, relation and action cells.
// A single instance for the whole outline (not a <select> per row) keeps rows cheap to render
// at 100,000 rules. Keyboard: arrows move, Enter picks, Escape closes, a letter jumps.

import { useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { ActionName, PropertyName, RelationName } from '../../shared/model/vocabulary.ts';
import { useDocumentStore } from '../store/document-store.ts';
import { findRule } from '../store/model-ops.ts';
import { menuItems } from '../store/vocabulary-info.ts';
import { relationsFor } from '../../shared/model/vocabulary-table.ts';
import { useUiStore } from './ui-store.ts';
import { goToField, nextField } from './field-nav.ts';
import { outlineApi } from './outline-api.ts';

export function RuleMenu() {
  const menu = useUiStore((s) => s.menu);
  const rule = useDocumentStore((s) => (menu ? findRule(s.document.rules, menu.ruleId) : null));
  const list = useRef<HTMLDivElement>(null);
  const [active, setActive] = useState(0);
  const [pos, setPos] = useState<{ left: number; top: number; maxHeight: number } | null>(null);

  const current = menu && rule ? rule[menu.field] : '';
  const items = menu && rule ? menuItems(menu.field, rule.property, current) : [];

  useEffect(() => {
    setActive(
      Math.max(
        0,
        items.findIndex((i) => i.name === current),
      ),
    );
  }, [menu]);

  useLayoutEffect(() => {
    if (!menu) return setPos(null);
    const below = window.innerHeight - menu.anchor.bottom - 8;
    const above = menu.anchor.top - 8;
    const wanted = Math.min(items.length * 22 + 8, 420);
    if (below >= wanted || below >= above) {
      setPos({
        left: menu.anchor.left,
        top: menu.anchor.bottom,
        maxHeight: Math.min(wanted, below),
      });
    } else {
      const h = Math.min(wanted, above);
      setPos({ left: menu.anchor.left, top: menu.anchor.top - h, maxHeight: h });
    }
    requestAnimationFrame(() => list.current?.focus());
  }, [menu]);

  useEffect(() => {
    list.current?.querySelector(`[data-index="${active}"]`)?.scrollIntoView({ block: 'nearest' });
  }, [active]);

  // Kept inside the window: a menu that would run off the right edge moves left.
  useLayoutEffect(() => {
    const el = list.current;
    if (!el || !pos) return;
    const over = el.getBoundingClientRect().right - (window.innerWidth - 4);
    if (over > 0) el.style.left = `${Math.max(4, pos.left - over)}px`;
  }, [pos]);

  if (!menu || !rule || !pos) return null;

  const close = (backToRow = true) => {
    useUiStore.getState().closeMenu();
    // Tab goes on to the next field's editor or menu, which takes the focus itself.
    if (!backToRow) return;
    // The outline's keyboard focus (arrows, P/R/A) follows: the menu's rule is the focused row.
    outlineApi.current?.focus(menu.ruleId, { scroll: false });
    document
      .querySelector<HTMLElement>(`[data-rule-id="${menu.ruleId}"]`)
      ?.focus({ preventScroll: true });
  };
  const pick = (name: string) => {
    if (name !== current) {
      // A new property clears the value (the old one means something else, or nothing, now)
      // and keeps the relation only if the property allows it: the row shows at once what is
      // missing.
      const allowed = menu.field === 'property' ? relationsFor(name as PropertyName) : [];
      const update =
        menu.field === 'property'
          ? {
              property: name as PropertyName,
              value: '',
              ...(allowed.includes(rule.relation) ? {} : { relation: allowed[0] ?? '==' }),
            }
          : menu.field === 'relation'
            ? { relation: name as RelationName }
            : { action: name as ActionName };
      useDocumentStore.getState().updateRule(menu.ruleId, update);
    }
    close();
  };
  const onKeyDown = (e: KeyboardEvent) => {
    e.stopPropagation();
    if (e.key === 'ArrowDown') setActive((a) => Math.min(items.length - 1, a + 1));
    else if (e.key === 'ArrowUp') setActive((a) => Math.max(0, a - 1));
    else if (e.key === 'Enter' || e.key === ' ') {
      const item = items[active];
      if (item) pick(item.name);
    } else if (e.key === 'Escape') close();
    else if (e.key === 'Tab') {
      // On to the next (Shift: previous) field of the rule, as in the text editors.
      const { ruleId, field } = menu;
      close(false);
      goToField(ruleId, nextField(field, e.shiftKey));
    } else if (e.key === 'Home') setActive(0);
    else if (e.key === 'End') setActive(items.length - 1);
    else if (e.key.length === 1) {
      const k = e.key.toLowerCase();
      const from = items.findIndex((i, n) => n > active && i.name.toLowerCase().startsWith(k));
      const found = from >= 0 ? from : items.findIndex((i) => i.name.toLowerCase().startsWith(k));
      if (found >= 0) setActive(found);
    } else return;
    e.preventDefault();
  };

  return (
    <div className="menu-backdrop" onMouseDown={() => close()}>
      <div
        ref={list}
        className="popup-menu"
        role="menu"
        aria-label={menu.field}
        data-testid={`menu-${menu.field}`}
        tabIndex={-1}
        style={{
          left: pos.left,
          top: pos.top,
          maxHeight: pos.maxHeight,
          minWidth: Math.max(menu.anchor.width, 160),
        }}
        onMouseDown={(e) => e.stopPropagation()}
        onKeyDown={onKeyDown}
      >
        {items.map((item, i) => (
          <div
            key={item.name}
            data-index={i}
            role="menuitemradio"
            aria-label={item.name}
            aria-checked={item.name === current}
            className={`menu-item ${i === active ? 'active' : ''} ${item.refused ? 'refused' : ''}`}
            data-refused={item.refused ? 'true' : undefined}
            title={item.refused ? `Not supported: ${item.refused}` : item.description}
            onMouseEnter={() => setActive(i)}
            onClick={() => pick(item.name)}
          >
            <span className="menu-check">{item.name === current ? '✓' : ''}</span>
            <span className="menu-name">{item.name}</span>
            {item.refused ? (
              <span className="menu-desc menu-refused">Not supported yet: Apply refuses it</span>
            ) : (
              item.description && <span className="menu-desc">{item.description}</span>
            )}
          </div>
        ))}
      </div>
    </div>
  );
}

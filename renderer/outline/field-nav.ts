// Runtime: browser (renderer/). Moving between a rule's six editable fields from the keyboard:
// name, property, relation, value, action, parameter. A text field opens its in-place editor; a
// menu field (property, relation, action) opens its popup menu at the cell. Tab / Shift+Tab in
// an editor or a menu goes to the next / previous field; P, R and A on a focused row open that
// row's menus directly; the row's context menu has the same three.

import { useUiStore, type MenuField, type TextField } from './ui-store.ts';

export type Field = TextField | MenuField;

export const FIELDS: readonly Field[] = [
  'name',
  'property',
  'relation',
  'value',
  'action',
  'parameter',
];

const MENU_FIELDS: ReadonlySet<Field> = new Set<Field>(['property', 'relation', 'action']);

/** The field after (or before) `field`, wrapping around. */
export function nextField(field: Field, back = false): Field {
  const i = FIELDS.indexOf(field) + (back ? -1 : 1);
  return FIELDS[(i + FIELDS.length) % FIELDS.length]!;
}

/** Open the popup menu of one of a rule's menu cells (it must be on screen). */
export function openFieldMenu(ruleId: string, field: MenuField): void {
  const cell = document.querySelector<HTMLElement>(
    `[data-rule-id="${CSS.escape(ruleId)}"] [data-testid="cell-${field}"]`,
  );
  if (!cell) return;
  const r = cell.getBoundingClientRect();
  useUiStore.getState().openMenu({
    ruleId,
    field,
    anchor: { left: r.left, top: r.top, bottom: r.bottom, width: r.width },
  });
}

/** Edit (text) or open (menu) one field of a rule. */
export function goToField(ruleId: string, field: Field): void {
  if (MENU_FIELDS.has(field)) openFieldMenu(ruleId, field as MenuField);
  else useUiStore.getState().startEdit(ruleId, field as TextField);
}

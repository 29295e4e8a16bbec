// Runtime: browser (renderer/). Transient outline state that is not part of the document:
// which cell is being edited, which popup menu is open, and the column widths.
// Column widths reach the rows as CSS variables on the outline, so resizing never re-renders rows.

import { create } from 'zustand';

export type TextField = 'name' | 'value' | 'parameter';
export type MenuField = 'property' | 'relation' | 'action';

export const ROW_HEIGHT = 22;
/** Pixels per level. react-arborist reads it to turn the pointer's x into a drop depth; the
 * number column draws the same indentation itself (the node's \`style\` padding is not used). */
export const INDENT = 14;

export const COLUMNS = [
  { key: 'enabled', title: '', width: 28, min: 28 },
  { key: 'number', title: '#', width: 180, min: 80 },
  { key: 'name', title: 'Name', width: 230, min: 80 },
  { key: 'property', title: 'Property', width: 150, min: 80 },
  { key: 'relation', title: 'Rel', width: 50, min: 40 },
  { key: 'value', title: 'Value', width: 190, min: 60 },
  { key: 'action', title: 'Action', width: 120, min: 60 },
  { key: 'parameter', title: 'Parameter', width: 150, min: 60 },
  { key: 'stats', title: 'Matches', width: 90, min: 50 },
] as const;
export type ColumnKey = (typeof COLUMNS)[number]['key'];

export interface MenuRequest {
  ruleId: string;
  field: MenuField;
  anchor: { left: number; top: number; bottom: number; width: number };
}

interface UiState {
  editing: { id: string; field: TextField } | null;
  menu: MenuRequest | null;
  /** While dragging: why the rules cannot be dropped where the pointer is (null: they can). */
  dropRefused: string | null;
  widths: Record<ColumnKey, number>;
  startEdit(id: string, field: TextField): void;
  stopEdit(): void;
  openMenu(menu: MenuRequest): void;
  closeMenu(): void;
  setWidth(key: ColumnKey, width: number): void;
}

const defaultWidths = Object.fromEntries(COLUMNS.map((c) => [c.key, c.width])) as Record<
  ColumnKey,
  number
>;

export const useUiStore = create<UiState>()((set) => ({
  editing: null,
  menu: null,
  dropRefused: null,
  widths: defaultWidths,
  startEdit: (id, field) => set({ editing: { id, field }, menu: null }),
  stopEdit: () => set({ editing: null }),
  openMenu: (menu) => set({ menu, editing: null }),
  closeMenu: () => set({ menu: null }),
  setWidth: (key, width) =>
    set((s) => {
      const min = COLUMNS.find((c) => c.key === key)?.min ?? 30;
      return { widths: { ...s.widths, [key]: Math.max(min, Math.round(width)) } };
    }),
}));

export const totalWidth = (widths: Record<ColumnKey, number>): number =>
  COLUMNS.reduce((sum, c) => sum + widths[c.key], 0);

/** How narrow a column may become to fit a small window (the user's own width is the widest). */
const COMPACT: Partial<Record<ColumnKey, number>> = {
  name: 120,
  number: 100,
  value: 130,
  parameter: 90,
  property: 120,
};

/**
 * The widths shown in a window `available` px wide: the name column takes what is left over;
 * in a narrower window the wide columns give up width (in proportion to what each can give, down
 * to COMPACT), so every column, Matches included, stays in view down to about 900 px. Below
 * that the grid scrolls sideways.
 */
export function fitWidths(
  widths: Record<ColumnKey, number>,
  available: number,
): Record<ColumnKey, number> {
  const total = totalWidth(widths);
  if (total <= available) return { ...widths, name: widths.name + (available - total) };
  const give = (k: ColumnKey) => Math.max(0, widths[k] - (COMPACT[k] ?? widths[k]));
  const keys = Object.keys(COMPACT) as ColumnKey[];
  const room = keys.reduce((sum, k) => sum + give(k), 0);
  if (room === 0) return widths;
  const share = Math.min(1, (total - available) / room);
  const out = { ...widths };
  for (const k of keys) out[k] = Math.round(widths[k] - give(k) * share);
  return out;
}

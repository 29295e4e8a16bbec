// Runtime: browser (renderer/). The rule outline: a header row and a react-arborist tree whose
// rows are a fixed-width grid.
// Invariants:
// - The tree is controlled: `data` is the document's rules; disclosure state lives in the rules
//   (`expanded`) and reaches the tree through `childrenAccessor`, so react-arborist's own open
//   state is never used (every node is "open"; a collapsed rule simply shows no children).
// - Every prop passed to <Tree> is stable between renders unless the data changes: callbacks are
//   module-level functions reading the stores, so a toggle re-renders only the visible rows.
// - `immutableData` (our patch of react-arborist, patches/): the store never mutates a rule, and a
//   tree op replaces only the rules on the changed paths, so on a shape change (move, insert,
//   delete, expand) the tree keeps the node objects of every unchanged subtree and builds only the
//   changed paths; its visible list and id index are updated, not rebuilt.

import {
  forwardRef,
  isValidElement,
  useCallback,
  useEffect,
  useLayoutEffect,
  useRef,
  useState,
  type HTMLAttributes,
  type Key,
  type KeyboardEvent,
  type PointerEvent,
  type ReactElement,
  type ReactNode,
} from 'react';
import {
  Tree,
  type CursorProps,
  type MoveHandler,
  type NodeApi,
  type TreeApi,
} from 'react-arborist';
import type { Rule } from '../../shared/model/types.ts';
import { useDocumentStore } from '../store/document-store.ts';
import {
  COLUMNS,
  fitWidths,
  INDENT,
  ROW_HEIGHT,
  totalWidth,
  useUiStore,
  type ColumnKey,
} from './ui-store.ts';
import { OutlineNode, OutlineRow } from './outline-row.tsx';
import { filteredView } from './filter.ts';
import { outlineApi } from './outline-api.ts';
import { RuleMenu } from './rule-menu.tsx';
import { openFieldMenu } from './field-nav.ts';
import { openContextMenu } from './context-menu.tsx';
import { MOVES_PER_STEP, orderRowsStep } from './row-order.ts';
import { StatsHeader } from '../stats/stats-header.tsx';

/* Stable Tree props (module level: never recreated). */
/**
 * While scrolling, the rendered rows change in steps of this many (our patch's `rowChunk`): each
 * change of the rows costs Chromium a repaint and compositing update of every rendered row, so
 * it is paid once per ROW_CHUNK rows instead of on every scrolled frame.
 */
const ROW_CHUNK = 8;
const childrenAccessor = (r: Rule): readonly Rule[] => (r.expanded ? r.children : []);
const idAccessor = (r: Rule): string => r.id;
const onSelect = (nodes: NodeApi<Rule>[]) =>
  useDocumentStore.getState().setSelection(nodes.map((n) => n.id));
const onMove: MoveHandler<Rule> = ({ dragIds, parentId, index }) =>
  useDocumentStore.getState().moveRules(dragIds, parentId, index);
/**
 * Refuses a drop while filtering, and into a dragged rule or below it (a rule cannot contain
 * itself). Runs on every pointer move of a drag, so it reads the nodes' ancestry (O(depth))
 * instead of searching the document; moveRules checks again with the model's canDrop.
 */
const disableDrop = ({
  parentNode,
  dragNodes,
}: {
  parentNode: NodeApi<Rule>;
  dragNodes: NodeApi<Rule>[];
}) => {
  const reason = dropRefusal(parentNode, dragNodes);
  // Said while the pointer is there (the outline shows it), not only refused silently.
  if (useUiStore.getState().dropRefused !== reason) useUiStore.setState({ dropRefused: reason });
  return reason !== null;
};

function dropRefusal(parentNode: NodeApi<Rule>, dragNodes: NodeApi<Rule>[]): string | null {
  if (useDocumentStore.getState().filter.trim())
    return 'Rules cannot be moved while the filter is on: clear it (Esc in the filter box) first.';
  if (dragNodes.length === 0) return 'Nothing to move.';
  const dragged = new Set(dragNodes.map((n) => n.id));
  for (let n: NodeApi<Rule> | null = parentNode; n && !n.isRoot; n = n.parent) {
    if (dragged.has(n.id)) return 'A rule cannot go inside itself or one of its own children.';
  }
  return null;
}
const disableEdit = true;

/**
 * Where a top-level rule's number starts in a row (px from its left edge): the enabled column,
 * the number cell's padding and the disclosure triangle (outline-row.tsx: `paddingLeft: 4 +
 * level * INDENT`, styles.css: `.disclosure` 14px). Between rows, the pointer's x picks the drop
 * level (our patch's `dropLevelOffset`): from where a level-n rule's number starts, the drop is at
 * level n, so moving a child's number a little left, under its group's number, drops it beside
 * the group. Upstream counts from the row's left edge, which here is the checkbox column.
 */
const DISCLOSURE_WIDTH = 14;
const DROP_LEVEL_OFFSET =
  (COLUMNS.find((c) => c.key === 'enabled')?.width ?? 0) + 4 + DISCLOSURE_WIDTH;

/** The drop line between rows, starting where a rule of its level shows its number. */
function DropLine({ top, left }: CursorProps) {
  return (
    <div
      className="drop-line"
      data-testid="drop-line"
      data-level={Math.round(left / INDENT)}
      style={{ top: top - 2, left: left + DROP_LEVEL_OFFSET }}
    />
  );
}

/**
 * The element holding the rows (react-window's inner element) without react-window's
 * `pointer-events: none` while it scrolls: react-window sets it on every scroll it did not ask
 * for (wheel, scroll bar, keyboard) and clears it 150 ms after the last scroll event it handled,
 * so a click soon after the wheel, or any click while the main thread is behind on scroll events,
 * fell on the list's background: the second click of a double-click on a value missed the cell
 * and no editor opened. The rows take the pointer at all times (Chromium does not update hover
 * while it scrolls anyway). No padding is used, so react-arborist's own inner element (which adds
 * it) is not needed.
 *
 * The rows keep their place among its children for React (each row's key stays where it was
 * first rendered, so React never moves a row element); once the list stands still (no
 * `pointer-events: none` from react-window), row-order.ts puts them back in document order in
 * small steps, a few moves a frame (tab order, the accessibility tree, tests that count rows).
 */
const RowsElement = forwardRef<HTMLDivElement, HTMLAttributes<HTMLDivElement>>(function RowsElement(
  { style, children, ...rest },
  ref,
) {
  const scrolling = style?.pointerEvents === 'none';
  const ranks = useRef<Map<Key, number> | null>(null);
  ranks.current ??= new Map();
  const sorter = useRef<RowSorter | null>(null);
  sorter.current ??= new RowSorter();
  sorter.current.scrolling = scrolling;
  const setRef = useCallback(
    (el: HTMLDivElement | null) => {
      sorter.current!.setElement(el);
      if (typeof ref === 'function') ref(el);
      else if (ref) ref.current = el;
    },
    [ref],
  );
  // Every commit at rest: the rows in order before the frame when few moved (an insert, a drop),
  // in steps over the next frames when many did (after a scroll).
  useLayoutEffect(() => sorter.current!.commit());
  useEffect(() => () => sorter.current!.setElement(null), []);
  return (
    <div ref={setRef} style={{ ...style, pointerEvents: undefined }} {...rest}>
      {inFirstSeenOrder(ranks.current, children)}
    </div>
  );
});

/** The children in the order their keys were first seen (new keys last): React moves nothing. */
function inFirstSeenOrder(ranks: Map<Key, number>, children: ReactNode): ReactNode {
  if (!Array.isArray(children)) return children;
  const ranked: Array<[number, ReactNode]> = [];
  for (const child of children as ReactNode[]) {
    const key = isValidElement(child) ? child.key : null;
    if (key === null) return children;
    let rank = ranks.get(key);
    if (rank === undefined) ranks.set(key, (rank = ranks.size));
    ranked.push([rank, child]);
  }
  // Keys of rows long gone: renumbered in the same order (React sees no move).
  if (ranks.size > 4 * ranked.length + 64) {
    ranked.sort((a, b) => a[0] - b[0]);
    ranks.clear();
    for (const [i, r] of ranked.entries()) {
      const key = (r[1] as ReactElement).key!;
      ranks.set(key, i);
      r[0] = i;
    }
  }
  return ranked.sort((a, b) => a[0] - b[0]).map((r) => r[1]);
}

/** Puts the rows of one list element in document order, MOVES_PER_STEP a frame, at rest. */
class RowSorter {
  scrolling = false;
  private el: HTMLElement | null = null;
  private frame = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  setElement(el: HTMLElement | null) {
    this.el = el;
    if (!el) this.cancel();
  }

  commit() {
    this.cancel();
    if (this.scrolling || !this.el) return;
    if (!orderRowsStep(this.el, MOVES_PER_STEP)) this.later();
  }

  private later() {
    // After the next frame has drawn this step: a task of its own for the next one.
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (this.scrolling || !this.el) return;
        if (!orderRowsStep(this.el, MOVES_PER_STEP)) this.later();
      }, 0);
    });
  }

  private cancel() {
    if (this.frame) cancelAnimationFrame(this.frame);
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.frame = 0;
    this.timer = undefined;
  }
}

/** How long after the list's last scroll event it counts as standing still (react-window's). */
const SCROLL_SETTLE_MS = 150;

/**
 * Sets `scrolling` on the element while a list inside it scrolls (until SCROLL_SETTLE_MS after
 * the last scroll event). styles.css shows the rows' hover marks only without it: the rows
 * move under a resting pointer on every scrolled frame, and each hover change repainted the
 * rows and re-layerized them (about 1.5 ms a frame at 100,000 rules). Set on the element
 * directly: a React state would re-render the outline twice per scroll.
 */
function useScrollingClass(ref: React.RefObject<HTMLElement | null>) {
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const settle = () => {
      timer = undefined;
      el.classList.remove('scrolling');
    };
    const onScroll = () => {
      if (timer === undefined) el.classList.add('scrolling');
      else clearTimeout(timer);
      timer = setTimeout(settle, SCROLL_SETTLE_MS);
    };
    // Scroll events do not bubble: the capture phase hears the list's.
    el.addEventListener('scroll', onScroll, { capture: true, passive: true });
    return () => {
      el.removeEventListener('scroll', onScroll, { capture: true });
      if (timer !== undefined) clearTimeout(timer);
      el.classList.remove('scrolling');
    };
  }, [ref]);
}

function useSize(ref: React.RefObject<HTMLElement | null>) {
  const [size, setSize] = useState({ width: 800, height: 400 });
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(([entry]) => {
      if (entry) setSize({ width: entry.contentRect.width, height: entry.contentRect.height });
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, [ref]);
  return size;
}

export function Outline() {
  // Only a shape change rebuilds the tree; a filter follows every edit (it is small).
  const treeRules = useDocumentStore((s) => s.treeRules);
  const filter = useDocumentStore((s) => s.filter);
  const rules = useDocumentStore((s) => (s.filter.trim() ? s.document.rules : null));
  const reveal = useDocumentStore((s) => s.reveal);
  const widths = useUiStore((s) => s.widths);
  const body = useRef<HTMLDivElement>(null);
  const { width, height } = useSize(body);
  useScrollingClass(body);
  const data = rules ? filteredView(rules, filter).rules : treeRules;
  const shown = fitWidths(widths, width);
  const gridWidth = totalWidth(shown);

  const treeRef = useCallback((api: TreeApi<Rule> | null | undefined) => {
    outlineApi.current = api ?? null;
  }, []);

  // The treegrid's row count (header included): the tree's visible rows, once the data of this
  // render reached it. Set directly: counting the rows here would walk the whole document.
  const grid = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const frame = requestAnimationFrame(() => {
      const api = outlineApi.current;
      if (api && grid.current)
        grid.current.setAttribute('aria-rowcount', String(api.visibleNodes.length + 1));
    });
    return () => cancelAnimationFrame(frame);
  });

  // Select and scroll to rules that an action asked to reveal (new rule, paste, error clicked).
  useEffect(() => {
    const api = outlineApi.current;
    if (!reveal || !api) return;
    const [first, ...rest] = reveal.ids;
    if (!first) return;
    // The data with the newly expanded ancestors reaches the tree on this render; wait a frame.
    requestAnimationFrame(() => {
      api.select(first, { focus: true });
      for (const id of rest) api.selectMulti(id);
      api.scrollTo(first);
      useDocumentStore.getState().setSelection(reveal.ids);
    });
  }, [reveal]);

  // The name column takes whatever width the window has beyond the grid; a narrow window
  // narrows the wide columns first (fitWidths).
  const cssVars = Object.fromEntries(COLUMNS.map((c) => [`--w-${c.key}`, `${shown[c.key]}px`]));

  return (
    <div className="outline" style={cssVars as React.CSSProperties} onKeyDownCapture={onOutlineKey}>
      <div className="outline-scroll">
        {/* WAI-ARIA treegrid: the column headers' row, then the rows (react-arborist's focusable
            list, a rowgroup); focus moves row by row, each row's cells are gridcells. */}
        <div
          className="outline-inner"
          style={{ minWidth: gridWidth }}
          role="treegrid"
          aria-label="Rules"
          aria-multiselectable="true"
          aria-colcount={COLUMNS.length}
          ref={grid}
          data-testid="outline-grid"
        >
          <OutlineHeader />
          <div className="outline-body" ref={body} data-testid="outline">
            {data.length === 0 && (
              <div className="outline-empty">
                {filter.trim()
                  ? 'No rule matches the filter.'
                  : 'No rules. Click “New rule” to add one.'}
              </div>
            )}
            <Tree<Rule>
              ref={treeRef}
              data={data}
              idAccessor={idAccessor}
              childrenAccessor={childrenAccessor}
              openByDefault
              immutableData
              recycleRows
              rowChunk={ROW_CHUNK}
              width={Math.max(width, gridWidth)}
              height={height}
              rowHeight={ROW_HEIGHT}
              indent={INDENT}
              overscanCount={10}
              onSelect={onSelect}
              onMove={onMove}
              disableDrop={disableDrop}
              dropLevelOffset={DROP_LEVEL_OFFSET}
              dropBelowListAtTopLevel
              renderCursor={DropLine}
              disableEdit={disableEdit}
              renderRow={OutlineRow}
              innerElementType={RowsElement}
              containerRole="rowgroup"
              aria-label="Rules"
            >
              {OutlineNode}
            </Tree>
          </div>
        </div>
      </div>
      <RuleMenu />
      <DropRefused />
    </div>
  );
}

function OutlineHeader() {
  return (
    <div className="outline-header" role="row" aria-rowindex={1}>
      {COLUMNS.map((c) => (
        <div key={c.key} className={`header-cell c-${c.key}`} role="columnheader">
          {c.key === 'stats' ? <StatsHeader /> : c.title}
          {c.key !== 'enabled' && <ResizeGrip column={c.key} />}
        </div>
      ))}
    </div>
  );
}

function ResizeGrip({ column }: { column: ColumnKey }) {
  const onPointerDown = (e: PointerEvent<HTMLDivElement>) => {
    e.preventDefault();
    const startX = e.clientX;
    // From the width on screen (a narrow window shows less than the stored width: fitWidths).
    const start =
      e.currentTarget.parentElement?.getBoundingClientRect().width ??
      useUiStore.getState().widths[column];
    const el = e.currentTarget;
    el.setPointerCapture(e.pointerId);
    const move = (ev: globalThis.PointerEvent) =>
      useUiStore.getState().setWidth(column, start + ev.clientX - startX);
    const up = () => {
      el.removeEventListener('pointermove', move);
      el.removeEventListener('pointerup', up);
    };
    el.addEventListener('pointermove', move);
    el.addEventListener('pointerup', up);
  };
  return <div className="resize-grip" onPointerDown={onPointerDown} title="Drag to resize" />;
}

const isTextTarget = (t: EventTarget | null) =>
  t instanceof Element &&
  t.closest('input:not([type=checkbox]), textarea, select, [contenteditable]') !== null;

const FIELD_KEYS = { p: 'property', r: 'relation', a: 'action' } as const;

/** Outline keys handled before react-arborist sees them (it would open/close its own state). */
function onOutlineKey(e: KeyboardEvent<HTMLDivElement>) {
  if (isTextTarget(e.target) || e.metaKey || e.ctrlKey) return;
  // The property/relation/action menu lives inside the outline: its keys are its own.
  if (e.target instanceof Element && e.target.closest('.menu-backdrop')) return;
  const api = outlineApi.current;
  const focused = api?.focusedNode;
  // The row that has the keyboard: the DOM's focused row (after a menu or an editor gave it
  // back), else react-arborist's focused node.
  const rowId =
    (e.target instanceof Element &&
      e.target.closest('[data-rule-id]')?.getAttribute('data-rule-id')) ||
    focused?.id;
  const store = useDocumentStore.getState();
  const handled = () => {
    e.preventDefault();
    e.stopPropagation();
  };
  switch (e.key) {
    case ' ': {
      const ids = store.selection.length ? store.selection : focused ? [focused.id] : [];
      if (ids.length) store.toggleEnabled(ids);
      return handled();
    }
    case 'Enter':
    case 'F2':
      if (rowId) useUiStore.getState().startEdit(rowId, 'name');
      return handled();
    // The menus of the focused rule: P(roperty), R(elation), A(ction).
    case 'p':
    case 'r':
    case 'a':
      if (e.altKey || e.shiftKey) return;
      if (rowId) openFieldMenu(rowId, FIELD_KEYS[e.key]);
      return handled();
    case 'ContextMenu':
    case 'F10': {
      if (e.key === 'F10' && !e.shiftKey) return;
      // The keyboard's way to the row's context menu (Shift+F10 or the Menu key).
      const row = focused && document.querySelector(`[data-rule-id="${CSS.escape(focused.id)}"]`);
      if (!row) return;
      if (!focused.isSelected) focused.select();
      const r = row.getBoundingClientRect();
      openContextMenu(r.left + 40, r.bottom);
      return handled();
    }
    case 'ArrowRight':
      if (focused && focused.data.children.length && (!focused.data.expanded || e.altKey)) {
        store.setExpanded(focused.id, true, e.altKey);
        return handled();
      }
      return;
    case 'ArrowLeft':
      // Always ours: react-arborist would close its own (unused) open state instead.
      if (focused && focused.data.expanded && focused.data.children.length) {
        store.setExpanded(focused.id, false, e.altKey);
      } else if (focused?.parent && !focused.parent.isRoot) {
        api?.focus(focused.parent);
        if (!e.shiftKey) api?.select(focused.parent);
      }
      return handled();
    case '*':
      return handled();
    case 'Delete':
    case 'Backspace':
      store.deleteSelected();
      return handled();
    default:
      return;
  }
}

/** Why the rule being dragged cannot go where the pointer is; gone when the drag ends. */
function DropRefused() {
  const reason = useUiStore((s) => s.dropRefused);
  useEffect(() => {
    if (!reason) return;
    const clear = () => useUiStore.setState({ dropRefused: null });
    window.addEventListener('dragend', clear);
    window.addEventListener('drop', clear);
    return () => {
      window.removeEventListener('dragend', clear);
      window.removeEventListener('drop', clear);
    };
  }, [reason]);
  if (!reason) return null;
  return (
    <div className="drop-refused" role="status" data-testid="drop-refused">
      Can’t drop here: {reason}
    </div>
  );
}

// Runtime: browser (renderer/). One outline row: the react-arborist row shell and the cells.
// Invariants:
// - The tree's nodes may hold stale rule objects: the store gives react-arborist a new `data`
//   only when the tree's shape changes (see document-store.ts). A row therefore finds its
//   position from the node (same shape, same position) and reads the fresh rule, and its
//   ancestors' enabled and action, from the document by that path: O(depth) per visible row.
// - A row subscribes to exactly what it shows, so a toggle re-renders the toggled row and the
//   rows it greys, not the tree. Callbacks read the stores, so they are stable.

import { memo, useCallback, useEffect, type MouseEvent, type PointerEvent } from 'react';
import type { NodeApi, NodeRendererProps, RowRendererProps } from 'react-arborist';
import type { Rule } from '../../shared/model/types.ts';
import { ruleAt } from '../../shared/model/tree.ts';
import { useDocumentStore, type DocumentState } from '../store/document-store.ts';
import { ruleProblems } from '../store/validation.ts';
import { useAllProblems } from '../store/all-problems.ts';
import { severityOf, type Problem } from '../../shared/model/types.ts';

const NO_PROBLEMS: readonly Problem[] = [];
/** The compiler's problems of one rule (refusals, warnings), from the last full check. */
const useCompilerProblems = (id: string): readonly Problem[] =>
  useAllProblems((s) => s.byRule.get(id) ?? NO_PROBLEMS);
import type { RuleContext } from '../../shared/model/validate.ts';
import { StatsCell } from '../stats/stats-cell.tsx';
import { useRowLive } from '../stats/row-live.ts';
import { INDENT, useUiStore, type MenuField, type TextField } from './ui-store.ts';
import { TextCell } from './text-cell.tsx';
import { useFilterMatch, useFilterNumbers } from './filter.ts';
import { openContextMenu } from './context-menu.tsx';

/**
 * The node's position in the tree it was built from (indexes from the top level down). O(depth):
 * the patched react-arborist keeps each node's index among its siblings (`childIndex`). Not
 * cached per node: the tree reuses the nodes of unchanged subtrees across shape changes
 * (`immutableData`), so a node's ancestors may have moved since.
 */
export function nodePath(node: NodeApi<Rule>): number[] {
  const path: number[] = [];
  for (let n: NodeApi<Rule> | null = node; n && !n.isRoot; n = n.parent) path.push(n.childIndex);
  return path.reverse();
}

/** `2.6.1` from the node's position (or from the unfiltered document when a filter is on). */
export function ruleNumber(node: NodeApi<Rule>, filterNumbers: Map<string, string> | null): string {
  if (filterNumbers) return filterNumbers.get(node.id) ?? '';
  return nodePath(node)
    .map((i) => i + 1)
    .join('.');
}

const filtering = (s: DocumentState) => s.filter.trim() !== '';

/** The node's rule as it is in the document now. */
function useFreshRule(node: NodeApi<Rule>): Rule {
  return useDocumentStore((s) =>
    filtering(s) ? node.data : (ruleAt(s.document.rules, nodePath(node)) ?? node.data),
  );
}

/** How many siblings the node's rule has (itself included), as the document has them now. */
function useSetSize(node: NodeApi<Rule>): number {
  return useDocumentStore((s) => {
    const shown = node.parent?.children?.length ?? 1;
    if (filtering(s)) return shown;
    const path = nodePath(node);
    if (path.length <= 1) return s.document.rules.length;
    return ruleAt(s.document.rules, path.slice(0, -1))?.children.length ?? shown;
  });
}

const GREYED = 1;
const IN_GROUP = 2;

/** What the ancestors decide for a row: greyed by a disabled one, inside a Group. */
function useAncestorFlags(node: NodeApi<Rule>): number {
  return useDocumentStore((s) => {
    let flags = 0;
    if (filtering(s)) {
      for (let n = node.parent; n && !n.isRoot; n = n.parent) {
        if (!n.data.enabled) flags |= GREYED;
        if (n.data.action === 'Group') flags |= IN_GROUP;
      }
      return flags;
    }
    const path = nodePath(node);
    let list: readonly Rule[] = s.document.rules;
    for (let i = 0; i < path.length - 1; i++) {
      const r = list[path[i]!];
      if (!r) break;
      if (!r.enabled) flags |= GREYED;
      if (r.action === 'Group') flags |= IN_GROUP;
      list = r.children;
    }
    return flags;
  });
}

const contextOf = (node: NodeApi<Rule>, flags: number): RuleContext => ({
  insideGroup: (flags & IN_GROUP) !== 0,
  hasParent: node.level > 0,
});

export const OutlineRow = memo(function OutlineRow({
  node,
  innerRef,
  attrs,
  children,
}: RowRendererProps<Rule>) {
  const rule = useFreshRule(node);
  const flags = useAncestorFlags(node);
  const problems = ruleProblems(rule, contextOf(node, flags));
  const checked = useCompilerProblems(rule.id);
  const refused = problems.length > 0 || checked.some((p) => severityOf(p) === 'error');
  const warned = !refused && checked.some((p) => severityOf(p) === 'warning');
  const match = useFilterMatch(rule.id);
  const greyed = !rule.enabled || (flags & GREYED) !== 0;
  const live = useRowLive(rule.id);
  // The row being edited is not contained (styles.css): its problem popup hangs below it.
  const editing = useUiStore((s) => s.editing?.id === rule.id);
  const className = [
    'row',
    node.rowIndex !== null && node.rowIndex % 2 ? 'odd' : 'even',
    node.isSelected ? 'selected' : '',
    greyed ? 'greyed' : '',
    refused ? 'invalid' : warned ? 'warned' : '',
    match ? 'filter-match' : '',
    node.willReceiveDrop ? 'drop-target' : '',
    editing ? 'editing-row' : '',
    live.className,
  ].join(' ');
  const setSize = useSetSize(node);
  return (
    <div
      {...attrs}
      // WAI-ARIA treegrid: a row with its level, place among its siblings and (for a rule with
      // children) whether it is open; row 1 is the column headers.
      role="row"
      aria-expanded={rule.children.length > 0 ? rule.expanded : undefined}
      aria-posinset={node.childIndex + 1}
      aria-setsize={setSize}
      aria-rowindex={node.rowIndex === null ? undefined : node.rowIndex + 2}
      {...live.attrs}
      ref={innerRef}
      className={className}
      data-testid="rule-row"
      data-rule-id={rule.id}
      data-active={greyed ? 'false' : 'true'}
      data-invalid={refused ? 'true' : undefined}
      data-warned={warned ? 'true' : undefined}
      data-filter-match={match ? 'true' : undefined}
      onFocus={(e) => e.stopPropagation()}
      onClick={(e) => onRowClick(node, e)}
      onContextMenu={(e) => {
        e.preventDefault();
        // The menu acts on the selection: a row outside it becomes the selection.
        if (!node.isSelected) node.select();
        openContextMenu(e.clientX, e.clientY);
      }}
    >
      {children}
    </div>
  );
});

const stop = (e: MouseEvent) => e.stopPropagation();

/**
 * A plain click on the rule that already is the whole selection and has the keyboard changes
 * nothing, so react-arborist is not asked to select it again: that re-rendered every rendered
 * row and set the store's selection anew (the second click of every double-click on a value did
 * it, in the same task as the first click and the opening editor). The row is still scrolled
 * fully into view, as a select does.
 */
function onRowClick(node: NodeApi<Rule>, e: MouseEvent) {
  const plain = !e.metaKey && !e.ctrlKey && !e.shiftKey;
  const { selection } = useDocumentStore.getState();
  if (
    plain &&
    node.isSelected &&
    node.isFocused &&
    node.tree.selectedIds.size === 1 &&
    selection.length === 1 &&
    selection[0] === node.id
  ) {
    void node.tree.scrollTo(node.id);
    return;
  }
  node.handleClick(e);
}

export function OutlineNode({ node, dragHandle }: NodeRendererProps<Rule>) {
  const rule = useFreshRule(node);
  const flags = useAncestorFlags(node);
  const filterNumbers = useFilterNumbers();
  const number = ruleNumber(node, filterNumbers);
  const editingField = useUiStore((s) => (s.editing?.id === rule.id ? s.editing.field : null));
  const context = contextOf(node, flags);
  const problems = ruleProblems(rule, context);
  const checked = useCompilerProblems(rule.id);
  // The row's own check first (instant while typing), then what the compiler said of the field.
  const problemFor = (field: string) =>
    problems.find((p) => p.field === field)?.message ??
    checked.find((p) => p.field === field && severityOf(p) !== 'note')?.message;
  /** The field's problem is only a warning (applies, probably not as meant): amber, not red. */
  const warningFor = (field: string) =>
    !problems.some((p) => p.field === field) &&
    !checked.some((p) => p.field === field && severityOf(p) === 'error');

  // The row becomes a drag source (react-dnd sets draggable and listeners on it) on its first
  // pointerdown, before the browser decides to start a drag, not when it mounts: connecting and
  // disconnecting write to a row already in the document, ~0.3 ms each, which every row that
  // scrolls past paid (a fifth of the main thread's time per scrolled frame). While a cell of
  // the row is edited it is no drag source, so dragging in the text field selects text.
  const onPointerDown = useCallback(
    (e: PointerEvent<HTMLDivElement>) => {
      if (!editingField) dragHandle?.(e.currentTarget);
    },
    [dragHandle, editingField],
  );
  useEffect(() => {
    if (editingField) dragHandle?.(null);
  }, [dragHandle, editingField]);

  const onToggleEnabled = useCallback(() => {
    const { selection, setEnabled } = useDocumentStore.getState();
    // Toggling a checkbox inside a multi-selection toggles the whole selection, like Finder.
    const ids = selection.includes(rule.id) ? selection : [rule.id];
    setEnabled(ids, !rule.enabled);
  }, [rule.id, rule.enabled]);

  const onDisclosure = useCallback(
    (e: MouseEvent) => {
      e.stopPropagation();
      useDocumentStore.getState().toggleExpanded(rule.id, e.altKey);
    },
    [rule.id],
  );

  const openMenu = (field: MenuField) => (e: MouseEvent<HTMLButtonElement>) => {
    e.stopPropagation();
    if (!node.isSelected) node.select();
    const r = e.currentTarget.getBoundingClientRect();
    useUiStore.getState().openMenu({
      ruleId: rule.id,
      field,
      anchor: { left: r.left, top: r.top, bottom: r.bottom, width: r.width },
    });
  };

  const text = (field: TextField, mono: boolean) => (
    <TextCell
      rule={rule}
      field={field}
      editing={editingField === field}
      mono={mono}
      context={context}
      problem={problemFor(field)}
      warning={warningFor(field)}
    />
  );

  return (
    <div className="cells" onPointerDownCapture={onPointerDown}>
      <div className="cell c-enabled" role="gridcell">
        <input
          type="checkbox"
          data-testid="enable"
          aria-label={`Enable rule ${number}`}
          checked={rule.enabled}
          onChange={onToggleEnabled}
          onClick={stop}
        />
      </div>
      <div
        className="cell c-number"
        role="gridcell"
        style={{ paddingLeft: 4 + node.level * INDENT }}
      >
        {rule.children.length > 0 ? (
          <button
            // Its own element per rule: a row passed to another rule (recycleRows) does not
            // animate the triangle from the previous rule's state.
            key={rule.id}
            type="button"
            className={`disclosure ${rule.expanded ? 'open' : ''}`}
            data-testid="disclosure"
            aria-label={rule.expanded ? `Collapse ${number}` : `Expand ${number}`}
            title="Click to expand or collapse; Alt-click for the whole subtree"
            onClick={onDisclosure}
            tabIndex={-1}
          >
            ▶
          </button>
        ) : (
          <span className="disclosure-space" />
        )}
        <span className="number" data-testid="rule-number">
          {number}
        </span>
      </div>
      {text('name', false)}
      <MenuCell
        field="property"
        value={rule.property}
        problem={problemFor('property')}
        warning={warningFor('property')}
        onOpen={openMenu('property')}
      />
      <MenuCell
        field="relation"
        value={rule.relation}
        problem={problemFor('relation')}
        warning={warningFor('relation')}
        onOpen={openMenu('relation')}
      />
      {text('value', true)}
      <MenuCell
        field="action"
        value={rule.action}
        problem={problemFor('action')}
        warning={warningFor('action')}
        onOpen={openMenu('action')}
      />
      {text('parameter', true)}
      <StatsCell rule={rule} />
    </div>
  );
}

function MenuCell(props: {
  field: MenuField;
  value: string;
  problem: string | undefined;
  warning: boolean;
  onOpen: (e: MouseEvent<HTMLButtonElement>) => void;
}) {
  return (
    <div
      className={`cell c-${props.field} ${props.problem ? (props.warning ? 'cell-warned' : 'cell-invalid') : ''}`}
      role="gridcell"
      title={props.problem}
    >
      <button
        type="button"
        className="menu-cell"
        data-testid={`cell-${props.field}`}
        aria-haspopup="menu"
        onClick={props.onOpen}
        onDoubleClick={stop}
        tabIndex={-1}
      >
        <span className="menu-cell-text">{props.value}</span>
      </button>
    </div>
  );
}

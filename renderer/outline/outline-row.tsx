// Runtime: browser (renderer/). One outline row: the react-arborist row shell and the cells.
// Invariant: a row reads its rule from the node and derives its number and greying from its
// position (walking up the parents, O(depth)), so nothing per-rule is precomputed for the whole
// document on an edit. Callbacks come from the stores, which are stable.

import { memo, useCallback, type MouseEvent } from 'react';
import type { NodeApi, NodeRendererProps, RowRendererProps } from 'react-arborist';
import type { Rule } from '../../shared/model/types.ts';
import { useDocumentStore } from '../store/document-store.ts';
import { ruleProblems } from '../store/validation.ts';
import type { RuleContext } from '../../shared/model/validate.ts';
import { useCounters } from '../stats/counters-store.ts';
import { INDENT, useUiStore, type MenuField, type TextField } from './ui-store.ts';
import { TextCell } from './text-cell.tsx';
import { useFilterNumbers } from './filter.ts';

/** `2.6.1` from the node's position (or from the unfiltered document when a filter is on). */
export function ruleNumber(node: NodeApi<Rule>, filterNumbers: Map<string, string> | null): string {
  if (filterNumbers) return filterNumbers.get(node.id) ?? '';
  const parts: number[] = [];
  for (let n: NodeApi<Rule> | null = node; n && !n.isRoot; n = n.parent) {
    const siblings: readonly Rule[] =
      n.parent && !n.parent.isRoot ? n.parent.data.children : (n.tree.props.data ?? []);
    parts.push(siblings.indexOf(n.data) + 1);
  }
  return parts.reverse().join('.');
}

const hasDisabledAncestor = (node: NodeApi<Rule>): boolean => {
  for (let n = node.parent; n && !n.isRoot; n = n.parent) if (!n.data.enabled) return true;
  return false;
};

/** Where the rule sits, for the checks that depend on it (Exit group, Parent ... tests). */
export function ruleContext(node: NodeApi<Rule>): RuleContext {
  let insideGroup = false;
  for (let n = node.parent; n && !n.isRoot; n = n.parent)
    if (n.data.action === 'Group') insideGroup = true;
  return { insideGroup, hasParent: node.level > 0 };
}

export const OutlineRow = memo(function OutlineRow({
  node,
  innerRef,
  attrs,
  children,
}: RowRendererProps<Rule>) {
  const rule = node.data;
  const problems = ruleProblems(rule, ruleContext(node));
  const greyed = !rule.enabled || hasDisabledAncestor(node);
  const className = [
    'row',
    node.rowIndex !== null && node.rowIndex % 2 ? 'odd' : 'even',
    node.isSelected ? 'selected' : '',
    greyed ? 'greyed' : '',
    problems.length ? 'invalid' : '',
    node.willReceiveDrop ? 'drop-target' : '',
  ].join(' ');
  return (
    <div
      {...attrs}
      ref={innerRef}
      className={className}
      data-testid="rule-row"
      data-rule-id={rule.id}
      data-active={greyed ? 'false' : 'true'}
      data-invalid={problems.length ? 'true' : undefined}
      onFocus={(e) => e.stopPropagation()}
      onClick={node.handleClick}
    >
      {children}
    </div>
  );
});

const stop = (e: MouseEvent) => e.stopPropagation();

export function OutlineNode({ node, dragHandle }: NodeRendererProps<Rule>) {
  const rule = node.data;
  const filterNumbers = useFilterNumbers();
  const number = ruleNumber(node, filterNumbers);
  const editingField = useUiStore((s) => (s.editing?.id === rule.id ? s.editing.field : null));
  const context = ruleContext(node);
  const problems = ruleProblems(rule, context);
  const problemFor = (field: string) => problems.find((p) => p.field === field)?.message;

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
    />
  );

  return (
    <div className="cells" ref={editingField ? undefined : dragHandle}>
      <div className="cell c-enabled">
        <input
          type="checkbox"
          data-testid="enable"
          aria-label={`Enable rule ${number}`}
          checked={rule.enabled}
          onChange={onToggleEnabled}
          onClick={stop}
        />
      </div>
      <div className="cell c-number" style={{ paddingLeft: 4 + node.level * INDENT }}>
        {rule.children.length > 0 ? (
          <button
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
        onOpen={openMenu('property')}
      />
      <MenuCell
        field="relation"
        value={rule.relation}
        problem={problemFor('relation')}
        onOpen={openMenu('relation')}
      />
      {text('value', true)}
      <MenuCell
        field="action"
        value={rule.action}
        problem={problemFor('action')}
        onOpen={openMenu('action')}
      />
      {text('parameter', true)}
      <StatsCell ruleId={rule.id} />
    </div>
  );
}

function MenuCell(props: {
  field: MenuField;
  value: string;
  problem: string | undefined;
  onOpen: (e: MouseEvent<HTMLButtonElement>) => void;
}) {
  return (
    <div
      className={`cell c-${props.field} ${props.problem ? 'cell-invalid' : ''}`}
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

function StatsCell({ ruleId }: { ruleId: string }) {
  const counters = useCounters(ruleId);
  return (
    <div className="cell c-stats" data-testid="cell-stats">
      {counters ? counters.packets.toLocaleString() : '—'}
    </div>
  );
}

// Runtime: browser (renderer/). The toolbar: the commands used most, with clear labels. Buttons
// that place rules read the Alt key (Option on a Mac) to insert before, as in IPNetSentryX.

import type { MouseEvent, ReactNode } from 'react';
import type { MenuCommand } from '../../shared/ipc/app-api.ts';
import { run, setFirewallOn } from '../commands.ts';
import { helperMissingReason, useAppStore } from '../store/app-store.ts';
import { useDocumentStore } from '../store/document-store.ts';

function Button(props: {
  command: MenuCommand;
  label: string;
  title: string;
  disabled?: boolean;
  primary?: boolean;
  icon?: ReactNode;
}) {
  const onClick = (e: MouseEvent) => run(props.command, e.altKey);
  return (
    <button
      type="button"
      className={`tool ${props.primary ? 'primary' : ''}`}
      data-testid={`tool-${props.command}`}
      title={props.title}
      disabled={props.disabled}
      onClick={onClick}
    >
      {props.icon && <span className="tool-icon">{props.icon}</span>}
      {props.label}
    </button>
  );
}

export function Toolbar() {
  const canUndo = useDocumentStore((s) => s.past.length > 0);
  const canRedo = useDocumentStore((s) => s.future.length > 0);
  const hasSelection = useDocumentStore((s) => s.selection.length > 0);
  const filter = useDocumentStore((s) => s.filter);
  const helper = useAppStore((s) => s.helper);
  const info = useAppStore((s) => s.info);
  const connected = helper?.connected === true;
  const active = helper?.active === true;
  /** Why Apply and the switch are off: they say so instead of failing when clicked. */
  const missing = helperMissingReason({ helper, info });

  return (
    <div className="toolbar" role="toolbar" aria-label="Rules">
      <div className="tool-group">
        <Button
          command="rule.newSibling"
          label="New rule"
          icon="+"
          title="New rule after the selection (as a child when the selected rule is expanded). Alt: insert before. Ctrl+N"
        />
        <Button
          command="rule.newChild"
          label="New child"
          icon="↳"
          title="New rule as the first child of the selection. Ctrl+Shift+N"
          disabled={!hasSelection}
        />
        <Button
          command="rule.duplicate"
          label="Duplicate"
          title="Duplicate the selected rules. Ctrl+D"
          disabled={!hasSelection}
        />
        <Button
          command="edit.delete"
          label="Delete"
          title="Delete the selected rules. Delete"
          disabled={!hasSelection}
        />
      </div>
      <div className="tool-group">
        <Button
          command="edit.undo"
          label="Undo"
          icon="↶"
          title="Undo. Ctrl+Z"
          disabled={!canUndo}
        />
        <Button
          command="edit.redo"
          label="Redo"
          icon="↷"
          title="Redo. Ctrl+Shift+Z"
          disabled={!canRedo}
        />
      </div>
      <div className="tool-group">
        <Button command="view.expandAll" label="Expand all" title="Expand every rule" />
        <Button command="view.collapseAll" label="Collapse all" title="Collapse every rule" />
      </div>
      <input
        className="filter"
        type="search"
        placeholder="Filter rules…"
        data-testid="filter"
        aria-label="Filter rules"
        value={filter}
        onChange={(e) => useDocumentStore.getState().setFilter(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') useDocumentStore.getState().setFilter('');
        }}
      />
      <div className="spacer" />
      <div className="tool-group">
        <Button
          command="firewall.showActive"
          label="Show Active"
          title={missing ?? 'Show the rules in force in the kernel'}
          disabled={!connected}
        />
        <Button
          command="firewall.revert"
          label="Revert to Active"
          title={missing ?? 'Replace the outline with the rules in force'}
          disabled={!connected}
        />
        <Button
          command="firewall.apply"
          label="Apply"
          primary={connected}
          title={
            missing
              ? `${missing} Without it, Apply only checks the rules.`
              : 'Compile the rules and load them into the kernel, with a 20 s confirm. Ctrl+Enter'
          }
        />
      </div>
      <label
        data-testid="firewall-toggle"
        className={`switch ${connected ? '' : 'disabled'}`}
        title={missing ?? 'Firewall on or off'}
      >
        <input
          type="checkbox"
          data-testid="firewall-switch"
          role="switch"
          checked={active}
          disabled={!connected}
          title={missing ?? undefined}
          onChange={(e) => void setFirewallOn(e.target.checked)}
        />
        <span className="switch-track" />
        Firewall {active ? 'on' : 'off'}
      </label>
    </div>
  );
}

// Runtime: browser (renderer/). The toolbar: the commands used most, with clear labels. Buttons
// that place rules read the Alt key (Option on a Mac) to insert before, as in IPNetSentryX.
// Small windows: when the toolbar does not fit, groups of buttons move, least used first, into
// a "More" menu at its end (Expand/Collapse, then Show Active/Revert to Active, then Undo/Redo,
// then Duplicate/Delete); Apply, the switch, New rule, New child and the filter always stay.

import {
  useEffect,
  useLayoutEffect,
  useRef,
  useState,
  type KeyboardEvent,
  type MouseEvent,
  type ReactNode,
} from 'react';
import type { MenuCommand } from '../../shared/ipc/app-api.ts';
import { run, setFirewallOn } from '../commands.ts';
import { helperMissingReason, useAppStore } from '../store/app-store.ts';
import { useDocumentStore } from '../store/document-store.ts';
import { useCommandStates } from './command-state.ts';
import { useFilterCount } from '../outline/filter.ts';
import { hostsOf, targetLabel, useFleetStore } from '../store/fleet-store.ts';
import { useRolloutPrefs } from '../fleet/rollout-prefs.ts';

/** Apply's tooltip when the host picker shows fleet hosts (Apply then rolls out to them). */
function useFleetApply(): { title: string; any: boolean } | null {
  const seconds = useRolloutPrefs((p) => p.confirmSeconds);
  const text = useFleetStore((s) => {
    if (s.target.kind === 'local') return '';
    const hosts = s.list?.hosts ?? [];
    const names = hostsOf(s.target, hosts);
    const reachable = names.filter((n) => s.states[n]?.reachable).length;
    return `${reachable > 0 ? '1' : '0'}Apply the outline to ${targetLabel(s.target, hosts)}: ${names[0] ?? 'the first host'} first, with ${seconds} s to confirm, then ${names.length > 1 ? `the other ${names.length - 1} in parallel, each with its own ${seconds} s` : 'done'}. Ctrl+Enter`;
  });
  return text ? { title: text.slice(1), any: text[0] === '1' } : null;
}

/** The groups that fold into "More", in the order they fold. */
const FOLDS: { command: MenuCommand; label: string }[][] = [
  [
    { command: 'view.expandAll', label: 'Expand all' },
    { command: 'view.collapseAll', label: 'Collapse all' },
  ],
  [
    { command: 'firewall.showActive', label: 'Show Active' },
    { command: 'firewall.revert', label: 'Revert to Active' },
  ],
  [
    { command: 'edit.undo', label: 'Undo' },
    { command: 'edit.redo', label: 'Redo' },
  ],
  [
    { command: 'rule.duplicate', label: 'Duplicate' },
    { command: 'edit.delete', label: 'Delete' },
  ],
];

/** How many groups are folded: the fewest that let the toolbar fit its width. */
function useFolds(toolbar: React.RefObject<HTMLDivElement | null>): number {
  const [folded, setFolded] = useState(0);
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const el = toolbar.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setWidth(el.clientWidth));
    observer.observe(el);
    return () => observer.disconnect();
  }, [toolbar]);
  // A new width: start from nothing folded; then fold one more group per layout pass (before
  // paint) while the content overflows.
  useLayoutEffect(() => setFolded(0), [width]);
  useLayoutEffect(() => {
    const el = toolbar.current;
    if (el && el.scrollWidth > el.clientWidth + 1 && folded < FOLDS.length) setFolded(folded + 1);
  }, [folded, width, toolbar]);
  return folded;
}

function MoreMenu({ commands }: { commands: { command: MenuCommand; label: string }[] }) {
  const [open, setOpen] = useState(false);
  const states = useCommandStates();
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    menu.current
      ?.querySelector<HTMLElement>('[role="menuitem"]:not([aria-disabled="true"])')
      ?.focus();
    const close = (e: globalThis.MouseEvent) => {
      if (!menu.current?.contains(e.target as Node) && e.target !== button.current) setOpen(false);
    };
    window.addEventListener('mousedown', close);
    return () => window.removeEventListener('mousedown', close);
  }, [open]);
  const onKey = (e: KeyboardEvent) => {
    const items = [
      ...(menu.current?.querySelectorAll<HTMLElement>(
        '[role="menuitem"]:not([aria-disabled="true"])',
      ) ?? []),
    ];
    const i = items.indexOf(document.activeElement as HTMLElement);
    if (e.key === 'ArrowDown') items[(i + 1) % items.length]?.focus();
    else if (e.key === 'ArrowUp') items[(i - 1 + items.length) % items.length]?.focus();
    else if (e.key === 'Home') items[0]?.focus();
    else if (e.key === 'End') items[items.length - 1]?.focus();
    else if (e.key === 'Escape') {
      setOpen(false);
      button.current?.focus();
    } else if (e.key === 'Tab') setOpen(false);
    else return;
    if (e.key !== 'Tab') e.preventDefault();
    e.stopPropagation();
  };
  return (
    <div className="toolbar-more">
      <button
        ref={button}
        type="button"
        className="tool"
        data-testid="tool-more"
        aria-haspopup="menu"
        aria-expanded={open}
        title="More commands (the window is too narrow for every button)"
        onClick={() => setOpen(!open)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') {
            e.preventDefault();
            setOpen(true);
          }
        }}
      >
        More ▾
      </button>
      {open && (
        <div
          ref={menu}
          className="dropdown toolbar-more-menu"
          role="menu"
          aria-label="More commands"
          data-testid="more-menu"
          onKeyDown={onKey}
        >
          {commands.map(({ command, label }) => {
            const state = states(command);
            return (
              <button
                key={command}
                type="button"
                role="menuitem"
                tabIndex={-1}
                className="dropdown-item"
                data-testid={`more-${command}`}
                aria-disabled={state.disabled || undefined}
                title={state.disabled ? state.why : undefined}
                onClick={
                  state.disabled
                    ? undefined
                    : (e) => {
                        setOpen(false);
                        run(command, e.altKey);
                      }
                }
              >
                {label}
              </button>
            );
          })}
        </div>
      )}
    </div>
  );
}

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
  const toolbar = useRef<HTMLDivElement>(null);
  const fleetApply = useFleetApply();
  const filterCount = useFilterCount();
  const folded = useFolds(toolbar);
  /** Group `n` of FOLDS is in the toolbar (not folded into More). */
  const shown = (n: number) => n >= folded;

  return (
    <div className="toolbar" role="toolbar" aria-label="Rules" ref={toolbar}>
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
        {shown(3) && (
          <Button
            command="rule.duplicate"
            label="Duplicate"
            title="Duplicate the selected rules. Ctrl+D"
            disabled={!hasSelection}
          />
        )}
        {shown(3) && (
          <Button
            command="edit.delete"
            label="Delete"
            title="Delete the selected rules. Delete"
            disabled={!hasSelection}
          />
        )}
      </div>
      {shown(2) && (
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
      )}
      {shown(0) && (
        <div className="tool-group">
          <Button command="view.expandAll" label="Expand all" title="Expand every rule" />
          <Button command="view.collapseAll" label="Collapse all" title="Collapse every rule" />
        </div>
      )}
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
      {filterCount && (
        <span className="filter-count" data-testid="filter-count" role="status">
          {filterCount}
        </span>
      )}
      <div className="spacer" />
      <div className="tool-group">
        {shown(1) && (
          <Button
            command="firewall.showActive"
            label="Show Active"
            title={missing ?? 'Show the rules in force in the kernel'}
            disabled={!connected}
          />
        )}
        {shown(1) && (
          <Button
            command="firewall.revert"
            label="Revert to Active"
            title={missing ?? 'Replace the outline with the rules in force'}
            disabled={!connected}
          />
        )}
        <Button
          command="firewall.apply"
          label="Apply"
          primary={fleetApply ? fleetApply.any : connected}
          title={
            fleetApply
              ? fleetApply.title
              : missing
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
        {fleetApply
          ? `This machine: ${active ? 'on' : 'off'}`
          : `Firewall ${active ? 'on' : 'off'}`}
      </label>
      {folded > 0 && <MoreMenu commands={FOLDS.slice(0, folded).flat()} />}
    </div>
  );
}

// Runtime: browser (renderer/). Which commands are available now, and why not: the toolbar and
// the menu bar read the same answers, so a menu item is disabled exactly when its button is.

import type { MenuCommand } from '../../shared/ipc/app-api.ts';
import { helperMissingReason, useAppStore } from '../store/app-store.ts';
import { useDocumentStore } from '../store/document-store.ts';

export interface CommandState {
  disabled: boolean;
  /** Why it is disabled, for the tooltip. */
  why?: string;
}

const ON: CommandState = { disabled: false };
const off = (why: string): CommandState => ({ disabled: true, why });

/** Every command's state, as a lookup; re-renders only when one of the inputs changes. */
export function useCommandStates(): (command: MenuCommand) => CommandState {
  const canUndo = useDocumentStore((s) => s.past.length > 0);
  const canRedo = useDocumentStore((s) => s.future.length > 0);
  const hasSelection = useDocumentStore((s) => s.selection.length > 0);
  const helper = useAppStore((s) => s.helper);
  const info = useAppStore((s) => s.info);
  const missing = helperMissingReason({ helper, info });
  const noSelection = off('Select a rule first');
  const helperOnly = missing ? off(missing) : ON;
  const states: Partial<Record<MenuCommand, CommandState>> = {
    'edit.undo': canUndo ? ON : off('Nothing to undo'),
    'edit.redo': canRedo ? ON : off('Nothing to redo'),
    'edit.cut': hasSelection ? ON : noSelection,
    'edit.copy': hasSelection ? ON : noSelection,
    'edit.delete': hasSelection ? ON : noSelection,
    'rule.newChild': hasSelection ? ON : noSelection,
    'rule.duplicate': hasSelection ? ON : noSelection,
    'firewall.showActive': helperOnly,
    'firewall.revert': helperOnly,
    'firewall.toggle': helperOnly,
  };
  return (command) => states[command] ?? ON;
}

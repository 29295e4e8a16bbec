// Runtime: browser (renderer/). Application state around the document: what the backend said
// about itself and the helper, banners, dialogs, and the last apply. Kept apart from the document
// store so a helper status event never re-renders the outline.

import { create } from 'zustand';
import type { AppInfo, FileEntry, HelperStatus, RecoveryEntry } from '../../shared/ipc/app-api.ts';
import type { FirewallDocument, Problem } from '../../shared/model/types.ts';
import { createHelperStateTracker } from './helper-state.ts';
import { createOutcomeTracker, type ApplyOutcome } from './apply-outcome.ts';

export interface Banner {
  kind: 'error' | 'info';
  message: string;
  /** Visible detail lines (a parser's line and column, a list of problems). */
  detail?: string;
}

export interface ConfirmRequest {
  title: string;
  message: string;
  /** Button labels; the first is the default. */
  buttons: string[];
  resolve(choice: string | null): void;
}

export type Dialog =
  | { kind: 'open'; files: FileEntry[]; folder: string }
  | { kind: 'saveAs'; suggested: string }
  | { kind: 'confirm'; request: ConfirmRequest }
  | { kind: 'recover'; entries: RecoveryEntry[] }
  | { kind: 'active'; document: FirewallDocument | null }
  | { kind: 'settings' };

/** The page's link to `treewall serve` (browser host): 'back' for a moment after a reconnect. */
export type HostConnection = 'up' | 'lost' | 'back';

export interface AppState {
  info: AppInfo | null;
  /** Null until the first answer (and always under Electron, whose IPC does not drop). */
  hostConnection: HostConnection | null;
  helper: HelperStatus | null;
  banner: Banner | null;
  dialog: Dialog | null;
  /** Problems that blocked the last Apply, or every problem of the document when the status
   * bar's count opened the list (`problemsSource`); the panel lists them, each clickable. */
  blockingProblems: Problem[] | null;
  problemsSource: 'apply' | 'document';
  recent: FileEntry[];
  /** What became of the last apply (or turning the firewall off): the status line says it. */
  lastApply: ApplyOutcome | null;
  /** A rollback to announce (the banner), until dismissed or the next apply. */
  rollback: ApplyOutcome | null;
  /** The rules in force as the helper read them back, for the status line's "differs" mark;
   * `key` is the helper status they belong to (active and appliedAt). */
  inForce: { key: string; document: FirewallDocument | null } | null;
  setBanner(banner: Banner | null): void;
  setDialog(dialog: Dialog | null): void;
}

export const useAppStore = create<AppState>()((set) => ({
  info: null,
  hostConnection: null,
  helper: null,
  banner: null,
  dialog: null,
  blockingProblems: null,
  problemsSource: 'apply',
  recent: [],
  lastApply: null,
  rollback: null,
  inForce: null,
  setBanner: (banner) => set({ banner }),
  setDialog: (dialog) => set({ dialog }),
}));

/** An in-app confirmation (the browser has no native one that can offer three buttons). */
export const ask = (title: string, message: string, buttons: string[]): Promise<string | null> =>
  new Promise((resolve) =>
    useAppStore.getState().setDialog({
      kind: 'confirm',
      request: {
        title,
        message,
        buttons,
        resolve: (choice) => {
          useAppStore.getState().setDialog(null);
          resolve(choice);
        },
      },
    }),
  );

export const showError = (message: string, detail?: string): void =>
  useAppStore.getState().setBanner({ kind: 'error', message, detail });

/** Orders helper statuses from events and replies (see helper-state.ts). */
export const helperStates = createHelperStateTracker();

/** Tells kept from rolled back (see apply-outcome.ts). */
export const applyOutcomes = createOutcomeTracker();

/** Show a helper status (already ordered by `helperStates`) and settle the apply it ends. */
export function believeHelper(status: HelperStatus): void {
  const outcome = applyOutcomes.next(status);
  if (!outcome) return useAppStore.setState({ helper: status });
  useAppStore.setState({
    helper: status,
    lastApply: outcome,
    ...(outcome.kind === 'rolledBack' ? { rollback: outcome } : {}),
  });
}

/** A `helper:state` event: shown unless it is older than what is shown. */
export function receiveHelperEvent(status: HelperStatus): void {
  const fresh = helperStates.event(status);
  if (fresh) believeHelper(fresh);
}

/** The command that starts the helper where this backend looks for it (its `--socket`). */
export function helperStartCommand(state: Pick<AppState, 'helper' | 'info'>): string {
  const socket = state.helper?.socketPath ?? state.info?.helperSocket;
  return socket ? `sudo treewall helper --socket ${socket}` : 'sudo treewall helper';
}

/** Why the firewall controls are disabled, or null when a helper is connected. */
export function helperMissingReason(state: Pick<AppState, 'helper' | 'info'>): string | null {
  if (!state.info) return 'No backend: open treewall with `treewall serve` to apply rules.';
  if (state.helper?.connected) return null;
  return `No helper connected. Start it with: ${helperStartCommand(state)}`;
}

/** The WebSocket transport opened (true) or dropped (false). */
export function reportHostConnection(up: boolean): void {
  const was = useAppStore.getState().hostConnection;
  if (!up) {
    if (was !== 'lost') useAppStore.setState({ hostConnection: 'lost' });
  } else useAppStore.setState({ hostConnection: was === 'lost' ? 'back' : 'up' });
}

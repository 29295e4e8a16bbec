// Runtime: plain Node. What the backend needs from the privileged helper, in the app's own
// types (app-api.ts). `helper-link.ts` implements it over the helper's Unix-socket client; tests
// and "no helper" runs use `disconnectedHelper`. Every method rejects with an ApiCallError
// (`helper-unavailable` or `helper-error`) rather than a bare Error.

import {
  ApiCallError,
  type CounterSnapshot,
  type EventName,
  type HelperStatus,
  type TriggeredEntry,
  type TriggeredType,
  type Unsubscribe,
} from '../../shared/ipc/app-api.ts';
import type { FirewallDocument } from '../../shared/model/types.ts';

export interface HelperPort {
  connected(): boolean;
  status(): Promise<HelperStatus>;
  apply(document: FirewallDocument, confirmTimeoutSeconds?: number): Promise<HelperStatus>;
  confirm(): Promise<HelperStatus>;
  revert(): Promise<HelperStatus>;
  showActive(): Promise<FirewallDocument | null>;
  stop(): Promise<HelperStatus>;
  counters(): Promise<CounterSnapshot>;
  triggeredList(type?: TriggeredType): Promise<TriggeredEntry[]>;
  triggeredAdd(address: string, type?: TriggeredType, durationSeconds?: number): Promise<void>;
  triggeredRemove(address: string, type?: TriggeredType): Promise<void>;
  triggeredFlush(type?: TriggeredType): Promise<void>;
  triggeredImport(text: string): Promise<number>;
  triggeredExport(type?: TriggeredType): Promise<string>;
  /** helper:state, counters:tick, log:event, notify:event, triggered:changed. */
  onEvent(listener: (event: EventName, payload: unknown) => void): Unsubscribe;
  close(): Promise<void>;
}

export const helperUnavailableMessage = (socketPath: string) =>
  `The helper is not running (nothing answers on ${socketPath}). Editing, opening and saving ` +
  `work without it; to apply rules start it with: sudo treewall helper --socket ${socketPath}`;

export function notConnectedStatus(socketPath: string, message?: string): HelperStatus {
  return {
    connected: false,
    socketPath,
    active: false,
    appliedAt: null,
    ruleCount: null,
    pendingConfirm: null,
    message: message ?? helperUnavailableMessage(socketPath),
  };
}

/** A helper that is never there: status says so, every other call fails plainly. */
export function disconnectedHelper(socketPath: string): HelperPort {
  const unavailable = async (): Promise<never> => {
    throw new ApiCallError({
      code: 'helper-unavailable',
      message: helperUnavailableMessage(socketPath),
    });
  };
  return {
    connected: () => false,
    status: async () => notConnectedStatus(socketPath),
    apply: unavailable,
    confirm: unavailable,
    revert: unavailable,
    showActive: unavailable,
    stop: unavailable,
    counters: unavailable,
    triggeredList: unavailable,
    triggeredAdd: unavailable,
    triggeredRemove: unavailable,
    triggeredFlush: unavailable,
    triggeredImport: unavailable,
    triggeredExport: unavailable,
    onEvent: () => () => {},
    close: async () => {},
  };
}

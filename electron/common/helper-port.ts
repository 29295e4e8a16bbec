// Runtime: plain Node. What the backend needs from the privileged helper: typed calls of the
// helper protocol, the app's view of its status, and its events. `helper-link.ts` implements it
// over the helper's Unix-socket client (with reconnects); `disconnectedHelper` is the "no helper"
// stand-in. Every rejected call is an ApiCallError (`helper-unavailable`, `invalid-document`,
// `helper-error`), never a bare Error.

import {
  ApiCallError,
  type EventName,
  type HelperStatus,
  type Unsubscribe,
} from '../../shared/ipc/app-api.ts';
import {
  PROTOCOL_VERSION,
  type HelperCall,
  type HelperParams,
  type HelperResult,
  type HelperStatusResult,
} from '../../shared/ipc/helper-protocol.ts';

export interface HelperPort {
  connected(): boolean;
  /** Never rejects: a helper that is not there is a status too. */
  status(): Promise<HelperStatus>;
  call<C extends HelperCall>(call: C, params: HelperParams<C>): Promise<HelperResult<C>>;
  /** App events: helper:state, counters:tick, log:event, notify:event, triggered:changed. */
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
    helper: null,
  };
}

/** What the status line says when the helper speaks another protocol version than this app. */
export const protocolMismatchMessage = (helperProtocol: number) =>
  `The helper speaks protocol ${helperProtocol} and this app ${PROTOCOL_VERSION}: ` +
  (helperProtocol < PROTOCOL_VERSION
    ? 'update the helper (the treewall package that installed it) to the same release.'
    : "update this app to the helper's release.") +
  ' Calls may fail until both match.';

/** The app's status view of a helper status reply. */
export function connectedStatus(socketPath: string, status: HelperStatusResult): HelperStatus {
  return {
    connected: true,
    socketPath,
    active: status.active,
    appliedAt: status.appliedAt,
    ruleCount: status.ruleCount,
    pendingConfirm: status.pendingConfirm,
    message:
      status.protocol !== PROTOCOL_VERSION
        ? protocolMismatchMessage(status.protocol)
        : status.lastError,
    helper: status,
  };
}

/** A helper that is never there: status says so, every call fails plainly. */
export function disconnectedHelper(socketPath: string): HelperPort {
  return {
    connected: () => false,
    status: async () => notConnectedStatus(socketPath),
    call: async () => {
      throw new ApiCallError({
        code: 'helper-unavailable',
        message: helperUnavailableMessage(socketPath),
      });
    },
    onEvent: () => () => {},
    close: async () => {},
  };
}

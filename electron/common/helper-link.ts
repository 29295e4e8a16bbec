// Runtime: plain Node. The backend's live connection to the privileged helper: a HelperPort over
// helper-client.ts that connects in the background, reconnects when the helper goes
// away or comes back, subscribes to counters and the log, and turns helper events into app
// events. Invariants: no call is sent twice (a call that fails with the connection fails; the
// user retries); `helper:state` is emitted on every connect and disconnect, in the helper's order
// (never an older status after a newer one); after close(), no timer is left running.

import { ApiCallError, type EventName, type HelperStatus } from '../../shared/ipc/app-api.ts';
import {
  DEFAULT_SOCKET_PATH,
  type HelperCall,
  type HelperEventName,
  type HelperParams,
  type HelperResult,
  type HelperStatusResult,
} from '../../shared/ipc/helper-protocol.ts';
import { HelperCallError, HelperClient } from './helper-client.ts';
import {
  connectedStatus,
  helperUnavailableMessage,
  notConnectedStatus,
  type HelperPort,
} from './helper-port.ts';

export const DEFAULT_HELPER_SOCKET = DEFAULT_SOCKET_PATH;

export interface HelperLinkOptions {
  /** Delay between connection attempts while the helper is away. Default 2000 ms. */
  retryMs?: number;
  /** Counter stream interval (ticks: rates, histories). Default 1000 ms. */
  countersIntervalMs?: number;
  /**
   * Counts between ticks (`partial` ticks), read at most this often: how soon a packet's count
   * reaches the outline. Default `APP_COUNTS_MS`.
   */
  countsMs?: number;
}

/**
 * The app's counts rate: the helper reads counters 4 times a second (the quick readings dump
 * only the maps whose guards moved) and sends what moved at once, so a packet's number reaches
 * the outline within ~0.25 s plus the path instead of waiting up to a second for the tick.
 */
export const APP_COUNTS_MS = 250;

export function connectHelper(socketPath: string, options: HelperLinkOptions = {}): HelperPort {
  const listeners = new Set<(event: EventName, payload: unknown) => void>();
  let client: HelperClient | null = null;
  let connecting: Promise<HelperClient | null> | null = null;
  let retry: NodeJS.Timeout | undefined;
  let closed = false;
  /** Why the last attempt failed, shown in the status line. */
  let lastFailure: string | null = null;
  let announcedConnected: boolean | null = null;

  const emit = (event: EventName, payload: unknown) => {
    for (const listener of listeners) listener(event, payload);
  };

  function announce(status: HelperStatus): void {
    announcedConnected = status.connected;
    emit('helper:state', status);
  }

  function scheduleRetry(): void {
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      void ensureClient();
    }, options.retryMs ?? 2000);
    retry.unref?.();
  }

  /** The connected client, connecting now if needed; null when the helper is not there. */
  function ensureClient(): Promise<HelperClient | null> {
    if (client && !client.closed) return Promise.resolve(client);
    if (closed) return Promise.resolve(null);
    connecting ??= (async () => {
      try {
        const next = await HelperClient.connect(socketPath, { timeoutMs: 2000 });
        if (closed) {
          await next.close();
          return null;
        }
        client = next;
        lastFailure = null;
        attach(next);
        return next;
      } catch (error) {
        lastFailure = error instanceof Error ? error.message : String(error);
        if (announcedConnected !== false) {
          announce(notConnectedStatus(socketPath, helperUnavailableMessage(socketPath)));
        }
        scheduleRetry();
        return null;
      } finally {
        connecting = null;
      }
    })();
    return connecting;
  }

  function attach(next: HelperClient): void {
    /** `helper:state` events of this connection so far (see the connect status below). */
    let stateEvents = 0;
    next.onAny((event: HelperEventName, data: unknown) => {
      if (event === 'helper:state') {
        stateEvents++;
        emit('helper:state', connectedStatus(socketPath, data as HelperStatusResult));
      } else {
        // counters:tick, log:event, notify:event, triggered:changed: same schema on both sides.
        emit(event, data);
      }
    });
    next.onClose(() => {
      if (client === next) client = null;
      if (closed) return;
      announce(
        notConnectedStatus(socketPath, `The helper at ${socketPath} went away; reconnecting…`),
      );
      scheduleRetry();
    });
    void (async () => {
      try {
        const asked = stateEvents;
        const status = await next.call('status', {});
        // Its reply resolves a microtask after its line; a `helper:state` line read in between
        // is newer and already announced (connected): this reply would show stale state.
        if (stateEvents === asked) announce(connectedStatus(socketPath, status));
        else announcedConnected = true;
        await next.call('countersSubscribe', {
          intervalMs: options.countersIntervalMs ?? 1000,
          countsMs: options.countsMs ?? APP_COUNTS_MS,
        });
      } catch {
        // A helper that cannot stream counters still applies; the status line shows its error.
      }
      try {
        await next.call('logSubscribe', {});
      } catch {
        // No log reader on this machine (no tcpdump): the log view stays empty, nothing else.
      }
    })();
  }

  void ensureClient();

  return {
    connected: () => client !== null && !client.closed,

    async status() {
      const current = await ensureClient();
      if (!current) {
        return notConnectedStatus(
          socketPath,
          lastFailure
            ? `${helperUnavailableMessage(socketPath)} (${lastFailure})`
            : helperUnavailableMessage(socketPath),
        );
      }
      try {
        return connectedStatus(socketPath, await current.call('status', {}));
      } catch (error) {
        return notConnectedStatus(socketPath, (error as Error).message);
      }
    },

    async call<C extends HelperCall>(call: C, params: HelperParams<C>): Promise<HelperResult<C>> {
      const current = await ensureClient();
      if (!current) {
        throw new ApiCallError({
          code: 'helper-unavailable',
          message: helperUnavailableMessage(socketPath),
        });
      }
      try {
        return await current.call(call, params);
      } catch (error) {
        throw toApiError(error);
      }
    },

    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async close() {
      closed = true;
      clearTimeout(retry);
      listeners.clear();
      const current = client;
      client = null;
      await current?.close();
    },
  };
}

function toApiError(error: unknown): ApiCallError {
  if (!(error instanceof HelperCallError)) {
    return new ApiCallError({
      code: 'internal',
      message: String((error as Error)?.message ?? error),
    });
  }
  const extra = {
    ...(error.field ? { field: error.field } : {}),
    ...(error.problems ? { problems: error.problems } : {}),
  };
  switch (error.code) {
    case 'unreachable':
    case 'disconnected':
      return new ApiCallError({ code: 'helper-unavailable', message: error.message, ...extra });
    case 'invalid-document':
      return new ApiCallError({ code: 'invalid-document', message: error.message, ...extra });
    case 'bad-request':
      return new ApiCallError({ code: 'bad-request', message: error.message, ...extra });
    default:
      return new ApiCallError({ code: 'helper-error', message: error.message, ...extra });
  }
}

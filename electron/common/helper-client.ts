// Runtime: plain Node. The client library of the privileged helper: one Unix-socket connection,
// typed calls (`call('apply', {document})`), and event listeners. The CLI, Electron main and the
// browser host all talk to the helper through it.
// Invariant: every failure is a HelperCallError with a `code`; a helper that is not there is
// `unreachable` with a message that says how to start it; when the connection drops, every
// pending call rejects with `disconnected` (nothing hangs). No automatic reconnect: callers
// decide (HelperClient.connect again), so no call is silently sent twice.

import { createConnection, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  DEFAULT_SOCKET_PATH,
  decodeHelperMessage,
  encodeHelperMessage,
  helperCalls,
  helperEvents,
  isHelperEvent,
  MAX_MESSAGE_BYTES,
  responseSchema,
  type HelperCall,
  type HelperErrorCode,
  type HelperEventData,
  type HelperEventName,
  type HelperParams,
  type HelperResult,
} from '../../shared/ipc/helper-protocol.ts';
import type { Problem } from '../../shared/model/types.ts';
import { LineSplitter } from './lines.ts';

export { DEFAULT_SOCKET_PATH };

export type ClientErrorCode = HelperErrorCode | 'unreachable' | 'disconnected' | 'timeout';

/**
 * A call's parameters encoded once, to be sent to many helpers (the fleet sends one 10,000-rule
 * document, 1.7 MB of JSON, to every host of a group): `call(name, encoded)` writes exactly the
 * line `call(name, params)` would, without encoding the parameters again.
 */
export class EncodedParams<C extends HelperCall = HelperCall> {
  private constructor(
    readonly call: C,
    /** The parameters as the wire spells them (JSON, tags for dates and bytes). */
    readonly text: string,
  ) {}

  static of<C extends HelperCall>(call: C, params: HelperParams<C>): EncodedParams<C> {
    return new EncodedParams(call, encodeHelperMessage(params));
  }
}

export class HelperCallError extends Error {
  readonly code: ClientErrorCode;
  readonly field: string | undefined;
  readonly problems: Problem[] | undefined;
  constructor(code: ClientErrorCode, message: string, field?: string, problems?: Problem[]) {
    super(message);
    this.name = 'HelperCallError';
    this.code = code;
    this.field = field;
    this.problems = problems;
  }
}

export const unreachableMessage = (socketPath: string, reason = 'nothing answers'): string =>
  `helper unreachable at ${socketPath} (${reason}): is the helper running? start it with ` +
  `\`sudo treewall helper --socket ${socketPath}\` (or \`sudo systemctl start treewall-helper\`)`;

export interface ConnectOptions {
  /** Give up connecting after this long. Default 3000 ms. */
  timeoutMs?: number;
  /** Validate results and events with the protocol schemas (default true). */
  validate?: boolean;
}

export interface CallOptions {
  /** Reject with `timeout` after this long (default: none; apply of a large document is slow). */
  timeoutMs?: number;
  /**
   * Validate this call's result (default: the client's setting). `false` lets a client read a
   * helper of another protocol version's `status` (the fleet's version check on connect).
   */
  validate?: boolean;
}

interface Pending {
  call: HelperCall;
  validate: boolean;
  resolve: (value: unknown) => void;
  reject: (error: HelperCallError) => void;
  timer: NodeJS.Timeout | undefined;
}

type AnyListener = (event: HelperEventName, data: unknown) => void;

export class HelperClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<HelperEventName, Set<(data: never) => void>>();
  private readonly anyListeners = new Set<AnyListener>();
  private readonly closeListeners = new Set<(error: HelperCallError | undefined) => void>();
  private readonly splitter = new LineSplitter(MAX_MESSAGE_BYTES);
  private isClosed = false;

  private constructor(
    private readonly socket: Duplex,
    /** The socket's path, or for a stream what it is (`ssh web-1`), for messages. */
    readonly socketPath: string,
    private readonly validate: boolean,
  ) {
    socket.on('data', (chunk: Buffer) => {
      for (const item of this.splitter.push(chunk)) {
        if (item.kind === 'line') this.onLine(item.text);
        else this.fail(new HelperCallError('internal', 'helper sent an oversized message'));
      }
    });
    socket.on('error', (error) => this.fail(connectionError(socketPath, error)));
    socket.on('close', () => this.fail(undefined));
  }

  /** Connect to the helper. Rejects with HelperCallError `unreachable` when nobody listens. */
  static connect(
    socketPath: string = DEFAULT_SOCKET_PATH,
    options: ConnectOptions = {},
  ): Promise<HelperClient> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(socketPath);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new HelperCallError('unreachable', unreachableMessage(socketPath, 'timed out')));
      }, options.timeoutMs ?? 3000);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new HelperClient(socket, socketPath, options.validate ?? true));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(connectionError(socketPath, error));
      });
    });
  }

  /**
   * A client over any byte stream that carries the helper protocol (the fleet's ssh session to
   * a remote `treewall helper-bridge`). `label` names it in messages. The stream is the caller's
   * to set up; the client ends it on close().
   */
  static overStream(stream: Duplex, label: string, options: ConnectOptions = {}): HelperClient {
    return new HelperClient(stream, label, options.validate ?? true);
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Call the helper; resolves to the typed result or rejects with HelperCallError. */
  call<C extends HelperCall>(
    call: C,
    params: HelperParams<C> | EncodedParams<C>,
    options: CallOptions = {},
  ): Promise<HelperResult<C>> {
    if (params instanceof EncodedParams && params.call !== call) {
      return Promise.reject(
        new HelperCallError('internal', `${call}: parameters encoded for ${params.call}`),
      );
    }
    if (this.isClosed) {
      return Promise.reject(
        new HelperCallError(
          'disconnected',
          `connection to the helper at ${this.socketPath} is closed`,
        ),
      );
    }
    const id = this.nextId++;
    return new Promise<HelperResult<C>>((resolve, reject) => {
      const timer =
        options.timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              this.pending.delete(id);
              reject(
                new HelperCallError(
                  'timeout',
                  `${call}: no answer from the helper in ${options.timeoutMs} ms`,
                ),
              );
            }, options.timeoutMs);
      this.pending.set(id, {
        call,
        validate: options.validate ?? this.validate,
        resolve: resolve as (value: unknown) => void,
        reject,
        timer,
      });
      // The message's keys in the order encodeHelperMessage({ id, call, params }) writes them.
      const line =
        params instanceof EncodedParams
          ? `{"id":${id},"call":${JSON.stringify(call)},"params":${params.text}}`
          : encodeHelperMessage({ id, call, params });
      this.socket.write(line + '\n');
    });
  }

  /** Listen to one event; returns the function that stops listening. */
  on<E extends HelperEventName>(
    event: E,
    listener: (data: HelperEventData<E>) => void,
  ): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (data: never) => void);
    return () => set.delete(listener as (data: never) => void);
  }

  /** Listen to every event (for forwarding, e.g. the browser host). */
  onAny(listener: AnyListener): () => void {
    this.anyListeners.add(listener);
    return () => this.anyListeners.delete(listener);
  }

  /** Called once when the connection ends; `error` is undefined for a clean close by us. */
  onClose(listener: (error: HelperCallError | undefined) => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  close(): Promise<void> {
    if (this.isClosed) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.isClosed = true;
      this.rejectAll(new HelperCallError('disconnected', 'the client closed the connection'));
      for (const l of this.closeListeners) l(undefined);
      this.closeListeners.clear();
      this.socket.end();
      const socket = this.socket as Partial<Socket>;
      if (typeof socket.destroySoon === 'function') socket.destroySoon();
    });
  }

  /* ---- internals ---- */

  private onLine(text: string): void {
    let message: unknown;
    try {
      message = decodeHelperMessage(text);
    } catch {
      this.fail(new HelperCallError('internal', 'helper sent a line that is not JSON'));
      return;
    }
    if (message && typeof message === 'object' && 'event' in message) {
      this.dispatchEvent(message as { event: unknown; data: unknown });
      return;
    }
    const parsed = responseSchema.safeParse(message);
    if (!parsed.success || typeof parsed.data.id !== 'number') return;
    const pending = this.pending.get(parsed.data.id);
    if (!pending) return;
    this.pending.delete(parsed.data.id);
    if (pending.timer) clearTimeout(pending.timer);
    const reply = parsed.data;
    if (!reply.ok) {
      const e = reply.error;
      pending.reject(
        new HelperCallError(e.code, e.message, e.field, e.problems as Problem[] | undefined),
      );
      return;
    }
    if (!pending.validate) {
      pending.resolve(reply.result);
      return;
    }
    const result = helperCalls[pending.call].result.safeParse(reply.result);
    if (result.success) pending.resolve(result.data);
    else {
      const issue = result.error.issues[0];
      pending.reject(
        new HelperCallError(
          'internal',
          `${pending.call}: the helper's reply does not match the protocol (${issue?.path.join('.')}: ${issue?.message}); are the app and the helper the same version?`,
        ),
      );
    }
  }

  private dispatchEvent(message: { event: unknown; data: unknown }): void {
    const name = message.event;
    if (!isHelperEvent(name)) return;
    let data = message.data;
    if (this.validate) {
      const parsed = helperEvents[name].safeParse(data);
      if (!parsed.success) return;
      data = parsed.data;
    }
    for (const l of this.listeners.get(name) ?? []) l(data as never);
    for (const l of this.anyListeners) l(name, data);
  }

  private rejectAll(error: HelperCallError): void {
    for (const p of this.pending.values()) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(error);
    }
    this.pending.clear();
  }

  private fail(error: HelperCallError | undefined): void {
    if (this.isClosed) return;
    this.isClosed = true;
    const reason =
      error ??
      new HelperCallError('disconnected', `the helper at ${this.socketPath} closed the connection`);
    this.rejectAll(reason);
    for (const l of this.closeListeners) l(reason);
    this.closeListeners.clear();
    this.socket.destroy();
  }
}

function connectionError(socketPath: string, error: Error): HelperCallError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT')
    return new HelperCallError('unreachable', unreachableMessage(socketPath, 'no socket'));
  if (code === 'ECONNREFUSED') {
    return new HelperCallError('unreachable', unreachableMessage(socketPath, 'connection refused'));
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new HelperCallError(
      'unreachable',
      `helper at ${socketPath}: permission denied. Only root and members of the helper's socket ` +
        `group may talk to it (\`treewall helper --socket-group GROUP\`); run with sudo or join that group`,
    );
  }
  return new HelperCallError('disconnected', `helper at ${socketPath}: ${error.message}`);
}

/** Connect, run one function, close. */
export async function withHelper<T>(
  socketPath: string,
  fn: (client: HelperClient) => Promise<T>,
  options: ConnectOptions = {},
): Promise<T> {
  const client = await HelperClient.connect(socketPath, options);
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

// Runtime: plain Node, as root. The helper's Unix-socket server: `treewall helper` in the
// foreground. Newline-delimited JSON (shared/ipc/helper-protocol.ts), many clients at once.
// Invariants:
// - Every line is validated at the edge; bad input gets an error reply naming the field and costs
//   nothing else: no state changes, other clients keep being served, the helper never exits on it.
// - Who may connect is decided by the socket's mode and group (0660 root:GROUP by default; with no
//   group, root only), set before the first client can connect.
// - SIGTERM/SIGINT close the socket and leave the kernel rules in force.

import { promises as fs } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import {
  decodeHelperMessage,
  encodeHelperMessage,
  MAX_MESSAGE_BYTES,
  parseHelperRequest,
  type HelperError,
  type HelperEventData,
  type HelperEventName,
  type HelperRequest,
  type RequestId,
} from '../../shared/ipc/helper-protocol.ts';
import { InputBudget, LineSplitter } from '../common/lines.ts';
import { HelperFault, HelperService, type ClientHandle, type ServiceOptions } from './service.ts';
import { steps, type Steps } from './timings.ts';
import { listInterfaces } from './interfaces.ts';
import { startWarmUp } from './warmup.ts';

export interface HelperServerOptions extends ServiceOptions {
  /** Socket file mode (default 0o660). */
  socketMode?: number;
  /** Group allowed to connect (name or gid); absent: root's group. */
  socketGroup?: string | number;
  applySaved?: boolean;
  /** Where progress lines go (default: stderr). */
  log?: (line: string) => void;
  /** Bytes of input all clients together may hold (default HELPER_INPUT_BUDGET). */
  inputBudgetBytes?: number;
  /**
   * Warm V8 up after listening (`warmup.ts`; default true; TREEWALL_HELPER_WARMUP=0 turns it off,
   * to measure what it saves).
   */
  warmUp?: boolean;
}

/**
 * Input all connections together may hold, being read or waiting for its answer: two lines of
 * the largest size. Per-connection caps alone let eight clients sending 60 MiB lines take the
 * helper from 79 to 562 MiB.
 */
export const HELPER_INPUT_BUDGET = MAX_MESSAGE_BYTES + 32 * 1024 * 1024;

/**
 * Node options the helper is started with (resources/treewall-helper passes the same; so does the
 * benchmark): an apply's document, compiled program and JSON (~100 MB at 10,000 rules) die young,
 * and a larger young generation copies fewer of them (A/B at 10,000 rules: 320 -> 240 ms of CPU
 * per apply).
 */
export const HELPER_NODE_OPTIONS = ['--max-semi-space-size=64'] as const;

/** Bytes a slow client may have queued before it is disconnected (it stopped reading). */
const MAX_QUEUED_BYTES = 256 * 1024 * 1024;

export class HelperServer {
  readonly service: HelperService;
  private server: Server | undefined;
  private nextClient = 1;
  private readonly sockets = new Set<Socket>();
  readonly inputBudget: InputBudget;
  private readonly log: (line: string) => void;
  /** Requests parsed and not yet answered (the warm-up runs only while there are none). */
  private inFlight = 0;
  private stopWarmUp: (() => void) | undefined;

  constructor(readonly options: HelperServerOptions) {
    this.service = new HelperService(options);
    this.inputBudget = new InputBudget(options.inputBudgetBytes ?? HELPER_INPUT_BUDGET);
    this.log = options.log ?? ((line) => process.stderr.write(`treewall helper: ${line}\n`));
  }

  async start(): Promise<void> {
    const socketPath = this.options.socketPath;
    await fs.mkdir(path.dirname(socketPath), { recursive: true, mode: 0o755 });
    await removeStaleSocket(socketPath);
    for (const note of await this.service.start({ applySaved: this.options.applySaved ?? false }))
      this.log(note);

    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    // The socket file appears at listen(); create it with no permissions for others, then set
    // mode and group before anyone but root could have connected.
    const oldMask = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(socketPath, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } finally {
      process.umask(oldMask);
    }
    const gid = await resolveGroup(this.options.socketGroup);
    if (gid !== undefined) await fs.chown(socketPath, 0, gid);
    await fs.chmod(socketPath, this.options.socketMode ?? 0o660);
    server.on('error', (error) => this.log(`socket error: ${error.message}`));
    this.log(
      `listening on ${socketPath} (state in ${this.options.stateDir}, NFLOG group ${this.options.logGroup})`,
    );
    if ((this.options.warmUp ?? true) && process.env.TREEWALL_HELPER_WARMUP !== '0') {
      this.stopWarmUp = startWarmUp({
        idle: () => this.inFlight === 0,
        logGroup: this.options.logGroup,
        tableName: this.options.table ?? 'treewall',
      });
    }
  }

  async close(): Promise<void> {
    this.stopWarmUp?.();
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    await fs.rm(this.options.socketPath, { force: true });
    await this.service.close();
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    const splitter = new LineSplitter(MAX_MESSAGE_BYTES, this.inputBudget);
    let open = true;
    const write = (message: unknown): void => {
      if (!open || socket.destroyed) return;
      if (socket.writableLength > MAX_QUEUED_BYTES) {
        // A client that stopped reading must not grow our memory without bound.
        socket.destroy();
        return;
      }
      socket.write(encodeHelperMessage(message) + '\n');
    };
    const client: ClientHandle = {
      id: this.nextClient++,
      send: <E extends HelperEventName>(event: E, data: HelperEventData<E>) =>
        write({ event, data }),
    };
    this.service.clients.add(client);
    // Requests of one client are answered in order (a status after an apply sees the apply).
    let chain: Promise<void> = Promise.resolve();

    // When the first chunk of the line being read arrived (for TREEWALL_HELPER_TIMINGS).
    let lineSince: number | undefined;
    socket.on('data', (chunk: Buffer) => {
      // Defence in depth: nothing one client sends may end the process (it holds every other
      // client's connection and a pending rollback). The edge refuses what could throw; if
      // something still does, that client gets an `internal` reply and the others never notice.
      try {
        onData(chunk);
      } catch (error) {
        this.log(`internal error reading from client ${client.id}: ${describe(error)}`);
        write({ id: null, ok: false, error: { code: 'internal', message: describe(error) } });
      }
    });
    const onData = (chunk: Buffer): void => {
      lineSince ??= performance.now();
      const items = splitter.push(chunk);
      const since = lineSince;
      if (items.length > 0) lineSince = chunk.at(-1) === 0x0a ? undefined : performance.now();
      for (const item of items) {
        if (item.kind === 'oversized') {
          write({
            id: null,
            ok: false,
            error: {
              code: 'too-large',
              message: `message: longer than ${MAX_MESSAGE_BYTES} bytes; the rest of the line is ignored`,
              field: 'message',
            },
          });
          continue;
        }
        if (item.kind === 'over-budget') {
          write({
            id: null,
            ok: false,
            error: {
              code: 'too-large',
              message: `message: the helper already holds ${mib(this.inputBudget.used)} of input from its clients (at most ${mib(this.inputBudget.max)} together); the line is ignored, send it again later`,
              field: 'message',
            },
          });
          continue;
        }
        const times = steps(since);
        // The line's bytes stay taken from the budget until its answer is written.
        const held = item.bytes;
        let reply;
        try {
          reply = this.parseLine(item.text, times);
        } catch (error) {
          this.inputBudget.give(held);
          throw error;
        }
        if ('error' in reply) {
          this.inputBudget.give(held);
          write({ id: reply.id, ok: false, error: reply.error });
          continue;
        }
        const request = reply.request;
        this.inFlight++;
        chain = chain
          .then(async () => {
            times.mark('queued');
            const response = await this.dispatch(client, request, times);
            write(response);
            times.mark('reply');
            times.done(request.call);
          })
          .catch((error: unknown) => {
            this.log(`internal error answering ${request.call}: ${describe(error)}`);
            write({
              id: request.id,
              ok: false,
              error: { code: 'internal', message: `${request.call}: ${describe(error)}` },
            });
          })
          .finally(() => {
            this.inFlight--;
            this.inputBudget.give(held);
          });
      }
    };
    const gone = (): void => {
      if (!open) return;
      open = false;
      splitter.dispose();
      this.sockets.delete(socket);
      this.service.clients.delete(client);
    };
    socket.on('error', gone);
    socket.on('close', gone);
  }

  private parseLine(
    text: string,
    times: Steps,
  ): { request: HelperRequest } | { id: RequestId | null; error: HelperError } {
    let message: unknown;
    try {
      message = decodeHelperMessage(text);
      times.mark('json');
    } catch (error) {
      return {
        id: null,
        error: {
          code: 'bad-request',
          message: `message: not JSON (${(error as Error).message})`,
          field: 'message',
        },
      };
    }
    const parsed = parseHelperRequest(message);
    times.mark('schema');
    return parsed.ok ? { request: parsed.request } : { id: parsed.id, error: parsed.error };
  }

  private async dispatch(
    client: ClientHandle,
    request: HelperRequest,
    times: Steps,
  ): Promise<unknown> {
    try {
      const result = await this.handle(client, request, times);
      return { id: request.id, ok: true, result };
    } catch (error) {
      if (error instanceof HelperFault) return { id: request.id, ok: false, error: error.error };
      this.log(`internal error in ${request.call}: ${(error as Error).stack ?? String(error)}`);
      return {
        id: request.id,
        ok: false,
        error: { code: 'internal', message: `${request.call}: ${(error as Error).message}` },
      };
    }
  }

  private handle(client: ClientHandle, r: HelperRequest, times: Steps): Promise<unknown> | unknown {
    const s = this.service;
    switch (r.call) {
      case 'status':
        return s.status();
      case 'apply':
        return s.apply(r.params.document, r.params.confirmTimeoutSeconds, times, client);
      case 'confirm':
        return s.confirm();
      case 'revert':
        return s.revert(client);
      case 'revertPending':
        return s.revertPending(r.params.appliedAt, client);
      case 'showActive':
        return s.showActive(r.params.withText ?? true);
      case 'stop':
        return s.stop();
      case 'counters':
        return s.counterSnapshot();
      case 'countersSubscribe':
        return s.subscribeCounters(client, r.params.intervalMs ?? 1000, r.params.countsMs);
      case 'countersUnsubscribe':
        s.unsubscribeCounters(client);
        return {};
      case 'triggered.list':
        return s.triggeredList(r.params.type);
      case 'triggered.add':
        return s.triggeredAdd(r.params.address, r.params.type, r.params.durationSeconds);
      case 'triggered.remove':
        return s.triggeredRemove(r.params.address, r.params.type);
      case 'triggered.flush':
        return s.triggeredFlush(r.params.type);
      case 'triggered.import':
        return s.triggeredImport(r.params.text);
      case 'triggered.export':
        return s.triggeredExport(r.params.type);
      case 'interfaces':
        return listInterfaces();
      case 'logSubscribe':
        return s.subscribeLog(client);
      case 'logUnsubscribe':
        client.log = false;
        return {};
    }
  }
}

const describe = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

/** A socket file nobody answers on is a leftover of a crashed run; a live one is refused. */
async function removeStaleSocket(socketPath: string): Promise<void> {
  let stat;
  try {
    stat = await fs.lstat(socketPath);
  } catch {
    return;
  }
  // Never remove a regular file or a symlink someone pointed --socket at: only a socket.
  if (!stat.isSocket())
    throw new Error(`${socketPath} exists and is not a socket; not removing it`);
  const alive = await new Promise<boolean>((resolve) => {
    const s = createConnection(socketPath);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
  if (alive) throw new Error(`another helper is already listening on ${socketPath}`);
  await fs.rm(socketPath, { force: true });
}

async function resolveGroup(group: string | number | undefined): Promise<number | undefined> {
  if (group === undefined) return undefined;
  if (typeof group === 'number' || /^\d+$/.test(group)) return Number(group);
  const text = await fs.readFile('/etc/group', 'utf8');
  for (const line of text.split('\n')) {
    const [name, , gid] = line.split(':');
    if (name === group && gid !== undefined) return Number(gid);
  }
  throw new Error(`unknown group '${group}' (see /etc/group)`);
}

/** Run the helper until SIGTERM/SIGINT. Resolves with the exit code. */
export async function runHelper(options: HelperServerOptions): Promise<number> {
  const server = new HelperServer(options);
  try {
    await server.start();
  } catch (error) {
    process.stderr.write(`treewall helper: ${(error as Error).message}\n`);
    await server.service.close().catch(() => undefined);
    return 1;
  }
  return new Promise<number>((resolve) => {
    const shutdown = (signal: string) => {
      process.stderr.write(`treewall helper: ${signal}: closing; the kernel rules stay in force\n`);
      void server.close().then(() => resolve(0));
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
}

const mib = (bytes: number): string => `${Math.round(bytes / 1048576)} MiB`;

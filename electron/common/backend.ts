// Runtime: plain Node (never imports electron). The backend behind `window.treewall`, shared by
// the Electron main process and the browser host: one handler per app-api channel, each request
// validated with the contract's schema before any handler sees it.
// Invariants: `handle()` never throws (every failure is an ApiResult naming what went wrong);
// the browser host never reads or writes outside its folder; Electron only touches files the
// user chose (dialogs, recent list, the file a window was opened for).

import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  ApiCallError,
  appEvents,
  failure,
  FORWARDED_CALLS,
  FORWARDED_HELPER_CALLS,
  forwardChannel,
  hostChannel,
  isChannel,
  parseRequest,
  recoveryEntrySchema,
  success,
  type ApiErrorCode,
  type ApiResult,
  type Channel,
  type ChannelRequest,
  type ChannelResponse,
  type EventName,
  type EventPayload,
  type FileEntry,
  type ForwardedChannel,
  type HelperStatus,
  type HostForwardedChannel,
  type HostKind,
  type RecoveryEntry,
  type Unsubscribe,
} from '../../shared/ipc/app-api.ts';
import { decodeWire, encodeWire } from '../../shared/ipc/wire.ts';
import { isGzip } from '../../shared/ipc/gzip.ts';
import { MAX_MESSAGE_BYTES } from '../../shared/ipc/helper-protocol.ts';
import type { FirewallDocument } from '../../shared/model/types.ts';
import {
  MAX_NESTING,
  documentNestingError,
  type HelperStatusResult,
} from '../../shared/ipc/helper-protocol.ts';
import { writeFileAtomic } from './document-files.ts';
import { connectedStatus, type HelperPort } from './helper-port.ts';
import { noFleet, type FleetPort } from './fleet-port.ts';

/** xml: treewall's document; next: NeXT text; nsy: IPNetSentryX's own document form. */
export type DocumentFormat = 'xml' | 'next' | 'nsy';

/** How documents become bytes; electron/common/document-files.ts in production. */
export interface DocumentCodec {
  read(
    absolutePath: string,
  ): Promise<{ document: FirewallDocument; format: DocumentFormat; notes?: string[] }>;
  writeAtomic(
    absolutePath: string,
    document: FirewallDocument,
    format: DocumentFormat,
  ): Promise<void>;
  factoryDefault(): Promise<FirewallDocument>;
  /**
   * Whether an existing file holds a document of this codec's kind (or is empty): Save asks
   * before replacing anything else. Absent: every file counts as one.
   */
  isDocument?(absolutePath: string): Promise<boolean>;
}

/** Native dialogs (Electron only). Each resolves to an absolute path, or null when cancelled. */
export interface Dialogs {
  open(context: CallContext): Promise<string | null>;
  save(context: CallContext, suggestedName: string): Promise<string | null>;
}

export interface CallContext {
  /** A stable id for the window (Electron) or WebSocket connection (browser host). */
  client: string;
  /** The file this window was opened for (absolute in Electron, folder-relative in the host). */
  initialPath: string | null;
}

export interface BackendOptions {
  host: HostKind;
  version: string;
  /** Browser host: the folder documents live in (every path must stay inside). Electron: null. */
  folder: string | null;
  /** Where recent.json and recovery/ live. */
  stateDir: string;
  helperSocket: string;
  codec: DocumentCodec;
  helper: HelperPort;
  /** The fleet (issue 17): other hosts' helpers over ssh. Absent: no fleet (empty list). */
  fleet?: FleetPort;
  dialogs?: Dialogs;
  /** The system clipboard (Electron). Without it, an in-memory clipboard. */
  clipboard?: { readText(): Promise<string>; writeText(text: string): Promise<void> };
  /** Title bar and dirty state (Electron). */
  setWindowState?: (context: CallContext, state: ChannelRequest<'window:setState'>) => void;
}

type Handlers = {
  [C in Channel]: (request: ChannelRequest<C>, context: CallContext) => Promise<ChannelResponse<C>>;
};

export interface Backend {
  handle(channel: unknown, request: unknown, context: CallContext): Promise<ApiResult<unknown>>;
  /**
   * Browser host: a page that will open `path` is loading (`?path=` on its URL), so start
   * reading that document now, while the page boots; its `document:open` then takes the result
   * if the file has not changed since (same inode, size, times), else reads it again. One
   * prefetch at a time, dropped unused after PREFETCH_TTL_MS. Never throws; a path outside the
   * folder is simply not prefetched (the open then refuses it as usual). The promise settles
   * (never rejects) when the read is done; callers need not wait (tests do, instead of sleeping).
   */
  prefetch(path: string, context: CallContext): Promise<void>;
  /** Every event for every client; transports fan them out. */
  onEvent(listener: (event: EventName, payload: unknown) => void): Unsubscribe;
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void;
  /** A window or connection went away. */
  disconnect(client: string): void;
  close(): Promise<void>;
}

const RECENT_LIMIT = 10;
/** How long a prefetched document waits for its `document:open`. */
const PREFETCH_TTL_MS = 30_000;

/** What identifies a file's content without reading it: a save (atomic rename) changes the inode,
 * an edit in place the size or the modification time (nanoseconds). */
async function fileSignature(absolute: string): Promise<string> {
  const s = await fs.stat(absolute, { bigint: true });
  return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
}

type ReadResult = Awaited<ReturnType<DocumentCodec['read']>>;

interface Prefetch {
  /** The path as the page's URL gave it. */
  requested: string;
  /** The file, its signature taken before the read began, and the read's outcome. */
  result: Promise<{ absolute: string; signature: string; read: ReadResult } | null>;
  timer: ReturnType<typeof setTimeout>;
}

const fail = (code: ApiErrorCode, message: string) => new ApiCallError({ code, message });

/** The format a file name suggests when the caller does not say. */
export function formatForPath(file: string): DocumentFormat {
  if (/\.nsy$/i.test(file)) return 'nsy';
  return /\.(txt|next|openstep|strings)$/i.test(file) ? 'next' : 'xml';
}

/** An autosave's `documentText` (wire JSON), checked as a `document` in its place would be. */
function documentFromText(request: ChannelRequest<'document:autosave'>): FirewallDocument {
  let decoded: unknown;
  try {
    const text = request.documentText ?? '';
    decoded = decodeWire(
      typeof text === 'string'
        ? text
        : new TextDecoder('utf-8', { fatal: true }).decode(
            isGzip(text) ? gunzipSync(text, { maxOutputLength: MAX_MESSAGE_BYTES }) : text,
          ),
    );
  } catch {
    throw fail('bad-request', 'document:autosave: documentText: not UTF-8 JSON');
  }
  const { documentText: _text, ...rest } = request;
  const checked = parseRequest('document:autosave', { ...rest, document: decoded });
  if (!checked.ok) throw new ApiCallError(checked.error);
  return checked.value.document!;
}

export function createBackend(options: BackendOptions): Backend {
  const listeners = new Set<(event: EventName, payload: unknown) => void>();
  /** Absolute paths Electron may touch: ones the user chose, recent files, initial paths. */
  const allowed = new Set<string>();
  /** Recovery keys autosaved by clients still connected: not offered for recovery. */
  const liveKeys = new Map<string, string>();
  let memoryClipboard = '';
  const folder = options.folder === null ? null : path.resolve(options.folder);
  const recoveryDir = path.join(options.stateDir, 'recovery');
  let prefetched: Prefetch | null = null;

  /** The document at `absolute`: the prefetched read when it is of this very file, unchanged
   * since it began, else a fresh read. */
  async function readDocument(requested: string, absolute: string): Promise<ReadResult> {
    const early = prefetched?.requested === requested ? prefetched : null;
    if (early) {
      clearTimeout(early.timer);
      prefetched = null;
      const done = await early.result;
      if (
        done !== null &&
        done.absolute === absolute &&
        done.signature === (await fileSignature(absolute).catch(() => null))
      ) {
        return done.read;
      }
    }
    return options.codec.read(absolute);
  }
  const recentFile = path.join(options.stateDir, 'recent.json');

  /** Events come from our own code; a malformed one is a bug to catch here, not in the UI. */
  const emit = (event: EventName, payload: unknown) => {
    const checked = appEvents[event].safeParse(payload);
    if (!checked.success) {
      console.error(`treewall: dropped malformed ${event} event: ${checked.error.message}`);
      return;
    }
    for (const listener of listeners) listener(event, checked.data);
  };
  const unsubscribeHelper = options.helper.onEvent(emit);
  const fleet = options.fleet ?? noFleet();
  const unsubscribeFleet = fleet.onEvent(emit);

  /* ---- paths ---- */

  /** The absolute path for a request's path, or a `forbidden` error. */
  async function resolveDocumentPath(requested: string, context: CallContext): Promise<string> {
    if (requested.includes('\0')) throw fail('bad-request', 'path: contains a NUL character');
    if (folder === null) {
      const absolute = path.resolve(requested);
      if (!path.isAbsolute(requested)) throw fail('bad-request', 'path: must be absolute');
      if (!allowed.has(absolute) && context.initialPath !== absolute) {
        throw fail(
          'forbidden',
          `${requested}: not a file you opened or chose; use Open or Save As`,
        );
      }
      return absolute;
    }
    const absolute = path.resolve(folder, requested);
    if (!isInside(folder, absolute)) {
      throw fail('forbidden', `${requested}: outside the served folder ${folder}`);
    }
    // A symlink inside the folder must not lead outside it either.
    const realFolder = await fs.realpath(folder);
    const realTarget = await realpathOfExistingPart(absolute);
    if (!isInside(realFolder, realTarget)) {
      throw fail('forbidden', `${requested}: leads outside the served folder ${folder}`);
    }
    return absolute;
  }

  /** What the renderer sees: folder-relative in the host, absolute in Electron. */
  const displayPath = (absolute: string) =>
    folder === null ? absolute : path.relative(folder, absolute).split(path.sep).join('/');

  /* ---- recent files ---- */

  async function readRecent(): Promise<string[]> {
    try {
      const list: unknown = JSON.parse(await fs.readFile(recentFile, 'utf8'));
      return Array.isArray(list) ? list.filter((p): p is string => typeof p === 'string') : [];
    } catch {
      return [];
    }
  }

  async function addRecent(absolute: string): Promise<void> {
    allowed.add(absolute);
    const list = [absolute, ...(await readRecent()).filter((p) => p !== absolute)].slice(
      0,
      RECENT_LIMIT,
    );
    await fs.mkdir(options.stateDir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(recentFile, JSON.stringify(list, null, 2), { mode: 0o600 });
  }

  async function fileEntry(absolute: string): Promise<FileEntry | null> {
    try {
      const stat = await fs.stat(absolute);
      if (!stat.isFile()) return null;
      return {
        path: displayPath(absolute),
        name: path.basename(absolute),
        size: stat.size,
        modified: stat.mtime.toISOString(),
      };
    } catch {
      return null;
    }
  }

  /* ---- recovery ---- */

  const recoveryFile = (key: string) =>
    path.join(recoveryDir, `${createHash('sha256').update(key).digest('hex').slice(0, 32)}.json`);

  /* ---- handlers ---- */

  /**
   * Every channel that forwards a helper call (FORWARDED_HELPER_CALLS), by one generic handler:
   * the call of the same name with the request as its params (validated at the edge with the
   * call's own schema), its result as is, or as the app's HelperStatus. (Object.fromEntries
   * forgets the keys; the channel list and its types are derived from the same table.)
   */
  const forwarders = Object.fromEntries(
    FORWARDED_CALLS.map((call) => [
      forwardChannel(call),
      async (request: unknown) => {
        const result = await options.helper.call(call, request as never);
        return FORWARDED_HELPER_CALLS[call] === 'status'
          ? appStatus(result as HelperStatusResult)
          : result;
      },
    ]),
  ) as unknown as Pick<Handlers, ForwardedChannel>;

  /** The same calls aimed at one fleet host (`host:apply` ...), by one generic handler too. */
  const hostForwarders = Object.fromEntries(
    FORWARDED_CALLS.map((call) => [
      hostChannel(call),
      async (request: { host: string; params: unknown }) => {
        const result = await fleet.call(request.host, call, request.params as never);
        return FORWARDED_HELPER_CALLS[call] === 'status'
          ? connectedStatus(`ssh:${request.host}`, result as HelperStatusResult)
          : result;
      },
    ]),
  ) as unknown as Pick<Handlers, HostForwardedChannel>;

  const ownHandlers: Omit<Handlers, ForwardedChannel | HostForwardedChannel> = {
    'app:info': async (_request, context) => ({
      host: options.host,
      version: options.version,
      helperSocket: options.helperSocket,
      helperConnected: options.helper.connected(),
      nativeDialogs: options.dialogs !== undefined,
      folder,
      initialPath: context.initialPath,
    }),

    'document:new': async () => ({
      document: await options.codec.factoryDefault(),
      path: null,
      name: 'Untitled',
      format: 'xml',
    }),

    'document:open': async (request, context) => {
      let absolute: string;
      if (request.path === undefined) {
        if (!options.dialogs) {
          throw fail(
            'unsupported',
            'document:open needs a path here; list files with document:list',
          );
        }
        const chosen = await options.dialogs.open(context);
        if (chosen === null) return null;
        absolute = path.resolve(chosen);
        allowed.add(absolute);
      } else {
        absolute = await resolveDocumentPath(request.path, context);
      }
      const { document, format, notes } =
        request.path === undefined
          ? await options.codec.read(absolute)
          : await readDocument(request.path, absolute);
      // What opens must save: a save request carries the document one level down, under the
      // same nesting limit as every request (MAX_NESTING).
      const deep = documentNestingError(document, MAX_NESTING - 1);
      if (deep !== null) {
        throw fail(
          'parse-error',
          `${path.basename(absolute)}: rules or values nested deeper than treewall can save (${MAX_NESTING - 1} levels${deep ? `, at ${deep}` : ''})`,
        );
      }
      await addRecent(absolute);
      return {
        document,
        format,
        path: displayPath(absolute),
        name: path.basename(absolute),
        ...(notes && notes.length > 0 ? { notes } : {}),
      };
    },

    'document:save': async (request, context) => {
      let absolute: string;
      /** The native save dialog asked about replacing an existing file itself. */
      let fromDialog = false;
      if (!request.path || request.saveAs) {
        if (!options.dialogs) {
          if (!request.path) throw fail('bad-request', 'path: a file name is needed to save here');
          absolute = await resolveDocumentPath(request.path, context);
        } else {
          const base = request.path ? path.basename(request.path) : 'Untitled.treewall';
          // Save As IPNetSentryX document: suggest the same name ending in .nsy.
          const suggested =
            request.format === 'nsy' ? `${base.replace(/\.[^.]*$/, '') || 'Untitled'}.nsy` : base;
          const chosen = await options.dialogs.save(context, suggested);
          if (chosen === null) return null;
          absolute = path.resolve(chosen);
          fromDialog = true;
          allowed.add(absolute);
        }
      } else {
        absolute = await resolveDocumentPath(request.path, context);
      }
      const format = request.format ?? formatForPath(absolute);
      // Replacing a file that is not a treewall document needs the user's yes (the renderer
      // asks and saves again with overwrite); a document, or a new file, is saved at once.
      if (
        !request.overwrite &&
        !fromDialog &&
        options.codec.isDocument &&
        !(await options.codec.isDocument(absolute).catch(() => true))
      ) {
        throw fail(
          'exists',
          `${path.basename(absolute)} already exists and is not a treewall document; saving replaces it`,
        );
      }
      await options.codec.writeAtomic(absolute, request.document, format);
      await addRecent(absolute);
      if (request.recoveryKey) await discardRecovery(request.recoveryKey);
      return { path: displayPath(absolute), name: path.basename(absolute), format };
    },

    'document:list': async (request, context) => {
      if (folder === null) throw fail('unsupported', 'document:list is for the browser host');
      const dir = request.dir ? await resolveDocumentPath(request.dir, context) : folder;
      const names = await fs.readdir(dir);
      const files: FileEntry[] = [];
      for (const name of names.sort()) {
        if (name.startsWith('.')) continue;
        const entry = await fileEntry(path.join(dir, name));
        if (entry) files.push(entry);
      }
      return { folder: displayPath(dir) || '.', files };
    },

    'document:recent': async () => {
      const files: FileEntry[] = [];
      for (const absolute of await readRecent()) {
        if (folder !== null && !isInside(folder, absolute)) continue;
        const entry = await fileEntry(absolute);
        if (entry) {
          allowed.add(absolute);
          files.push(entry);
        }
      }
      return { files };
    },

    'document:autosave': async (request, context) => {
      liveKeys.set(request.key, context.client);
      const entry: RecoveryEntry = {
        key: request.key,
        path: request.path,
        name: request.name,
        savedAt: new Date().toISOString(),
        document: request.document ?? documentFromText(request),
      };
      await fs.mkdir(recoveryDir, { recursive: true, mode: 0o700 });
      await writeFileAtomic(recoveryFile(request.key), encodeWire(entry), { mode: 0o600 });
      return {};
    },

    'document:recover': async () => {
      let names: string[] = [];
      try {
        names = await fs.readdir(recoveryDir);
      } catch {
        return { entries: [] };
      }
      const entries: RecoveryEntry[] = [];
      for (const name of names) {
        if (!name.endsWith('.json')) continue;
        try {
          const parsed = recoveryEntrySchema.safeParse(
            decodeWire(await fs.readFile(path.join(recoveryDir, name), 'utf8')),
          );
          if (parsed.success && !liveKeys.has(parsed.data.key)) entries.push(parsed.data);
        } catch {
          // A half-written or foreign file is not recoverable work; leave it alone.
        }
      }
      entries.sort((a, b) => b.savedAt.localeCompare(a.savedAt));
      return { entries };
    },

    'document:discardRecovery': async (request) => {
      await discardRecovery(request.key);
      return {};
    },

    'window:setState': async (request, context) => {
      options.setWindowState?.(context, request);
      return {};
    },

    'clipboard:readText': async () => ({
      text: options.clipboard ? await options.clipboard.readText() : memoryClipboard,
    }),
    'clipboard:writeText': async (request) => {
      if (options.clipboard) await options.clipboard.writeText(request.text);
      else memoryClipboard = request.text;
      return {};
    },

    'helper:status': () => options.helper.status(),

    'fleet:get': () => fleet.list(),
    'fleet:save': (request) => fleet.save(request.hosts),
    'fleet:status': async () => ({ hosts: await fleet.status() }),
    'fleet:rollout': (request) =>
      fleet.rollout({
        hosts: request.hosts,
        document: request.document,
        ...(request.canary !== undefined ? { canary: request.canary } : {}),
        ...(request.confirmTimeoutSeconds !== undefined
          ? { confirmTimeoutSeconds: request.confirmTimeoutSeconds }
          : {}),
      }),
    'fleet:rolloutConfirm': (request) => fleet.confirmRollout(request.id),
    'fleet:rolloutStop': (request) => fleet.stopRollout(request.id),
  };

  const handlers: Handlers = { ...ownHandlers, ...forwarders, ...hostForwarders };

  function appStatus(status: HelperStatusResult): HelperStatus {
    return connectedStatus(options.helperSocket, status);
  }

  async function discardRecovery(key: string): Promise<void> {
    liveKeys.delete(key);
    await fs.rm(recoveryFile(key), { force: true });
  }

  async function handle(
    channel: unknown,
    request: unknown,
    context: CallContext,
  ): Promise<ApiResult<unknown>> {
    if (!isChannel(channel)) {
      return failure('unknown-channel', `unknown channel ${JSON.stringify(channel)}`.slice(0, 200));
    }
    try {
      // Inside the try: nothing a client sends may throw out of here (an exception in one
      // client's call must not end the process that serves all of them).
      const parsed = parseRequest(channel, request);
      if (!parsed.ok) return parsed;
      const handler = handlers[channel] as (r: unknown, c: CallContext) => Promise<unknown>;
      return success(await handler(parsed.value, context));
    } catch (error) {
      return toFailure(error);
    }
  }

  function prefetch(requested: string, context: CallContext): Promise<void> {
    if (folder === null) return Promise.resolve(); // Electron reads what the user chose, when asked.
    if (prefetched) clearTimeout(prefetched.timer);
    const result = (async () => {
      try {
        const absolute = await resolveDocumentPath(requested, context);
        const signature = await fileSignature(absolute);
        return { absolute, signature, read: await options.codec.read(absolute) };
      } catch {
        // Not readable, not a document, outside the folder: the open itself will say so.
        return null;
      }
    })();
    const entry: Prefetch = {
      requested,
      result,
      timer: setTimeout(() => {
        if (prefetched === entry) prefetched = null;
      }, PREFETCH_TTL_MS),
    };
    entry.timer.unref?.();
    prefetched = entry;
    return result.then(() => undefined);
  }

  return {
    handle,
    prefetch,
    emit,
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    disconnect(client) {
      for (const [key, owner] of liveKeys) if (owner === client) liveKeys.delete(key);
    },
    async close() {
      if (prefetched) clearTimeout(prefetched.timer);
      prefetched = null;
      unsubscribeHelper();
      unsubscribeFleet();
      listeners.clear();
      await options.helper.close();
      await fleet.close();
    },
  };
}

/** Map any thrown error to the reply the renderer gets. */
export function toFailure(error: unknown): ReturnType<typeof failure> {
  if (error instanceof ApiCallError) {
    return failure(error.code, error.message, {
      ...(error.field ? { field: error.field } : {}),
      ...(error.problems ? { problems: error.problems } : {}),
    });
  }
  const err = error as NodeJS.ErrnoException;
  const where = err.path ? `${path.basename(err.path)}: ` : '';
  switch (err.code) {
    case 'ENOENT':
      return failure('not-found', `${where}no such file`);
    case 'EACCES':
    case 'EPERM':
      return failure('io-error', `${where}permission denied`);
    case 'EISDIR':
      return failure('io-error', `${where}is a folder, not a document`);
    case 'ENOSPC':
      return failure('io-error', `${where}no space left on the device`);
  }
  if (err instanceof Error && /syntax|parse/i.test(`${err.name} ${err.constructor.name}`)) {
    return failure('parse-error', err.message);
  }
  return failure('internal', err instanceof Error ? err.message : String(error));
}

function isInside(parent: string, child: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** realpath of `target`, or of its nearest existing ancestor joined with the rest. */
async function realpathOfExistingPart(target: string): Promise<string> {
  let current = target;
  const rest: string[] = [];
  for (;;) {
    try {
      return path.join(await fs.realpath(current), ...rest);
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return target;
      rest.unshift(path.basename(current));
      current = parent;
    }
  }
}

// Runtime: pure (shared/). THE contract between the renderer and the backend: every channel the
// renderer may call, every event it may receive, and the zod schemas both sides validate with.
// Invariant: one entry per channel in `appChannels` and one per event in `appEvents`; the
// backend's handler map, the Electron preload and the browser transport are all typed from these
// records, so a channel missing anywhere is a compile error, and `window.treewall` is derived
// from here, never written by hand.
//
// Transports: Electron (preload + ipcMain, structured clone) and the browser host (WebSocket,
// `wire.ts` encoding). Both carry the same envelope: a call resolves to an `ApiResult`, never
// rejects for an expected failure ("helper not connected", "file not found"), because Electron's
// contextBridge drops everything but the message from a rejected Error.
//
// NOTE for the renderer: zod 4 compiles parsers with `new Function`, which the strict CSP refuses.
// Call `z.config({ jitless: true })` before parsing anything with these schemas in the renderer.

import { z } from 'zod';
import type { Problem } from '../model/types.ts';
import * as helper from './helper-protocol.ts';

/* ------------------------------------------------------------------------------------------ */
/* Building blocks                                                                             */
/* ------------------------------------------------------------------------------------------ */

// The document, and what the helper reports, are the helper protocol's own schemas: the app and
// the helper validate a document identically (strict keys, rule id pattern, bounded text).
export {
  documentSchema,
  documentSettingsSchema,
  plistValueSchema,
  problemSchema,
  ruleSchema,
} from './helper-protocol.ts';
const { documentSchema, problemSchema } = helper;

const empty = z.object({}).strict();
const ok = z.object({}).strict();
/** ISO 8601 time stamps everywhere (`2026-11-23T12:00:00.000Z`): JSON-safe on both transports. */
const isoTime = z.string();

/** Where a document lives. `path` is absolute in Electron, relative to the served folder in the
 * browser host; `null` for a document never saved. `name` is what the title bar shows. */
export const documentLocationSchema = z.object({
  path: z.string().nullable(),
  name: z.string(),
  format: z.enum(['xml', 'next', 'nsy']),
});
export type DocumentLocation = z.infer<typeof documentLocationSchema>;

export const openedDocumentSchema = documentLocationSchema.extend({
  document: documentSchema,
  /** What the user should be told about the read (invalid UTF-8 replaced by U+FFFD). */
  notes: z.array(z.string()).optional(),
});
export type OpenedDocument = z.infer<typeof openedDocumentSchema>;

export const fileEntrySchema = z.object({
  /** Relative to the served folder (browser host) or absolute (Electron recent list). */
  path: z.string(),
  name: z.string(),
  size: z.number(),
  modified: isoTime,
});
export type FileEntry = z.infer<typeof fileEntrySchema>;

export const recoveryEntrySchema = z.object({
  /** The editing session that wrote it (one per window / tab). */
  key: z.string(),
  /** The file the unsaved work belongs to, or null for an untitled document. */
  path: z.string().nullable(),
  name: z.string(),
  savedAt: isoTime,
  document: documentSchema,
});
export type RecoveryEntry = z.infer<typeof recoveryEntrySchema>;

/* ---- helper pass-through (the helper protocol's types; see helper-protocol.ts) ---- */

export const pendingConfirmSchema = helper.pendingConfirmSchema;

/** The app's view of the helper: connection facts, the fields the UI needs most, and the
 * helper's full status reply when it is connected. (Not the helper's own status reply, which is
 * helper-protocol.ts's `helperStatusSchema`.) */
export const appHelperStatusSchema = z.object({
  connected: z.boolean(),
  socketPath: z.string(),
  /** Our table is in the kernel. */
  active: z.boolean(),
  appliedAt: isoTime.nullable(),
  ruleCount: z.number().nullable(),
  pendingConfirm: pendingConfirmSchema.nullable(),
  /** Why the helper is not connected, or its last error, in words a user can act on. */
  message: z.string().nullable(),
  /** The helper's own status reply (warnings, timer rules, log reader, ...); null when absent. */
  helper: helper.helperStatusSchema.nullable(),
});
export type HelperStatus = z.infer<typeof appHelperStatusSchema>;

export const ruleCounterSchema = helper.ruleCounterSchema;
export type RuleCounter = helper.RuleCounter;
export const counterSnapshotSchema = helper.counterSnapshotSchema;
export type CounterSnapshot = helper.CounterSnapshotResult;
export const counterTickSchema = helper.counterTickSchema;
export type CounterTick = helper.CounterTickEvent;
export const triggeredTypeSchema = helper.triggeredTypeSchema;
export type TriggeredType = helper.TriggeredKind;
export const triggeredEntrySchema = helper.triggeredEntrySchema;
export type TriggeredEntry = helper.TriggeredRecord;
export const logEventSchema = helper.logEventSchema;
export type LogEvent = helper.LogEventData;
export const notifyEventSchema = helper.notifyEventSchema;
export type NotifyEvent = helper.NotifyEventData;
export const activeDocumentSchema = helper.helperCalls.showActive.result;
export type ActiveDocument = z.infer<typeof activeDocumentSchema>;

/* ---- fleet: many hosts, each with its own helper (issue 17) ---- */

/** A host of the fleet as the app edits it (the fleet file's host entry, `shared/fleet`): a name
 * (unique, what the picker and the view show), the ssh `address` (`[user@]host[:port]` or an ssh
 * config alias; default: the name), its groups, and the optional remote command and socket the app
 * keeps as they are. */
export const fleetHostSchema = z.object({
  name: z.string().min(1).max(100),
  address: z.string().min(1).max(300).optional(),
  groups: z.array(z.string().min(1).max(100)).max(100),
  remoteCommand: z.array(z.string()).optional(),
  socket: z.string().optional(),
  note: z.string().optional(),
});
export type FleetHostEntry = z.infer<typeof fleetHostSchema>;

/** The fleet file as the backend read it. `path`: where it lives (null: none yet, the first save
 * creates it). */
export const fleetListSchema = z.object({
  path: z.string().nullable(),
  hosts: z.array(fleetHostSchema),
});
export type FleetList = z.infer<typeof fleetListSchema>;

/** What the app knows about one fleet host right now: its helper's status as the app sees a
 * helper (HelperStatus: connected, active, appliedAt, the helper's reply with `documentHash` and
 * `matchesApplied`), or why it cannot be reached. */
export const fleetHostStateSchema = z.object({
  name: z.string(),
  /** Its helper answered through ssh. */
  reachable: z.boolean(),
  /** Why it is not reachable, or the helper's last error, in words a user can act on. */
  error: z.string().nullable(),
  status: appHelperStatusSchema.nullable(),
  /** The applied document's fingerprint (fleet-client's `documentFingerprint`: sha256 of its
   * rules and settings, what `treewall status --host` prints); null when nothing is applied or
   * not read yet. */
  fingerprint: z.string().nullable().optional(),
  /** When the backend last heard from (or tried) it. */
  checkedAt: isoTime,
});
export type FleetHostState = z.infer<typeof fleetHostStateSchema>;

export const ROLLOUT_HOST_STATES = [
  /** Not started yet (the rest wait for the canary). */
  'waiting',
  'applying',
  /** Applied with a confirm timeout; not yet kept. */
  'confirming',
  'kept',
  /** Its helper restored the previous rules (timeout, lost contact, or the rollout was stopped). */
  'rolled-back',
  /** Nothing applied there (unreachable, refused, another protocol version...). */
  'failed',
  /** Not tried: the canary failed or the rollout was stopped first. */
  'skipped',
] as const;
export type RolloutHostState = (typeof ROLLOUT_HOST_STATES)[number];

/** A staged rollout: the canary first (its confirm countdown), then the rest in parallel. */
export const rolloutSchema = z.object({
  id: z.string(),
  phase: z.enum(['canary', 'canary-confirm', 'rest', 'done', 'stopped']),
  canary: z.string().nullable(),
  /** The canary's confirm deadline while the user is asked to keep it. */
  canaryDeadline: isoTime.nullable(),
  startedAt: isoTime,
  hosts: z.array(
    z.object({
      name: z.string(),
      state: z.enum(ROLLOUT_HOST_STATES),
      message: z.string().nullable(),
    }),
  ),
});
export type Rollout = z.infer<typeof rolloutSchema>;

/* ---- app ---- */

export const hostKindSchema = z.enum(['electron', 'browser']);
export type HostKind = z.infer<typeof hostKindSchema>;

export const appInfoSchema = z.object({
  host: hostKindSchema,
  version: z.string(),
  helperSocket: z.string(),
  helperConnected: z.boolean(),
  /** Electron shows native open/save dialogs; the browser host needs the renderer's own picker
   * (document:list) and a file name for Save As. */
  nativeDialogs: z.boolean(),
  /** The folder the browser host serves documents from (absolute), null in Electron. */
  folder: z.string().nullable(),
  /** The file this window was opened for (Electron: one window per document; browser host:
   * `?path=` in the URL), null for a new window. */
  initialPath: z.string().nullable(),
});
export type AppInfo = z.infer<typeof appInfoSchema>;

/** Menu commands Electron's native menus forward to the focused window (`menu:command`). The
 * browser host has no native menus; its renderer runs the same commands from its toolbar. */
export const MENU_COMMANDS = [
  'file.new',
  'file.open',
  'file.save',
  'file.saveAs',
  'file.saveAsNsy',
  'file.revert',
  'file.close',
  'edit.undo',
  'edit.redo',
  'edit.cut',
  'edit.copy',
  'edit.paste',
  'edit.pasteBefore',
  'edit.delete',
  'edit.selectAll',
  'edit.find',
  'rule.newSibling',
  'rule.newChild',
  'rule.insertBefore',
  'rule.duplicate',
  'view.expandAll',
  'view.collapseAll',
  'firewall.apply',
  'firewall.showActive',
  'firewall.revert',
  'firewall.toggle',
  'firewall.settings',
] as const;
export type MenuCommand = (typeof MENU_COMMANDS)[number];

/* ------------------------------------------------------------------------------------------ */
/* Channels: renderer -> backend, request/response                                             */
/* ------------------------------------------------------------------------------------------ */

/* ---- channels that forward a helper call: derived from the helper's call list ---- */

/**
 * The helper calls the renderer reaches through the backend, and what the app answers with:
 * `'status'`: the helper's status reply as the app's HelperStatus (with the connection facts);
 * `'result'`: the helper's result as it is. Each becomes the channel of the same name in the app's
 * `area:verb` form (`apply` -> `helper:apply`, `triggered.add` -> `triggered:add`), whose request
 * is the call's params schema and whose response is the call's result schema (or HelperStatus):
 * both contracts validate with one schema. Forwarding a new helper call is one line here: the
 * backend forwards every entry with one generic handler, and the preload, the WebSocket
 * transport and `window.treewall` are typed from the channel list. Calls left out stay between
 * the backend and the helper (`status` is the app's own channel; the subscriptions are managed
 * by the backend's helper link).
 */
export const FORWARDED_HELPER_CALLS = {
  apply: 'status',
  confirm: 'status',
  revert: 'status',
  stop: 'status',
  showActive: 'result',
  counters: 'result',
  interfaces: 'result',
  'triggered.list': 'result',
  'triggered.add': 'result',
  'triggered.remove': 'result',
  'triggered.flush': 'result',
  'triggered.import': 'result',
  'triggered.export': 'result',
} as const satisfies Partial<Record<helper.HelperCall, 'status' | 'result'>>;

export type ForwardedCall = keyof typeof FORWARDED_HELPER_CALLS;
export const FORWARDED_CALLS = Object.keys(FORWARDED_HELPER_CALLS) as ForwardedCall[];

/** The app channel of a helper call: `apply` -> `helper:apply`, `triggered.add` -> `triggered:add`. */
export type ForwardChannel<C extends string> = C extends `${infer Area}.${infer Verb}`
  ? `${Area}:${Verb}`
  : `helper:${C}`;
export type ForwardedChannel = ForwardChannel<ForwardedCall>;

export function forwardChannel<C extends ForwardedCall>(call: C): ForwardChannel<C> {
  const dot = call.indexOf('.');
  return (
    dot < 0 ? `helper:${call}` : `${call.slice(0, dot)}:${call.slice(dot + 1)}`
  ) as ForwardChannel<C>;
}

type ForwardedSpecs = {
  [C in ForwardedCall as ForwardChannel<C>]: {
    request: (typeof helper.helperCalls)[C]['params'];
    response: (typeof FORWARDED_HELPER_CALLS)[C] extends 'status'
      ? typeof appHelperStatusSchema
      : (typeof helper.helperCalls)[C]['result'];
  };
};

const forwardedChannels = Object.fromEntries(
  FORWARDED_CALLS.map((call) => [
    forwardChannel(call),
    {
      request: helper.helperCalls[call].params,
      response:
        FORWARDED_HELPER_CALLS[call] === 'status'
          ? appHelperStatusSchema
          : helper.helperCalls[call].result,
    },
  ]),
) as ForwardedSpecs;

/**
 * The same calls aimed at one fleet host: `host:apply`, `host:counters`, `host:triggered.list`...
 * (`host:` and the call's own name), request `{ host, params }` with the call's params schema,
 * response as the local channel's. Derived from FORWARDED_HELPER_CALLS like the local ones.
 */
export type HostChannel<C extends string> = `host:${C}`;
export type HostForwardedChannel = HostChannel<ForwardedCall>;
export const hostChannel = <C extends ForwardedCall>(call: C): HostChannel<C> => `host:${call}`;

type HostForwardedSpecs = {
  [C in ForwardedCall as HostChannel<C>]: {
    request: z.ZodObject<{ host: z.ZodString; params: (typeof helper.helperCalls)[C]['params'] }>;
    response: ForwardedSpecs[ForwardChannel<C>]['response'];
  };
};

const hostForwardedChannels = Object.fromEntries(
  FORWARDED_CALLS.map((call) => [
    hostChannel(call),
    {
      request: z.object({ host: z.string().min(1), params: helper.helperCalls[call].params }),
      response: forwardedChannels[forwardChannel(call)].response,
    },
  ]),
) as unknown as HostForwardedSpecs;

interface ChannelSpec {
  request: z.ZodType;
  response: z.ZodType;
}

export const appChannels = {
  /** Environment facts the renderer needs at startup. */
  'app:info': { request: empty, response: appInfoSchema },

  /** The factory default document (resources/default.treewall), untitled. */
  'document:new': { request: empty, response: openedDocumentSchema },
  /** Open a file. Without `path`: Electron shows the native dialog (null = cancelled); the browser
   * host answers `unsupported` (list with document:list and pass a path). */
  'document:open': {
    request: z.object({ path: z.string().min(1).optional() }),
    response: openedDocumentSchema.nullable(),
  },
  /** Save atomically. Without `path` (or with `saveAs`) Electron asks with the native dialog
   * (null = cancelled); the browser host needs a path. `format` defaults to what the file name
   * says (`.nsy`: IPNetSentryX's document form, `.txt`: NeXT text, else xml). On success the
   * recovery file of `recoveryKey`, if given, is discarded. */
  'document:save': {
    request: z.object({
      path: z.string().min(1).nullable().optional(),
      saveAs: z.boolean().optional(),
      format: z.enum(['xml', 'next', 'nsy']).optional(),
      document: documentSchema,
      recoveryKey: z.string().optional(),
      /** Replace the file even if it is not a treewall document (after asking the user). */
      overwrite: z.boolean().optional(),
    }),
    response: documentLocationSchema.nullable(),
  },
  /** The documents in the browser host's folder (Electron: the folder of `dir`, if given). */
  'document:list': {
    request: z.object({ dir: z.string().optional() }),
    response: z.object({ folder: z.string(), files: z.array(fileEntrySchema) }),
  },
  /** Recently opened or saved files, newest first. */
  'document:recent': { request: empty, response: z.object({ files: z.array(fileEntrySchema) }) },
  /** Store unsaved work so it survives a crash. Call it a few seconds after edits. */
  'document:autosave': {
    // The document, or its wire JSON (`documentText`, shared/ipc/document-json.ts) as text or as
    // UTF-8 bytes: the renderer's document worker writes it, so a large document costs the page's
    // main thread no structured clone, encoding or string conversion. Exactly one of the two.
    request: z
      .object({
        key: z.string().min(1).max(200),
        path: z.string().nullable(),
        name: z.string(),
        document: documentSchema.optional(),
        documentText: z.union([z.string(), z.instanceof(Uint8Array)]).optional(),
      })
      .refine((r) => (r.document === undefined) !== (r.documentText === undefined), {
        message: 'exactly one of document and documentText',
      }),
    response: ok,
  },
  /** Unsaved work left by sessions that did not end cleanly, newest first. */
  'document:recover': {
    request: empty,
    response: z.object({ entries: z.array(recoveryEntrySchema) }),
  },
  /** Forget a recovery entry (after it was restored or declined, or the document was saved). */
  'document:discardRecovery': { request: z.object({ key: z.string().min(1) }), response: ok },

  /** Title and dirty state of this window: Electron uses it for the title bar, the "edited" dot
   * and the prompt before closing; the browser host ignores it. */
  'window:setState': {
    request: z.object({ title: z.string(), dirty: z.boolean(), path: z.string().nullable() }),
    response: ok,
  },

  'clipboard:readText': { request: empty, response: z.object({ text: z.string() }) },
  'clipboard:writeText': { request: z.object({ text: z.string() }), response: ok },

  /** The app's view of the helper; answered without a call when it is not connected. */
  'helper:status': { request: empty, response: appHelperStatusSchema },

  /** helper:apply, helper:confirm, ..., triggered:add, ...: see FORWARDED_HELPER_CALLS below. */
  ...forwardedChannels,

  /* ---- fleet (issue 17): the fleet file, each host's state, staged rollouts ---- */

  /** The fleet file (hosts, names, groups). */
  'fleet:get': { request: empty, response: fleetListSchema },
  /** Replace the fleet's hosts (add, remove, rename, regroup) and save the file atomically. */
  'fleet:save': {
    request: z.object({ hosts: z.array(fleetHostSchema).max(1000) }),
    response: fleetListSchema,
  },
  /** Every host's state as last seen (the backend keeps talking to them; `fleet:state` events
   * follow). */
  'fleet:status': { request: empty, response: z.object({ hosts: z.array(fleetHostStateSchema) }) },
  /** Apply a document to these hosts as a staged rollout: `canary` (default: the first host) with
   * its confirm countdown, then, once kept, the rest in parallel, each with its own confirm
   * timeout. Answers at once; `fleet:rollout` events carry the progress. */
  'fleet:rollout': {
    request: z.object({
      hosts: z.array(z.string().min(1)).min(1).max(1000),
      canary: z.string().min(1).nullable().optional(),
      document: documentSchema,
      confirmTimeoutSeconds: z.number().int().min(1).max(3600).optional(),
    }),
    response: rolloutSchema,
  },
  /** The user keeps the canary's rules: the rest follow. */
  'fleet:rolloutConfirm': { request: z.object({ id: z.string() }), response: rolloutSchema },
  /** Stop: the canary (if waiting) reverts, hosts not started are skipped. */
  'fleet:rolloutStop': { request: z.object({ id: z.string() }), response: rolloutSchema },

  /** host:apply, host:counters, ...: the forwarded calls aimed at one fleet host. */
  ...hostForwardedChannels,
} as const satisfies Record<string, ChannelSpec>;

export type Channel = keyof typeof appChannels;
export const CHANNELS = Object.keys(appChannels) as Channel[];
export type ChannelRequest<C extends Channel> = z.infer<(typeof appChannels)[C]['request']>;
export type ChannelResponse<C extends Channel> = z.infer<(typeof appChannels)[C]['response']>;

export const isChannel = (name: unknown): name is Channel =>
  typeof name === 'string' && Object.hasOwn(appChannels, name);

/* ------------------------------------------------------------------------------------------ */
/* Events: backend -> renderer                                                                 */
/* ------------------------------------------------------------------------------------------ */

export const appEvents = {
  /** Counter changes, about once a second while the helper is connected and rules are active. */
  'counters:tick': counterTickSchema,
  /** One logged packet. */
  'log:event': logEventSchema,
  /** The helper connection came or went, or its state changed (apply, confirm, revert, stop). */
  'helper:state': appHelperStatusSchema,
  /** Alert / Notify / Webhook ... actions fired. */
  'notify:event': notifyEventSchema,
  /** Triggered tables changed (a host was triggered, added or removed); re-list to see them. */
  'triggered:changed': helper.helperEvents['triggered:changed'],
  /** A fleet host's state changed (reached, lost, applied, rolled back...). */
  'fleet:state': z.object({ host: z.string(), state: fleetHostStateSchema }),
  /** A fleet host's counter tick. */
  'fleet:counters': z.object({ host: z.string(), tick: counterTickSchema }),
  /** A fleet host's logged packet. */
  'fleet:log': z.object({ host: z.string(), event: logEventSchema }),
  /** The fleet file changed (saved by this or another window). */
  'fleet:changed': fleetListSchema,
  /** Progress of a staged rollout. */
  'fleet:rollout': rolloutSchema,
  /** A native menu item was chosen (Electron only). */
  'menu:command': z.object({ command: z.enum(MENU_COMMANDS) }),
} as const satisfies Record<string, z.ZodType>;

export type EventName = keyof typeof appEvents;
export const EVENT_NAMES = Object.keys(appEvents) as EventName[];
export type EventPayload<E extends EventName> = z.infer<(typeof appEvents)[E]>;

export const isEventName = (name: unknown): name is EventName =>
  typeof name === 'string' && Object.hasOwn(appEvents, name);

/* ------------------------------------------------------------------------------------------ */
/* Results and the API object                                                                  */
/* ------------------------------------------------------------------------------------------ */

export const API_ERROR_CODES = [
  /** The request failed validation; `field` names the first bad field. */
  'bad-request',
  'unknown-channel',
  /** A path outside the allowed folder, or a sender that is not ours. */
  'forbidden',
  'not-found',
  /** The file exists but is not a document (parse error with line and column in the message). */
  'parse-error',
  /** Save would replace a file that is not a treewall document: ask, then save with overwrite. */
  'exists',
  'io-error',
  /** The document does not compile; `problems` lists why. */
  'invalid-document',
  /** No helper on the socket; the message says how to start one. */
  'helper-unavailable',
  /** The helper answered with an error. */
  'helper-error',
  /** This host cannot do that (a native dialog in the browser host, ...). */
  'unsupported',
  'internal',
] as const;
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

export const apiErrorSchema = z.object({
  code: z.enum(API_ERROR_CODES),
  message: z.string(),
  field: z.string().optional(),
  problems: z.array(problemSchema).optional(),
});
export type ApiError = z.infer<typeof apiErrorSchema>;

export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ApiError };

export type Unsubscribe = () => void;

/** What `window.treewall` is, in Electron (preload) and in the browser host
 * (renderer/transport/ws-client.ts). */
export interface TreewallApi {
  /** Call one channel. Resolves to a result; rejects only if the transport itself is broken. */
  invoke<C extends Channel>(
    channel: C,
    request: ChannelRequest<C>,
  ): Promise<ApiResult<ChannelResponse<C>>>;
  /** Listen to one event; returns the function that stops listening. */
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): Unsubscribe;
}

/** A failed call, for code that prefers exceptions (`await call(api, 'document:new', {})`). */
export class ApiCallError extends Error {
  readonly code: ApiErrorCode;
  readonly field: string | undefined;
  readonly problems: Problem[] | undefined;
  constructor(error: ApiError) {
    super(error.message);
    this.name = 'ApiCallError';
    this.code = error.code;
    this.field = error.field;
    this.problems = error.problems;
  }
}

/** invoke, resolving to the value or throwing ApiCallError. */
export async function call<C extends Channel>(
  api: TreewallApi,
  channel: C,
  request: ChannelRequest<C>,
): Promise<ChannelResponse<C>> {
  const result = await api.invoke(channel, request);
  if (!result.ok) throw new ApiCallError(result.error);
  return result.value;
}

/** Validate a request at the edge: the field path of the first problem goes into the error. */
export function parseRequest<C extends Channel>(
  channel: C,
  request: unknown,
): ApiResult<ChannelRequest<C>> {
  // The same nesting limit as the helper's, before zod's recursive schemas see the request.
  const deep = helper.nestingError(request);
  if (deep !== null) {
    return {
      ok: false,
      error: {
        code: 'bad-request',
        message: `${channel}: ${deep ? `${deep}: ` : ''}values are nested deeper than ${helper.MAX_NESTING} levels`,
        ...(deep ? { field: deep } : {}),
      },
    };
  }
  const parsed = appChannels[channel].request.safeParse(request);
  if (parsed.success) return { ok: true, value: parsed.data as ChannelRequest<C> };
  const issue = parsed.error.issues[0];
  const field = issue ? issue.path.join('.') : '';
  return {
    ok: false,
    error: {
      code: 'bad-request',
      message: `${channel}: ${field ? `${field}: ` : ''}${issue?.message ?? 'invalid request'}`,
      ...(field ? { field } : {}),
    },
  };
}

export const failure = (
  code: ApiErrorCode,
  message: string,
  extra: Omit<ApiError, 'code' | 'message'> = {},
): { ok: false; error: ApiError } => ({ ok: false, error: { code, message, ...extra } });

export const success = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });

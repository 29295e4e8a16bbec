// Runtime: pure (shared/). THE contract between the privileged helper and its clients (the CLI,
// Electron main, the browser host): newline-delimited JSON on a Unix socket.
// Invariant: every message either side sends is described here by a zod schema, and the types are
// `z.infer` of those schemas, never written twice. The helper validates each line at its edge with
// `parseHelperRequest`; a line that fails gets an error reply naming the field and changes nothing.
//
// Framing: one message per line, UTF-8 JSON, `\n` terminated, at most MAX_MESSAGE_BYTES per line.
// Property-list values JSON cannot carry (Date, Uint8Array, in a document's `extra` keys) travel
// tagged as in `wire.ts` (`encodeHelperMessage` / `decodeHelperMessage` do both).
//
//   client -> helper   {"id": 7, "call": "apply", "params": {...}}
//   helper -> client   {"id": 7, "ok": true, "result": {...}}
//                      {"id": 7, "ok": false, "error": {"code": "bad-request", "message": "...",
//                                                       "field": "params.document.rules.0.action"}}
//   helper -> client   {"event": "counters:tick", "data": {...}}       (no id: not a reply)
//
// A reply to a line whose id could not be read carries `"id": null`.
//
// NOTE for the renderer: zod 4 compiles parsers with `new Function`, which a strict CSP refuses.
// Call `useJitlessSchemas()` (below) once before parsing with these schemas in a browser context.

import { z } from 'zod';
import { RULE_ID_PATTERN } from '../model/tree.ts';
import {
  DEFAULT_POLICIES,
  SEVERITIES,
  RULE_FIELDS,
  SETTING_KEYS,
  STATISTIC_KINDS,
  type DocumentSettings,
  type FirewallDocument,
  type PlistValue,
  type Rule,
} from '../model/types.ts';
import { ACTION_NAMES, PROPERTY_NAMES, RELATION_NAMES } from '../model/vocabulary.ts';
import { decodeWire, encodeWire } from './wire.ts';

/** A message line longer than this is refused (and the rest of the line skipped). 64 MiB fits a
 * 100,000-rule document (~150 bytes a rule) with room to spare. */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
/** Rules nested deeper than this are refused before schema validation (nftables allows 15). */
export const MAX_RULE_DEPTH = 64;
/**
 * THE nesting limit for every value that crosses an edge (a helper line, an app request over the
 * WebSocket or Electron's IPC, a state file the helper reads back): objects and arrays nested
 * deeper than this are refused by `nestingError` before any recursive code (zod's schemas,
 * JSON.stringify, the validator) sees them. Room for MAX_RULE_DEPTH rules (two levels each:
 * the rule and its `children`) plus a deep `extra` value; far below what overflows the stack
 * (~1,800 levels through the plist-value schema).
 */
export const MAX_NESTING = 256;
/** Default path of the helper's socket (systemd's RuntimeDirectory=treewall). */
export const DEFAULT_SOCKET_PATH = '/run/treewall/helper.sock';
export const DEFAULT_LOG_GROUP = 1729;
/**
 * The helper protocol's version. Within one version only additive changes: a new call, a new
 * event, a new field in a result or event (clients ignore fields they do not know). A new or
 * changed parameter of an existing call, a removed call or a changed meaning bumps it. See
 * "How the protocol evolves" in README.md.
 */
export const PROTOCOL_VERSION = 1;

/** For renderer code under a strict CSP (no `new Function`): call once before any parse. */
export function useJitlessSchemas(): void {
  z.config({ jitless: true });
}

/* ------------------------------------------------------------------------------------------ */
/* The document (strict: unknown keys refused, names checked, sizes bounded)                   */
/* ------------------------------------------------------------------------------------------ */

const MAX_TEXT = 4096;

export const plistValueSchema: z.ZodType<PlistValue> = z.lazy(() =>
  z.union([
    z.string(),
    z.number(),
    z.boolean(),
    z.instanceof(Uint8Array),
    z.date(),
    z.array(plistValueSchema),
    z.record(z.string(), plistValueSchema),
  ]),
);

export const ruleSchema: z.ZodType<Rule> = z.lazy(() =>
  z.strictObject({
    id: z.string().regex(RULE_ID_PATTERN, 'rule id must be 1-32 letters, digits, _ or -'),
    enabled: z.boolean(),
    name: z.string().max(MAX_TEXT),
    property: z.enum(PROPERTY_NAMES),
    relation: z.enum(RELATION_NAMES),
    value: z.string().max(MAX_TEXT),
    action: z.enum(ACTION_NAMES),
    parameter: z.string().max(MAX_TEXT),
    children: z.array(ruleSchema),
    expanded: z.boolean(),
    extra: z.record(z.string(), plistValueSchema).optional(),
  }),
);

export const documentSettingsSchema: z.ZodType<DocumentSettings> = z.strictObject({
  firewallOn: z.boolean(),
  defaultTriggerDuration: z.number().int().nonnegative(),
  defaultPolicy: z.enum(DEFAULT_POLICIES),
  selectedStatistic: z.enum(STATISTIC_KINDS),
  externalInterfaces: z.array(z.string().max(64)),
  internalInterfaces: z.array(z.string().max(64)),
});

export const documentSchema: z.ZodType<FirewallDocument> = z.strictObject({
  rules: z.array(ruleSchema),
  settings: documentSettingsSchema,
  extra: z.record(z.string(), plistValueSchema).optional(),
});

export const problemSchema = z.object({
  severity: z.enum(SEVERITIES).optional(),
  ruleId: z.string(),
  number: z.string(),
  field: z.enum(['property', 'relation', 'value', 'action', 'parameter', 'name']).optional(),
  message: z.string(),
});

/* ------------------------------------------------------------------------------------------ */
/* Results and events                                                                          */
/* ------------------------------------------------------------------------------------------ */

/** ISO 8601 UTC time stamps (`2026-11-23T12:00:00.000Z`). */
const isoTime = z.string();
const empty = z.strictObject({});

export const pendingConfirmSchema = z.object({
  /** When the helper restores the previous rules unless `confirm` arrives. */
  deadline: isoTime,
  timeoutSeconds: z.number(),
});
export type PendingConfirm = z.infer<typeof pendingConfirmSchema>;

export const helperStatusSchema = z.object({
  /** PROTOCOL_VERSION of the helper. Any integer parses, so a client of another version can read
   * it and say so (see "How the protocol evolves" in README.md) instead of failing on a reply. */
  protocol: z.number().int().positive(),
  version: z.string(),
  pid: z.number(),
  socketPath: z.string(),
  stateDir: z.string(),
  logGroup: z.number(),
  /** Our table is in the kernel. */
  active: z.boolean(),
  /** The table in the kernel is the one this helper applied (its hash matches). */
  matchesApplied: z.boolean(),
  appliedAt: isoTime.nullable(),
  /** Rules in the active document (all of them, enabled or not). */
  ruleCount: z.number().nullable(),
  /** sha256 of the applied nft JSON, also stored in the table's comment. */
  documentHash: z.string().nullable(),
  pendingConfirm: pendingConfirmSchema.nullable(),
  /** A previous document exists for `revert` (or for the confirm timeout). */
  canRevert: z.boolean(),
  /** Reading NFLOG (`log:event`) works: tcpdump present and the group bound. */
  logReader: z.enum(['running', 'stopped', 'unavailable']),
  /** Rules the helper evaluates on a timer, and what it does with each. */
  timerRules: z.array(
    z.object({ ruleId: z.string(), number: z.string(), property: z.string(), note: z.string() }),
  ),
  /** Warnings of the last apply (the document compiled, but...). */
  warnings: z.array(problemSchema),
  /**
   * Acting actions (Email, URL, Webhook, Script) run and dropped by the helper's rate limit since
   * it started (optional: older helpers do not say).
   */
  actions: z
    .object({
      ran: z.number(),
      dropped: z.number(),
      droppedByRule: z.record(z.string(), z.number()),
    })
    .optional(),
  /** The last thing that went wrong in the background (a rollback, a failed timer action). */
  lastError: z.string().nullable(),
  clients: z.number(),
  /**
   * IP forwarding in the helper's network namespace (net.ipv4.ip_forward,
   * net.ipv6.conf.all.forwarding), read at every status when the rules in force translate
   * (Masquerade, Port forward); `message` says what is off and how to switch it on (the helper
   * never switches it). Absent or null: the rules in force need no forwarding.
   */
  forwarding: z
    .object({ ipv4: z.boolean(), ipv6: z.boolean(), message: z.string().nullable() })
    .nullable()
    .optional(),
  /** Route to: treewall's routing tables in force (`ip rule` + table), or the error setting them. */
  routes: z
    .object({ tables: z.array(z.number()), error: z.string().nullable() })
    .nullable()
    .optional(),
  /**
   * Delay: the queues the helper's worker serves (27200-27215), how it filled the placeholders
   * (`xt NFQUEUE` or `queue`), packets held now and released so far, or why it does not run (the
   * rules' fallback then decides). Absent or null: no Delay rule in force.
   */
  delays: z
    .object({
      queues: z.array(z.number()),
      expr: z.string().nullable(),
      held: z.number(),
      released: z.number(),
      error: z.string().nullable(),
    })
    .nullable()
    .optional(),
});
export type HelperStatusResult = z.infer<typeof helperStatusSchema>;

export const ruleCounterSchema = z.object({ packets: z.number(), bytes: z.number() });
export type RuleCounter = z.infer<typeof ruleCounterSchema>;

export const counterSnapshotSchema = z.object({
  at: isoTime,
  /** Totals by rule id, monotonic for as long as the rule keeps its id (see the helper README). */
  counters: z.record(z.string(), ruleCounterSchema),
});
export type CounterSnapshotResult = z.infer<typeof counterSnapshotSchema>;

export const counterTickSchema = z.object({
  at: isoTime,
  intervalMs: z.number(),
  /** Rules whose counters changed since the previous tick: new totals and the increase. */
  changed: z.record(
    z.string(),
    z.object({
      packets: z.number(),
      bytes: z.number(),
      dPackets: z.number(),
      dBytes: z.number(),
    }),
  ),
  /** Sum over every rule of the increase in this tick. */
  totals: z.object({ dPackets: z.number(), dBytes: z.number() }),
  /**
   * Counts between two ticks (only to a client that subscribed with `countsMs`): new totals of
   * the rules that moved since the last tick or counts, sent as soon as the helper reads them;
   * `dPackets`/`dBytes` are since that last message and `totals` likewise. Rates and histories
   * go by the ticks (every `intervalMs`, their increases over the whole interval).
   */
  partial: z.literal(true).optional(),
});
export type CounterTickEvent = z.infer<typeof counterTickSchema>;

/** The helper's address tables: Trigger, Authorize, Keep address and Keep invalid record in them. */
export const TRIGGERED_TYPES = ['trigger', 'authorize', 'address', 'invalid'] as const;
export const triggeredTypeSchema = z.enum(TRIGGERED_TYPES);
export type TriggeredKind = z.infer<typeof triggeredTypeSchema>;

export const triggeredEntrySchema = z.object({
  address: z.string(),
  type: triggeredTypeSchema,
  /** The Trigger rule whose set holds it; null for addresses added by hand or by import. */
  ruleId: z.string().nullable(),
  ruleNumber: z.string().nullable(),
  /** First time the helper saw this address triggered (from the log), null if unknown. */
  triggeredAt: isoTime.nullable(),
  /** Triggering packets the helper saw (from the log), null if unknown. */
  hits: z.number().nullable(),
  /** null: never expires. */
  expiresAt: isoTime.nullable(),
});
export type TriggeredRecord = z.infer<typeof triggeredEntrySchema>;

export const logEventSchema = z.object({
  time: isoTime,
  ruleId: z.string().nullable(),
  ruleNumber: z.string().nullable(),
  /** The rule's action (`Delete`, `Log`, `Trigger`, ...), or the raw prefix for unknown rules. */
  action: z.string(),
  direction: z.enum(['inbound', 'outbound']).nullable(),
  inInterface: z.string().nullable(),
  outInterface: z.string().nullable(),
  /** `tcp`, `udp`, `icmp`, `ipv6-icmp` or the protocol number. */
  protocol: z.string().nullable(),
  src: z.string().nullable(),
  dst: z.string().nullable(),
  srcPort: z.number().nullable(),
  dstPort: z.number().nullable(),
  /** IP packet length in bytes. */
  length: z.number(),
});
export type LogEventData = z.infer<typeof logEventSchema>;

export const notifyEventSchema = z.object({
  time: isoTime,
  kind: z.enum(['alert', 'notify', 'email', 'url', 'webhook', 'script', 'reset']),
  ruleId: z.string().nullable(),
  ruleNumber: z.string().nullable(),
  title: z.string(),
  body: z.string(),
  /** For URL probes and webhooks: did it succeed. */
  ok: z.boolean().nullable(),
});
export type NotifyEventData = z.infer<typeof notifyEventSchema>;

/* ------------------------------------------------------------------------------------------ */
/* Calls                                                                                       */
/* ------------------------------------------------------------------------------------------ */

const address = z.string().min(1).max(64);
const typeParam = z.strictObject({ type: triggeredTypeSchema.optional() });

/** How long an apply's confirm may be awaited (the helper's bounds), and the default the CLI's
 * `--confirm-timeout` and the app's fleet rollout offer. */
export const CONFIRM_TIMEOUT_SECONDS = { min: 1, max: 3600, default: 120 } as const;

export const helperCalls = {
  status: { params: empty, result: helperStatusSchema },
  /** Validate, compile and apply in one transaction. With confirmTimeoutSeconds, the previous
   * rules come back unless `confirm` arrives in time. Problems: error `invalid-document`. */
  apply: {
    params: z.strictObject({
      document: documentSchema,
      confirmTimeoutSeconds: z
        .number()
        .int()
        .min(CONFIRM_TIMEOUT_SECONDS.min)
        .max(CONFIRM_TIMEOUT_SECONDS.max)
        .optional(),
    }),
    result: helperStatusSchema,
  },
  /** Keep the rules applied with a confirm timeout. Without a pending confirm: no-op. */
  confirm: { params: empty, result: helperStatusSchema },
  /** Re-apply the previous document (or remove our table if there is none). */
  revert: { params: empty, result: helperStatusSchema },
  /**
   * Revert only if the rules in force are still those of one apply waiting for its confirm: the
   * apply that answered `appliedAt` (its identity: the helper serializes applies, and its
   * `documentHash` may not be known yet when it answers). Otherwise nothing changes (`reverted:
   * false`): its deadline already restored the previous rules, or it was confirmed, or another
   * apply came since. A client that decided not to keep an apply sends this instead of `revert`,
   * which, after the deadline, would re-apply what the deadline replaced: the rules being refused.
   */
  revertPending: {
    params: z.strictObject({ appliedAt: isoTime.min(1).max(64) }),
    result: z.object({ reverted: z.boolean(), status: helperStatusSchema }),
  },
  /** The active document as applied (ids intact), after checking the kernel still holds it. */
  showActive: {
    /** withText: false skips `text` (a second full listing of the table; slow at 10,000 rules). */
    params: z.strictObject({ withText: z.boolean().optional() }),
    result: z.object({
      document: documentSchema.nullable(),
      appliedAt: isoTime.nullable(),
      /** Our table is present and its hash is the one we applied. */
      matchesKernel: z.boolean(),
      /** Rule id -> outline number. */
      numbers: z.record(z.string(), z.string()),
      /** The table as `nft list` prints it, for people (empty with withText: false). */
      text: z.string(),
    }),
  },
  /** Remove our table (and only it). The firewall is off; the document is kept for revert. */
  stop: { params: empty, result: helperStatusSchema },
  counters: { params: empty, result: counterSnapshotSchema },
  countersSubscribe: {
    params: z.strictObject({
      intervalMs: z.number().int().min(200).max(60_000).optional(),
      /** Also send counts (`partial` ticks) between ticks, read at most this often. */
      countsMs: z.number().int().min(100).max(60_000).optional(),
    }),
    result: z.object({ intervalMs: z.number() }),
  },
  countersUnsubscribe: { params: empty, result: empty },
  'triggered.list': {
    params: typeParam,
    result: z.object({ entries: z.array(triggeredEntrySchema) }),
  },
  'triggered.add': {
    params: z.strictObject({
      address,
      type: triggeredTypeSchema.optional(),
      /** Seconds; absent: the document's default; 0: never expires. */
      durationSeconds: z
        .number()
        .int()
        .nonnegative()
        .max(10 * 365 * 86400)
        .optional(),
    }),
    result: z.object({ added: z.number() }),
  },
  'triggered.remove': {
    params: z.strictObject({ address, type: triggeredTypeSchema.optional() }),
    result: z.object({ removed: z.number() }),
  },
  'triggered.flush': { params: typeParam, result: z.object({ removed: z.number() }) },
  /** Tab-separated text as `triggered.export` writes it (address first; other columns optional). */
  'triggered.import': {
    params: z.strictObject({ text: z.string().max(16 * 1024 * 1024) }),
    result: z.object({
      added: z.number(),
      skipped: z.array(z.object({ line: z.number(), message: z.string() })),
    }),
  },
  'triggered.export': { params: typeParam, result: z.object({ text: z.string() }) },
  /** The host's network interfaces (the helper's namespace): names for the document's
   * external/internal lists. */
  interfaces: {
    params: empty,
    result: z.object({
      interfaces: z.array(
        z.object({ name: z.string(), up: z.boolean(), addresses: z.array(z.string()) }),
      ),
    }),
  },
  logSubscribe: {
    params: empty,
    result: z.object({ group: z.number(), reader: z.enum(['running', 'stopped', 'unavailable']) }),
  },
  logUnsubscribe: { params: empty, result: empty },
} as const satisfies Record<string, { params: z.ZodType; result: z.ZodType }>;

export type HelperCall = keyof typeof helperCalls;
export const HELPER_CALLS = Object.keys(helperCalls) as HelperCall[];
export type HelperParams<C extends HelperCall> = z.input<(typeof helperCalls)[C]['params']>;
export type HelperParsedParams<C extends HelperCall> = z.output<(typeof helperCalls)[C]['params']>;
export type HelperResult<C extends HelperCall> = z.infer<(typeof helperCalls)[C]['result']>;

export const isHelperCall = (name: unknown): name is HelperCall =>
  typeof name === 'string' && Object.hasOwn(helperCalls, name);

/* ------------------------------------------------------------------------------------------ */
/* Events (helper -> client)                                                                   */
/* ------------------------------------------------------------------------------------------ */

export const helperEvents = {
  /** To countersSubscribe'd clients, every intervalMs while our table is active. */
  'counters:tick': counterTickSchema,
  /** To logSubscribe'd clients, one per logged packet. */
  'log:event': logEventSchema,
  /** To every client: Alert / Notify / Email / URL / Webhook results of timer and event rules. */
  'notify:event': notifyEventSchema,
  /** To every client: apply, confirm, revert, rollback, stop. */
  'helper:state': helperStatusSchema,
  /** To every client: an address was added to or removed from a triggered table. */
  'triggered:changed': z.object({ time: isoTime }),
} as const satisfies Record<string, z.ZodType>;

export type HelperEventName = keyof typeof helperEvents;
export type HelperEventData<E extends HelperEventName> = z.infer<(typeof helperEvents)[E]>;
export const isHelperEvent = (name: unknown): name is HelperEventName =>
  typeof name === 'string' && Object.hasOwn(helperEvents, name);

/* ------------------------------------------------------------------------------------------ */
/* Envelopes                                                                                   */
/* ------------------------------------------------------------------------------------------ */

export const HELPER_ERROR_CODES = [
  /** Not JSON, not an object, or a field of the envelope or params is wrong; `field` says which. */
  'bad-request',
  /** The line exceeded MAX_MESSAGE_BYTES. */
  'too-large',
  'unknown-call',
  /** The document failed validation or compilation; `problems` lists why. */
  'invalid-document',
  /** nft refused the transaction (the previous rules are still in force). */
  'nft-failed',
  /** Nothing applied yet (showActive, counters) or nothing to revert. */
  'not-active',
  /** The operation needs something this machine lacks (tcpdump for the log). */
  'unavailable',
  'internal',
] as const;
export type HelperErrorCode = (typeof HELPER_ERROR_CODES)[number];

export const helperErrorSchema = z.object({
  code: z.enum(HELPER_ERROR_CODES),
  message: z.string(),
  field: z.string().optional(),
  problems: z.array(problemSchema).optional(),
});
export type HelperError = z.infer<typeof helperErrorSchema>;

const requestId = z.union([z.number().int().nonnegative(), z.string().min(1).max(64)]);
export type RequestId = z.infer<typeof requestId>;

export const requestEnvelopeSchema = z.strictObject({
  id: requestId,
  call: z.string().max(64),
  params: z.unknown().optional(),
});

export const responseSchema = z.union([
  z.object({ id: requestId.nullable(), ok: z.literal(true), result: z.unknown() }),
  z.object({ id: requestId.nullable(), ok: z.literal(false), error: helperErrorSchema }),
]);
export type HelperResponse = z.infer<typeof responseSchema>;

export const eventEnvelopeSchema = z.object({ event: z.string(), data: z.unknown() });
export type HelperEventEnvelope = z.infer<typeof eventEnvelopeSchema>;

export type HelperRequest = {
  [C in HelperCall]: { id: RequestId; call: C; params: HelperParsedParams<C> };
}[HelperCall];

/** One line on the wire (without its `\n`). */
export const encodeHelperMessage = (message: unknown): string => encodeWire(message);

/** Parse one line; throws SyntaxError on malformed JSON. */
export const decodeHelperMessage = (line: string): unknown => decodeWire(line);

/**
 * The path of the first object or array nested deeper than `limit` levels in `value` (the value
 * itself is level 1), or null. Iterative: a hostile value may be nested a million levels deep.
 */
export function nestingError(value: unknown, limit = MAX_NESTING): string | null {
  if (typeof value !== 'object' || value === null) return null;
  const values: object[] = [value];
  const depths: number[] = [1];
  while (values.length > 0) {
    const v = values.pop()!;
    const depth = depths.pop()!;
    if (depth > limit) return nestingPath(value, limit);
    // Dates and binary data are leaves (Uint8Array's indices are not values of their own).
    if (ArrayBuffer.isView(v) || v instanceof Date) continue;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const item: unknown = v[i];
        if (typeof item === 'object' && item !== null) {
          values.push(item);
          depths.push(depth + 1);
        }
      }
    } else {
      for (const key in v) {
        const item: unknown = (v as Record<string, unknown>)[key];
        if (typeof item === 'object' && item !== null) {
          values.push(item);
          depths.push(depth + 1);
        }
      }
    }
  }
  return null;
}

/**
 * nestingError(document, limit), walking only the rule tree's `children` where it can: a rule at
 * tree depth d (top level 1) is an object at level 1 + 2d (the document, its rules array, the
 * rule, its children array, ...) and its children array at 2 + 2d. When no rule has unknown keys
 * (`extra`, the only other place a rule can hold an object) and the deepest children array is
 * within `limit`, the answer is the rest of the document's (settings, extra), checked the general
 * way; otherwise the whole document is. Same answer as nestingError; at 100,000 rules it skips
 * enumerating every key of every rule (the open of a large document did that, ~30-50 ms).
 * Its own loop with a stack rather than the model's recursive `walk`: this runs before the depth
 * is known to be sane, and `walk` copies a path per rule.
 */
export function documentNestingError(
  document: { rules: readonly Rule[] },
  limit = MAX_NESTING,
): string | null {
  const lists: (readonly Rule[])[] = [document.rules];
  const depths: number[] = [1];
  while (lists.length > 0) {
    const list = lists.pop()!;
    const depth = depths.pop()!;
    for (let i = 0; i < list.length; i++) {
      const rule = list[i]!;
      if (rule.extra !== undefined || 2 + 2 * depth > limit) return nestingError(document, limit);
      if (rule.children.length > 0) {
        lists.push(rule.children);
        depths.push(depth + 1);
      }
    }
  }
  return nestingError({ ...document, rules: [] }, limit);
}

/** The path (keys joined with '.') to a value nested deeper than `limit` (slow path, for the
 * error message only; at most 8 keys shown). */
function nestingPath(root: object, limit: number): string {
  type Node = { v: object; depth: number; key: string; parent: Node | null };
  const stack: Node[] = [{ v: root, depth: 1, key: '', parent: null }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.depth > limit) {
      const keys: string[] = [];
      for (let n: Node | null = node; n?.parent; n = n.parent) keys.push(n.key);
      keys.reverse();
      return keys.length > 8 ? `${keys.slice(0, 8).join('.')}...` : keys.join('.');
    }
    const v = node.v;
    if (ArrayBuffer.isView(v) || v instanceof Date) continue;
    for (const key in v) {
      const item: unknown = (v as Record<string, unknown>)[key];
      if (typeof item === 'object' && item !== null)
        stack.push({ v: item, depth: node.depth + 1, key, parent: node });
    }
  }
  return '';
}

/** Depth of the deepest `children` nesting, without recursion (a hostile document may be deep). */
export function ruleDepth(rules: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[rules, 1]];
  while (stack.length > 0) {
    const [list, depth] = stack.pop()!;
    if (!Array.isArray(list)) continue;
    if (list.length > 0) max = Math.max(max, depth);
    if (depth > MAX_RULE_DEPTH) return depth;
    for (const item of list) {
      if (item && typeof item === 'object' && 'children' in item) {
        stack.push([(item as { children: unknown }).children, depth + 1]);
      }
    }
  }
  return max;
}

/* ------------------------------------------------------------------------------------------ */
/* The apply fast path                                                                         */
/* ------------------------------------------------------------------------------------------ */

// zod walks a 10,000-rule document in 15-40 ms, as long as the rest of the helper's apply takes
// without nft, so a document is checked first by the hand-written walk below: one `typeof` or set
// lookup per field. It is *conservative*: it says yes only for input `documentSchema` accepts
// (a property test holds it to that), and anything it does not say yes to goes through zod, which
// accepts it or produces the error reply naming the field. The zod schemas stay the contract.

const PROPERTY_SET: ReadonlySet<string> = new Set(PROPERTY_NAMES);
const RELATION_SET: ReadonlySet<string> = new Set(RELATION_NAMES);
const ACTION_SET: ReadonlySet<string> = new Set(ACTION_NAMES);
const RULE_KEYS: ReadonlySet<string> = new Set(RULE_FIELDS);
const SETTINGS_KEYS: ReadonlySet<string> = new Set(SETTING_KEYS);
const STATISTICS: ReadonlySet<string> = new Set(STATISTIC_KINDS);
const POLICIES: ReadonlySet<string> = new Set(DEFAULT_POLICIES);
const extraSchema = z.record(z.string(), plistValueSchema);

const isPlain = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  Object.getPrototypeOf(v) === Object.prototype;

const isText = (v: unknown, max: number): boolean => typeof v === 'string' && v.length <= max;

/** Every own key is one of `allowed` and holds a value (required keys are checked by type). */
function keysWithin(o: Record<string, unknown>, allowed: ReadonlySet<string>): boolean {
  for (const key in o) if (!allowed.has(key) || o[key] === undefined) return false;
  return true;
}

function fastRules(list: unknown): boolean {
  if (!Array.isArray(list)) return false;
  for (const r of list) {
    if (!isPlain(r) || !keysWithin(r, RULE_KEYS)) return false;
    if (
      typeof r.id !== 'string' ||
      !RULE_ID_PATTERN.test(r.id) ||
      typeof r.enabled !== 'boolean' ||
      typeof r.expanded !== 'boolean' ||
      !isText(r.name, MAX_TEXT) ||
      !isText(r.value, MAX_TEXT) ||
      !isText(r.parameter, MAX_TEXT) ||
      !PROPERTY_SET.has(r.property as string) ||
      !RELATION_SET.has(r.relation as string) ||
      !ACTION_SET.has(r.action as string)
    )
      return false;
    if ('extra' in r && !extraSchema.safeParse(r.extra).success) return false;
    if (!fastRules(r.children)) return false;
  }
  return true;
}

function fastInterfaces(v: unknown): boolean {
  if (!Array.isArray(v)) return false;
  for (const name of v) if (!isText(name, 64)) return false;
  return true;
}

/**
 * True only if `documentSchema` accepts `doc` (the converse need not hold: false means "ask
 * zod"). Nesting must already be bounded (`ruleDepth`): this walk recurses.
 */
export function isDocumentFast(doc: unknown): doc is FirewallDocument {
  if (!isPlain(doc) || !keysWithin(doc, DOCUMENT_KEYS)) return false;
  const s = doc.settings;
  if (
    !isPlain(s) ||
    !keysWithin(s, SETTINGS_KEYS) ||
    typeof s.firewallOn !== 'boolean' ||
    !Number.isSafeInteger(s.defaultTriggerDuration) ||
    (s.defaultTriggerDuration as number) < 0 ||
    !POLICIES.has(s.defaultPolicy as string) ||
    !STATISTICS.has(s.selectedStatistic as string) ||
    !fastInterfaces(s.externalInterfaces) ||
    !fastInterfaces(s.internalInterfaces)
  )
    return false;
  if ('extra' in doc && !extraSchema.safeParse(doc.extra).success) return false;
  return fastRules(doc.rules);
}
const DOCUMENT_KEYS: ReadonlySet<string> = new Set(['rules', 'settings', 'extra']);

/** apply's params, when the fast path can vouch for them (else undefined: use the schema). */
function fastApplyParams(params: unknown): HelperParsedParams<'apply'> | undefined {
  if (!isPlain(params) || !keysWithin(params, APPLY_KEYS)) return undefined;
  const t = params.confirmTimeoutSeconds;
  if (t !== undefined && !(Number.isSafeInteger(t) && (t as number) >= 1 && (t as number) <= 3600))
    return undefined;
  return isDocumentFast(params.document) ? (params as HelperParsedParams<'apply'>) : undefined;
}
const APPLY_KEYS: ReadonlySet<string> = new Set(['document', 'confirmTimeoutSeconds']);

const fieldOf = (path: readonly PropertyKey[]): string => path.map(String).join('.');

function issueError(prefix: string, error: z.ZodError): HelperError {
  const issue = error.issues[0];
  const path = issue ? fieldOf(issue.path) : '';
  let field = path ? `${prefix}.${path}` : prefix;
  let message = issue?.message ?? 'invalid';
  if (issue?.code === 'unrecognized_keys' && issue.keys[0] !== undefined) {
    field = `${field}.${issue.keys[0]}`;
    message = `unknown key (allowed keys are fixed by the protocol)`;
  }
  return { code: 'bad-request', message: `${field}: ${message}`, field };
}

/**
 * Validate one decoded message at the helper's edge. Returns the typed request, or the reply to
 * send (with the request's id when it could be read).
 */
export function parseHelperRequest(
  message: unknown,
): { ok: true; request: HelperRequest } | { ok: false; id: RequestId | null; error: HelperError } {
  const rawId =
    message && typeof message === 'object' && !Array.isArray(message)
      ? (message as { id?: unknown }).id
      : undefined;
  const id = requestId.safeParse(rawId).success ? (rawId as RequestId) : null;
  const envelope = requestEnvelopeSchema.safeParse(message);
  if (!envelope.success) {
    const issue = envelope.error.issues[0];
    const field = issue && issue.path.length > 0 ? fieldOf(issue.path) : 'message';
    const what =
      issue?.code === 'unrecognized_keys'
        ? `unknown key(s) ${issue.keys.join(', ')}`
        : (issue?.message ?? 'invalid');
    return {
      ok: false,
      id,
      error: { code: 'bad-request', message: `${field}: ${what}`, field },
    };
  }
  const { call, params } = envelope.data;
  if (!isHelperCall(call)) {
    return {
      ok: false,
      id,
      error: {
        code: 'unknown-call',
        message: `call: unknown call '${call}' (known: ${HELPER_CALLS.join(', ')})`,
        field: 'call',
      },
    };
  }
  if (call === 'apply' && params && typeof params === 'object') {
    const doc = (params as { document?: unknown }).document;
    const rules = doc && typeof doc === 'object' ? (doc as { rules?: unknown }).rules : undefined;
    if (ruleDepth(rules) > MAX_RULE_DEPTH) {
      return {
        ok: false,
        id,
        error: {
          code: 'bad-request',
          message: `params.document.rules: rules are nested deeper than ${MAX_RULE_DEPTH} levels`,
          field: 'params.document.rules',
        },
      };
    }
  }
  // Before anything recursive looks at the params (zod's plist-value schema overflows the stack
  // at ~1,800 levels): one limit for every nested value, documents' and rules' `extra` included.
  const deep = nestingError(params);
  if (deep !== null) {
    const field = deep ? `params.${deep}` : 'params';
    return {
      ok: false,
      id,
      error: {
        code: 'bad-request',
        message: `${field}: values are nested deeper than ${MAX_NESTING} levels`,
        field,
      },
    };
  }
  if (call === 'apply') {
    const fast = fastApplyParams(params);
    if (fast) return { ok: true, request: { id: envelope.data.id, call, params: fast } };
  }
  const parsed = helperCalls[call].params.safeParse(params ?? {});
  if (!parsed.success) return { ok: false, id, error: issueError('params', parsed.error) };
  return {
    ok: true,
    request: { id: envelope.data.id, call, params: parsed.data } as HelperRequest,
  };
}

// Runtime: pure (shared/). The rule tree -> one libnftables JSON transaction for `table inet
// treewall` (DESIGN §3-§4; layout and vocabulary table in ./README.md).
// Invariants: same document and options -> byte-identical output; every kernel name derives from a
// rule id through KeyAllocator (user text travels only as JSON `comment`/never in names); every
// effectively enabled rule gets exactly one counter (a named counter, or per-element counters of a
// verdict map); anything without a kernel equivalent is refused with a Problem naming the rule.
// It never throws on a document that satisfies the model's types.

import type { FirewallDocument, Problem, Rule } from '../model/types.ts';
import {
  cachedParameter,
  cachedValue,
  createParseCache,
  type ParseCache,
  type ParsedParameter,
  type ParsedValue,
} from '../model/values.ts';
import type { ActionName } from '../model/vocabulary.ts';
import { HELPER_ACTIONS, LOGGED_ACTIONS } from '../model/vocabulary-table.ts';
import {
  compileCondition,
  DIRECTION_SENSITIVE,
  HELPER_PROPERTIES,
  rateLines,
  type Cond,
  type Variant,
  L4_WITH_PORTS,
  TCP_UDP_SET,
} from './conditions.ts';
import { dynamicSetElements, readCounters, type CounterValues } from './counters.ts';
import { KeyAllocator, truncateUtf8 } from './names.ts';
import { cleanName } from '../model/text.ts';
import { formatIPv4, formatIPv6 } from '../model/address.ts';
import {
  accept,
  and,
  counterRef,
  drop,
  goto,
  jump,
  log,
  masquerade,
  match,
  meta,
  or,
  payload,
  range,
  ret,
  rejectIcmpxPortUnreachable,
  rejectTcpReset,
  setMark,
  setUpdate,
  type Command,
  type Expr,
  type Json,
  nftProgram,
  type NftProgram,
  type Stmt,
} from './nft.ts';
import { renderText } from './render-text.ts';
import { bySpan, disjointSegments, type Span } from './segments.ts';
import { Shaping, shapes, type ShapedClass } from './shaping.ts';
import { arrivalRefusal, forwardedFlowLine, forwardLines } from './nat.ts';
import {
  MAX_NEXT_HOPS,
  nextHopKey,
  ROUTE_TABLE_BASE,
  routeCode,
  routeMask,
  type RouteTarget,
} from './route.ts';
import { DELAY_QUEUE_BASE, delayOf, MAX_DELAY_QUEUES, type DelayQueue } from './delay.ts';

export { dynamicSetElements, readCounters, renderText };
export type { CounterValues, DelayQueue, NftProgram, RouteTarget };

export interface CompileOptions {
  /** NFLOG group for Log and for logged verdicts (the helper listens on it). Default 1729. */
  logGroup?: number;
  /** Table name inside family inet. Default `treewall`. */
  tableName?: string;
  /**
   * `replace` (default): `add table` + `delete table` + the full table, one transaction that
   * replaces whatever table of that name exists (nft 1.0.6 has no `destroy`). `table`: only the
   * table, for `nft -c` and for a first apply into a kernel that has none.
   */
  mode?: 'replace' | 'table';
  /** Shortest run of sibling leaves that becomes one verdict-map lookup. Default 4. */
  groupThreshold?: number;
  /**
   * Elements to put back into the dynamic sets of the new table, by set name, as
   * `nft -j list table` prints them (see `dynamicSetElements`). Replacing the table empties its
   * sets; passing what the old table held keeps triggered, authorized and kept addresses (with
   * their remaining time) across an apply. Sets the new document no longer has are dropped.
   */
  keepElements?: Record<string, Json[]>;
  /** Packet-mark bits treewall reserves during evaluation (see README, "Marks"). */
  marks?: {
    dontLog: number;
    exitGroup: number;
    masquerade: number;
    skip?: number;
    routed?: number;
  };
  /**
   * Parsed values and parameters to reuse, e.g. the cache `validateDocument(doc, cache)` just
   * filled for the same document (results are shared and never mutated). Default: a fresh one
   * per compile.
   */
  parseCache?: ParseCache;
}

/** The kernel objects that represent one rule; counters are read through `readCounters`. */
export interface RuleObjects {
  /** Kernel key derived from the rule id (chain/counter/set names and the NFLOG prefix). */
  key: string;
  /** Named counter object `c_<key>` (absent when the rule lives only as verdict-map elements). */
  counter?: string;
  /** Per-element counters: map name and the element's first/last value (canonical text). */
  elements?: { map: string; first: string; last: string }[];
  /** Chains that belong to this rule (its children chain per direction, alternatives, actions). */
  chains: string[];
  /** Dynamic sets this rule fills (Trigger: `t4_<key>`, `t6_<key>`). */
  sets?: string[];
  /** NFLOG prefix of the events this rule sends (Log, logged verdicts, helper actions). */
  logPrefix?: string;
  /** True when the helper evaluates the rule on a timer (Idle seconds, Parent match count, ...). */
  helper?: boolean;
  /**
   * Timer rules: the element of set `hf` that stands for "the helper holds this rule's
   * condition true". The kernel rule tests it; the helper adds and deletes it.
   */
  flag?: number;
}

export type CompileResult =
  | {
      ok: true;
      /** The program: its JSON text for nft, and the same parsed on first read (nft.ts). */
      nft: NftProgram;
      text: string;
      objects: Record<string, RuleObjects>;
      /** Compiles, but worth telling the user (an `external` list that is empty, ...). */
      warnings: Problem[];
      /**
       * Rule ids the helper evaluates on a timer. In the kernel they test their flag in set
       * `hf` (`objects[id].flag`): false until the helper sets it.
       */
      helperRules: string[];
      /**
       * Route to: the next hops whose `ip rule` and routing table the helper sets up (and removes
       * when no document in force needs them).
       */
      routes: RouteTarget[];
      /**
       * The document translates or masquerades (Port forward, Masquerade): it only works for
       * routed traffic when the host forwards (net.ipv4.ip_forward / ipv6 forwarding), which the
       * helper checks and reports (never switches). The first such rule, for the message.
       */
      forwarding?: { ruleId: string; number: string; action: 'Masquerade' | 'Port forward' };
      /** Rate limit out rules that shape: one HTB class each, set up by the helper (shaping.ts). */
      shaping?: ShapedClass[];
      /**
       * Delay (delay.ts): the queues the helper's worker binds and the placeholder chains it
       * fills after the load. Empty when the document has no Delay rule that reaches the kernel.
       */
      delays: DelayQueue[];
    }
  | {
      ok: false;
      problems: Problem[];
      /** What would have been warnings, had it compiled (documentProblems shows both). */
      warnings?: Problem[];
    };

export const DEFAULT_LOG_GROUP = 1729;
export const DEFAULT_MARKS = {
  dontLog: 0x40000000,
  exitGroup: 0x20000000,
  masquerade: 0x10000000,
  skip: 0x08000000,
  routed: 0x04000000,
};
/** nftables refuses chains nested deeper than this below a base chain (NFT_JUMP_STACK_SIZE - 1). */
export const MAX_CHAIN_LEVEL = 15;

/* ------------------------------------------------------------------------------------------ */
/* The prepared tree                                                                           */
/* ------------------------------------------------------------------------------------------ */

interface Node {
  rule: Rule;
  /** Index among the rule's siblings in the document (disabled ones counted). */
  index: number;
  /**
   * Outline number (`2.6.3`), made on first use by numberOf: only problems, warnings and counter
   * comments need it (a string per rule of a large outline was that much more to collect).
   */
  number: string | undefined;
  key: string;
  value: ParsedValue;
  param: ParsedParameter;
  /** Effectively enabled children. */
  children: Node[];
  /** Preorder index, and one past the last index of the subtree. */
  pre: number;
  end: number;
  /** Does anything in this subtree compile differently inbound and outbound? */
  sensitive: boolean;
  /** Does this rule's own condition? */
  varies: boolean;
  /**
   * Does a reporting action (Alert, Email, URL, Notify, Webhook, Script) sit below this rule? Under
   * a terminating rule it suppresses that rule's log line (DESIGN §3.6).
   */
  reports: boolean;
  /**
   * Is every packet this rule sees TCP or UDP? True under an ancestor `Protocol == 6` or `17`:
   * a rule is only tested after each of its ancestors matched (in a normal walk, a side-effect
   * walk or a dispatch element alike), so its port tests need no `meta l4proto @tcpudp` guard.
   */
  l4: boolean;
  /**
   * `++` (DESIGN §3.4): skips the next entry in outline order with its subtree. `firstChild`:
   * that entry is its own first child, which then never runs; `mark`: it is elsewhere (the next
   * sibling, or after the parent's subtree), so the rule sets the skip mark and that entry's
   * chain consumes it; `none`: the next entry is disabled or there is none.
   */
  skips?: 'firstChild' | 'mark' | 'none';
  /** The enabled parent (undefined at the top level). */
  parent?: Node;
  /** `<number> <name>`, cut to nft's comment limit (computed once). */
  comment?: string;
  /** Compiled condition per direction (`condIn` only when it does not vary). */
  condIn?: Cond;
  condOut?: Cond;
  /** This rule's entry of `objects` (held here: looking it up by id was a hot spot). */
  obj: RuleObjects;
}

// Shared and frozen (nothing writes to a compile's output): a leaf's children, a rule without
// chains of its own. Fewer objects that live as long as the
// compile's result is less work for the garbage collector (a third of a large compile).
const NO_NODES = Object.freeze([]) as unknown as Node[];
const NO_CHAINS = Object.freeze([]) as unknown as string[];
/** Every Exit-group element deeper than its group's chain goes here (tens of thousands at 100k). */
const GOTO_BREAK: Json = Object.freeze({ goto: Object.freeze({ target: 'tw_break' }) });
/**
 * A map element's JSON after its value, `,"counter":null}},<verdict>]`, for the verdicts most
 * elements share (written once: one piece per element for the final join instead of three).
 */
const SHARED_ELEMENT_ENDS = new Map<Json, string>(
  [GOTO_BREAK, ret, accept, drop].map((v) => [v, `,"counter":null}},${JSON.stringify(v)}]`]),
);

/** Actions that report the packet to the user (the helper acts on an NFLOG event). */
const REPORTING_ACTIONS: ReadonlySet<ActionName> = new Set<ActionName>([
  'Alert',
  'Email',
  'URL',
  'Notify',
  'Webhook',
  'Script',
]);

/** The address table each recording action fills (scanRecorders). */
const RECORDING_TABLES: Partial<Record<ActionName, 'keep' | 'auth' | 'inv'>> = {
  'Keep address': 'keep',
  Authorize: 'auth',
  'Keep invalid': 'inv',
};

/** Terminating actions: they fix the verdict first; their children only add side effects. */
const VERDICT_ACTIONS: ReadonlySet<ActionName> = new Set<ActionName>([
  'Pass',
  'Delete',
  'Delete no log',
  'Reject',
  'Drop connection',
  'Trigger',
  'Route to',
  'Delay',
]);
/**
 * Actions of a rule with children whose match-time line is only its counter: such a rule can be
 * an element of a dispatch map (`value : jump r_<key>`). Log, Dont log, Masquerade, Keep address,
 * Authorize and the helper actions do something at match time; Rate limits are direction-bound.
 */
const DISPATCHABLE_ACTIONS: ReadonlySet<ActionName> = new Set<ActionName>([
  ...VERDICT_ACTIONS,
  'Exit group',
  'Group',
  '->',
]);
/** Actions the compiler refuses outright (none today; Delay was until the queue worker). */
const REFUSED_ACTIONS: Partial<Record<ActionName, string>> = {};

/**
 * An entry's timeout in the shared triggered sets, which have the document default as their own:
 * "unlimited" (0) must be said explicitly, and nft has no "never" for an element of a set with a
 * timeout, so ten years stands in (the helper lists that as no expiry).
 */
const FOREVER_SECONDS = 3650 * 86400;
const sharedTimeout = (seconds: number): number => (seconds === 0 ? FOREVER_SECONDS : seconds);

/** A node's outline number: `2.6` + its index 2 -> `2.6.3` (cached on the node). */
function numberOf(node: Node): string {
  if (node.number === undefined) {
    node.number = node.parent
      ? `${numberOf(node.parent)}.${node.index + 1}`
      : String(node.index + 1);
  }
  return node.number;
}

/* ------------------------------------------------------------------------------------------ */
/* The compiler                                                                                */
/* ------------------------------------------------------------------------------------------ */

interface ChainInfo {
  /** Can control leave this chain with the Exit-group mark set (a break still travelling up)? */
  mayBreak: boolean;
  /** A skippable entry's chain that holds nothing (the entry compiles to no line here). */
  empty?: boolean;
}

/**
 * How an Exit group reached in this chain leaves its group (see README, "Exit group"): `return`
 * directly in the group's chain, `mark` deeper down, `end` in a side-effect walk whose nearest
 * Group is outside it (jumping past that Group's subtree ends the walk).
 */
type BreakMode = 'return' | 'mark' | 'end';

/**
 * The side-effect walk of a terminating rule's children (DESIGN §3.4): the statements that end it
 * by carrying out that rule's verdict, which is fixed already (a line's tail, or `goto v_<key>`).
 */
interface SideWalk {
  end: Stmt[];
  /** The terminating rule, when `end` is a goto to its action chain (for the depth check). */
  via?: Node;
}

class Compiler {
  readonly problems: Problem[] = [];
  readonly warnings: Problem[] = [];
  // No prototype: a rule id such as `__proto__` or `constructor` is just a key here.
  readonly objects: Record<string, RuleObjects> = Object.create(null) as Record<
    string,
    RuleObjects
  >;
  readonly helperRules: string[] = [];
  private readonly keys = new KeyAllocator();
  private readonly chainOrder: string[] = [];
  private readonly chains = new Map<string, Stmt[][]>();
  private readonly chainInfo = new Map<string, ChainInfo>();
  /** The rule whose `objects` entry lists a chain (the node that declared it first). */
  private readonly chainOwner = new Map<string, RuleObjects>();
  // The program's commands are written as JSON text as they are made (NftProgram): counters and
  // verdict maps here, the chains' rules at the end (their lines are kept as statements until
  // then: a chain is filled while the walk goes on, and lines are inspected on the way).
  private readonly counters: string[] = [];
  private readonly sets: Command[] = [];
  private readonly maps: string[] = [];
  /** Map name -> whether an element can leave its chain without a verdict (noteElementVerdict). */
  private readonly mapLeaves = new Map<string, boolean>();
  /** Chains map elements enter by jump or goto. */
  private readonly elementTargets = new Set<string>();
  /** The table name as a JSON string (quoted once). */
  private readonly tableJson: string;
  private readonly mapDone = new Set<string>();
  private readonly refusedIds = new Set<string>();
  private readonly reportedDepth = new Set<string>();
  private readonly lineComments = new Map<Stmt[], string>();
  private triggerNodes: Node[] = [];
  /** Entries a `++` elsewhere may skip (they consume the skip mark; see compileList). */
  private readonly skipTargets = new Set<Rule>();
  // Parsed values and parameters by (property or action, text): a large outline repeats a few
  // thousand distinct values, and parsing (addresses as bigints) was a third of the compile. The
  // parsers are pure and nothing mutates a parsed value, so equal texts share one result.
  private readonly parseCache: ParseCache;
  private firstDontLog = Number.POSITIVE_INFINITY;
  private usesMasquerade = false;
  private usesRouteTo = false;
  /** Port forward and Route to rules, in outline order (see nat.ts, route.ts). */
  private readonly forwardNodes: Node[] = [];
  private readonly routeNodes: Node[] = [];
  /** Rules refused by problemOnce: a rule compiled in several variants is refused once. */
  private readonly refusedOnce = new Set<string>();
  readonly routes: RouteTarget[] = [];
  /** Delay rules, in outline order, and their queues (delay.ts). */
  private readonly delayNodes: Node[] = [];
  readonly delays: DelayQueue[] = [];
  /** Rate limit out rules that shape (their HTB classes). */
  readonly shaping = new Shaping();
  forwarding: { ruleId: string; number: string; action: 'Masquerade' | 'Port forward' } | undefined;
  private usesMarks = false;
  /** Per address table: the one duration its recording rules use (null: they differ). */
  private readonly recordDurations: Partial<Record<'keep' | 'auth' | 'inv', number | null>> = {};
  /** Include == state is tested: `forward_out` marks the packets it tests (see conditions). */
  private usesRouted = false;
  private readonly table: string;
  private readonly group: number;
  private readonly threshold: number;
  private readonly marks: {
    dontLog: number;
    exitGroup: number;
    masquerade: number;
    skip: number;
    routed: number;
  };
  private readonly keepElements: Record<string, Json[]> | undefined;

  constructor(
    private readonly doc: FirewallDocument,
    options: CompileOptions,
  ) {
    this.table = options.tableName ?? 'treewall';
    this.tableJson = JSON.stringify(this.table);
    this.group = options.logGroup ?? DEFAULT_LOG_GROUP;
    this.threshold = Math.max(2, options.groupThreshold ?? 4);
    this.marks = { ...DEFAULT_MARKS, ...options.marks };
    this.keepElements = options.keepElements;
    this.parseCache = options.parseCache ?? createParseCache();
  }

  /* --- preparation: parse, validate, number, key ----------------------------------------- */

  /**
   * `after`: the entry that follows this list's parent's subtree in outline order (what a `++`
   * that is the last of `rules` skips), enabled or not.
   */
  private prepare(
    rules: Rule[],
    parent: Node | undefined,
    counter: { n: number },
    after?: Rule,
    l4 = false,
  ): Node[] {
    if (rules.length === 0) return NO_NODES;
    const out: Node[] = [];
    for (let index = 0; index < rules.length; index++) {
      const rule = rules[index] as Rule;
      if (!rule.enabled) continue;
      const next = rules[index + 1] ?? after;
      const pre = counter.n++;
      const key = this.keys.key(rule.id);
      // `objects` in outline order (preorder); an id met before is a duplicate. The entry starts
      // as `{}`, which V8 makes with room for four properties inside the object: key, chains and
      // the counter or elements added later fit there (a literal of two has room for two, and the
      // third then cost every rule an out-of-object property array).
      const obj = {} as RuleObjects;
      obj.key = key;
      obj.chains = NO_CHAINS;
      const value = cachedValue(this.parseCache, rule.property, rule.value);
      const param = cachedParameter(this.parseCache, rule.action, rule.parameter);
      const direction = DIRECTION_SENSITIVE.has(rule.property);
      // Every field declared here (children, end, sensitive, reports are filled in below): a node
      // keeps one shape (fields added afterwards would each cost 100,000 property stores at
      // 100,000 rules).
      const node: Node = {
        rule,
        index,
        number: undefined,
        key,
        value: value.ok ? value.value : { kind: 'none' },
        param: param.ok ? param.value : { kind: 'none' },
        children: NO_NODES,
        pre,
        end: pre,
        sensitive: false,
        varies: direction || rule.property === 'Rate',
        reports: false,
        l4,
        obj,
        skips: undefined,
        parent,
        comment: undefined,
        condIn: undefined,
        condOut: undefined,
      };
      if (this.objects[rule.id] !== undefined) {
        this.problem(
          rule,
          numberOf(node),
          undefined,
          `${rule.property}: another rule has the same id "${rule.id}"`,
        );
      }
      this.objects[rule.id] = obj;
      if (!value.ok) this.problem(rule, numberOf(node), 'value', value.error);
      if (!param.ok) this.problem(rule, numberOf(node), 'parameter', param.error);
      const refusal = REFUSED_ACTIONS[rule.action];
      if (refusal) this.problem(rule, numberOf(node), 'action', refusal);
      if (
        (rule.action === 'Rate limit in' || rule.action === 'Rate limit out') &&
        !(param.ok && shapes(rule.action, param.value)) &&
        rule.children.some((c) => c.enabled)
      ) {
        // Over its rate the rule is a Delete fixed at match time whose children are walked for
        // side effects only; within it the children run normally. That needs the children
        // compiled both ways, which the compiler does not do.
        this.problem(
          rule,
          numberOf(node),
          'action',
          `${rule.action} with children is not compiled yet (over the rate its children would run for side effects only): put the children beside it`,
        );
      }
      if (rule.action === 'Masquerade' && param.ok && param.value.kind === 'portRange') {
        this.problem(
          rule,
          numberOf(node),
          'parameter',
          'Masquerade with a port range is not compiled yet; leave the parameter empty',
        );
      }
      if (
        (rule.action === 'Port forward' || rule.action === 'Route to' || rule.action === 'Delay') &&
        rule.children.some((c) => c.enabled)
      ) {
        this.problem(
          rule,
          numberOf(node),
          'action',
          rule.action === 'Port forward'
            ? 'Port forward takes no children: it translates on arrival, before the filter walk, and its flow then passes without it'
            : `${rule.action} takes no children: IPNetSentryX ends the walk there and never runs them`,
        );
      }
      const children = this.prepare(
        rule.children,
        node,
        counter,
        next,
        l4 ||
          (rule.property === 'Protocol' &&
            rule.relation === '==' &&
            value.ok &&
            isTcpUdp(value.value)),
      );
      let sensitive =
        rule.action === 'Route to' ||
        rule.action === 'Delay' ||
        direction ||
        rule.property === 'Rate' ||
        rule.action === 'Rate limit in' ||
        rule.action === 'Rate limit out';
      let reports = false;
      for (const c of children) {
        if (c.sensitive) sensitive = true;
        if (c.reports || REPORTING_ACTIONS.has(c.rule.action)) reports = true;
      }
      node.children = children;
      node.end = counter.n;
      node.sensitive = sensitive;
      node.reports = reports;
      if (rule.action === '++') {
        // The next entry in outline order: its first child, else the next sibling, else the
        // entry after its parent's subtree. Skipping a disabled entry changes nothing.
        const target = rule.children[0] ?? next;
        if (!target?.enabled) node.skips = 'none';
        else if (target === rule.children[0]) node.skips = 'firstChild';
        else {
          node.skips = 'mark';
          this.skipTargets.add(target);
        }
      }
      // Refusals that do not depend on direction are reported wherever the rule sits.
      // (Timer properties wait for the compile: whether they run per packet depends on the
      // parent, which is not built yet.)
      // A test that may become a verdict-map element (groupField) is compiled only if it ends up
      // on a line of its own: as an element it needs none, and `==` on these fields is never
      // refused nor warned about (most of a large outline is such tests).
      if (value.ok && !direction && !HELPER_PROPERTIES.has(rule.property) && !mapCandidate(node))
        this.condition(node, 'in');
      if (rule.action === 'Dont log') this.firstDontLog = Math.min(this.firstDontLog, pre);
      if (rule.action === 'Trigger') this.triggerNodes.push(node);
      if (rule.action === 'Port forward') this.forwardNodes.push(node);
      if (rule.action === 'Route to') this.routeNodes.push(node);
      if (rule.action === 'Delay') this.delayNodes.push(node);
      if ((rule.action === 'Port forward' || rule.action === 'Masquerade') && !this.forwarding)
        this.forwarding = { ruleId: rule.id, number: numberOf(node), action: rule.action };
      out.push(node);
    }
    return out;
  }

  private problem(rule: Rule, number: string, field: Problem['field'], message: string): void {
    this.problems.push({ ruleId: rule.id, number, ...(field ? { field } : {}), message });
    this.refusedIds.add(rule.id);
  }

  /** `problem`, once per rule however many variants (in, out, routed) compile it. */
  private problemOnce(node: Node, field: Problem['field'], message: string): void {
    if (this.refusedOnce.has(node.rule.id)) return;
    this.refusedOnce.add(node.rule.id);
    this.problem(node.rule, numberOf(node), field, message);
  }

  /* --- kernel objects ---------------------------------------------------------------------- */

  private comment(node: Node): string | undefined {
    if (node.comment === undefined) {
      // cleanName: validation refuses control characters in names; a direct compile must not
      // put them in the kernel either (they come back out through `nft list`).
      const text = `${numberOf(node)} ${cleanName(node.rule.name)}`.trim();
      node.comment = truncateUtf8(text, 127);
    }
    return node.comment === '' ? undefined : node.comment;
  }

  private counterFor(node: Node): string {
    // One named counter per rule (a duplicate id, the only way two nodes share a key, is refused).
    const done = node.obj.counter;
    if (done !== undefined) return done;
    const name = `c_${node.key}`;
    const comment = this.comment(node);
    // { add: { counter: { family, table, name, comment? } } }; keys are [A-Za-z0-9_-] (names.ts).
    this.counters.push(
      `{"add":{"counter":{"family":"inet","table":${this.tableJson},"name":"${name}"${comment ? `,"comment":${JSON.stringify(comment)}` : ''}}}}`,
    );
    node.obj.counter = name;
    return name;
  }

  /** nftables refuses chains deeper than MAX_CHAIN_LEVEL: report the rule once. */
  private depthOk(node: Node, level: number): boolean {
    if (level <= MAX_CHAIN_LEVEL) return true;
    if (!this.reportedDepth.has(node.rule.id)) {
      this.reportedDepth.add(node.rule.id);
      this.problem(
        node.rule,
        numberOf(node),
        undefined,
        `${node.rule.property}: rules are nested too deeply for nftables (it allows ${MAX_CHAIN_LEVEL} levels of chains; this rule needs ${level})`,
      );
    }
    return false;
  }

  private declareChain(name: string, node: Node | undefined, level: number): boolean {
    if (node && !this.depthOk(node, level)) return false;
    if (!this.chains.has(name)) {
      this.chains.set(name, []);
      this.chainOrder.push(name);
      if (node) {
        if (node.obj.chains === NO_CHAINS) node.obj.chains = [name];
        else node.obj.chains.push(name);
        this.chainOwner.set(name, node.obj);
      }
    }
    return true;
  }

  private addSet(name: string, type: string, timeout?: number, elements?: Json[]): void {
    const keep = elements ?? this.keepElements?.[name];
    this.sets.push({
      add: {
        set: {
          family: 'inet',
          table: this.table,
          name,
          type,
          flags: ['timeout'],
          ...(timeout ? { timeout } : {}),
          ...(keep && keep.length > 0 ? { elem: keep } : {}),
        },
      },
    });
  }

  /**
   * The kept elements of the shared triggered set `trig4/6`. An address that only a deleted
   * Trigger rule's set held goes with that rule (as it did when each rule's set was the ban);
   * an address only a kept rule's set holds (a table compiled before every Trigger also filled
   * the shared set) joins it.
   */
  private keptShared(family: 4 | 6): Json[] | undefined {
    const keep = this.keepElements;
    if (!keep) return undefined;
    const own = new Set(this.triggerNodes.map((t) => `t${family}_${t.key}`));
    const kept = new Set<string>();
    const gone = new Set<string>();
    const joining: Json[] = [];
    const prefix = `t${family}_`;
    for (const [name, elems] of Object.entries(keep)) {
      if (!name.startsWith(prefix)) continue;
      for (const e of elems) {
        const address = elementAddress(e);
        if (address === undefined) continue;
        if (own.has(name)) {
          // A plain element comes from an unlimited rule's set (no timeout): unlimited here too.
          const forever = { elem: { val: address, timeout: FOREVER_SECONDS } };
          if (!kept.has(address)) joining.push(typeof e === 'string' ? forever : e);
          kept.add(address);
        } else gone.add(address);
      }
    }
    const out: Json[] = [];
    const present = new Set<string>();
    for (const e of keep[`trig${family}`] ?? []) {
      const address = elementAddress(e);
      if (address !== undefined && gone.has(address) && !kept.has(address)) continue;
      if (address !== undefined) present.add(address);
      out.push(e);
    }
    for (const e of joining) if (!present.has(elementAddress(e) as string)) out.push(e);
    return out;
  }

  /* --- conditions -------------------------------------------------------------------------- */

  private condition(node: Node, variant: Variant): Cond {
    // Most conditions read the same in both directions: compile those once.
    const out = node.varies && variant === 'out';
    const cached = out ? node.condOut : node.condIn;
    if (cached) return cached;
    const perPacket = this.parentCountCondition(node);
    if (perPacket) {
      if (out) node.condOut = perPacket;
      else node.condIn = perPacket;
      return perPacket;
    }
    let cond = compileCondition(node.rule, node.value, variant, {
      settings: this.doc.settings,
      key: node.key,
      routedMark: this.marks.routed,
      refresh: this.recordDurations,
    });
    const owner = node.rule.property === 'Owner UID' || node.rule.property === 'Owner GID';
    if (
      node.value.kind === 'includeState' ||
      (owner && variant === 'out' && (node.rule.relation === '!=' || node.rule.relation === '<='))
    ) {
      this.usesMarks = true;
      this.usesRouted = true;
    }
    if (cond.kind === 'helper') cond = this.timerFlag(node);
    if (node.l4 && cond.kind === 'lines') cond = withoutPortGuard(cond);
    if (out) node.condOut = cond;
    else node.condIn = cond;
    if (cond.kind === 'refused') this.problem(node.rule, numberOf(node), cond.field, cond.message);
    if (
      cond.kind === 'false' &&
      cond.warning &&
      !this.warnings.some((w) => w.ruleId === node.rule.id)
    ) {
      this.warnings.push({
        ruleId: node.rule.id,
        number: numberOf(node),
        field: 'value',
        message: cond.warning,
      });
    }
    return cond;
  }

  /**
   * Parent match count / Parent byte count tested per packet, against the parent's count
   * including this packet (DESIGN §3, last paragraph), where nftables can count exactly what the
   * parent matched: a `numgen inc` (packets) or `quota` (bytes) on this rule's own line counts
   * every packet that reaches the line, which is every packet the parent matched when nothing
   * before this rule in the parent's walk can end or divert it (no terminating rule, Exit group,
   * `++` or Rate limit among the earlier siblings or below them), nothing resets the count (no
   * Reset parent among the children), the parent's body is one chain shared by both programs, the
   * parent is no Include rule (its count would be per host) and no `++` can skip this rule.
   * Otherwise undefined: the helper's timer tests it (README, "Timer rules").
   */
  private parentCountCondition(node: Node): Cond | undefined {
    const property = node.rule.property;
    if (property !== 'Parent match count' && property !== 'Parent byte count') return undefined;
    const parent = node.parent;
    const v = node.value;
    if (!parent || v.kind !== 'range' || this.skipTargets.has(node.rule)) return undefined;
    if (parent.rule.property === 'Include' || parent.sensitive) return undefined;
    if (parent.children.some((c) => c.rule.action === 'Reset parent')) return undefined;
    const clear = (n: Node): boolean =>
      !VERDICT_ACTIONS.has(n.rule.action) &&
      !['Exit group', '++', 'Rate limit in', 'Rate limit out', 'Delay', 'Route to'].includes(
        n.rule.action,
      ) &&
      n.children.every(clear);
    const siblings = this.runnable(parent);
    const at = siblings.indexOf(node);
    if (at < 0 || !siblings.slice(0, at).every(clear)) return undefined;
    const { min, max } = v.range;
    if (min > 0xfffffffe || max > 0xfffffffe) return undefined;
    const relation = node.rule.relation;
    if (property === 'Parent match count') {
      // `numgen inc mod M offset 1`: 1 for the first packet that reaches it, 2 for the next...
      const count = { numgen: { mode: 'inc', mod: 0xffffffff, offset: 1 } };
      const right = min === max ? min : range(min, max);
      switch (relation) {
        case '==':
        case '!=':
          return { kind: 'lines', lines: [[match(relation, count, right)]] };
        case '>=':
          return { kind: 'lines', lines: [[match('>=', count, min)]] };
        case '<=':
          return { kind: 'lines', lines: [[match('<=', count, max)]] };
        default:
          return undefined;
      }
    }
    // Bytes: `quota over N` holds once the bytes counted (this packet's included) reach N;
    // `quota until N` while they are below it. Both count every packet that evaluates them.
    const quota = (val: number, over: boolean): Stmt => ({
      quota: { val, val_unit: 'bytes', ...(over ? { inv: true } : {}) },
    });
    switch (relation) {
      case '>=':
        return { kind: 'lines', lines: [[quota(min, true)]] };
      case '<=':
        return { kind: 'lines', lines: [[quota(max + 1, false)]] };
      case '==':
        // Below max + 1 and at least min: once the first quota fails it fails for good, so the
        // second one has counted every packet while the answer could still be yes.
        return { kind: 'lines', lines: [[quota(max + 1, false), quota(min, true)]] };
      default:
        return undefined;
    }
  }

  /**
   * A timer condition (Idle seconds, Parent match count, ...) has no packet field to test: the
   * helper evaluates it once a second and holds the answer in set `hf`, one element per timer
   * rule. nft has no lookup of a constant, so the key is `meta mark & 0 | N`: N whatever the
   * mark (kernel: `bitwise reg = (reg & 0) ^ N`; nft 1.0.6 lists it as `& N | N`, the same N).
   */
  private timerFlag(node: Node): Cond {
    const o = node.obj;
    if (o.flag === undefined) {
      this.helperRules.push(node.rule.id);
      o.helper = true;
      o.flag = this.helperRules.length;
    }
    return { kind: 'lines', lines: [[match('==', or(and(meta('mark'), 0), o.flag), '@hf')]] };
  }

  /* --- actions ----------------------------------------------------------------------------- */

  /**
   * The duration each address table's entries are recorded with (Keep address -> keep,
   * Authorize -> auth, Keep invalid -> inv), when every enabled recording rule agrees on one:
   * `Include ==` that table then refreshes a hit with it (DESIGN §3.7). Scanned before the tree
   * is prepared, because an Include test may come before the rules that fill its table.
   */
  private scanRecorders(rules: Rule[]): void {
    for (const rule of rules) {
      if (!rule.enabled) continue;
      const base = RECORDING_TABLES[rule.action];
      if (base) {
        const p = cachedParameter(this.parseCache, rule.action, rule.parameter);
        const seconds =
          p.ok && p.value.kind === 'duration'
            ? p.value.seconds === 'unlimited'
              ? 0
              : p.value.seconds
            : this.doc.settings.defaultTriggerDuration;
        const seen = this.recordDurations[base];
        this.recordDurations[base] = seen === undefined || seen === seconds ? seconds : null;
      }
      this.scanRecorders(rule.children);
    }
  }

  private duration(node: Node): number {
    const p = node.param;
    if (p.kind === 'duration') return p.seconds === 'unlimited' ? 0 : p.seconds;
    return this.doc.settings.defaultTriggerDuration;
  }

  /**
   * Statements run at match time, on the line that holds the rule's counter. In a side-effect
   * walk (`se`) a reporting action also marks the packet as reported, which silences the
   * terminating rule's own log line (DESIGN §3.6).
   */
  private headerStatements(node: Node, se?: SideWalk): Stmt[] {
    const stmts: Stmt[] = [counterRef(this.counterFor(node))];
    const action = node.rule.action;
    // A timer rule's helper action runs from the helper's timer; an event per packet while its
    // flag is set would run it again.
    const byTimer = node.obj.helper === true && HELPER_ACTIONS.has(action);
    if (action === 'Log' || (HELPER_ACTIONS.has(action) && !byTimer)) {
      stmts.push(log(node.key, this.group));
      node.obj.logPrefix = node.key;
      if (se && REPORTING_ACTIONS.has(action)) {
        this.usesMarks = true;
        stmts.push(setMark(or(meta('mark'), this.marks.dontLog)));
      }
    } else if (se && REPORTING_ACTIONS.has(action)) {
      this.usesMarks = true;
      stmts.push(setMark(or(meta('mark'), this.marks.dontLog)));
    } else if (action === 'Dont log') {
      this.usesMarks = true;
      stmts.push(setMark(or(meta('mark'), this.marks.dontLog)));
    } else if (action === '++' && node.skips === 'mark') {
      this.usesMarks = true;
      stmts.push(setMark(or(meta('mark'), this.marks.skip)));
    } else if (action === 'Masquerade') {
      this.usesMarks = true;
      this.usesMasquerade = true;
      stmts.push(setMark(or(meta('mark'), this.marks.masquerade)));
    }
    return stmts;
  }

  /** Extra match-time lines (one per address family) for actions that record the source. */
  private headerLines(node: Node): Stmt[][] {
    const action = node.rule.action;
    if (action !== 'Keep address' && action !== 'Authorize' && action !== 'Keep invalid') return [];
    const base = action === 'Authorize' ? 'auth' : action === 'Keep invalid' ? 'inv' : 'keep';
    const t = this.duration(node);
    return [
      [match('==', meta('nfproto'), 'ipv4'), setUpdate(`${base}4`, payload('ip', 'saddr'), t)],
      [match('==', meta('nfproto'), 'ipv6'), setUpdate(`${base}6`, payload('ip6', 'saddr'), t)],
    ];
  }

  /** The rule's own terminating action, run after its children gave no verdict. */
  private ownActionLines(node: Node, variant: Variant): Stmt[][] {
    const action = node.rule.action;
    if (action === 'Rate limit in' || action === 'Rate limit out') {
      // Policing, not shaping: traffic of the action's direction over the rate is deleted (not
      // logged); the rest goes on with the next rule. The other direction is not limited.
      if ((action === 'Rate limit in') !== (variant === 'in')) return [];
      if (node.param.kind !== 'rate') return [];
      if (shapes(action, node.param)) return []; // shaped at match time, never a verdict
      const ls = rateLines(node.param.rate, true, `rl_${node.key}_${variant}`);
      if (!ls) {
        this.problem(
          node.rule,
          numberOf(node),
          'parameter',
          `${action}: this rate is not a whole number per second, minute, hour, day or week`,
        );
        return [];
      }
      return ls.map((l) => [...l, drop]);
    }
    if (!VERDICT_ACTIONS.has(action)) return [];
    if (action === 'Pass') return [[accept]];
    if (action === 'Route to') return this.routeLines(node, variant);
    if (action === 'Delay') return this.delayLines(node, variant);
    if (action === 'Delete no log') return [[drop]];
    const logLines: Stmt[][] = [];
    let inlineLog: Stmt[] = [];
    if (LOGGED_ACTIONS.has(action)) {
      node.obj.logPrefix = node.key;
      // A Dont log tested before this verdict (earlier in the outline, or among this rule's own
      // children), or a reporting action among its children, may have set the mark: test it.
      // Otherwise logging is unconditional.
      if (this.firstDontLog < node.end || node.reports) {
        this.usesMarks = true;
        logLines.push([
          match('==', and(meta('mark'), this.marks.dontLog), 0),
          log(node.key, this.group),
        ]);
      } else {
        inlineLog = [log(node.key, this.group)];
      }
    }
    const tcp = match('==', meta('l4proto'), 'tcp');
    switch (action) {
      case 'Delete':
        return [...logLines, [...inlineLog, drop]];
      case 'Reject':
        return [
          ...logLines,
          ...(inlineLog.length ? [inlineLog] : []),
          [tcp, rejectTcpReset],
          [rejectIcmpxPortUnreachable],
        ];
      case 'Drop connection':
        return [
          ...logLines,
          ...(inlineLog.length ? [inlineLog] : []),
          [tcp, rejectTcpReset],
          [drop],
        ];
      case 'Trigger': {
        const t = this.duration(node);
        return [
          ...logLines,
          ...(inlineLog.length ? [inlineLog] : []),
          ...this.triggerUpdates(node, t),
          [drop],
        ];
      }
      default:
        return [];
    }
  }

  /**
   * Route to (route.ts): on a packet the host sends, the verdict marks it with its next hop's code
   * and accepts it; `output` is then a route chain, so the kernel routes it again with that mark.
   * Arriving and routed packets were routed before the filter saw them: refused there.
   */
  private routeLines(node: Node, variant: Variant): Stmt[][] {
    const p = node.param;
    const key = nextHopKey(p);
    // No next hop: the parameter's own problem says so (not that the packets arrive).
    if (key === undefined) return [[drop]];
    if (variant === 'in') {
      this.problemOnce(
        node,
        'action',
        'Route to reaches arriving packets here, whose route the kernel chose before the filter saw them: it works only for packets this host sends (put it under Direction == outbound)',
      );
      return [[drop]];
    }
    let index = this.routes.findIndex((r) => `${r.via ?? ''}|${r.dev ?? ''}` === key);
    if (index < 0) {
      if (this.routes.length >= MAX_NEXT_HOPS) {
        this.problemOnce(
          node,
          'parameter',
          `Route to: a document may name at most ${MAX_NEXT_HOPS} different next hops`,
        );
        return [[drop]];
      }
      index = this.routes.length;
      const mark = routeCode(index, this.marks);
      if (p.kind !== 'route') return [[drop]];
      this.routes.push({
        table: ROUTE_TABLE_BASE + index,
        mark,
        mask: routeMask(this.marks),
        ...(p.family !== undefined ? { family: p.family } : {}),
        ...(p.address !== undefined ? { via: p.address } : {}),
        ...(p.interface !== undefined ? { dev: p.interface } : {}),
        ruleIds: [],
      });
    }
    const target = this.routes[index] as RouteTarget;
    if (!target.ruleIds.includes(node.rule.id)) target.ruleIds.push(node.rule.id);
    this.usesRouteTo = true;
    const keep = ~target.mask >>> 0;
    return [[setMark(or(and(meta('mark'), keep), target.mark)), accept]];
  }

  /**
   * Delay (delay.ts): an arriving packet goes to its queue's verdict chain, which jumps to the
   * placeholder the helper fills with the queue rule, then carries the fallback verdict. A packet
   * the host sends passes at once, as in IPNetSentryX (kftDelay.c holds inbound packets only).
   */
  private delayLines(node: Node, variant: Variant): Stmt[][] {
    if (variant === 'out') return [[accept]];
    const { ms, failOpen } = delayOf(node.param);
    let queue = this.delays.find((d) => d.ms === ms && d.failOpen === failOpen);
    if (!queue) {
      if (this.delays.length >= MAX_DELAY_QUEUES) {
        this.problemOnce(
          node,
          'parameter',
          `Delay: a document may use at most ${MAX_DELAY_QUEUES} different delays (time and open/closed)`,
        );
        return [[drop]];
      }
      const index = this.delays.length;
      queue = {
        queue: DELAY_QUEUE_BASE + index,
        ms,
        failOpen,
        chain: `dq${index}`,
        verdictChain: `delay${index}`,
        ruleIds: [],
      };
      this.delays.push(queue);
      this.declareChain(queue.verdictChain, undefined, 1);
      this.declareChain(queue.chain, undefined, 1);
      this.chains.set(queue.verdictChain, [[jump(queue.chain)], [failOpen ? accept : drop]]);
    }
    if (!queue.ruleIds.includes(node.rule.id)) queue.ruleIds.push(node.rule.id);
    return [[goto(queue.verdictChain)]];
  }

  /** Problems of Route to, Delay and Port forward that depend on where they sit (after prepare). */
  private checkPlacement(): void {
    for (const node of [...this.routeNodes, ...this.delayNodes, ...this.forwardNodes]) {
      const what = node.rule.action;
      for (let a = node.parent; a; a = a.parent) {
        if (VERDICT_ACTIONS.has(a.rule.action) || a.rule.action === 'Exit group') {
          this.problem(
            node.rule,
            numberOf(node),
            'action',
            `${what} under rule ${numberOf(a)} (${a.rule.action}) would only be reached after the verdict is fixed, or never: move it out`,
          );
          break;
        }
        if (what === 'Port forward') {
          const why = arrivalRefusal(a.rule.property);
          if (why) {
            this.problem(
              node.rule,
              numberOf(node),
              undefined,
              `Port forward translates on arrival, before the filter walk, so its path may not test ${why}: rule ${numberOf(a)} does`,
            );
            break;
          }
        }
      }
      if (what === 'Port forward') {
        const why = arrivalRefusal(node.rule.property);
        if (why)
          this.problem(
            node.rule,
            numberOf(node),
            'property',
            `Port forward translates on arrival, before the filter walk, so it may not test ${why}`,
          );
      }
    }
  }

  /** The arrival translation (nat.ts): one or more `nat_pre` lines per Port forward rule. */
  private forwardChain(): Stmt[][] {
    const out: Stmt[][] = [];
    for (const node of this.forwardNodes) {
      if (this.refusedIds.has(node.rule.id)) continue;
      const path: Node[] = [];
      for (let n: Node | undefined = node; n; n = n.parent) path.unshift(n);
      const conds: Cond[] = path.map((n) =>
        n === node
          ? compileCondition(n.rule, n.value, 'in', {
              settings: this.doc.settings,
              key: n.key,
              routedMark: this.marks.routed,
              refresh: this.recordDurations,
            })
          : this.condition(n, 'in'),
      );
      const own = conds[conds.length - 1] as Cond;
      if (own.kind === 'refused') {
        this.problem(node.rule, numberOf(node), own.field, own.message);
        continue;
      }
      const ls = forwardLines(conds, node.param, this.counterFor(node));
      if (typeof ls === 'string') {
        this.problem(node.rule, numberOf(node), undefined, `Port forward: ${ls}`);
        continue;
      }
      const comment = this.comment(node);
      for (const l of ls) out.push(this.line(l, comment));
    }
    return out;
  }

  private breakCheck(mode: BreakMode): Stmt[] {
    const pending = match('==', and(meta('mark'), this.marks.exitGroup), this.marks.exitGroup);
    // In the group's own chain the break has arrived: clear the bit and leave the group.
    if (mode === 'return')
      return [pending, setMark(and(meta('mark'), ~this.marks.exitGroup >>> 0)), ret];
    return [pending, ret];
  }

  /* --- tree -> chains ------------------------------------------------------------------------ */

  /**
   * The children that can run when `node` matches: none for Exit group (it leaves at once, its
   * children never run).
   */
  private runnable(node: Node): Node[] {
    if (node.rule.action === 'Exit group') return [];
    // `++`'s first child is the entry it skips: it never runs.
    if (node.skips === 'firstChild') return node.children.slice(1);
    return node.children;
  }

  /**
   * The statements that carry out a terminating rule's verdict from anywhere in its side-effect
   * walk: its action line itself when that is one line of plain statements (`accept`, `log drop`),
   * else `goto v_<key>`, a chain holding its action lines (entered by goto: a final verdict).
   */
  private verdictTail(node: Node, variant: Variant, level: number): SideWalk {
    const own = this.ownActionLines(node, variant);
    const only = own[0];
    if (own.length === 1 && only && !only.some((st) => 'match' in st)) return { end: only };
    const name = `v_${node.key}`;
    if (!this.declareChain(name, node, level)) return { end: [drop] };
    if ((this.chains.get(name) as Stmt[][]).length === 0) this.chains.set(name, own);
    return { end: [goto(name)], via: node };
  }

  /** Compile a sibling list into `out` (lines of the current chain). Returns mayBreak. */
  private compileList(
    nodes: Node[],
    variant: Variant,
    level: number,
    mode: BreakMode,
    out: Stmt[][],
    se?: SideWalk,
  ): boolean {
    let mayBreak = false;
    let i = 0;
    while (i < nodes.length) {
      // No maps in a side-effect walk: a terminating member there ends the walk instead.
      const segments = se ? [{ length: 1, grouped: false }] : this.groupRun(nodes, i);
      for (const run of segments) {
        if (run.grouped) {
          if (this.compileGroupRun(nodes.slice(i, i + run.length), level, mode, out))
            mayBreak = true;
          i += run.length;
          continue;
        }
        // Not grouped: the segment (at least one rule) compiles rule by rule.
        const end = i + run.length;
        for (; i < end; i++) {
          const node = nodes[i] as Node;
          if (this.skipTargets.has(node.rule)) {
            if (this.compileSkippable(node, variant, level, mode, out, se)) mayBreak = true;
          } else if (this.compileNode(node, variant, level, mode, out, se)) mayBreak = true;
        }
      }
    }
    return mayBreak;
  }

  /**
   * An entry a `++` may skip: its lines go into a chain `k_<key>` whose first line consumes the
   * skip mark and returns (skipped with its subtree), so a mark set later, by a `++` inside this
   * entry, still reaches the entry after it. Returns mayBreak.
   */
  private compileSkippable(
    node: Node,
    variant: Variant,
    level: number,
    mode: BreakMode,
    out: Stmt[][],
    se: SideWalk | undefined,
  ): boolean {
    this.usesMarks = true;
    const skip = this.marks.skip;
    const consume: Stmt[] = [setMark(and(meta('mark'), ~skip >>> 0))];
    const lines: Stmt[][] = [];
    // A `return` inside the chain would only leave the chain: Exit group uses the mark there.
    const innerMode: BreakMode = mode === 'end' ? 'end' : 'mark';
    const name = this.childChainName(node, variant, 'k');
    if (!this.declareChain(name, node, level + 1)) return false;
    let info = this.chainInfo.get(name);
    if (!info) {
      const mayBreak = this.compileNode(node, variant, level + 1, innerMode, lines, se);
      if (lines.length > 0)
        this.chains.set(name, [
          [match('==', and(meta('mark'), skip), skip), ...consume, ret],
          ...lines,
        ]);
      info = { mayBreak, empty: lines.length === 0 };
      this.chainInfo.set(name, info);
    }
    if (info.empty) {
      // Nothing of the entry reaches the kernel here: only the mark is consumed.
      out.push(consume);
      return false;
    }
    out.push([jump(name)]);
    if (info.mayBreak) out.push(this.breakCheck(mode));
    return info.mayBreak && mode === 'mark';
  }

  private childChainName(node: Node, variant: Variant, prefixText = 'r'): string {
    return node.sensitive ? `${prefixText}_${node.key}_${variant}` : `${prefixText}_${node.key}`;
  }

  /**
   * What a matching rule does after its match-time statements, as the lines that follow them:
   * its own action lines (a terminating rule outside a side-effect walk, Rate limits), or, in a
   * side-effect walk, what a terminating rule or a leaving Exit group does there: record (Trigger)
   * and end the walk.
   */
  private actionLines(
    node: Node,
    variant: Variant,
    level: number,
    mode: BreakMode,
    se: SideWalk | undefined,
  ): Stmt[][] {
    const action = node.rule.action;
    if (action === 'Exit group') {
      if (mode !== 'end' || !se) return [];
      return [se.end];
    }
    if (!se) return this.ownActionLines(node, variant);
    if (!VERDICT_ACTIONS.has(action)) return []; // Rate limits change no verdict here
    // The verdict is fixed already: a terminating rule met in the walk ends it and changes
    // nothing, except that a Trigger still records the address.
    const records = action === 'Trigger' ? this.triggerUpdates(node, this.duration(node)) : [];
    return [...records, se.end];
  }

  /** Compile one rule into the current chain. Returns true if a break may be pending after it. */
  private compileNode(
    node: Node,
    variant: Variant,
    level: number,
    mode: BreakMode,
    out: Stmt[][],
    se?: SideWalk,
  ): boolean {
    // A Port forward translates on arrival, before the walk (nat_pre): in the walk it never
    // matches and has no line.
    if (node.rule.action === 'Port forward') return false;
    const cond = this.condition(node, variant);
    if (cond.kind === 'refused' || cond.kind === 'helper' || cond.kind === 'false') return false;
    const action = node.rule.action;
    const header = this.headerStatements(node, se);
    // Rate limit out that shapes: the packet's priority names the rule's HTB class (shaping.ts;
    // no other action shapes, and only those ask for the rule's number).
    if (action === 'Rate limit out') {
      const shaped = this.shaping.statements(node.rule, numberOf(node), node.param, variant);
      if (typeof shaped === 'string') this.problem(node.rule, numberOf(node), 'parameter', shaped);
      else header.push(...shaped);
    }
    const extra = this.headerLines(node);
    // Delay's verdict chain and the placeholder it jumps to sit two levels below this line.
    if (action === 'Delay' && variant === 'in' && !se && !this.depthOk(node, level + 2))
      return false;
    const own = this.actionLines(node, variant, level, mode, se);
    const isExit = action === 'Exit group';
    const condLines = cond.kind === 'true' ? [[]] : cond.kind === 'lines' ? cond.lines : [];
    const comment = this.comment(node);
    // In a side-effect walk a terminating rule's children never run (its walk has ended).
    const kids = se && VERDICT_ACTIONS.has(action) ? [] : this.runnable(node);

    // 1. Everything fits on one line of the current chain.
    const leaf = kids.length === 0 && extra.length === 0;
    const exits = cond.kind === 'lines' && (cond.exits !== undefined || cond.ordered !== undefined);
    const oneLine =
      leaf && cond.kind !== 'triggered' && !exits && condLines.length === 1 && own.length <= 1;
    const alt = cond.kind === 'triggered' || exits || condLines.length > 1;
    const bodyLevel = level + (alt ? 2 : 1);
    // A walk that ends by `goto v_<key>` from here: that chain sits one level below this one.
    if (se?.via && own.length > 0 && !this.depthOk(se.via, (oneLine ? level : bodyLevel) + 1))
      return false;
    if (oneLine) {
      const c = condLines[0] as Stmt[];
      if (isExit && own.length === 0) {
        if (mode === 'return') {
          out.push(this.line([...c, ...header, ret], comment));
          return false;
        }
        this.usesMarks = true;
        out.push(
          this.line(
            [...c, ...header, setMark(or(meta('mark'), this.marks.exitGroup)), ret],
            comment,
          ),
        );
        return true;
      }
      out.push(this.line([...c, ...header, ...(own[0] ?? [])], comment));
      return false;
    }

    // 2. A chain for the rule's body: children, then its own action.
    const body = this.childChainName(node, variant);
    const bodyInfo = this.bodyChain(
      node,
      variant,
      body,
      bodyLevel,
      [...(alt ? [header] : []), ...extra],
      own,
      kids,
      mode,
      se,
    );
    if (!bodyInfo) return false;

    if (!alt) {
      out.push(this.line([...(condLines[0] as Stmt[]), ...header, jump(body)], comment));
    } else {
      const altName = this.childChainName(node, variant, 'a');
      if (!this.declareChain(altName, node, level + 1)) return false;
      if ((this.chains.get(altName) as Stmt[][]).length === 0) {
        this.chains.set(altName, this.alternatives(node, cond, condLines, body));
      }
      const guard = cond.kind === 'lines' ? (cond.guard ?? []) : [];
      out.push(this.line([...guard, jump(altName)], comment));
    }
    if (bodyInfo.mayBreak) out.push(this.breakCheck(mode));
    return bodyInfo.mayBreak && mode === 'mark';
  }

  /**
   * The chain of a rule's body: `first` (match-time lines when the test is elsewhere), its
   * children, then its action lines. A terminating rule's children are its side-effect walk
   * (DESIGN §3.4): compiled with `se` ending in the rule's verdict, which follows them. Built once
   * per name.
   */
  private bodyChain(
    node: Node,
    variant: Variant,
    body: string,
    bodyLevel: number,
    first: Stmt[][],
    own: Stmt[][],
    kids: Node[],
    mode: BreakMode,
    se: SideWalk | undefined,
  ): ChainInfo | undefined {
    if (!this.declareChain(body, node, bodyLevel)) return undefined;
    let bodyInfo = this.chainInfo.get(body);
    if (!bodyInfo) {
      const action = node.rule.action;
      const lines: Stmt[][] = [...first];
      let childSe = se;
      let childMode: BreakMode;
      let tail = own;
      if (!se && VERDICT_ACTIONS.has(action) && kids.length > 0) {
        // The verdict is fixed: the children are walked for their side effects only, and an
        // Exit group there whose Group is outside the walk ends it.
        childSe = this.verdictTail(node, variant, bodyLevel + 1);
        childMode = 'end';
        // A Trigger records the address before its children are walked (the original's kernel
        // does: a child testing `Include == triggered` sees the host already recorded). The
        // verdict's own lines record again at the end: the same timeout, so only a refresh.
        if (action === 'Trigger') lines.push(...this.triggerUpdates(node, this.duration(node)));
        // After the walk, the same verdict (one line, or the goto to its chain).
        tail = [childSe.end];
      } else if (action === 'Group') childMode = 'return';
      else childMode = mode === 'end' ? 'end' : 'mark';
      let mayBreak = this.compileList(kids, variant, bodyLevel, childMode, lines, childSe);
      if (action === 'Group' || childMode === 'end') mayBreak = false;
      if (action === 'Exit group' && own.length === 0) {
        this.usesMarks = true;
        lines.push([setMark(or(meta('mark'), this.marks.exitGroup)), ret]);
        mayBreak = true;
      } else lines.push(...tail);
      this.chains.set(body, lines);
      bodyInfo = { mayBreak };
      this.chainInfo.set(body, bodyInfo);
    }
    if (bodyInfo.mayBreak) this.usesMarks = true;
    return bodyInfo;
  }

  /** Lines of an alternatives chain: each way the condition can hold goes to the body chain. */
  private alternatives(node: Node, cond: Cond, condLines: Stmt[][], body: string): Stmt[][] {
    if (cond.kind !== 'triggered') {
      const exits = cond.kind === 'lines' ? (cond.exits ?? []) : [];
      const ordered = cond.kind === 'lines' ? (cond.ordered ?? []) : [];
      return [
        ...exits.map((l) => [...l, ret]),
        ...ordered.map((o) => [...o.line, o.holds ? goto(body) : ret]),
        ...condLines.map((l) => [...l, goto(body)]),
      ];
    }
    // Include triggered: one lookup per family in the shared set (every Trigger adds there), so
    // a packet from an address that is not triggered costs one lookup whatever the number of
    // Trigger rules. Only a triggered address goes on to the per-rule sets, to refresh its
    // entries with the duration of the rule that triggered it (expiry counts from the last time
    // it was seen, whichever relation asked: `!=` refreshes too); an address added by hand gets
    // the document default.
    const found = cond.negated ? ret : goto(body);
    const missed = cond.negated ? goto(body) : ret;
    const lines: Stmt[][] = [];
    for (const f of [4, 6] as const) {
      const [nfproto, proto] = f === 4 ? ['ipv4', 'ip'] : ['ipv6', 'ip6'];
      const family = match('==', meta('nfproto'), nfproto);
      lines.push([family, match('!=', payload(proto, 'saddr'), `@trig${f}`), missed]);
      for (const t of this.triggerNodes) {
        const d = this.duration(t);
        const set = `t${f}_${t.key}`;
        lines.push([
          family,
          match('==', payload(proto, 'saddr'), `@${set}`),
          setUpdate(set, payload(proto, 'saddr'), d),
          setUpdate(`trig${f}`, payload(proto, 'saddr'), sharedTimeout(d)),
          found,
        ]);
      }
      const dflt = this.doc.settings.defaultTriggerDuration;
      lines.push([
        family,
        setUpdate(`trig${f}`, payload(proto, 'saddr'), sharedTimeout(dflt)),
        found,
      ]);
    }
    void node;
    return lines;
  }

  /**
   * A Trigger's set updates, per family: the shared `trig4/6` (what Include looks up: the ban)
   * and the rule's own `t4/6_<key>` (which rule triggered it), both with the rule's duration.
   */
  private triggerUpdates(node: Node, seconds: number): Stmt[][] {
    const lines: Stmt[][] = [];
    for (const f of [4, 6] as const) {
      const [nfproto, proto] = f === 4 ? ['ipv4', 'ip'] : ['ipv6', 'ip6'];
      lines.push([
        match('==', meta('nfproto'), nfproto),
        setUpdate(`t${f}_${node.key}`, payload(proto, 'saddr'), seconds),
        setUpdate(`trig${f}`, payload(proto, 'saddr'), sharedTimeout(seconds)),
      ]);
    }
    return lines;
  }

  /** A rule line that carries the rule's counter also carries its number and name as comment. */
  private line(stmts: Stmt[], comment: string | undefined): Stmt[] {
    if (comment !== undefined) this.lineComments.set(stmts, comment);
    return stmts;
  }

  /* --- sibling runs -> verdict maps --------------------------------------------------------- */

  private groupField(node: Node): string | undefined {
    const r = node.rule;
    if (
      r.relation !== '==' ||
      r.action === 'Route to' ||
      r.action === 'Delay' ||
      this.refusedIds.has(r.id) ||
      this.skipTargets.has(r)
    )
      return undefined;
    if (this.runnable(node).length > 0) {
      // A rule with children dispatches as `value : jump r_<key>` when the line that tests it
      // would carry nothing but its counter (no log, mark or set update at match time) and its
      // body is one chain shared by both programs.
      if (node.sensitive || !DISPATCHABLE_ACTIONS.has(r.action)) return undefined;
    } else if (!VERDICT_ACTIONS.has(r.action) && r.action !== 'Exit group') return undefined;
    switch (r.property) {
      case 'Source port':
      case 'Dest port':
        return node.value.kind === 'range' ? r.property : undefined;
      case 'Protocol':
        return node.value.kind === 'protocol' ? r.property : undefined;
      case 'Source net':
      case 'Dest net':
        return node.value.kind === 'address' ? r.property : undefined;
      default:
        return undefined;
    }
  }

  /**
   * The run of siblings testing one field from `start`, cut into consecutive segments, each
   * becoming a map or compiling rule by rule. A map finds one element, so a segment must not hold
   * two rules that can match one packet: a run with overlaps (a ban list with a network listed
   * twice, or inside another) is cut before each rule that overlaps an earlier one of its
   * segment. Segments are looked up in outline order, so first-match order holds across them.
   */
  private groupRun(nodes: Node[], start: number): { length: number; grouped: boolean }[] {
    const first = nodes[start];
    const field = first && this.groupField(first);
    if (!field) return [{ length: 1, grouped: false }];
    let n = 1;
    while (start + n < nodes.length && this.groupField(nodes[start + n] as Node) === field) n++;
    if (n < this.threshold) return [{ length: n, grouped: false }];
    // Most runs list their values in ascending order (ports, a site's hosts), or a few such lists
    // one after another (a ban list that repeats): cut in one pass without a Span per member.
    let lengths = ascendingSegments(nodes, start, n);
    if (lengths === undefined) {
      const spans = nodes.slice(start, start + n).map((x) => interval(x));
      const sorted = spans.slice().sort(bySpan);
      let disjoint = true;
      for (let i = 1; i < sorted.length && disjoint; i++) {
        const a = sorted[i - 1] as Span;
        const b = sorted[i] as Span;
        if (a.family === b.family && b.lo <= a.hi) disjoint = false;
      }
      if (disjoint) return [{ length: n, grouped: true }];
      lengths = disjointSegments(spans);
    }
    const segments: { length: number; grouped: boolean }[] = [];
    for (const length of lengths) {
      const grouped = length >= this.threshold;
      const last = segments[segments.length - 1];
      // Short segments side by side compile rule by rule as one piece.
      if (!grouped && last && !last.grouped) last.length += length;
      else segments.push({ length, grouped });
    }
    return segments;
  }

  /**
   * One verdict-map lookup per address family for a run of siblings: leaves map to their verdict,
   * rules with children to `jump r_<key>` (a dispatch: at most one sibling of a disjoint run can
   * match, so skipping the others after the jump returns is first-match order). Returns mayBreak.
   */
  private compileGroupRun(run: Node[], level: number, mode: BreakMode, out: Stmt[][]): boolean {
    let mayBreak = false;
    const first = run[0] as Node;
    const property = first.rule.property;
    const isNet = property === 'Source net' || property === 'Dest net';
    const families: (4 | 6 | 0)[] = isNet ? [4, 6] : [0];
    for (const family of families) {
      const members = isNet
        ? run.filter((n) => n.value.kind === 'address' && n.value.match.family === family)
        : run;
      if (members.length === 0) continue;
      const name = isNet ? `m_${first.key}_${family}` : `m_${first.key}`;
      const exact = exactLookup(members, family);
      if (!this.mapDone.has(name)) {
        this.mapDone.add(name);
        // The elements as JSON text, `[{ elem: { val, counter: null } }, verdict]` each, in
        // pieces joined once (a ban list is one map of tens of thousands of elements: a string
        // per element, or per piece of one, would be as many objects to keep until the join).
        const elem: string[] = [];
        let leaves = false;
        for (const node of members) {
          const verdict = this.elementVerdict(node, level + 1, mode);
          if (node.rule.action === 'Exit group' && mode === 'mark') mayBreak = true;
          if (this.noteElementVerdict(verdict)) leaves = true;
          // `counter: null` is a counter starting at zero, as `{ packets: 0, bytes: 0 }` is, in
          // 20 bytes less of JSON per element for nft to read (1.8 MB at 100,000 rules).
          elementValueJson(elem, node, exact !== undefined, elem.length === 0);
          const end = SHARED_ELEMENT_ENDS.get(verdict);
          if (end !== undefined) elem.push(end);
          else elem.push(',"counter":null}},', JSON.stringify(verdict), ']');
          // The element's canonical [first, last] (elementRange's form) as the kernel holds it:
          // in an exact map a network is one key, its network address.
          const first = boundText(node, false);
          const element = { map: name, first, last: exact ? first : boundText(node, true) };
          // (A literal, not `push` onto `[]`: that reserves room for 17 in each rule's array.)
          if (node.obj.elements) node.obj.elements.push(element);
          else node.obj.elements = [element];
        }
        this.mapLeaves.set(name, leaves);
        const type =
          property === 'Protocol'
            ? 'inet_proto'
            : isNet
              ? family === 4
                ? 'ipv4_addr'
                : 'ipv6_addr'
              : 'inet_service';
        // { add: { map: { family, table, name, type, map: 'verdict', flags?, elem, stmt } } }
        this.maps.push(
          `{"add":{"map":{"family":"inet","table":${this.tableJson},"name":"${name}","type":"${type}","map":"verdict",${property === 'Protocol' || exact ? '' : '"flags":["interval"],'}"elem":[${elem.join('')}],"stmt":[{"counter":null}]}}}`,
        );
      }
      const key: Expr =
        property === 'Protocol'
          ? meta('l4proto')
          : isNet
            ? payload(family === 4 ? 'ip' : 'ip6', property === 'Source net' ? 'saddr' : 'daddr')
            : payload('th', property === 'Source port' ? 'sport' : 'dport');
      const lookupKey = exact?.mask === undefined ? key : and(key, exact.mask);
      const guard = isNet || property === 'Protocol' || first.l4 ? [] : [L4_WITH_PORTS];
      out.push([...guard, { vmap: { key: lookupKey, data: `@${name}` } }]);
      if (members.some((n) => n.rule.action === 'Exit group') && mode === 'mark') mayBreak = true;
    }
    // A body that may come back with a break pending: one check after the lookup(s), as after a
    // rule's own jump line (a packet is of one family, so at most one element was taken).
    const bodyBreaks = run.some(
      (n) => this.runnable(n).length > 0 && this.chainInfo.get(`r_${n.key}`)?.mayBreak === true,
    );
    if (bodyBreaks) {
      this.usesMarks = true;
      out.push(this.breakCheck(mode));
      if (mode === 'mark') mayBreak = true;
    }
    return mayBreak;
  }

  /**
   * What a map element does: a plain verdict, or `goto` a chain with the rule's action lines.
   * An Exit group element `return`s in the group's own chain; deeper down it goes to a chain that
   * sets the mark and returns, which — entered by goto — leaves the current chain for its caller.
   */
  private elementVerdict(node: Node, level: number, mode: BreakMode): Json {
    const kids = this.runnable(node);
    if (kids.length > 0) {
      // A dispatched rule with children: its body chain, entered by jump as from its own line;
      // the break check after the lookup (compileGroupRun) does what it does after that line.
      const body = `r_${node.key}`;
      const own = this.ownActionLines(node, 'in');
      this.bodyChain(node, 'in', body, level, [], own, kids, mode, undefined);
      return jump(body);
    }
    if (node.rule.action === 'Exit group') {
      if (mode === 'return') return ret;
      // One shared chain serves every such element: set the mark, return to the caller.
      this.usesMarks = true;
      if (!this.depthOk(node, level)) return ret;
      if (!this.chains.has('tw_break')) {
        this.chains.set('tw_break', [[setMark(or(meta('mark'), this.marks.exitGroup)), ret]]);
        this.chainOrder.push('tw_break');
      }
      return GOTO_BREAK;
    }
    // The verdicts of most leaves in a large outline (a ban list), without their action lines.
    if (node.rule.action === 'Delete no log') return drop;
    if (node.rule.action === 'Pass') return accept;
    const own = this.ownActionLines(node, 'in');
    if (own.length === 1 && (own[0] as Stmt[]).length === 1) return (own[0] as Stmt[])[0] as Json;
    const name = `r_${node.key}`;
    if (this.declareChain(name, node, level) && (this.chains.get(name) as Stmt[][]).length === 0) {
      this.chains.set(name, own);
    }
    return goto(name);
  }

  /**
   * What inlineLookupBodies needs to know of a map's element: whether it can leave the chain the
   * map is looked up in without a verdict (`return`, `goto tw_break`: true), and the chain it
   * enters (which keeps its chain).
   */
  private noteElementVerdict(verdict: Json): boolean {
    if (verdict === drop || verdict === accept) return false;
    const v = verdict as { jump?: { target?: string }; goto?: { target?: string } } | null;
    const target = v?.jump?.target ?? v?.goto?.target;
    if (typeof target === 'string') this.elementTargets.add(target);
    const stays =
      v !== null &&
      typeof v === 'object' &&
      ('accept' in v ||
        'drop' in v ||
        v.jump !== undefined ||
        (typeof v.goto?.target === 'string' && v.goto.target.startsWith('r_')));
    return !stays;
  }

  /**
   * A rule body that is one lookup (`ip saddr & 255.255.255.0 vmap @m_...`, a Group of banned
   * networks, of sites, of ports: the members' own tests are the map) is looked up on the line
   * that jumped to it, and its chain goes: `counter name c_x ip saddr vmap @m` instead of
   * `counter name c_x jump r_x` + `r_x { ip saddr vmap @m }`, one rule and one chain less per
   * packet. Exact only when no element leaves the chain it is looked up in without a verdict:
   * `return` (Exit group in its own Group) and `goto tw_break` (a deeper Exit group) would leave
   * the line's chain instead of the body's. A `jump` comes back to the line either way, and
   * `accept`, `drop` and `goto r_<key>` (a leaf's own action chain, which ends in its verdict)
   * end the walk. The tests before the lookup (the port guard) are pure matches: a line that
   * fails them continues with the next line, as the body's end would.
   */
  private inlineLookupBodies(): void {
    const lookupBody = (name: string): Stmt[] | undefined => {
      if (!name.startsWith('r_')) return undefined;
      const lines = (this.chains.get(name) ?? []).filter((l) => l.length > 0);
      const only = lines[0];
      if (lines.length !== 1 || !only || this.lineComments.has(only)) return undefined;
      const last = only[only.length - 1] as { vmap?: { data?: string } };
      const map = last.vmap?.data?.startsWith('@') ? last.vmap.data.slice(1) : undefined;
      if (map === undefined || this.mapLeaves.get(map) !== false) return undefined;
      return only.slice(0, -1).every((st) => 'match' in st) ? only : undefined;
    };
    const inlined = new Set<string>();
    for (const name of this.chainOrder) {
      for (const line of this.chains.get(name) ?? []) {
        const last = line[line.length - 1] as { jump?: { target?: string } } | undefined;
        const target = last?.jump?.target;
        const body = target === undefined ? undefined : lookupBody(target);
        if (!body || target === undefined) continue;
        line.splice(line.length - 1, 1, ...body);
        inlined.add(target);
      }
    }
    if (inlined.size === 0) return;
    // A body still entered elsewhere (a map element `jump r_x`) keeps its chain.
    const entered = new Set<string>();
    const note = (x: unknown): void => {
      if (!x || typeof x !== 'object') return;
      const t =
        (x as { jump?: { target?: unknown }; goto?: { target?: unknown } }).jump?.target ??
        (x as { goto?: { target?: unknown } }).goto?.target;
      if (typeof t === 'string') entered.add(t);
    };
    for (const lines of this.chains.values()) for (const l of lines) for (const st of l) note(st);
    for (const t of this.elementTargets) entered.add(t);
    const gone = new Set([...inlined].filter((n) => !entered.has(n)));
    if (gone.size === 0) return;
    for (const n of gone) {
      this.chains.delete(n);
      this.chainInfo.delete(n);
    }
    const kept = this.chainOrder.filter((n) => !gone.has(n));
    this.chainOrder.splice(0, this.chainOrder.length, ...kept);
    // Only the rule that declared a chain lists it (declareChain): no walk over every rule.
    for (const n of gone) {
      const o = this.chainOwner.get(n);
      if (o) o.chains = o.chains.filter((c) => !gone.has(c));
    }
  }

  /* --- the whole document ------------------------------------------------------------------- */

  run(mode: 'replace' | 'table'): NftProgram | undefined {
    this.scanRecorders(this.doc.rules);
    const top = this.prepare(this.doc.rules, undefined, { n: 0 });
    this.checkPlacement();
    const family = 'inet';
    const table = this.table;

    // Triggered-address sets: one pair per Trigger rule (so the helper knows who triggered an
    // address and a refresh keeps that rule's duration), plus `trig4`/`trig6` for addresses the
    // helper adds by hand; authorized and kept addresses.
    for (const t of this.triggerNodes) {
      const d = this.duration(t);
      this.addSet(`t4_${t.key}`, 'ipv4_addr', d);
      this.addSet(`t6_${t.key}`, 'ipv6_addr', d);
      t.obj.sets = [`t4_${t.key}`, `t6_${t.key}`];
    }
    const dflt = this.doc.settings.defaultTriggerDuration;
    for (const base of ['trig', 'auth', 'keep', 'inv']) {
      this.addSet(`${base}4`, 'ipv4_addr', dflt, base === 'trig' ? this.keptShared(4) : undefined);
      this.addSet(`${base}6`, 'ipv6_addr', dflt, base === 'trig' ? this.keptShared(6) : undefined);
    }

    // The constant `{ tcp, udp }` every port test and port map lookup refers to (conditions.ts).
    this.sets.push({
      add: {
        set: { family, table, name: TCP_UDP_SET, type: 'inet_proto', elem: ['tcp', 'udp'] },
      },
    });

    for (const variant of ['in', 'out'] as const) {
      const name = `tw_${variant}`;
      this.declareChain(name, undefined, 1);
      const lines: Stmt[][] = [];
      this.compileList(top, variant, 1, 'return', lines);
      this.chains.set(name, lines);
    }
    // The timer rules' flags (see timerFlag): empty at load, the helper fills it.
    if (this.helperRules.length > 0)
      this.sets.push({ add: { set: { family, table, name: 'hf', type: 'mark' } } });

    // Every effectively enabled rule has a counter, even one that never reaches the kernel.
    const visit = (nodes: Node[]): void => {
      for (const n of nodes) {
        const o = n.obj;
        if (!o.counter && !o.elements) this.counterFor(n);
        visit(n.children);
      }
    };
    visit(top);
    const forwardLines = this.forwardChain();
    this.inlineLookupBodies();

    if (this.problems.length > 0) return undefined;

    const allMarks =
      this.marks.dontLog |
      this.marks.exitGroup |
      this.marks.masquerade |
      this.marks.skip |
      this.marks.routed;
    // Between the two programs of a routed packet only the evaluation bits are cleared: a
    // Masquerade mark set by the inbound program still applies when the packet leaves.
    const walkMarks = this.marks.dontLog | this.marks.exitGroup | this.marks.skip;
    const clear = (bits: number, set = 0): Stmt[] => [
      setMark(set ? or(and(meta('mark'), ~bits >>> 0), set) : and(meta('mark'), ~bits >>> 0)),
    ];
    const policy = this.doc.settings.defaultPolicy === 'delete' ? 'drop' : 'accept';
    // A flow a Port forward translated passes the filter hooks without the walk (nat.ts).
    const forwarded = forwardLines.length > 0 ? [forwardedFlowLine()] : [];
    const base = (
      name: string,
      hook: string,
      target: string,
      prio: number,
      bits: number,
      set = 0,
    ): [Command, Stmt[][]] => [
      {
        add: {
          chain: {
            family,
            table,
            name,
            // Route to: the output hook's chain is a route chain, so a mark set by the walk
            // makes the kernel route the packet again (route.ts).
            type: name === 'output' && this.usesRouteTo ? 'route' : 'filter',
            hook,
            prio,
            policy,
          },
        },
      },
      [
        ...forwarded,
        ...(this.usesMarks || this.usesRouteTo ? [clear(bits, set)] : []),
        [jump(target)],
      ],
    ];
    // A routed packet is tested twice (DESIGN §3.9): inbound on arrival (`forward`, Interface =
    // iifname), then, if that passed it, outbound on departure (`forward_out`, a second base
    // chain of the forward hook one priority later, Interface = oifname). An accept ends only its
    // own base chain, so the outbound program still runs; a drop ends the packet.
    const bases: [Command, Stmt[][], string][] = [
      [...base('input', 'input', 'tw_in', 0, allMarks), 'input'],
      [...base('forward', 'forward', 'tw_in', 0, allMarks), 'forward'],
      [
        ...base(
          'forward_out',
          'forward',
          'tw_out',
          1,
          walkMarks | this.marks.routed,
          this.usesRouted ? this.marks.routed : 0,
        ),
        'forward_out',
      ],
      [...base('output', 'output', 'tw_out', 0, allMarks), 'output'],
    ];
    if (this.usesMasquerade) {
      const m = this.marks.masquerade;
      bases.push([
        {
          add: {
            chain: {
              family,
              table,
              name: 'nat_post',
              type: 'nat',
              hook: 'postrouting',
              prio: 100,
              policy: 'accept',
            },
          },
        },
        [[match('==', and(meta('mark'), m), m), masquerade]],
        'nat_post',
      ]);
    }
    if (forwardLines.length > 0) {
      bases.push([
        {
          add: {
            chain: {
              family,
              table,
              name: 'nat_pre',
              type: 'nat',
              hook: 'prerouting',
              prio: -100,
              policy: 'accept',
            },
          },
        },
        forwardLines,
        'nat_pre',
      ]);
    }

    // The program as JSON text, in the order nft needs: what JSON.stringify wrote of the same
    // commands as objects (keys in the same order), without building them.
    // The document's opening is part of the first command and its closing is appended to the
    // last, so the one join below gives the whole text as one flat string (a wrapper around the
    // joined commands would be a rope of 13 MB that the first reader flattens into a copy).
    const commands: string[] = [
      `{"nftables":[${JSON.stringify({ metainfo: { json_schema_version: 1 } })}`,
    ];
    const tableCommand = JSON.stringify({ table: { family, name: table } });
    if (mode === 'replace') {
      commands.push(`{"add":${tableCommand}}`, `{"delete":${tableCommand}}`);
    }
    commands.push(`{"add":${tableCommand}}`);
    // Chains before maps: a map element that jumps to a chain needs the chain to exist.
    for (const c of this.counters) commands.push(c);
    for (const cmd of this.sets) commands.push(JSON.stringify(cmd));
    for (const [cmd] of bases) commands.push(JSON.stringify(cmd));
    const tableJson = this.tableJson;
    // Chain names come from keys ([A-Za-z0-9_-], names.ts) and fixed names: no escaping needed.
    for (const name of this.chainOrder) {
      commands.push(`{"add":{"chain":{"family":"inet","table":${tableJson},"name":"${name}"}}}`);
    }
    for (const m of this.maps) commands.push(m);
    // { add: { rule: { family, table, chain, expr, comment? } } }
    const rule = (chain: string, expr: Stmt[]): string => {
      const comment = this.lineComments.get(expr);
      return `{"add":{"rule":{"family":"inet","table":${tableJson},"chain":"${chain}","expr":${JSON.stringify(expr)}${comment ? `,"comment":${JSON.stringify(comment)}` : ''}}}}`;
    };
    for (const [, lines, name] of bases) for (const l of lines) commands.push(rule(name, l));
    for (const name of this.chainOrder) {
      for (const l of this.chains.get(name) ?? []) if (l.length > 0) commands.push(rule(name, l));
    }
    const baseChains = bases.map(([cmd]) => (cmd.add as { chain: Stmt }).chain);
    commands.push(`${commands.pop() as string}]}`);
    return nftProgram(commands.join(','), baseChains);
  }
}

/* ------------------------------------------------------------------------------------------ */
/* Map elements                                                                                */
/* ------------------------------------------------------------------------------------------ */

/** The address of a set element as `nft -j list` prints it (plain, or with timeout/expires). */
function elementAddress(e: Json): string | undefined {
  if (typeof e === 'string') return e;
  if (e && typeof e === 'object' && !Array.isArray(e) && 'elem' in e) {
    const inner = (e as { elem: unknown }).elem;
    if (inner && typeof inner === 'object' && 'val' in inner) {
      const val = (inner as { val: unknown }).val;
      return typeof val === 'string' ? val : undefined;
    }
  }
  return undefined;
}

/**
 * A `==` test of a field verdict maps are keyed by (groupField's fields and value kinds): its
 * condition is one match line, never refused and never with a warning.
 */
function mapCandidate(node: Node): boolean {
  if (node.rule.relation !== '==') return false;
  switch (node.rule.property) {
    case 'Source port':
    case 'Dest port':
      return node.value.kind === 'range';
    case 'Protocol':
      return node.value.kind === 'protocol';
    case 'Source net':
    case 'Dest net':
      return node.value.kind === 'address';
    default:
      return false;
  }
}

/** A parsed Protocol value that is TCP or UDP (protocols with ports). */
function isTcpUdp(value: ParsedValue): boolean {
  return value.kind === 'protocol' && (value.number === 6 || value.number === 17);
}

/** The condition without `meta l4proto @tcpudp` tests (for a rule only TCP or UDP reaches). */
function withoutPortGuard(cond: Extract<Cond, { kind: 'lines' }>): Cond {
  const strip = (line: Stmt[]): Stmt[] => line.filter((st) => st !== L4_WITH_PORTS);
  if (!cond.lines.some((l) => l.includes(L4_WITH_PORTS)) && !cond.guard?.includes(L4_WITH_PORTS))
    return cond;
  return {
    ...cond,
    lines: cond.lines.map(strip),
    ...(cond.guard ? { guard: strip(cond.guard) } : {}),
  };
}

/**
 * The value's span: ports, protocols and IPv4 addresses as numbers (exact in a double, and
 * several times cheaper than bigint steps), IPv6 as bigints.
 */
function interval(node: Node): Span {
  const v = node.value;
  if (v.kind === 'address') {
    const m = v.match;
    return m.family === 4
      ? { family: 4, lo: Number(m.first), hi: Number(m.last) }
      : { family: 6, lo: m.first, hi: m.last };
  }
  if (v.kind === 'protocol') return { family: 0, lo: v.number, hi: v.number };
  if (v.kind === 'range') return { family: 0, lo: v.range.min, hi: v.range.max };
  return { family: 0, lo: 0, hi: 0 };
}

/** `interval`'s first (or last) bound as canonical decimal text. */
function boundText(node: Node, last: boolean): string {
  const v = node.value;
  if (v.kind === 'address') {
    const m = v.match;
    const bound = last ? m.last : m.first;
    // An IPv4 bound's decimal text from a number: the same digits, without a bigint's toString.
    return m.family === 4 ? String(Number(bound)) : String(bound);
  }
  if (v.kind === 'protocol') return String(v.number);
  if (v.kind === 'range') return String(last ? v.range.max : v.range.min);
  return '0';
}

/**
 * disjointSegments' cut of `nodes[start .. start + n)` (greedy: each segment ends before the first
 * value that overlaps one of it) for port, protocol and IPv4 values that ascend within each
 * segment: a list in ascending order, or several one after another (a ban list that repeats).
 * A value either starts after the segment's last one ends, or overlaps one of the segment (the
 * first that does not end below it, by binary search: the segment is sorted and disjoint) and
 * starts the next segment. Undefined, for disjointSegments, when a value fits between two of its
 * segment, or for IPv6 values and empty ranges.
 */
function ascendingSegments(nodes: Node[], start: number, n: number): number[] | undefined {
  const lengths: number[] = [];
  let segment = start;
  let lastHi = -1;
  for (let i = start; i < start + n; i++) {
    const node = nodes[i] as Node;
    const v = node.value;
    if (v.kind === 'address' && v.match.family !== 4) return undefined;
    const lo = lowNumber(node);
    const hi = highNumber(node);
    if (hi < lo) return undefined;
    if (lo > lastHi) {
      lastHi = hi;
      continue;
    }
    let a = segment;
    let b = i;
    while (a < b) {
      const m = (a + b) >>> 1;
      if (highNumber(nodes[m] as Node) < lo) a = m + 1;
      else b = m;
    }
    if (a === i || lowNumber(nodes[a] as Node) > hi) return undefined;
    lengths.push(i - segment);
    segment = i;
    lastHi = hi;
  }
  lengths.push(start + n - segment);
  return lengths;
}

/** `interval`'s bounds of a port, protocol or IPv4 value as numbers, without a Span object. */
function lowNumber(node: Node): number {
  const v = node.value;
  if (v.kind === 'address') return Number(v.match.first);
  if (v.kind === 'protocol') return v.number;
  return v.kind === 'range' ? v.range.min : 0;
}
function highNumber(node: Node): number {
  const v = node.value;
  if (v.kind === 'address') return Number(v.match.last);
  if (v.kind === 'protocol') return v.number;
  return v.kind === 'range' ? v.range.max : 0;
}

/**
 * A map element's opening and value as JSON text, in pieces pushed onto `out`:
 * `[{"elem":{"val":` (after a `,` unless `first`) and what JSON.stringify writes of
 * `elementValue` (or, in an exact map, of the network address). Canonical address text (digits,
 * hex digits, `.` and `:`) needs no escaping; the other pieces are numbers.
 */
function elementValueJson(out: string[], node: Node, exact: boolean, first: boolean): void {
  const open = first ? '[{"elem":{"val":' : ',[{"elem":{"val":';
  const v = node.value;
  if (v.kind === 'protocol') out.push(open, String(v.number));
  else if (v.kind === 'range') {
    const { min, max } = v.range;
    if (min === max) out.push(open, String(min));
    else out.push(open, '{"range":[', String(min), ',', String(max), ']}');
  } else if (v.kind === 'address') {
    const m = v.match;
    // In an exact map a network is one key: its network address, which `address` is (the first
    // address of a prefix or range, in canonical text).
    if (exact || m.kind === 'single')
      out.push(first ? '[{"elem":{"val":"' : ',[{"elem":{"val":"', m.address, '"');
    else if (m.kind === 'prefix') {
      const len = m.prefixLength ?? (m.family === 4 ? 32 : 128);
      out.push(open, '{"prefix":{"addr":"', m.address, '","len":', String(len), '}}');
    } else out.push(open, '{"range":["', m.address, '","', m.end ?? m.address, '"]}');
  } else out.push(open, '0');
}

/**
 * Whether a map's members can be looked up by exact match, and the mask that makes them so. A
 * map of single values (ports, addresses), or of networks of one prefix length L (a ban list of
 * /24s, sites of /16s), needs no interval flag: the packet's address under the /L mask either is
 * a member's network address or matches no member, which is exactly `addr in network` for each.
 * The kernel then finds the element by hash in a few memory reads, where an interval map (at 6.18
 * a binary search over its elements) reads one element per step: at the benchmark's 2,989 banned
 * /24s that was half of nftables' time per packet (perf, 64-byte UDP). Undefined: intervals
 * needed (ranges, or networks of several lengths). Protocol maps never have intervals.
 */
function exactLookup(members: Node[], family: 4 | 6 | 0): { mask?: string } | undefined {
  if (family === 6) return exactLookup6(members);
  // Ports, protocols and IPv4 addresses: numbers (at most 2^32, exact in a double).
  let size = 0;
  for (const node of members) {
    const n = highNumber(node) - lowNumber(node) + 1;
    if (size === 0) size = n;
    else if (n !== size) return undefined;
  }
  if (size === 0 || size === 1) return {};
  if (family === 0) return undefined;
  // Networks: a power of two, aligned (a prefix; a range written out as one counts the same).
  if (2 ** Math.round(Math.log2(size)) !== size) return undefined;
  if (members.some((node) => lowNumber(node) % size !== 0)) return undefined;
  return { mask: formatIPv4(BigInt(2 ** 32 - size)) };
}

/** exactLookup for IPv6 members (bigints). */
function exactLookup6(members: Node[]): { mask?: string } | undefined {
  let size: bigint | undefined;
  for (const node of members) {
    const { lo, hi } = interval(node) as { lo: bigint; hi: bigint };
    const n = hi - lo + 1n;
    if (size === undefined) size = n;
    else if (n !== size) return undefined;
  }
  if (size === undefined || size === 1n) return {};
  if ((size & (size - 1n)) !== 0n) return undefined;
  if (members.some((node) => (interval(node).lo as bigint) % (size as bigint) !== 0n))
    return undefined;
  const mask = ((1n << 128n) - 1n) ^ (size - 1n);
  return { mask: formatIPv6(mask) };
}

/* ------------------------------------------------------------------------------------------ */
/* Entry point                                                                                 */
/* ------------------------------------------------------------------------------------------ */

/** Compile a document. Pure and deterministic; never throws on a well-typed document. */
export function compile(doc: FirewallDocument, options: CompileOptions = {}): CompileResult {
  const compiler = new Compiler(doc, options);
  const nft = compiler.run(options.mode ?? 'replace');
  if (!nft) {
    const problems = [...compiler.problems].sort((a, b) => compareNumbers(a.number, b.number));
    return { ok: false, problems, warnings: compiler.warnings };
  }
  const result = {
    ok: true as const,
    nft,
    text: '',
    objects: compiler.objects,
    warnings: compiler.warnings,
    helperRules: compiler.helperRules,
    routes: compiler.routes,
    delays: compiler.delays,
    shaping: compiler.shaping.classes,
    ...(compiler.forwarding ? { forwarding: compiler.forwarding } : {}),
  };
  // The text is for people; rendering 100,000 rules costs as much as compiling them, so it is
  // rendered on first read (an enumerable getter: it still shows up in JSON and spreads).
  let text: string | undefined;
  Object.defineProperty(result, 'text', {
    enumerable: true,
    get: () => (text ??= renderText(nft)),
  });
  return result;
}

/** Outline order of `2.10` vs `2.9`: numerically, part by part. */
function compareNumbers(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? -1) - (pb[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}
